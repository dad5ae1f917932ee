"""What every command shares: set-up (paths, journal, client, the folder's lock and who
drives it), the printer of job events, the summary, and safe printing of outside text."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from videostudio import paths as app_paths
from videostudio.api.client import VideoClient
from videostudio.api.errors import VideoAPIError
from videostudio.cli.output import (
    EXIT_API,
    EXIT_JOB_FAILED,
    EXIT_OK,
    CliError,
    open_journal,
    say,
)
from videostudio.core import failures
from videostudio.core.jobs import NOT_SAVED, SAVED, UNKNOWN, JobRecord
from videostudio.core.models import VideoModel
from videostudio.core.pricing import format_usd
from videostudio.core.text import printable
from videostudio.services.activity import Activity
from videostudio.services.catalog import Catalog
from videostudio.services.errors import to_failure
from videostudio.services.instance import DataFolder
from videostudio.services.jobs import JobService
from videostudio.services.journal import Journal
from videostudio.services.keychain import KeychainUnavailableError, KeyStore
from videostudio.services.redact import configure_logging, redact, register_secret

DEMO_KEY = "demo-key"  # the built-in simulator accepts any non-empty key
# Problems worth waiting out: the CLI's --max-wait limits how long.
WAITABLE = frozenset({failures.OFFLINE, failures.SERVER, failures.RATE_LIMITED})


@contextmanager
def _demo_server(cache: Path) -> Iterator[str]:
    # The simulator is imported only when asked for: it is not part of a real run.
    from videostudio.simulator.server import SimulatorServer
    from videostudio.simulator.service import Simulator

    sim = Simulator(
        pending_s=1.0,
        running_s=2.0,
        cache_dir=cache,
        jobs_file=cache / "jobs.jsonl",
        record_requests=False,
    )
    with SimulatorServer(sim) as server:
        yield server.base_url


def _api_key() -> str:
    key = os.environ.get("OPENROUTER_API_KEY")
    if key:
        return key
    try:
        key = KeyStore().get()
    except KeychainUnavailableError:
        key = None
    if not key:
        raise CliError(
            "No OpenRouter API key. Set OPENROUTER_API_KEY, save a key in the app's settings "
            "(it goes to the system keychain), or try it offline with --demo."
        )
    return key


@dataclass
class Env:
    """What every networked command works with."""

    paths: app_paths.Paths
    client: VideoClient
    journal: Journal
    demo: bool

    def service(self) -> JobService:
        return JobService(self.client, self.journal, self.paths.clips_dir)


@asynccontextmanager
async def open_env(args: argparse.Namespace) -> AsyncIterator[Env]:
    paths, journal = open_journal(args)
    configure_logging(str(paths.log_file), verbose=args.verbose)
    try:
        if args.demo:
            with _demo_server(paths.simulator_cache) as base_url:
                say("Demo mode: the built-in simulator (offline, free).")
                async with VideoClient(api_key=DEMO_KEY, base_url=base_url) as client:
                    yield Env(paths, client, journal, demo=True)
        else:
            key = _api_key()
            register_secret(key)
            api_url = args.base_url or os.environ.get("OPENROUTER_BASE_URL")
            async with VideoClient(api_key=key, base_url=api_url) as client:
                yield Env(paths, client, journal, demo=False)
    finally:
        journal.close()


class Printer:
    """Job events as lines: one updating line on a terminal, plain lines otherwise.

    A wait before a retry counts down on a terminal. With ``max_wait`` it stops the
    run when the service has been out of reach for that long.
    """

    def __init__(
        self, out: TextIO, local_ids: set[int] | None = None, max_wait: float | None = None
    ) -> None:
        self.out = out
        self.tty = out.isatty()
        self.local_ids = local_ids
        self.max_wait = max_wait
        self.last: dict[int, str] = {}
        self.stop_reason: str | None = None
        self.stop = asyncio.Event()
        self._waits: dict[int, tuple[JobRecord, failures.Failure, float]] = {}
        self._outage_since: float | None = None

    def __call__(self, record: JobRecord, activity: Activity | None) -> None:
        if self.local_ids is not None and record.local_id not in self.local_ids:
            return
        failure = activity.failure if activity is not None else None
        if failure is not None and failure.kind == failures.AUTH:
            self.stop_reason = str(failure)
            self.stop.set()
        if failure is not None and failure.kind in WAITABLE:
            self._waits[record.local_id] = (record, failure, time.monotonic())
            if self._outage_since is None:
                self._outage_since = time.monotonic()
        else:
            self._waits.pop(record.local_id, None)
            if not self._waits:
                self._outage_since = None
        self._show(record, activity)

    def _show(self, record: JobRecord, activity: Activity | None, redraw: bool = False) -> None:
        line = printable(redact(self._line(record, activity)))
        if not redraw and self.last.get(record.local_id) == line:
            return
        self.last[record.local_id] = line
        # A progress or countdown line is redrawn in place on a terminal; elsewhere only
        # the first line of a wait and the end of a transfer are printed.
        transient = activity is not None
        if self.tty:
            self.out.write(f"\r\033[K{line}" + ("" if transient else "\n"))
        elif not redraw and (
            activity is None
            or activity.failure is not None
            or (activity.total is not None and activity.received == activity.total)
        ):
            self.out.write(line + "\n")
        self.out.flush()

    def tick(self) -> None:
        """Once a second: count the waits down; stop when the outage lasted too long."""
        now = time.monotonic()
        for record, failure, since in list(self._waits.values()):
            left = max(0.0, (failure.retry_in or 0) - (now - since))
            counted = failures.Failure(failure.kind, failure.message, failure.field, left)
            if self.tty:
                self._show(record, Activity(failure=counted), redraw=True)
        if (
            self.max_wait is not None
            and self._outage_since is not None
            and now - self._outage_since >= self.max_wait
        ):
            self.stop_reason = (
                f"The video service could not be reached for {self.max_wait:.0f} s; stopped "
                "waiting. Every job is journaled: `videostudio resume` finishes them "
                "(nothing is sent twice)."
            )
            self.stop.set()

    @staticmethod
    def _line(record: JobRecord, activity: Activity | None) -> str:
        tag = f"job {record.local_id}"
        if activity is not None and activity.failure is not None:
            wait = activity.failure.retry_in
            when = f"retrying in {wait:.0f} s" if wait is not None else "retrying"
            return f"{tag}: {activity.failure.message} ({when})"
        if activity is not None:
            done = f"{activity.fraction:.0%}" if activity.fraction is not None else ""
            return f"{tag}: downloading {done or f'{activity.received:,} bytes'}"
        text = f"{tag}: {record.label.lower()}"
        if record.job_id and record.state in ("pending", "submitting"):
            text += f" ({record.job_id})"
        if record.state == SAVED:
            text += f" {record.path}"
        if record.error:
            text += f": {record.error}"
        return text


@asynccontextmanager
async def driving(env: Env, kind: str) -> AsyncIterator[JobService | None]:
    """The job service when this process owns the data folder (it then answers the
    doorbell and adopts jobs handed over), else None."""
    folder = DataFolder(env.paths.data_dir, kind)
    if not folder.try_acquire():
        yield None
        return
    service = env.service()

    async def on_ring(request: dict[str, Any]) -> dict[str, Any]:
        if request.get("op") == "wake":
            return {"ok": True, "adopted": len(await service.adopt())}
        return {"ok": False, "error": f"{kind} has no window to show."}

    try:
        await folder.serve(on_ring)
        yield service
    finally:
        await service.aclose()
        await folder.release()


def owner_of(env: Env) -> str:
    """Who holds the folder, as its lock file says (asked right after the lock said no)."""
    return DataFolder(env.paths.data_dir, "").owner().describe()


def summary(records: list[JobRecord]) -> int:
    saved = [r for r in records if r.state == SAVED]
    for r in records:
        if r.state == SAVED:
            cost = format_usd(r.cost_usd) if r.cost_usd is not None else "not reported"
            files = ", ".join(o.path for o in r.outputs) or r.path
            say(f"Saved {files} (cost {cost})")
            if r.note:
                say(f"Note: {r.note}")
        elif r.state == UNKNOWN:
            say(
                f"Job {r.local_id} may have been submitted: {r.error} "
                f"To send it again: videostudio retry {r.local_id}"
            )
        elif r.state == NOT_SAVED:
            say(
                f"Job {r.local_id} is paid for but not saved: {r.error} "
                f"To save it: videostudio save {r.local_id} [-o PATH]"
            )
        elif r.is_final:
            say(f"Job {r.local_id} ended {r.label.lower()}: {r.error or ''}")
        else:
            say(
                f"Job {r.local_id} is unfinished ({r.label.lower()}); "
                "`videostudio resume` continues it."
            )
    for r in saved:
        for output in r.outputs or ():
            say(output.path, sys.stdout)
    return EXIT_OK if len(saved) == len(records) else EXIT_JOB_FAILED


async def models_of(env: Env) -> list[VideoModel]:
    """The live catalogue, or the saved one when the API cannot be reached."""
    catalog = Catalog(env.client, env.paths.catalogue)
    try:
        return await catalog.refresh()
    except VideoAPIError as exc:
        cached = catalog.load_cached()
        failure = to_failure(exc)
        if not cached:
            raise CliError(
                f"Cannot read the model list from the video service: {failure.message} "
                "Nothing was sent; try again when the service can be reached.",
                3,
            ) from None
        say(f"Using the saved model list ({failure.message}).")
        return cached


def destination(output: Path | None, jobs: int) -> Path | None:
    """Where -o points, checked before anything is paid for: a file, or a folder to save in."""
    if output is None:
        return None
    dest = output.expanduser().absolute()
    folder = dest if dest.is_dir() else dest.parent
    if not dest.is_dir() and jobs > 1:
        raise CliError(
            f"-o {output} names one file, but {jobs} jobs were asked for; "
            "give a folder to save them all in."
        )
    if not folder.is_dir():
        raise CliError(f"The folder {folder} does not exist. Nothing was sent.")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise CliError(f"Cannot write to {folder}: {exc.strerror}. Nothing was sent.") from None
    return dest


async def run_until_done(service: JobService, printer: Printer) -> None:
    """Wait for the jobs; stop early when waiting cannot help (a refused key, --max-wait)."""
    idle = asyncio.ensure_future(service.wait_idle())
    stop = asyncio.ensure_future(printer.stop.wait())
    ticker = asyncio.ensure_future(_tick(printer))
    await asyncio.wait({idle, stop}, return_when=asyncio.FIRST_COMPLETED)
    for task in (idle, stop, ticker):
        task.cancel()
    await asyncio.gather(idle, stop, ticker, return_exceptions=True)
    await service.aclose()
    if printer.stop_reason is not None:
        raise CliError(printer.stop_reason, EXIT_API)


async def _tick(printer: Printer) -> None:
    while True:
        await asyncio.sleep(1)
        printer.tick()
