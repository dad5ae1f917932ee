"""Backoff for GET retries: exponential with jitter, honouring Retry-After (capped)."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from time import time


def retry_after_seconds(
    headers: Mapping[str, str], now: Callable[[], float] = time
) -> float | None:
    """The wait a reply asks for (``retry-after-ms`` or ``Retry-After`` seconds/date), or None."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            value = float(ms) / 1000
            if value > 0:
                return value
        except ValueError:
            pass
    after = headers.get("retry-after")
    if not after:
        return None
    try:
        value = float(after)
    except ValueError:
        try:
            value = parsedate_to_datetime(after).timestamp() - now()
        except (TypeError, ValueError):
            return None
    return value if value > 0 else None


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long a GET is retried.

    The n-th retry (n from 0) waits ``initial * factor**n`` plus up to ``jitter``
    seconds, at most ``max_interval``; a server's Retry-After replaces that wait
    but is capped at ``max_retry_after`` so one reply cannot park a job for hours.
    """

    max_attempts: int = 6
    initial: float = 0.5
    factor: float = 2.0
    max_interval: float = 30.0
    jitter: float = 0.5
    max_retry_after: float = 120.0
    rng: Callable[[], float] = field(default=random.random, compare=False)

    def delay(self, retry_number: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        base = min(self.initial * self.factor**retry_number, self.max_interval)
        return min(base + self.jitter * self.rng(), self.max_interval)
