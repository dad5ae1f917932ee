"""When to poll a job next: fast at first, then backing off.

OpenRouter suggests polling every 10-30 s; most clips take 30 s to several
minutes. Polling quickly at the start catches short jobs and rejected ones
early; backing off keeps a long queue from hammering the API.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PollPolicy:
    """Seconds to wait before the next poll, given how long the job has been running."""

    first: float = 3.0
    steps: tuple[tuple[float, float], ...] = ((30.0, 5.0), (120.0, 10.0), (600.0, 20.0))
    ceiling: float = 30.0
    # Polls per second for all jobs together: a batch of 20 is polled every 20 s each
    # (within the 10-30 s OpenRouter suggests) instead of 6.7 times a second in all;
    # bigger batches still see each job every ``ceiling`` seconds.
    budget: float = 1.0

    def interval(self, elapsed_s: float, watching: int = 1) -> float:
        wait = self.first
        for after, step in self.steps:
            if elapsed_s >= after:
                wait = step
        return min(max(wait, watching / self.budget), self.ceiling)  # never past 30 s
