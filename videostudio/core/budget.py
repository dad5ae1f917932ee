"""Budget caps and confirmation thresholds: money under the user's control.

A submit (one job or a batch) whose estimate would take the day's or the
month's spend past its cap is not sent, unless the user overrides it for that
one submit. A job above ``ask_above`` dollars, or a batch of more than
``confirm_jobs`` jobs, is sent only after the user confirms.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from videostudio.core.pricing import format_usd
from videostudio.core.spend import Spend

SETTING_KEY = "budget"
DEFAULT_CONFIRM_JOBS = 4


@dataclass(frozen=True)
class Budget:
    daily: float | None = None
    monthly: float | None = None
    ask_above: float | None = None  # per job, in USD
    confirm_jobs: int = DEFAULT_CONFIRM_JOBS

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Budget:
        if not isinstance(data, dict):
            return cls()

        def money(key: str) -> float | None:
            value = data.get(key)
            return float(value) if isinstance(value, (int, float)) and value >= 0 else None

        jobs = data.get("confirm_jobs")
        return cls(
            daily=money("daily"),
            monthly=money("monthly"),
            ask_above=money("ask_above"),
            confirm_jobs=jobs if isinstance(jobs, int) and jobs > 0 else DEFAULT_CONFIRM_JOBS,
        )

    def describe(self) -> str:
        def cap(value: float | None) -> str:
            return format_usd(value) if value is not None else "none"

        return (
            f"daily cap {cap(self.daily)}, monthly cap {cap(self.monthly)}, "
            f"ask before a job over {cap(self.ask_above)}, "
            f"ask before a batch of more than {self.confirm_jobs} jobs"
        )


def over_caps(budget: Budget, spend: Spend, estimate: float) -> list[str]:
    """Why sending ``estimate`` more would break a cap (empty when it fits)."""
    reasons = []
    for name, cap, total in (
        ("daily", budget.daily, spend.today),
        ("monthly", budget.monthly, spend.month),
    ):
        if cap is not None and total.amount + estimate > cap + 1e-9:
            reasons.append(
                f"it would take {'today' if name == 'daily' else 'this month'}'s spend to "
                f"{format_usd(total.amount + estimate)}, over your {name} cap of {format_usd(cap)} "
                f"({format_usd(total.amount)} spent or running)"
            )
    return reasons


def refusals(budget: Budget, spend: Spend, estimates: list[float | None]) -> list[str]:
    """Why sending jobs of these estimates would break a cap; a job whose price cannot be
    estimated cannot be held to one, so under a cap it is a reason too."""
    reasons = over_caps(budget, spend, sum(e or 0 for e in estimates))
    unknown = sum(e is None for e in estimates)
    named = (("daily", budget.daily), ("monthly", budget.monthly))
    caps = [f"{name} cap of {format_usd(cap)}" for name, cap in named if cap is not None]
    if unknown and caps:
        what = "its price" if len(estimates) == 1 else f"the price of {unknown} of the jobs"
        reasons.append(
            f"{what} cannot be estimated, so it cannot be held to your {' and '.join(caps)}"
        )
    return reasons


def cap_note(budget: Budget, spend: Spend, estimate: float) -> str:
    """What sending ``estimate`` more does to the caps, in a few words for beside Generate:
    "over today's cap by $0.30" ("" when it fits)."""
    for period, cap, total in (
        ("today's", budget.daily, spend.today),
        ("this month's", budget.monthly, spend.month),
    ):
        if cap is not None and total.amount + estimate > cap + 1e-9:
            return f"over {period} cap by {format_usd(total.amount + estimate - cap)}"
    return ""


def confirmations(
    budget: Budget, estimates: list[float | None], *, demo: bool = False
) -> list[str]:
    """What the user should confirm before this submit (empty when nothing)."""
    asks = []
    if len(estimates) > budget.confirm_jobs:
        total = sum(e or 0 for e in estimates)
        money = f"≈ {format_usd(total)} in all"
        asks.append(
            f"This sends {len(estimates)} demo jobs (free; simulated prices, {money})."
            if demo
            else f"This sends {len(estimates)} paid jobs ({money})."
        )
    if budget.ask_above is not None:
        high = [e for e in estimates if e is not None and e > budget.ask_above]
        if high:
            asks.append(
                f"{len(high)} job(s) cost more than {format_usd(budget.ask_above)} each "
                f"(up to ≈ {format_usd(max(high))})."
            )
    return asks
