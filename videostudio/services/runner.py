"""Runs one job through its life: submit, poll until terminal, download at once.

Shared by the CLI and the window's queue, so both behave the same. Each step
reports a JobEvent; the caller decides how to show it (a progress line, a row).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from videostudio.api.client import RetryNotice, VideoClient
from videostudio.api.errors import APIConnectionError, ResponseFormatError
from videostudio.core.models import COMPLETED, GenerationRequest, VideoJob
from videostudio.core.polling import PollPolicy

log = logging.getLogger("videostudio.services")

# A poll that fails this many times in a row (after the client's own retries) gives up.
MAX_POLL_FAILURES = 10


@dataclass(frozen=True)
class JobEvent:
    """Something that happened to a job.

    kind: submitted | status | retrying | downloading | saved | failed
    """

    kind: str
    job_id: str | None = None
    status: str | None = None
    message: str = ""
    received: int = 0
    total: int | None = None
    delay: float = 0.0
    path: Path | None = None
    cost: float | None = None


EventSink = Callable[[JobEvent], None]


@dataclass(frozen=True)
class JobResult:
    """How a job ended: its last reported state, and the file when it completed."""

    job: VideoJob
    path: Path | None

    @property
    def ok(self) -> bool:
        return self.job.status == COMPLETED and self.path is not None


class JobRunner:
    """Drives jobs with one client; ``sleep`` and ``clock`` are injectable for tests."""

    def __init__(
        self,
        client: VideoClient,
        *,
        poll_policy: PollPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.client = client
        self.poll_policy = poll_policy or PollPolicy()
        self._sleep = sleep
        self._clock = clock or asyncio.get_running_loop().time

    async def submit(self, request: GenerationRequest, emit: EventSink) -> VideoJob:
        job = await self.client.generate(request, on_retry=self._retry_sink(emit, None))
        emit(JobEvent("submitted", job.id, job.status))
        return job

    async def wait(self, job_id: str, emit: EventSink) -> VideoJob:
        """Poll until the job reaches a terminal state; transient failures are waited out."""
        started = self._clock()
        failures = 0
        last_status = None
        while True:
            try:
                job = await self.client.get_generation(
                    job_id, on_retry=self._retry_sink(emit, job_id)
                )
                failures = 0
            except (APIConnectionError, ResponseFormatError) as exc:
                failures += 1
                if failures >= MAX_POLL_FAILURES:
                    raise
                delay = self.poll_policy.interval(self._clock() - started)
                emit(JobEvent("retrying", job_id, message=str(exc), delay=delay))
                await self._sleep(delay)
                continue
            if job.status != last_status:
                last_status = job.status
                emit(JobEvent("status", job_id, job.status, message=job.error or ""))
            if job.is_terminal:
                return job
            await self._sleep(self.poll_policy.interval(self._clock() - started))

    async def download(self, job: VideoJob, dest: Path, emit: EventSink) -> Path:
        def progress(received: int, total: int | None) -> None:
            emit(JobEvent("downloading", job.id, received=received, total=total))

        await self.client.download(
            job.id, dest, progress=progress, on_retry=self._retry_sink(emit, job.id)
        )
        emit(JobEvent("saved", job.id, COMPLETED, path=dest, cost=job.cost))
        return dest

    async def run(self, request: GenerationRequest, dest: Path, emit: EventSink) -> JobResult:
        """Submit, wait and download one job to ``dest``."""
        submitted = await self.submit(request, emit)
        job = await self.wait(submitted.id, emit)
        if job.status != COMPLETED:
            emit(JobEvent("failed", job.id, job.status, message=job.error or job.status))
            return JobResult(job, None)
        return JobResult(job, await self.download(job, dest, emit))

    @staticmethod
    def _retry_sink(emit: EventSink, job_id: str | None) -> Callable[[RetryNotice], None]:
        def on_retry(notice: RetryNotice) -> None:
            emit(JobEvent("retrying", job_id, message=str(notice.error), delay=notice.delay))

        return on_retry
