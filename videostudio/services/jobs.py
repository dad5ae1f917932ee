"""The job queue: submit once, poll, download at once, resume after a restart.

Every job lives in the journal first and is driven by one asyncio task:
queued -> submitting -> pending/in_progress -> completed -> downloading -> saved.
The rules that protect the user's money:

- a job is journaled before its POST is sent; a submit whose outcome is
  unknown (sent, no reply) becomes "unknown" and is never resent by itself;
- polls and downloads wait out rate limits, 5xx bursts and lost networks,
  however long, because the job is already paid for;
- a completed job is downloaded at once (results expire), continuing a
  partial file after a crash, and only a checked file is called saved.

Listeners get every journal change plus transient Activity (progress, retry
countdowns); the window and the CLI are both just listeners.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from videostudio.api import errors as api
from videostudio.api.client import RetryNotice, VideoClient
from videostudio.api.retry import RetryPolicy
from videostudio.core import failures
from videostudio.core.failures import Failure
from videostudio.core.jobs import (
    DOWNLOADING,
    QUEUED,
    REJECTED,
    SAVED,
    STOPPED,
    SUBMITTING,
    UNKNOWN,
    JobRecord,
)
from videostudio.core.models import (
    COMPLETED,
    EXPIRED,
    FAILED,
    IN_PROGRESS,
    PENDING,
    REMOTE_TERMINAL_ERRORS,
    GenerationRequest,
    is_terminal,
)
from videostudio.core.polling import PollPolicy
from videostudio.services.clips import clip_path, is_valid_clip, write_sidecar
from videostudio.services.errors import to_failure
from videostudio.services.journal import Journal

log = logging.getLogger("videostudio.services.jobs")

# Waiting out a lost network or a struggling server (after the client's own retries):
# 2 s, 4 s, ... up to a minute, then every minute, for as long as it takes.
OUTAGE_BACKOFF = RetryPolicy(
    initial=2.0, factor=2.0, max_interval=60.0, jitter=1.0, max_retry_after=60.0
)
# A server that keeps sending something other than a video: give up after this many tries.
MAX_BAD_DOWNLOADS = 5


@dataclass(frozen=True)
class Activity:
    """What a job is doing right now (not journaled): a transfer, or a wait before a retry."""

    received: int = 0
    total: int | None = None
    failure: Failure | None = None  # the transient problem being waited out

    @property
    def fraction(self) -> float | None:
        return self.received / self.total if self.total else None


JobListener = Callable[[JobRecord, Activity | None], None]
ConnectivityListener = Callable[[Failure | None], None]


class JobService:
    """Drives every job in the journal with one shared client.

    ``sleep`` and ``clock`` are injectable so the whole lifecycle, faults
    included, runs in tests without waiting.
    """

    def __init__(
        self,
        client: VideoClient,
        journal: Journal,
        clips_dir: Path,
        *,
        poll_policy: PollPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
        max_parallel_downloads: int = 3,
        outage: RetryPolicy = OUTAGE_BACKOFF,
    ) -> None:
        self.client = client
        self.journal = journal
        self.clips_dir = clips_dir
        self.poll_policy = poll_policy or PollPolicy()
        self._sleep = sleep
        self._clock = clock
        self._outage = outage
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._writes: set[asyncio.Future[JobRecord]] = set()
        self._submit_lock = asyncio.Lock()  # one POST at a time keeps the journal order honest
        self._downloads = asyncio.Semaphore(max_parallel_downloads)
        self._listeners: list[JobListener] = []
        self._connectivity: list[ConnectivityListener] = []
        self._offline: Failure | None = None

    # -- listening -------------------------------------------------------------------------

    def subscribe(self, listener: JobListener) -> None:
        self._listeners.append(listener)

    def subscribe_connectivity(self, listener: ConnectivityListener) -> None:
        """Told Failure(offline...) when the service cannot be reached, None when it is back."""
        self._connectivity.append(listener)

    def _emit(self, record: JobRecord, activity: Activity | None = None) -> None:
        for listener in list(self._listeners):
            try:
                listener(record, activity)
            except Exception:  # a broken view must not stop a paid job
                log.exception("job listener failed")

    def _set_offline(self, failure: Failure | None) -> None:
        """Tell connectivity listeners about each outage wait, and once when it is over."""
        if failure is None and self._offline is None:
            return
        self._offline = failure
        for listener in list(self._connectivity):
            listener(failure)

    # -- journal (off the event loop's thread: commits fsync) ------------------------------

    async def _update(self, record: JobRecord, **changes: Any) -> JobRecord:
        # A write runs to the end even when its job is cancelled (the app quits): aclose
        # waits for it, so the journal is never closed under a write.
        write = asyncio.ensure_future(
            asyncio.to_thread(self.journal.update, record.local_id, **changes)
        )
        self._writes.add(write)
        write.add_done_callback(self._writes.discard)
        updated = await asyncio.shield(write)
        self._emit(updated)
        return updated

    # -- public operations -----------------------------------------------------------------

    async def enqueue(
        self,
        requests: list[GenerationRequest],
        *,
        estimates: list[float | None] | None = None,
        dest: Path | None = None,
        batch: str | None = None,
    ) -> list[JobRecord]:
        """Journal the jobs (all or none), then start them. ``dest`` only for a single job."""
        if dest is not None and len(requests) != 1:
            raise ValueError("a destination path is for one job only")
        records = await asyncio.to_thread(
            self.journal.add_many,
            [r.to_json() for r in requests],
            estimates=estimates,
            paths=[str(dest)] if dest is not None else None,
            batch=batch,
        )
        for record in records:
            self._emit(record)
            self._start(record)
        return records

    async def resume(self) -> list[JobRecord]:
        """On launch: mark interrupted submits "unknown", restart everything unfinished."""
        for record in await asyncio.to_thread(self.journal.recover_interrupted):
            log.warning("job %d may have been submitted before a crash", record.local_id)
            self._emit(record)
        unfinished = await asyncio.to_thread(self.journal.unfinished)
        for record in unfinished:
            self._start(record)
        return unfinished

    async def submit_again(self, local_id: int) -> JobRecord:
        """The user's choice for a job that may not exist (unknown) or was refused: a new job.

        The old row is kept (marked stopped) so the history shows both.
        """
        old = await asyncio.to_thread(self.journal.get, local_id)
        if not old.is_final:
            raise ValueError(f"Job {local_id} is still {old.label.lower()}.")
        request = GenerationRequest.from_json(old.request)
        (new,) = await self.enqueue([request], estimates=[old.estimate_usd], batch=old.batch)
        if old.state == UNKNOWN:
            await self._update(old, state=STOPPED, error=f"Submitted again as job #{new.local_id}.")
        return new

    async def stop_watching(self, local_id: int) -> JobRecord:
        """Stop polling a job. The API has no cancel: the job may still run and be billed."""
        task = self._tasks.pop(local_id, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        record = await asyncio.to_thread(self.journal.get, local_id)
        if record.is_final:
            return record
        note = (
            "Not sent: removed from the queue."
            if record.state == QUEUED
            else "Stopped watching. The API has no cancel: the job may still finish and be billed."
        )
        return await self._update(record, state=STOPPED, error=note)

    def is_active(self, local_id: int) -> bool:
        return local_id in self._tasks

    async def wait_idle(self) -> None:
        """Until no job task runs (the CLI waits for its jobs this way)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def aclose(self) -> None:
        """Stop every task; the journal already says where each job stands."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        await asyncio.gather(*self._writes, return_exceptions=True)

    # -- one job's life --------------------------------------------------------------------

    def _start(self, record: JobRecord) -> None:
        if record.local_id in self._tasks:
            return
        task = asyncio.create_task(self._drive(record), name=f"job-{record.local_id}")
        self._tasks[record.local_id] = task
        task.add_done_callback(functools.partial(self._finished, record.local_id))

    def _finished(self, local_id: int, task: asyncio.Task[None]) -> None:
        if self._tasks.get(local_id) is task:
            del self._tasks[local_id]
        if not task.cancelled() and task.exception() is not None:
            log.error("job %d stopped on an error", local_id, exc_info=task.exception())

    async def _drive(self, record: JobRecord) -> None:
        if record.state == QUEUED:
            record = await self._submit(record)
        if record.state in (PENDING, IN_PROGRESS):
            record = await self._watch(record)
        if record.state in (COMPLETED, DOWNLOADING):
            await self._download(record)

    async def _submit(self, record: JobRecord) -> JobRecord:
        request = GenerationRequest.from_json(record.request)
        attempt = 0
        async with self._submit_lock:
            while True:
                record = await self._update(record, state=SUBMITTING, submitted_at=self._clock())
                try:
                    job = await self.client.generate(request, on_retry=self._on_retry(record))
                except api.SubmitOutcomeUnknownError as exc:
                    return await self._unknown(record, str(exc))
                except (api.APIConnectionError, api.RateLimitError) as exc:
                    # Provably never sent, or refused before anything was created:
                    # safe to send again once the network (or the rate limit) allows.
                    attempt += 1
                    record = await self._update(record, state=QUEUED)
                    await self._wait_outage(record, exc, attempt)
                    continue
                except api.APIStatusError as exc:
                    if exc.status_code >= 500:
                        # The server may have created the job before failing.
                        why = f"{exc.message} (HTTP {exc.status_code})"
                        return await self._unknown(record, why)
                    failure = to_failure(exc)
                    return await self._update(
                        record,
                        state=REJECTED,
                        error=failure.message,
                        error_kind=failure.kind,
                        error_field=failure.field,
                    )
                except api.ResponseFormatError as exc:
                    return await self._unknown(record, str(exc))
                self._set_offline(None)
                return await self._update(
                    record,
                    job_id=job.id,
                    state=job.status if job.status in (PENDING, IN_PROGRESS) else PENDING,
                    remote_status=job.status,
                    error=None,
                    error_kind=None,
                )

    async def _unknown(self, record: JobRecord, why: str) -> JobRecord:
        return await self._update(
            record,
            state=UNKNOWN,
            error=f"{why} The job may have been created and billed; it was not sent again.",
            error_kind=failures.OFFLINE,
        )

    async def _watch(self, record: JobRecord) -> JobRecord:
        job_id = _job_id(record)
        attempt = 0
        while True:
            try:
                job = await self.client.get_generation(job_id, on_retry=self._on_retry(record))
            except api.NotFoundError as exc:
                return await self._update(
                    record, state=FAILED, error=exc.message, error_kind=failures.NOT_FOUND
                )
            except (api.AuthenticationError, api.PermissionDeniedError) as exc:
                # The job is fine; the key is not. Keep trying: a new key fixes it.
                attempt += 1
                await self._wait_outage(record, exc, attempt, connectivity=False)
                continue
            except (api.APIConnectionError, api.APIStatusError, api.ResponseFormatError) as exc:
                attempt += 1
                await self._wait_outage(record, exc, attempt)
                continue
            attempt = 0
            self._set_offline(None)
            if job.status != record.remote_status:
                changes: dict[str, Any] = {"remote_status": job.status}
                if job.status in (PENDING, IN_PROGRESS) or is_terminal(job.status):
                    changes["state"] = job.status
                if is_terminal(job.status):
                    changes["finished_at"] = self._clock()
                    changes["cost_usd"] = job.cost
                if job.status in REMOTE_TERMINAL_ERRORS:
                    changes["error"] = job.error or f"The job ended {job.status}."
                record = await self._update(record, **changes)
            if is_terminal(job.status):
                return record
            elapsed = self._clock() - (record.submitted_at or record.created_at)
            await self._sleep(self.poll_policy.interval(elapsed))

    async def _download(self, record: JobRecord) -> JobRecord:
        job_id = _job_id(record)
        dest = Path(record.path) if record.path else clip_path(record, self.clips_dir)
        # A file already at dest counts only when this download was under way before a
        # restart (renamed, not yet journaled); a fresh download replaces whatever is there.
        resumed = record.state == DOWNLOADING
        if not resumed or record.path != str(dest):
            record = await self._update(record, state=DOWNLOADING, path=str(dest))
        bad = 0
        attempt = 0
        async with self._downloads:
            done = resumed and await asyncio.to_thread(is_valid_clip, dest)
            while not done:
                try:
                    await asyncio.to_thread(dest.parent.mkdir, parents=True, exist_ok=True)
                    await self.client.download(
                        job_id,
                        dest,
                        progress=self._on_progress(record),
                        on_retry=self._on_retry(record),
                        keep_partial=True,
                    )
                    done = True
                except (api.GoneError, api.NotFoundError) as exc:
                    return await self._update(
                        record, state=EXPIRED, error=exc.message, error_kind=failures.GONE
                    )
                except api.ResponseFormatError as exc:
                    bad += 1
                    if bad >= MAX_BAD_DOWNLOADS:
                        return await self._update(
                            record,
                            state=COMPLETED,
                            error=f"{exc} The download will be tried again at the next start.",
                            error_kind=failures.BAD_REPLY,
                        )
                    attempt += 1
                    await self._wait_outage(record, exc, attempt, connectivity=False)
                except (api.APIConnectionError, api.APIStatusError) as exc:
                    # 409 (not ready), 429, 5xx and lost networks: the clip is paid for, wait.
                    attempt += 1
                    await self._wait_outage(record, exc, attempt)
                except OSError as exc:
                    failure = to_failure(exc)
                    return await self._update(
                        record,
                        state=COMPLETED,
                        error=f"Cannot save the clip: {exc}",
                        error_kind=failure.kind,
                    )
        self._set_offline(None)
        size = (await asyncio.to_thread(dest.stat)).st_size
        record = record.with_(saved_at=self._clock(), size_bytes=size)
        await asyncio.to_thread(write_sidecar, record, dest)
        return await self._update(
            record,
            state=SAVED,
            size_bytes=size,
            saved_at=record.saved_at,
            error=None,
            error_kind=None,
        )

    # -- waiting ----------------------------------------------------------------------------

    async def _wait_outage(
        self, record: JobRecord, exc: Exception, attempt: int, *, connectivity: bool = True
    ) -> None:
        """Sleep before trying again (``outage`` backoff, or the server's Retry-After)."""
        retry_after = exc.retry_after if isinstance(exc, api.APIStatusError) else None
        wait = self._outage.delay(min(attempt - 1, 10), retry_after)
        failure = to_failure(exc, retry_in=wait)
        if connectivity and failure.kind == failures.OFFLINE:
            self._set_offline(failure)
        log.info("job %d: %s; next try in %.0f s", record.local_id, failure.kind, wait)
        self._emit(record, Activity(failure=failure))
        await self._sleep(wait)

    def _on_retry(self, record: JobRecord) -> Callable[[RetryNotice], None]:
        def notify(notice: RetryNotice) -> None:
            self._emit(record, Activity(failure=to_failure(notice.error, retry_in=notice.delay)))

        return notify

    def _on_progress(self, record: JobRecord) -> Callable[[int, int | None], None]:
        last = [-1]

        def progress(received: int, total: int | None) -> None:
            step = int(100 * received / total) if total else received >> 20
            if step != last[0]:  # at most one event per percent (or MiB)
                last[0] = step
                self._emit(record, Activity(received=received, total=total))

        return progress


def _job_id(record: JobRecord) -> str:
    if not record.job_id:
        raise ValueError(f"job {record.local_id} has no server id")
    return record.job_id
