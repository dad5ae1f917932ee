"""One connection to one API: client, journal, job queue and catalogue, opened and closed together.

The window switches backends when the key changes (demo <-> live) without
restarting; each keeps its own journal, so demo jobs never mix with paid ones.
A backend drives its jobs only when it holds its data folder's lock (another
videostudio may be running that folder's jobs: the window then shows them).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from videostudio.api.client import Timeouts, VideoClient
from videostudio.api.errors import APIConnectionError, NotFoundError
from videostudio.api.retry import RetryPolicy
from videostudio.core.polling import PollPolicy
from videostudio.services.catalog import Catalog
from videostudio.services.instance import DataFolder
from videostudio.services.jobs import OUTAGE_BACKOFF, JobService
from videostudio.services.journal import Journal

# The key dialog's Test waits this long for an answer, in all.
KEY_CHECK_S = 2.5
UNREACHABLE = "OpenRouter can't be reached: check your connection."


@dataclass
class Backend:
    client: VideoClient
    journal: Journal
    jobs: JobService
    catalog: Catalog
    clips_dir: Path
    cache_dir: Path
    demo: bool
    folder: DataFolder
    on_close: Callable[[], None] | None = None  # e.g. stop the demo simulator

    @property
    def driving(self) -> bool:
        """True when this process runs the folder's jobs (it holds the lock)."""
        return self.folder.held

    @classmethod
    def open(
        cls,
        client: VideoClient,
        *,
        journal_path: Path,
        clips_dir: Path,
        cache_dir: Path,
        demo: bool,
        on_close: Callable[[], None] | None = None,
        poll_policy: PollPolicy | None = None,
        outage: RetryPolicy = OUTAGE_BACKOFF,
    ) -> Backend:
        journal = Journal(journal_path)
        jobs = JobService(client, journal, clips_dir, poll_policy=poll_policy, outage=outage)
        catalog = Catalog(client, cache_dir / "models.json")
        folder = DataFolder(journal_path.parent, "the videostudio window")
        folder.try_acquire()
        return cls(client, journal, jobs, catalog, clips_dir, cache_dir, demo, folder, on_close)

    async def aclose(self) -> None:
        try:
            await self.jobs.aclose()
            await self.client.aclose()
        finally:
            await self.folder.release()
            self.journal.close()
            if self.on_close is not None:
                with contextlib.suppress(Exception):
                    self.on_close()


async def verify_key(
    key: str, base_url: str | None = None, *, time_limit: float = KEY_CHECK_S
) -> None:
    """A real call that needs a valid key: polling a job that cannot exist.

    A question, not a job: one attempt, answered within ``time_limit`` seconds. A valid
    key gets 404 (no such job); a bad one gets 401, raised as AuthenticationError; no
    answer (refused, unreachable, silent) is APIConnectionError with a sentence. Other
    errors are raised as they come.
    """
    timeouts = Timeouts(poll=time_limit, connect=time_limit)
    once = RetryPolicy(max_attempts=1)
    async with VideoClient(api_key=key, base_url=base_url, retry=once, timeouts=timeouts) as c:
        try:
            async with asyncio.timeout(time_limit):
                await c.get_generation("videostudio-key-check")
        except NotFoundError:
            return
        except (APIConnectionError, TimeoutError):
            raise APIConnectionError(UNREACHABLE) from None
