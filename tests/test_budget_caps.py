"""Budget caps hold under concurrency, for retries and for jobs of unknown price; a job
sent again is not sent again a second time without the user's yes.

Real CLI processes on one data folder, the simulator on loopback TCP in this process.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from videostudio.core.jobs import REJECTED, SAVED, STOPPED, UNKNOWN
from videostudio.services.journal import Journal
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Fault, Simulator

KEY = "sk-or-v1-budget-test"
EIGHT_SECONDS = ("--model", "google/veo-3.1-fast", "--duration", "8")  # $0.80 each
BODY = {"model": "google/veo-3.1-fast", "prompt": "a paper boat", "duration": 8}


class ModelListBarrier(Simulator):
    """Holds each model-list request until ``parties`` of them are waiting: the processes
    that ask for it go on from the same moment."""

    def __init__(self, parties: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.barrier = threading.Barrier(parties, timeout=60)

    def take_fault(
        self, endpoint: str, job_id: str | None = None, index: int | None = None
    ) -> Fault | None:
        if endpoint == "models":
            self.barrier.wait()
        return super().take_fault(endpoint, job_id, index)


def _cmd(data: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "videostudio", *args, "--data-dir", str(data)]


def _env(server: SimulatorServer) -> dict[str, str]:
    return {**os.environ, "OPENROUTER_API_KEY": KEY, "OPENROUTER_BASE_URL": server.base_url}


def _run(server: SimulatorServer, data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _cmd(data, *args),
        env=_env(server),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _posts(sim: Simulator) -> int:
    return sum(r["method"] == "POST" for r in sim.requests)


def _journal(data: Path, daily: float | None = None) -> Journal:
    journal = Journal(data / "journal.sqlite3")
    if daily is not None:
        journal.set_setting("budget", {"daily": daily})
    return journal


def test_two_processes_started_together_send_no_more_than_the_daily_cap(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    sim = ModelListBarrier(2, cache_dir=tmp_path_factory.getbasetemp() / "sim-cache")
    with SimulatorServer(sim) as server:
        for trial in range(3):
            data = tmp_path / f"trial-{trial}"
            _journal(data, daily=2.0).close()
            sim.requests.clear()
            procs = [
                subprocess.Popen(
                    _cmd(data, "generate", "-p", f"boat {who}", *EIGHT_SECONDS, "--seeds", "2"),
                    env=_env(server),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for who in ("a", "b")
            ]
            outputs = [p.communicate(timeout=120) for p in procs]
            errors = "\n".join(err for _, err in outputs)
            assert "Traceback" not in errors
            assert _posts(sim) == 2, errors  # $1.60 of a $2.00 cap; a third would be $2.40
            journal = _journal(data)
            records = journal.find()
            journal.close()
            assert [r.state for r in records].count(SAVED) == 2, errors
            # The other jobs were refused: by their own process before they were journaled
            # (it saw the first jobs sent), or by the driver at the moment of sending.
            for record in records:
                if record.state != SAVED:
                    assert record.state == REJECTED
                    assert "over your daily cap of $2.00" in (record.error or "")
                    assert record.submitted_at is None
            refused_early = errors.count("error: Not sent: it would take today's spend")
            assert len(records) + 2 * refused_early == 4, errors


def test_retry_is_held_to_the_cap_like_generate(
    sim: Simulator, server: SimulatorServer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    journal = _journal(data, daily=0.80)
    (spent,) = journal.add_many([BODY], estimates=[0.80])
    journal.update(spent.local_id, state=SAVED, cost_usd=0.80)
    refused = journal.add(BODY, state=REJECTED, estimate_usd=0.80)
    journal.close()
    proc = _run(server, data, "retry", str(refused.local_id))
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "Not sent: it would take today's spend to $1.60, over your daily cap of $0.80" in (
        proc.stderr
    )
    assert "--over-budget" in proc.stderr
    assert _posts(sim) == 0
    sent = _run(server, data, "retry", str(refused.local_id), "--over-budget")
    assert sent.returncode == 0, sent.stderr
    assert _posts(sim) == 1


def test_a_job_of_unknown_price_is_refused_under_a_cap_unless_overridden(
    sim: Simulator, server: SimulatorServer, tmp_path: Path
) -> None:
    (entry,) = [m for m in sim.catalogue if m["id"] == "google/veo-3.1-fast"]
    entry["pricing_skus"] = {}  # the catalogue gives no price for it
    data = tmp_path / "data"
    _journal(data, daily=2.0).close()
    proc = _run(server, data, "generate", "-p", "a boat", *EIGHT_SECONDS)
    assert proc.returncode != 0
    assert "estimated cost price unknown" in proc.stderr
    assert (
        "Not sent: its price cannot be estimated, so it cannot be held to your daily cap "
        "of $2.00. Nothing was sent." in proc.stderr
    )
    assert "add --over-budget" in proc.stderr
    assert _posts(sim) == 0
    sent = _run(server, data, "generate", "-p", "a boat", *EIGHT_SECONDS, "--over-budget")
    assert sent.returncode == 0, sent.stderr
    assert _posts(sim) == 1


@pytest.mark.parametrize(
    ("spent", "estimate", "words"),
    [
        (1.60, 0.80, "it would take today's spend to $2.40, over your daily cap of $2.00"),
        (0.0, None, "its price cannot be estimated"),
    ],
)
async def test_the_driver_checks_the_cap_when_it_sends_a_handed_over_job(
    tmp_path: Path, spent: float, estimate: float | None, words: str
) -> None:
    """A queued row that reached the driver without the user's override (as one handed
    over by another process, which checked before the first jobs were sent) is not sent."""
    from videostudio.api.client import VideoClient
    from videostudio.services.jobs import JobService

    with SimulatorServer(Simulator(cache_dir=tmp_path / "cache")) as server:
        journal = _journal(tmp_path / "data", daily=2.0)
        if spent:
            (paid,) = journal.add_many([BODY], estimates=[spent])
            journal.update(paid.local_id, state=SAVED, cost_usd=spent)
        (record,) = journal.add_many([BODY], estimates=[estimate])
        async with VideoClient(api_key=KEY, base_url=server.base_url) as client:
            service = JobService(client, journal, tmp_path / "clips")
            await service.adopt()
            await service.wait_idle()
        done = journal.get(record.local_id)
        journal.close()
        assert done.state == REJECTED
        assert words in (done.error or "")
        assert f"videostudio retry {record.local_id} --over-budget" in (done.error or "")
        assert sum(r["method"] == "POST" for r in server.sim.requests) == 0


def test_a_job_sent_again_is_not_sent_again_twice_without_a_yes(
    sim: Simulator, server: SimulatorServer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    journal = _journal(data)
    unknown = journal.add(BODY, state=UNKNOWN, estimate_usd=0.80)
    journal.close()
    first = _run(server, data, "retry", str(unknown.local_id))
    assert first.returncode == 0, first.stderr
    assert _posts(sim) == 1
    second = _run(server, data, "retry", str(unknown.local_id))
    assert second.returncode != 0
    assert "Traceback" not in second.stderr
    assert f"Job {unknown.local_id} was already sent again as job 2. Send another?" in (
        second.stderr
    )
    assert "add --again" in second.stderr
    assert _posts(sim) == 1
    third = _run(server, data, "retry", str(unknown.local_id), "--again")
    assert third.returncode == 0, third.stderr
    assert _posts(sim) == 2
    db = sqlite3.connect(data / "journal.sqlite3")
    rows = db.execute("SELECT local_id, state, retried_as FROM jobs ORDER BY local_id").fetchall()
    db.close()
    assert rows == [(1, STOPPED, 3), (2, SAVED, None), (3, SAVED, None)]


def test_retried_rows_keep_their_pointer_through_the_service(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    old = journal.add(BODY, state=REJECTED)
    before, new = journal.add_retry(old.local_id, BODY, again=False)
    assert (before.retried_as, before.state, new.state) == (new.local_id, REJECTED, "queued")
    from videostudio.services.journal import AlreadyRetriedError

    with pytest.raises(AlreadyRetriedError, match=r"already sent again as job 2\. Send another\?"):
        journal.add_retry(old.local_id, BODY, again=False)
    assert len(journal.find()) == 2  # nothing journaled by the refusal
    journal.close()
