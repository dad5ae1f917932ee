"""The job service end to end against the simulator over TCP, in virtual time."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from tests.conftest import VirtualTime, states_of
from videostudio.api.client import Timeouts, VideoClient
from videostudio.api.errors import APIConnectionError
from videostudio.api.retry import RetryPolicy
from videostudio.core import failures
from videostudio.core.jobs import QUEUED, REJECTED, SAVED, STOPPED, SUBMITTING, UNKNOWN, JobRecord
from videostudio.core.models import GenerationRequest, VideoJob
from videostudio.core.polling import PollPolicy
from videostudio.services.activity import Activity
from videostudio.services.clips import partial_path
from videostudio.services.jobs import JobService
from videostudio.services.journal import Journal
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Fault, Simulator

REQ = GenerationRequest(model="google/veo-3.1-fast", prompt="a red kite", duration=4, seed=7)


@dataclass
class Harness:
    """A JobService wired to the simulator, with everything it emitted."""

    service: JobService
    journal: Journal
    clips: Path
    events: list[tuple[JobRecord, Activity | None]] = field(default_factory=list)

    def states(self, local_id: int) -> list[str]:
        return states_of(self.events, local_id)

    def failures(self) -> list[str]:
        return [a.failure.kind for _, a in self.events if a is not None and a.failure is not None]


async def _harness(
    server: SimulatorServer, vtime: VirtualTime, data: Path, **client_kw: object
) -> AsyncIterator[Harness]:
    client = VideoClient(
        api_key="sk-or-v1-jobs",
        base_url=server.base_url,
        retry=RetryPolicy(rng=lambda: 0.0),
        sleep=vtime.sleep,
        **client_kw,  # type: ignore[arg-type]
    )
    journal = Journal(data / "journal.sqlite3", clock=vtime)
    service = JobService(client, journal, data / "clips", sleep=vtime.sleep, clock=vtime)
    harness = Harness(service, journal, data / "clips")
    service.subscribe(lambda r, a: harness.events.append((r, a)))
    try:
        yield harness
    finally:
        await service.aclose()
        await client.aclose()
        journal.close()


@pytest.fixture
async def jobs(
    server: SimulatorServer, vtime: VirtualTime, tmp_path: Path
) -> AsyncIterator[Harness]:
    async for harness in _harness(server, vtime, tmp_path):
        yield harness


async def test_a_job_goes_from_queued_to_saved_with_its_sidecar(
    jobs: Harness, sim: Simulator, vtime: VirtualTime
) -> None:
    sim.pending_s, sim.running_s = 20, 40
    (record,) = await jobs.service.enqueue([REQ], estimates=[0.40])
    await jobs.service.wait_idle()
    done = jobs.journal.get(record.local_id)
    assert jobs.states(record.local_id) == [
        QUEUED,
        SUBMITTING,
        "pending",
        "in_progress",
        "completed",
        "downloading",
        SAVED,
    ]
    assert done.cost_usd == pytest.approx(0.40)  # 4 s x $0.10: 720p with audio (the defaults)
    clip = Path(done.path or "")
    assert clip.parent == jobs.clips
    assert clip.read_bytes() == sim.clip_path(sim.jobs[done.job_id or ""]).read_bytes()
    assert done.size_bytes == clip.stat().st_size
    side = json.loads(clip.with_suffix(".json").read_text())
    assert side["prompt"] == "a red kite"
    assert side["model"] == "google/veo-3.1-fast"
    assert side["parameters"] == {"duration": 4, "seed": 7}
    assert (side["seed"], side["job_id"], side["cost_usd"]) == (7, done.job_id, 0.40)
    assert side["created_at"] and side["completed_at"] and side["saved_at"]
    # Polled fast at first, then backing off; never more often than every 3 s.
    polls = [r for r in sim.requests if r["method"] == "GET" and "/content" not in r["path"]]
    assert 8 <= len(polls) <= 20
    assert min(d for d in vtime.sleeps) >= 3


async def test_failed_and_expired_jobs_keep_the_servers_words(jobs: Harness) -> None:
    failed, expired = await jobs.service.enqueue(
        [
            GenerationRequest(
                model="google/veo-3.1-fast", prompt="x [simulate:failed]", duration=4
            ),
            GenerationRequest(
                model="google/veo-3.1-fast", prompt="y [simulate:expired]", duration=4
            ),
        ]
    )
    await jobs.service.wait_idle()
    assert jobs.journal.get(failed.local_id).state == "failed"
    assert "simulated failure" in (jobs.journal.get(failed.local_id).error or "")
    assert jobs.journal.get(expired.local_id).state == "expired"
    assert not jobs.clips.exists() or not any(jobs.clips.iterdir())


async def test_a_refused_submit_is_rejected_with_the_field(jobs: Harness, sim: Simulator) -> None:
    bad = GenerationRequest(model="google/veo-3.1-fast", prompt="p", duration=7)
    (record,) = await jobs.service.enqueue([bad])
    await jobs.service.wait_idle()
    done = jobs.journal.get(record.local_id)
    assert done.state == REJECTED
    assert done.error_kind == failures.INVALID
    assert "4, 6, 8" in (done.error or "")
    assert sim.submit_count == 0


async def test_credits_exhausted_is_a_402_the_user_can_act_on(
    jobs: Harness, sim: Simulator
) -> None:
    sim.credits_usd = 0.1
    (record,) = await jobs.service.enqueue([REQ])
    await jobs.service.wait_idle()
    done = jobs.journal.get(record.local_id)
    assert (done.state, done.error_kind) == (REJECTED, failures.CREDITS)
    assert "openrouter.ai/credits" in (done.error or "")


@pytest.mark.parametrize("fault", [Fault("submit", "reset"), Fault("submit", "status", status=500)])
async def test_a_submit_with_no_clear_answer_is_never_resent(
    jobs: Harness, sim: Simulator, fault: Fault
) -> None:
    sim.add_fault(fault)
    (record,) = await jobs.service.enqueue([REQ])
    await jobs.service.wait_idle()
    done = jobs.journal.get(record.local_id)
    assert done.state == UNKNOWN
    assert "may have been created" in (done.error or "")
    assert sum(r["method"] == "POST" for r in sim.requests) == 1
    # The user decides to send it again: a new job, the old row kept as history.
    again = await jobs.service.submit_again(record.local_id)
    await jobs.service.wait_idle()
    assert jobs.journal.get(again.local_id).state == SAVED
    assert jobs.journal.get(record.local_id).state == STOPPED
    assert sum(r["method"] == "POST" for r in sim.requests) == 2


async def test_a_rate_limited_submit_waits_and_is_sent_once(
    jobs: Harness, sim: Simulator, vtime: VirtualTime
) -> None:
    sim.add_fault(Fault("submit", "status", status=429, retry_after=20, times=8))
    (record,) = await jobs.service.enqueue([REQ])
    await jobs.service.wait_idle()
    assert jobs.journal.get(record.local_id).state == SAVED
    assert sim.submit_count == 1
    assert 20 in vtime.sleeps
    assert failures.RATE_LIMITED in jobs.failures()


async def test_resume_after_a_restart_polls_and_downloads(
    server: SimulatorServer, sim: Simulator, vtime: VirtualTime, tmp_path: Path
) -> None:
    sim.pending_s, sim.running_s = 30, 30
    async for first in _harness(server, vtime, tmp_path):
        (record,) = await first.service.enqueue([REQ])
        while first.journal.get(record.local_id).state != "pending":
            await vtime.sleep(1)
        # The app quits here (aclose cancels the watcher; the journal keeps the job).
    assert sim.submit_count == 1
    async for second in _harness(server, vtime, tmp_path):
        resumed = await second.service.resume()
        assert [r.local_id for r in resumed] == [record.local_id]
        await second.service.wait_idle()
        assert second.journal.get(record.local_id).state == SAVED
    assert sim.submit_count == 1  # resumed, not resubmitted


async def test_resume_continues_a_partial_download_with_range(
    server: SimulatorServer, sim: Simulator, vtime: VirtualTime, tmp_path: Path
) -> None:
    async for first in _harness(server, vtime, tmp_path):
        (record,) = await first.service.enqueue([REQ])
        await first.service.wait_idle()
        saved = first.journal.get(record.local_id)
        clip = Path(saved.path or "")
        whole = clip.read_bytes()
        # Make it look like the app died mid-download: the connection broke halfway, so
        # the client kept half a .part (and the validators that prove what it holds).
        clip.unlink()
        sim.add_fault(Fault("content", "truncate"))
        async with VideoClient(
            api_key="k", base_url=server.base_url, retry=RetryPolicy(max_attempts=1)
        ) as c:
            part = partial_path(clip, saved.job_id or "")
            with pytest.raises(APIConnectionError):
                await c.fetch_output(saved.job_id or "", 0, part)
        assert part.stat().st_size == len(whole) // 2
        first.journal.update(record.local_id, state="downloading")
    sim.requests.clear()
    async for second in _harness(server, vtime, tmp_path):
        await second.service.resume()
        await second.service.wait_idle()
        assert second.journal.get(record.local_id).state == SAVED
    assert clip.read_bytes() == whole
    content = [r for r in sim.requests if "/content" in r["path"]]
    assert [r["headers"].get("Range") for r in content] == [f"bytes={len(whole) // 2}-"]
    assert not partial_path(clip, saved.job_id or "").exists()


async def test_a_completed_job_whose_file_is_missing_is_downloaded_again(
    jobs: Harness, sim: Simulator
) -> None:
    (record,) = await jobs.service.enqueue([REQ])
    await jobs.service.wait_idle()
    clip = Path(jobs.journal.get(record.local_id).path or "")
    clip.unlink()
    jobs.journal.update(record.local_id, state="completed")
    await jobs.service.resume()
    await jobs.service.wait_idle()
    assert clip.read_bytes()[4:8] == b"ftyp"
    assert sim.submit_count == 1


async def test_stop_watching_says_it_may_still_be_billed(jobs: Harness, sim: Simulator) -> None:
    sim.pending_s = 10_000
    (record,) = await jobs.service.enqueue([REQ])
    while jobs.journal.get(record.local_id).state != "pending":
        await jobs.service._sleep(1)
    stopped = await jobs.service.stop_watching(record.local_id)
    assert stopped.state == STOPPED
    assert "may still finish and be billed" in (stopped.error or "")
    assert not jobs.service.is_active(record.local_id)


async def test_a_rejected_key_while_polling_keeps_the_job(
    jobs: Harness, sim: Simulator, vtime: VirtualTime
) -> None:
    sim.pending_s = 5
    (record,) = await jobs.service.enqueue([REQ])
    while jobs.journal.get(record.local_id).state != "pending":
        await vtime.sleep(1)
    sim.api_key = "sk-or-v1-another"  # the key was revoked while the job ran
    while failures.AUTH not in jobs.failures():
        await vtime.sleep(1)
    assert jobs.journal.get(record.local_id).state == "pending"
    sim.api_key = None  # the user fixed the key
    await jobs.service.wait_idle()
    assert jobs.journal.get(record.local_id).state == SAVED


async def test_download_survives_stalls_with_a_read_timeout(
    server: SimulatorServer, sim: Simulator, vtime: VirtualTime, tmp_path: Path
) -> None:
    async for h in _harness(server, vtime, tmp_path, timeouts=Timeouts(download=0.3)):
        (record,) = await h.service.enqueue([REQ])
        sim.add_fault(Fault("content", "stall", stall_s=3, times=2))
        await h.service.wait_idle()
        assert h.journal.get(record.local_id).state == SAVED
        assert failures.OFFLINE in h.failures()


async def test_unknown_statuses_count_as_running(jobs: Harness, sim: Simulator) -> None:
    sim.pending_s = 5
    sim.add_fault(Fault("poll", "odd_status", times=3))
    (record,) = await jobs.service.enqueue([REQ])
    await jobs.service.wait_idle()
    remote = [r.remote_status for r, a in jobs.events if a is None]
    assert "queued" in remote
    assert jobs.journal.get(record.local_id).state == SAVED


async def test_a_fresh_download_replaces_an_old_file_only_when_asked_to(
    jobs: Harness, tmp_path: Path
) -> None:
    dest = tmp_path / "mine.mp4"
    old = b"\x00\x00\x00\x18ftypold clip from last week"
    dest.write_bytes(old)
    (record,) = await jobs.service.enqueue([REQ], dest=dest, replace=True)
    await jobs.service.wait_idle()
    assert jobs.journal.get(record.local_id).state == SAVED
    assert b"old clip" not in dest.read_bytes()
    assert dest.stat().st_size > 10_000
    dest.write_bytes(old)
    (kept,) = await jobs.service.enqueue([REQ], dest=dest)  # the default: keep what is there
    await jobs.service.wait_idle()
    done = jobs.journal.get(kept.local_id)
    assert (done.state, done.path) == (SAVED, str(tmp_path / "mine-2.mp4"))
    assert dest.read_bytes() == old


@pytest.mark.parametrize(
    ("status", "state"),
    [(400, REJECTED), (413, REJECTED), (422, REJECTED), (499, UNKNOWN), (409, UNKNOWN)],
)
async def test_only_refusals_that_prove_nothing_was_created_count_as_refused(
    jobs: Harness, sim: Simulator, status: int, state: str
) -> None:
    sim.add_fault(Fault("submit", "status", status=status, message="no"))
    (record,) = await jobs.service.enqueue([REQ])
    await jobs.service.wait_idle()
    done = jobs.journal.get(record.local_id)
    assert done.state == state
    if state == UNKNOWN:
        assert f"(HTTP {status})" in (done.error or "")
        assert "may have been created" in (done.error or "")
    assert sum(r["method"] == "POST" for r in sim.requests) == 1


async def test_a_404_right_after_submit_is_waited_out(jobs: Harness, sim: Simulator) -> None:
    sim.pending_s = 10
    (record,) = await jobs.service.enqueue([REQ])
    while jobs.journal.get(record.local_id).job_id is None:
        await jobs.service._sleep(0.1)
    sim.add_fault(Fault("poll", "status", status=404, times=3, message="not found yet"))
    await jobs.service.wait_idle()
    assert jobs.journal.get(record.local_id).state == SAVED
    assert failures.NOT_FOUND in jobs.failures()


async def test_a_job_still_unknown_after_the_grace_period_fails(
    jobs: Harness, sim: Simulator, vtime: VirtualTime
) -> None:
    sim.pending_s = 10_000
    sim.add_fault(Fault("poll", "status", status=404, times=1000, message="gone for good"))
    (record,) = await jobs.service.enqueue([REQ])
    await jobs.service.wait_idle()
    done = jobs.journal.get(record.local_id)
    assert (done.state, done.error) == ("failed", "gone for good")
    assert vtime.now - (done.submitted_at or 0) >= 120


class _SurprisingClient(VideoClient):
    """A real client that hits one unexpected error on its first poll."""

    surprises = 1

    async def get_generation(self, job_id: str, **kw: object) -> VideoJob:  # type: ignore[override]
        if self.surprises:
            self.surprises -= 1
            raise RuntimeError("maximum recursion depth exceeded")
        return await super().get_generation(job_id, **kw)  # type: ignore[arg-type]


async def test_an_unexpected_error_is_shown_and_retried_never_fatal(
    server: SimulatorServer, vtime: VirtualTime, tmp_path: Path
) -> None:
    client = _SurprisingClient(api_key="k", base_url=server.base_url, sleep=vtime.sleep)
    journal = Journal(tmp_path / "journal.sqlite3", clock=vtime)
    service = JobService(client, journal, tmp_path / "clips", sleep=vtime.sleep, clock=vtime)
    seen: list[Activity | None] = []
    service.subscribe(lambda _r, a: seen.append(a))
    try:
        (record,) = await service.enqueue([REQ])
        await service.wait_idle()
        assert journal.get(record.local_id).state == SAVED
    finally:
        await service.aclose()
        await client.aclose()
        journal.close()
    shown = [a.failure for a in seen if a is not None and a.failure is not None]
    assert [f.kind for f in shown] == [failures.UNEXPECTED]
    assert "maximum recursion depth" in shown[0].message
    assert shown[0].retry_in is not None


def test_the_poll_budget_is_shared_by_every_job_watched() -> None:
    policy = PollPolicy()
    assert policy.interval(0.0) == 3.0  # one job: fast at first
    assert policy.interval(0.0, watching=20) == pytest.approx(20 / policy.budget)
    assert policy.interval(700.0, watching=2) == 20.0  # backed off beyond the budget anyway
    assert policy.interval(0.0, watching=100) == policy.ceiling  # no job waits longer


async def test_a_batch_of_twenty_polls_within_the_budget(
    server: SimulatorServer, sim: Simulator, tmp_path: Path
) -> None:
    # Real time (virtual time would run the jobs one after another), a quick policy.
    sim.pending_s, sim.running_s = 1.5, 1.5
    policy = PollPolicy(first=0.05, steps=(), ceiling=2.0, budget=20.0)
    waits: list[float] = []

    async def sleep(delay: float) -> None:
        waits.append(delay)
        await asyncio.sleep(delay)

    journal = Journal(tmp_path / "journal.sqlite3")
    async with VideoClient(api_key="sk-or-v1-jobs", base_url=server.base_url) as client:
        service = JobService(client, journal, tmp_path / "clips", poll_policy=policy, sleep=sleep)
        await service.enqueue([replace(REQ, seed=n) for n in range(20)])
        await service.wait_idle()
        await service.aclose()
    assert {r.state for r in journal.find()} == {SAVED}
    journal.close()
    # With 20 jobs watched each waits 20 / 20 s (0.05 s alone): the rate stays in budget.
    assert sorted(waits)[len(waits) // 2] >= 0.5
