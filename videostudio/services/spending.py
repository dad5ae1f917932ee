"""The one check of budget caps, made wherever a paid job may be sent.

The folder's driver calls it at the moment it sends a job (so jobs handed over by
another process, retries, batches and the window's jobs all pass it), and the CLI
and the window call it before journaling to refuse or ask early. It counts what is
spent (the prompt assistant's answers too) plus the estimates of everything sent
and not yet billed; jobs still queued are not counted (each is checked when its turn
to be sent comes).
"""

from __future__ import annotations

from datetime import datetime

from videostudio.core.budget import SETTING_KEY, Budget, refusals
from videostudio.core.jobs import QUEUED
from videostudio.core.spend import spend_of
from videostudio.services.journal import Journal


class OverBudgetError(ValueError):
    """Not sent: it would break a budget cap (the message says which and how to override)."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; and ".join(reasons))
        self.reasons = reasons


def cap_refusals(
    journal: Journal, estimates: list[float | None], now: datetime | None = None
) -> list[str]:
    """Why sending jobs of these estimates now would break a cap (empty: they may go)."""
    budget = Budget.from_json(journal.setting(SETTING_KEY))
    if budget.daily is None and budget.monthly is None:
        return []
    sent = [r for r in journal.find() if r.state != QUEUED]
    spent = spend_of(sent, now or datetime.now().astimezone(), journal.charges())
    return refusals(budget, spent, estimates)
