"""What has been spent: actual costs (``usage.cost``) and estimates for jobs still open.

A job counts at its reported cost when the API gave one. Otherwise it counts at
its estimate while it may still be billed (sent and running, completed without a
reported cost, or of unknown outcome), marked as an estimate; a job that ended
without a video (failed, refused, expired, cancelled) or was never sent is not
billed. Other paid calls (the prompt assistant's answers) count as Charges at their
reported cost. Demo jobs live in their own journal, so their totals never mix with money.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from videostudio.core.jobs import QUEUED, REJECTED, STOPPED, JobRecord
from videostudio.core.models import CANCELLED, EXPIRED, FAILED
from videostudio.core.pricing import format_usd

NOT_BILLED_STATES = frozenset({FAILED, REJECTED, EXPIRED, CANCELLED})


def billed_estimate(record: JobRecord) -> float:
    """What a job without a reported cost may still cost (0 when it cannot be billed)."""
    if record.cost_usd is not None or record.state in NOT_BILLED_STATES:
        return 0.0
    if record.state == STOPPED and record.submitted_at is None:
        return 0.0  # removed from the queue before it was sent
    return record.estimate_usd or 0.0


def cost_text(record: JobRecord) -> str:
    """The cost column: actual, "not billed", or an estimate that says it is one."""
    if record.cost_usd is not None:
        return format_usd(record.cost_usd)
    if record.state in NOT_BILLED_STATES or (
        record.state == STOPPED and record.submitted_at is None
    ):
        return "not billed"
    if record.estimate_usd is None:
        return "price unknown"
    prefix = "not sent, ≈ " if record.state == QUEUED else "≈ "
    return prefix + format_usd(record.estimate_usd)


@dataclass(frozen=True)
class Charge:
    """A paid call that is not a video job (an assistant's answer): when, which model, cost."""

    created_at: float
    model: str
    cost_usd: float


@dataclass
class Total:
    """Money in one period: reported costs, plus estimates for what is not reported yet."""

    actual: float = 0.0
    estimated: float = 0.0
    jobs: int = 0

    @property
    def amount(self) -> float:
        return self.actual + self.estimated

    def add(self, record: JobRecord) -> None:
        cost = record.cost_usd
        estimate = billed_estimate(record)
        if cost is None and not estimate:
            return
        self.jobs += 1
        if cost is not None:
            self.actual += cost
        else:
            self.estimated += estimate

    def charge(self, charge: Charge) -> None:
        self.jobs += 1
        self.actual += charge.cost_usd

    def text(self) -> str:
        shown = format_usd(self.amount) if self.amount else "$0.00"
        return shown + (f" (≈ {format_usd(self.estimated)} estimated)" if self.estimated else "")

    def to_json(self) -> dict[str, float | int]:
        return {
            "actual_usd": round(self.actual, 6),
            "estimated_usd": round(self.estimated, 6),
            "total_usd": round(self.amount, 6),
            "jobs": self.jobs,
        }


@dataclass
class Spend:
    """Totals for today, this month and all time (local time), and all time by model."""

    today: Total = field(default_factory=Total)
    month: Total = field(default_factory=Total)
    all_time: Total = field(default_factory=Total)
    by_model: dict[str, Total] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "today": self.today.to_json(),
            "month": self.month.to_json(),
            "all_time": self.all_time.to_json(),
            "by_model": {m: t.to_json() for m, t in sorted(self.by_model.items())},
        }


def spend_of(records: Iterable[JobRecord], now: datetime, charges: Iterable[Charge] = ()) -> Spend:
    """Add the journal up; ``now`` is local time (days and months are the user's)."""
    spend = Spend()
    items: list[tuple[float, str, JobRecord | Charge]] = [
        (r.created_at, r.model, r) for r in records
    ]
    items += [(c.created_at, c.model, c) for c in charges]
    for created_at, model, item in items:
        when = datetime.fromtimestamp(created_at, now.tzinfo)
        totals = [spend.all_time, spend.by_model.setdefault(model, Total())]
        if (when.year, when.month) == (now.year, now.month):
            totals.append(spend.month)
            if when.date() == now.date():
                totals.append(spend.today)
        for total in totals:
            if isinstance(item, Charge):
                total.charge(item)
            else:
                total.add(item)
    spend.by_model = {m: t for m, t in spend.by_model.items() if t.jobs}
    return spend
