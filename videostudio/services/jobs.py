"""The job queue: submit once, poll, download at once, resume after a restart.

Every job lives in the journal first and is driven by one asyncio task:
queued -> submitting -> pending/in_progress -> completed -> downloading -> saved.
The rules that protect the user's money:

- a job is journaled before its POST is sent; a submit whose outcome is
  unknown (sent, no reply) becomes "unknown" and is never resent by itself;
- polls and downloads wait out rate limits, 5xx bursts and lost networks,
  however long, because the job is already paid for;
- a completed job is downloaded at once (results expire), every output of it,
  continuing a partial file (one per job and output) after a crash; the size and
  SHA-256 of each checked file are journaled before it is moved into place, and
  only files that match them are called saved;
- a job's task never dies: anything unexpected is shown on its row and retried
  with backoff; rows are claimed compare-and-set, so none is driven twice.

Only the process that owns the data folder (services/instance.py) runs a
JobService on it. Listeners get every journal change plus transient Activity
(progress, retry countdowns); the window and the CLI are both just listeners.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from videostudio.api import errors as api
from videostudio.api.client import RetryNotice, SubmitProgress, VideoClient, move_into_place
from videostudio.api.retry import RetryPolicy
from videostudio.core import failures
from videostudio.core.failures import Failure
from videostudio.core.jobs import (
    DOWNLOADING,
    NOT_SAVED,
    QUEUED,
    REJECTED,
    SAVED,
    STOPPED,
    SUBMITTING,
    UNKNOWN,
    JobRecord,
    Output,
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
from videostudio.services.activity import Activity
from videostudio.services.clips import (
    clip_path,
    free_file,
    free_name,
    matches,
    output_path,
    partial_path,
    write_sidecar,
)
from videostudio.services.errors import to_failure
from videostudio.services.images import MissingImageError
from videostudio.services.journal import (
    AlreadyRetriedError,
    Journal,
    JournalError,
    StateConflictError,
)
from videostudio.services.private import new_dir
from videostudio.services.spending import OverBudgetError, cap_refusals

log = logging.getLogger("videostudio.services.jobs")

# Waiting out a lost network or a struggling server (after the client's own retries):
# 2 s, 4 s, ... up to a minute, then every minute, for as long as it takes.
OUTAGE_BACKOFF = RetryPolicy(
    initial=2.0, factor=2.0, max_interval=60.0, jitter=1.0, max_retry_after=60.0
)
# A server that keeps sending something other than a video: give up after this many tries.
MAX_BAD_DOWNLOADS = 5
# Right after a submit, a poll may reach a replica that has not heard of the job yet.
NOT_FOUND_GRACE_S = 120.0
# Submit replies that prove no job was created; any other error may hide a created job.
REFUSED_STATUSES = frozenset({400, 401, 402, 403, 404, 413, 422})


JobListener = Callable[[JobRecord, Activity | None], None]
ConnectivityListener = Callable[[Failure | None], None]
OverBudgetQuestion = Callable[[JobRecord, list[str]], Awaitable[bool]]


class _SaveFailedError(Exception):
    """A paid clip could not be written; the row says why and how to retry."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


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
        not_found_grace_s: float = NOT_FOUND_GRACE_S,
    ) -> None:
        self.client = client
        self.journal = journal
        self.clips_dir = clips_dir
        self.poll_policy = poll_policy or PollPolicy()
        self._sleep = sleep
        self._clock = clock
        self._outage = outage
        self._not_found_grace_s = not_found_grace_s
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._polling: set[int] = set()
        self._writes: set[asyncio.Future[Any]] = set()
        self._submit_lock = asyncio.Lock()  # one POST at a time keeps the journal order honest
        self._downloads = asyncio.Semaphore(max_parallel_downloads)
        self._listeners: list[JobListener] = []
        self._connectivity: list[ConnectivityListener] = []
        self._offline: Failure | None = None
        # Asked when a job about to be sent would break a cap (the window's question);
        # None (the CLI) refuses it.
        self.ask_over_budget: OverBudgetQuestion | None = None
        self._replace: set[int] = set()  # jobs allowed to replace their destination's files

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

    async def _update(
        self, record: JobRecord, expect: list[str] | None = None, **changes: Any
    ) -> JobRecord:
        """Journal a change, waiting out a journal that cannot be written (a full disk):
        what a job learned from the server must not be lost. A compare-and-set that finds
        the row moved raises StateConflictError."""
        attempt = 0
        while True:
            # A write runs to the end even when its job is cancelled (the app quits): aclose
            # waits for it, so the journal is never closed under a write.
            write = asyncio.ensure_future(
                asyncio.to_thread(self.journal.update, record.local_id, expect=expect, **changes)
            )
            self._writes.add(write)
            write.add_done_callback(self._writes.discard)
            try:
                updated = await asyncio.shield(write)
            except JournalError as exc:
                if "UNIQUE" in str(exc):
                    raise
                attempt += 1
                wait = self._outage.delay(min(attempt - 1, 10))
                failure = Failure(failures.LOCAL, f"{exc}. Trying again.", retry_in=wait)
                self._emit(record, Activity(failure=failure))
                await self._sleep(wait)
                continue
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
        start: bool = True,
        over_budget: bool = False,
        replace: bool = False,
        lineage: list[tuple[int, str] | None] | None = None,
    ) -> list[JobRecord]:
        """Journal the jobs (all or none), then start them. ``dest``: a file for one job, or a
        folder to save each job's clip inside. An existing file there is kept and the clip
        takes a free name (``boat-2.mp4``) unless ``replace`` (``--overwrite``); that choice
        is held by this process only: after a restart the safe rule applies.

        ``start=False`` only journals them, for the process that owns the data folder
        to adopt; ``over_budget``: the user chose to send them past a cap, that once.
        Raises JournalError when the journal cannot be written: nothing is sent.
        """
        records = await asyncio.to_thread(
            functools.partial(
                self.journal.add_many,
                [r.to_json() for r in requests],
                estimates=estimates,
                paths=[str(dest)] * len(requests) if dest is not None else None,
                batch=batch,
                over_budget=over_budget,
                lineage=lineage,
            )
        )
        if replace:
            self._replace.update(r.local_id for r in records)
        for record in records:
            self._emit(record)
            if start:
                self._start(record)
        return records

    async def resume(self) -> list[JobRecord]:
        """On launch: mark interrupted submits "unknown", restart everything unfinished."""
        for record in await asyncio.to_thread(self.journal.recover_interrupted):
            log.warning("job %d may have been submitted before a crash", record.local_id)
            self._emit(record)
        return await self.adopt()

    async def adopt(self) -> list[JobRecord]:
        """Start every unfinished job not driven yet (e.g. handed over by another process)."""
        unfinished = await asyncio.to_thread(self.journal.unfinished)
        started = [r for r in unfinished if r.local_id not in self._tasks]
        for record in started:
            self._emit(record)
            self._start(record)
        return started

    async def submit_again(
        self, local_id: int, *, again: bool = False, over_budget: bool = False
    ) -> JobRecord:
        """The user's choice for a job that may not exist (unknown) or ended without a clip:
        a new job, which the old row points at (a row of unknown outcome is stopped).

        Raises AlreadyRetriedError when it was sent again before (unless ``again``) and
        OverBudgetError past a cap (unless ``over_budget``): each needs the user's yes.
        """
        old = await asyncio.to_thread(self.journal.get, local_id)
        if not old.is_final:
            raise ValueError(f"Job {local_id} is still {old.label.lower()}.")
        if old.retried_as is not None and not again:
            raise AlreadyRetriedError(local_id, old.retried_as)
        if not over_budget:
            reasons = await asyncio.to_thread(
                cap_refusals, self.journal, [old.estimate_usd], self._now()
            )
            if reasons:
                raise OverBudgetError(reasons)
        request = await asyncio.to_thread(self.journal.images.expand, old.request)
        body = GenerationRequest.from_json(request).to_json()
        del request
        old, new = await asyncio.to_thread(
            functools.partial(
                self.journal.add_retry, local_id, body, again=again, over_budget=over_budget
            )
        )
        self._emit(old)
        self._emit(new)
        self._start(new)
        return new

    async def save_again(self, local_id: int, dest: Path | None = None) -> JobRecord:
        """Download a completed job that could not be saved again, to ``dest`` if given
        (a file, or a folder to save inside)."""
        record = await asyncio.to_thread(self.journal.get, local_id)
        if record.state not in (NOT_SAVED, COMPLETED, DOWNLOADING):
            raise ValueError(f"Job {local_id} is {record.label.lower()}; there is nothing to save.")
        if record.restored:  # the user's word for this restored job
            await asyncio.to_thread(self.journal.release_restored, [local_id])
            record = await asyncio.to_thread(self.journal.get, local_id)
        if dest is not None:
            record = await self._update(record, path=str(dest), outputs=(), note=None)
        self._start(record)
        return record

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

    async def _drive(self, record: JobRecord) -> None:
        """Advance the job until it needs the user; never die on a surprise."""
        attempt = 0
        while True:
            try:
                await self._advance(record)
                return
            except StateConflictError as exc:
                log.warning(
                    "job %d was moved by someone else (%s); leaving it", record.local_id, exc
                )
                return
            except Exception as exc:  # a paid job's task must not die
                attempt += 1
                log.error("job %d: unexpected error", record.local_id, exc_info=exc)
                wait = self._outage.delay(min(attempt - 1, 10))
                failure = Failure(
                    failures.UNEXPECTED,
                    f"Unexpected problem ({type(exc).__name__}: {exc}); trying again.",
                    retry_in=wait,
                )
                self._emit(record, Activity(failure=failure))
                await self._sleep(wait)
                with contextlib.suppress(Exception):
                    record = await asyncio.to_thread(self.journal.get, record.local_id)

    async def _advance(self, record: JobRecord) -> None:
        record = await asyncio.to_thread(self.journal.get, record.local_id)
        if record.restored:
            log.info("job %d is restored history; it waits for the user", record.local_id)
            return
        if record.state == SUBMITTING:
            # Only reached when this process's own submit was interrupted by a surprise:
            # the POST may have gone out, so it is never sent again by itself.
            await self._unknown(record, "The submit was interrupted by an unexpected error.")
            return
        if record.state == QUEUED:
            record = await self._submit(record)
        if record.state in (PENDING, IN_PROGRESS):
            record = await self._watch(record)
        if record.state in (COMPLETED, DOWNLOADING, NOT_SAVED):
            await self._download(record)

    async def _submit(self, record: JobRecord) -> JobRecord:
        attempt = 0
        # One POST at a time; its images are expanded only then, so a batch of jobs with
        # big images never holds more than one body in memory.
        async with self._submit_lock:
            try:
                body = await asyncio.to_thread(self.journal.images.expand, record.request)
            except MissingImageError as exc:
                return await self._update(
                    record,
                    expect=[QUEUED],
                    state=REJECTED,
                    error=f"Not sent: {exc}",
                    error_kind=failures.LOCAL,
                )
            request = GenerationRequest.from_json(body)
            del body
            if not record.over_budget:
                refused = await self._held_to_budget(record)
                if refused is not None:
                    return refused
                record = await asyncio.to_thread(self.journal.get, record.local_id)
            while True:
                progress = SubmitProgress()
                try:
                    record = await self._update(
                        record, expect=[QUEUED], state=SUBMITTING, submitted_at=self._clock()
                    )
                    job = await self.client.generate(
                        request, on_retry=self._on_retry(record), progress=progress
                    )
                except asyncio.CancelledError:
                    if not progress.may_have_sent:  # e.g. the window switched backends
                        await self._requeue(record.local_id)
                    raise
                except api.SubmitOutcomeUnknownError as exc:
                    return await self._unknown(record, str(exc))
                except (api.APIConnectionError, api.RateLimitError) as exc:
                    # Provably never sent, or refused before anything was created:
                    # safe to send again once the network (or the rate limit) allows.
                    attempt += 1
                    record = await self._update(record, expect=[SUBMITTING], state=QUEUED)
                    await self._wait_outage(record, exc, attempt)
                    continue
                except api.RequestBodyError as exc:  # refused before anything went out
                    return await self._update(
                        record,
                        expect=[SUBMITTING],
                        state=REJECTED,
                        error=f"Not sent: {exc}",
                        error_kind=failures.LOCAL,
                    )
                except api.SubmitRedirectedError as exc:
                    # A redirect is not an answer: the job was not sent on to where it pointed.
                    return await self._update(
                        record,
                        expect=[SUBMITTING],
                        state=REJECTED,
                        error=f"{exc} It was not sent there.",
                        error_kind=failures.BAD_REPLY,
                    )
                except api.APIStatusError as exc:
                    if exc.status_code not in REFUSED_STATUSES:
                        # 5xx, 499 and other codes: the server may have created the job first.
                        why = f"{exc.message} (HTTP {exc.status_code})."
                        return await self._unknown(record, why)
                    failure = to_failure(exc)
                    return await self._update(
                        record,
                        expect=[SUBMITTING],
                        state=REJECTED,
                        error=failure.message,
                        error_kind=failure.kind,
                        error_field=failure.field,
                    )
                except api.VideoAPIError as exc:  # a reply not of the documented shape
                    return await self._unknown(record, str(exc))
                self._set_offline(None)
                return await self._accepted(record, job.id, job.status)

    async def _requeue(self, local_id: int) -> None:
        """A submit stopped before its request left this machine was certainly not sent:
        it is queued again (after the write that marked it submitting has landed)."""
        await asyncio.gather(*self._writes, return_exceptions=True)

        def requeue() -> None:
            with contextlib.suppress(StateConflictError, KeyError):
                self.journal.update(local_id, expect=[SUBMITTING], state=QUEUED)

        write = asyncio.ensure_future(asyncio.to_thread(requeue))
        self._writes.add(write)
        write.add_done_callback(self._writes.discard)
        await asyncio.shield(write)

    async def _held_to_budget(self, record: JobRecord) -> JobRecord | None:
        """At the moment of sending (under the submit lock): the row refused when it would
        break a cap, unless the user, asked through ``ask_over_budget``, says send it."""
        reasons = await asyncio.to_thread(
            cap_refusals, self.journal, [record.estimate_usd], self._now()
        )
        if not reasons:
            return None
        ask = self.ask_over_budget
        if ask is not None and await ask(record, reasons):
            await self._update(record, expect=[QUEUED], over_budget=True)
            return None
        return await self._update(
            record,
            expect=[QUEUED],
            state=REJECTED,
            error=f"Not sent: {'; and '.join(reasons)}. Nothing was paid. To send it anyway, "
            f"this once: videostudio retry {record.local_id} --over-budget",
            error_kind=failures.BUDGET,
        )

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock()).astimezone()

    async def _accepted(self, record: JobRecord, job_id: str, status: str) -> JobRecord:
        """Journal the server's id; an id another row already holds cannot be tracked."""
        other = await asyncio.to_thread(self.journal.find_job_id, job_id)
        if other is None:
            try:
                return await self._update(
                    record,
                    expect=[SUBMITTING],
                    job_id=job_id,
                    state=status if status in (PENDING, IN_PROGRESS) else PENDING,
                    remote_status=status,
                    error=None,
                    error_kind=None,
                )
            except JournalError:
                other = await asyncio.to_thread(self.journal.find_job_id, job_id)
        owner = f"job #{other.local_id}" if other is not None else "another job"
        return await self._unknown(
            record, f"The server answered with the id of {owner} ({job_id[:64]})."
        )

    async def _unknown(self, record: JobRecord, why: str) -> JobRecord:
        return await self._update(
            record,
            expect=[SUBMITTING],
            state=UNKNOWN,
            error=f"{why} The job may have been created and billed; it was not sent again.",
            error_kind=failures.OFFLINE,
        )

    async def _watch(self, record: JobRecord) -> JobRecord:
        self._polling.add(record.local_id)  # the poll budget is shared by these
        try:
            return await self._poll_until_done(record)
        finally:
            self._polling.discard(record.local_id)

    async def _poll_until_done(self, record: JobRecord) -> JobRecord:
        job_id = _job_id(record)
        attempt = 0
        while True:
            try:
                job = await self.client.get_generation(job_id, on_retry=self._on_retry(record))
            except api.NotFoundError as exc:
                since = self._clock() - (record.submitted_at or record.created_at)
                if since >= self._not_found_grace_s:
                    return await self._update(
                        record, state=FAILED, error=exc.message, error_kind=failures.NOT_FOUND
                    )
                attempt += 1  # new jobs may not be visible everywhere at once
                await self._wait_outage(record, exc, attempt, connectivity=False)
                continue
            except (api.AuthenticationError, api.PermissionDeniedError) as exc:
                # The job is fine; the key is not. Keep trying: a new key fixes it.
                attempt += 1
                await self._wait_outage(record, exc, attempt, connectivity=False)
                continue
            except api.VideoAPIError as exc:
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
                if job.status == COMPLETED:
                    changes["output_count"] = max(len(job.unsigned_urls), len(job.urls), 1)
                if job.status in REMOTE_TERMINAL_ERRORS:
                    changes["error"] = job.error or f"The job ended {job.status}."
                record = await self._update(record, **changes)
            if is_terminal(job.status):
                return record
            elapsed = self._clock() - (record.submitted_at or record.created_at)
            await self._sleep(self.poll_policy.interval(elapsed, len(self._polling)))

    async def _download(self, record: JobRecord) -> JobRecord:
        """Fetch every output, record its proof, move it into place; then call the job saved.

        Each output stands alone: one that is gone from the server (404, 410) is reported
        by its number and the others are still fetched; only a job with none is "expired"."""
        first = Path(record.path) if record.path else clip_path(record, self.clips_dir)
        if first.is_dir():  # a folder was chosen: save inside it, under the clip's own name
            first = first / clip_path(record, self.clips_dir).name
        first = await self._free_name(record, first)
        record = await self._update(
            record, expect=[COMPLETED, DOWNLOADING, NOT_SAVED], state=DOWNLOADING, path=str(first)
        )
        async with self._downloads:
            try:
                record, gone = await self._fetch_all(record, first)
            except _SaveFailedError as exc:
                if first.parent.resolve() == self.clips_dir.resolve():
                    return await self._not_saved(record, exc.failure)
                # Not where the user asked: the clips folder instead, and say so.
                fallback = await self._free_name(record, clip_path(record, self.clips_dir))
                note = (
                    f"Could not save to {first} ({exc.failure.message}); "
                    f"saved in the clips folder instead."
                )
                record = await self._update(record, path=str(fallback), outputs=(), note=note)
                try:
                    record, gone = await self._fetch_all(record, fallback)
                except _SaveFailedError as again:
                    return await self._not_saved(record, again.failure)
        if not record.outputs:
            why = next(iter(gone.values()), "The clip is no longer available.")
            return await self._update(record, state=EXPIRED, error=why, error_kind=failures.GONE)
        self._set_offline(None)
        saved_at = self._clock()
        main = Path(record.path or "")
        notes = [record.note] if record.note else []
        if gone:
            count = record.output_count or 1
            which = ", ".join(str(i + 1) for i in sorted(gone))
            notes.append(
                f"{len(gone)} of {count} outputs missing (output {which}: "
                f"{next(iter(gone.values()))}); the others are saved."
            )
        done = record.with_(saved_at=saved_at, size_bytes=record.outputs[0].size, state=SAVED)
        try:
            await asyncio.to_thread(write_sidecar, done, main, self.journal.images)
        except (OSError, ValueError) as exc:  # the clip is saved; the sidecar is a courtesy
            log.warning("job %d: sidecar not written: %s", record.local_id, exc)
            notes.append(f"Its sidecar was not written ({exc}).")
        return await self._update(
            record,
            expect=[DOWNLOADING],
            state=SAVED,
            size_bytes=done.size_bytes,
            saved_at=saved_at,
            note=" ".join(notes) or None,
            error=None,
            error_kind=None,
        )

    async def _free_name(self, record: JobRecord, first: Path) -> Path:
        """``first``, or ``name-2.mp4``, ``name-3.mp4``...: never a name whose files
        (outputs or sidecar) the app did not write for this job."""
        if record.local_id in self._replace:
            return first
        return await asyncio.to_thread(free_name, first, record)

    async def _fetch_all(self, record: JobRecord, first: Path) -> tuple[JobRecord, dict[int, str]]:
        """Fetch the outputs not saved yet; returns the record and why each missing one
        (by index) could not be fetched."""
        job_id = _job_id(record)
        count = record.output_count or 1
        gone: dict[int, str] = {}
        for index in range(count):
            dest = output_path(first, index)
            recorded = next((o for o in record.outputs if o.index == index), None)
            if recorded is not None:  # at ``dest``, or the free name it took when moved
                done = Path(recorded.path)
                if await asyncio.to_thread(matches, done, recorded):
                    continue  # saved before a restart
                part = partial_path(dest, job_id)
                if await asyncio.to_thread(matches, part, recorded):
                    record = await self._move(record, part, recorded)
                    continue
            try:
                record = await self._fetch_one(record, index, count, dest)
            except (api.GoneError, api.NotFoundError) as exc:
                log.warning("job %d: output %d is gone: %s", record.local_id, index, exc)
                gone[index] = exc.message
        return record, gone

    async def _fetch_one(self, record: JobRecord, index: int, count: int, dest: Path) -> JobRecord:
        job_id = _job_id(record)
        part = partial_path(dest, job_id)
        bad = attempt = 0
        while True:
            try:
                await asyncio.to_thread(new_dir, dest.parent)
                fetched = await self.client.fetch_output(
                    job_id,
                    index,
                    part,
                    progress=self._on_progress(record, index, count),
                    on_retry=self._on_retry(record),
                )
                break
            except api.ResponseFormatError as exc:
                bad += 1
                if bad >= MAX_BAD_DOWNLOADS:
                    raise _SaveFailedError(
                        Failure(
                            failures.BAD_REPLY,
                            f"{exc} The server sent no valid video {bad} times; Retry later.",
                        )
                    ) from None
                attempt += 1
                await self._wait_outage(record, exc, attempt, connectivity=False)
            except (api.GoneError, api.NotFoundError):
                raise
            except (api.APIConnectionError, api.APIStatusError) as exc:
                # 409 (not ready), 429, 5xx and lost networks: the clip is paid for, wait.
                attempt += 1
                await self._wait_outage(record, exc, attempt)
            except OSError as exc:
                raise _SaveFailedError(_disk_failure(exc)) from None
        output = Output(index, str(dest), fetched.size, fetched.sha256)
        record = await self._record_output(record, output)
        return await self._move(record, part, output)

    async def _record_output(self, record: JobRecord, output: Output) -> JobRecord:
        outputs = tuple(
            sorted(
                (*[o for o in record.outputs if o.index != output.index], output),
                key=lambda o: o.index,
            )
        )
        return await self._update(record, expect=[DOWNLOADING], outputs=outputs)

    async def _move(self, record: JobRecord, part: Path, output: Output) -> JobRecord:
        """Move a checked part file into place; a file that appeared at its name meanwhile
        is kept, and the output takes the next free name instead."""
        replace = record.local_id in self._replace
        dest = Path(output.path)
        while True:
            try:
                await asyncio.to_thread(move_into_place, part, dest, replace=replace)
                return record
            except FileExistsError:
                dest = await asyncio.to_thread(free_file, dest)
                output = Output(output.index, str(dest), output.size, output.sha256)
                record = await self._record_output(record, output)
                if output.index == 0:
                    record = await self._update(record, expect=[DOWNLOADING], path=str(dest))
            except OSError as exc:
                raise _SaveFailedError(_disk_failure(exc)) from None

    async def _not_saved(self, record: JobRecord, failure: Failure) -> JobRecord:
        return await self._update(
            record, state=NOT_SAVED, error=failure.message, error_kind=failure.kind
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

    def _on_progress(
        self, record: JobRecord, index: int = 0, outputs: int = 1
    ) -> Callable[[int, int | None], None]:
        last = [-1]

        def progress(received: int, total: int | None) -> None:
            step = int(100 * received / total) if total else received >> 20
            if step != last[0]:  # at most one event per percent (or MiB)
                last[0] = step
                self._emit(record, Activity(received, total, index=index, outputs=outputs))

        return progress


def _disk_failure(exc: OSError) -> Failure:
    """Words for a file that could not be written, with what to do."""
    if exc.errno == errno.ENOSPC:
        needed = getattr(exc, "needed", None)
        free = getattr(exc, "free", None)
        amount = (
            f"{max(needed - free, 0) / 1e6:,.0f} MB"
            if isinstance(needed, int) and isinstance(free, int)
            else "some space"
        )
        return Failure(failures.DISK_FULL, f"Disk full: free {amount}, then Retry.")
    where = f" ({exc.filename})" if exc.filename else ""
    return Failure(
        failures.LOCAL,
        f"Cannot save the clip{where}: {exc.strerror or exc}. "
        "Choose another folder or fix this one, then Retry.",
    )


def _job_id(record: JobRecord) -> str:
    if not record.job_id:
        raise ValueError(f"job {record.local_id} has no server id")
    return record.job_id
