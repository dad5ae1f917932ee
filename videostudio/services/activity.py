"""What a job is doing right now, beside its journaled state: a transfer or a wait.

Its own module (no httpx, no asyncio) so the window can import it before its first paint.
"""

from __future__ import annotations

from dataclasses import dataclass

from videostudio.core.failures import Failure


@dataclass(frozen=True)
class Activity:
    """What a job is doing right now (not journaled): a transfer, or a wait before a retry."""

    received: int = 0
    total: int | None = None
    failure: Failure | None = None  # the transient problem being waited out
    index: int = 0  # which output is being downloaded
    outputs: int = 1

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return (self.index + self.received / self.total) / max(self.outputs, 1)
