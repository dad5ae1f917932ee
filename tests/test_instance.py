"""One data folder, one driver: real CLI processes side by side on one folder.

The simulator runs in this process on loopback TCP; each ``videostudio`` is a
child process with its own event loop, sharing only the data folder (journal,
lock, doorbell), as two terminals would.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from videostudio.core.jobs import Output
from videostudio.services.clips import matches
from videostudio.services.instance import DOORBELL_NAME
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Fault, Simulator

KEY = "sk-or-v1-instance-test"


def _env(server: SimulatorServer) -> dict[str, str]:
    return {**os.environ, "OPENROUTER_API_KEY": KEY, "OPENROUTER_BASE_URL": server.base_url}


def _start(server: SimulatorServer, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "videostudio", *args],
        env=_env(server),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run(server: SimulatorServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "videostudio", *args],
        env=_env(server),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _rows(data: Path) -> list[dict[str, object]]:
    path = data / "journal.sqlite3"
    if not path.exists():
        return []
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute("SELECT * FROM jobs ORDER BY local_id")]
    except sqlite3.OperationalError:
        return []  # not created yet
    finally:
        db.close()


def _wait_for(condition: Callable[[], bool], within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def _assert_saved_once(data: Path, sim: Simulator, jobs: int) -> None:
    rows = _rows(data)
    assert len(rows) == jobs
    assert sim.submit_count == jobs, "a job was bought twice"
    assert len({r["job_id"] for r in rows}) == jobs
    paths = set()
    for row in rows:
        assert row["state"] == "saved", row
        (proof,) = json.loads(str(row["outputs"]))
        clip = Path(proof["path"])
        assert matches(clip, Output.from_json(proof))
        assert clip.read_bytes() == sim.clip_path(sim.jobs[str(row["job_id"])]).read_bytes()
        paths.add(clip)
    assert len(paths) == jobs


def test_a_second_resume_while_a_batch_runs_touches_nothing(
    server: SimulatorServer, sim: Simulator, data_dir: Path
) -> None:
    sim.pending_s, sim.running_s = 2, 2
    seeds = [arg for s in range(1, 7) for arg in ("--seed", str(s))]
    batch = _start(server, "generate", "--yes", "--prompt", "six takes", "--duration", "4", *seeds)
    _wait_for(lambda: len(_rows(data_dir)) == 6)
    second = _run(server, "resume")
    assert second.returncode == 0, second.stderr
    assert "videostudio generate (pid " in second.stderr
    assert "is running the jobs of this folder" in second.stderr
    code, out, err = _finish(batch)
    assert code == 0, err
    assert len(out.split()) == 6
    _assert_saved_once(data_dir, sim, 6)


def test_a_second_process_never_calls_a_live_submit_crashed(
    server: SimulatorServer, sim: Simulator, data_dir: Path
) -> None:
    sim.add_fault(Fault("submit", "stall", stall_s=4))
    first = _start(server, "generate", "--prompt", "in flight", "--duration", "4")
    _wait_for(lambda: [r["state"] for r in _rows(data_dir)] == ["submitting"])
    second = _run(server, "resume")
    assert second.returncode == 0, second.stderr
    assert "is running the jobs of this folder" in second.stderr
    (row,) = _rows(data_dir)
    assert row["state"] == "submitting"  # untouched: still the first process's submit
    assert "stopped while submitting" not in str(row["error"])
    retry = _run(server, "retry", "1")
    assert retry.returncode == 4
    assert "being run by videostudio generate (pid" in retry.stderr
    _finish(first)


def test_generate_hands_its_job_to_the_owner_and_waits_for_the_clip(
    server: SimulatorServer, sim: Simulator, data_dir: Path
) -> None:
    sim.pending_s, sim.running_s = 3, 1
    owner = _start(server, "generate", "--prompt", "the owner's job", "--duration", "4")
    _wait_for(lambda: any(r["state"] == "pending" for r in _rows(data_dir)))
    handed = _run(server, "generate", "--prompt", "a handed job", "--duration", "4")
    assert handed.returncode == 0, handed.stderr
    assert "runs the jobs of this folder; job #2 was handed to it" in handed.stderr
    (clip,) = handed.stdout.split()
    assert Path(clip).exists()
    code, _, err = _finish(owner)
    assert code == 0, err
    _assert_saved_once(data_dir, sim, 2)


def test_no_wait_hands_over_and_exits_at_once(
    server: SimulatorServer, sim: Simulator, data_dir: Path
) -> None:
    sim.pending_s, sim.running_s = 3, 1
    owner = _start(server, "generate", "--prompt", "first", "--duration", "4")
    _wait_for(lambda: any(r["state"] == "pending" for r in _rows(data_dir)))
    handed = _run(server, "generate", "--no-wait", "--prompt", "second", "--duration", "4")
    assert handed.returncode == 0, handed.stderr
    assert "was handed to it" in handed.stderr
    assert handed.stdout == ""
    code, _, err = _finish(owner)  # the owner finishes what it adopted before it exits
    assert code == 0, err
    _assert_saved_once(data_dir, sim, 2)


def test_kill_9_leaves_no_stale_lock(
    server: SimulatorServer, sim: Simulator, data_dir: Path
) -> None:
    sim.pending_s, sim.running_s = 2, 1
    owner = _start(server, "generate", "--prompt", "killed", "--duration", "4")
    _wait_for(lambda: any(r["state"] == "pending" for r in _rows(data_dir)))
    owner.send_signal(signal.SIGKILL)
    owner.communicate(timeout=30)
    resumed = _run(server, "resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "Saved" in resumed.stderr
    _assert_saved_once(data_dir, sim, 1)


def test_a_handed_job_is_taken_over_when_its_owner_dies(
    server: SimulatorServer, sim: Simulator, data_dir: Path
) -> None:
    """The owner stops answering, then dies: the waiting process takes the folder over and
    finishes every unfinished job, its own and the dead owner's."""
    sim.pending_s, sim.running_s = 2, 1
    owner = _start(server, "generate", "--prompt", "owner", "--duration", "4")
    _wait_for(lambda: any(r["state"] == "pending" for r in _rows(data_dir)))
    owner.send_signal(signal.SIGSTOP)  # alive and holding the lock, but not answering
    try:
        waiting = _start(server, "generate", "--prompt", "waiting", "--duration", "4")
        _wait_for(lambda: len(_rows(data_dir)) == 2)
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.communicate(timeout=30)
    code, out, err = _finish(waiting)
    assert code == 0, err
    assert "did not answer" in err
    assert len(out.split()) == 1  # its own clip
    _assert_saved_once(data_dir, sim, 2)


def test_a_doorbell_that_cannot_open_stops_neither_generate_nor_a_handed_job(
    server: SimulatorServer, sim: Simulator, data_dir: Path
) -> None:
    """A folder in the doorbell file's place: the owner drives without a doorbell and logs
    it; a job handed over meanwhile is journaled, not answered, and still sent."""
    bell = data_dir / DOORBELL_NAME
    bell.mkdir()
    (bell / "in the way").touch()
    sim.pending_s, sim.running_s = 2, 1
    owner = _start(server, "generate", "--prompt", "no doorbell", "--duration", "4")
    _wait_for(lambda: any(r["state"] == "pending" for r in _rows(data_dir)))
    handed = _run(server, "generate", "--no-wait", "--prompt", "unanswered", "--duration", "4")
    assert handed.returncode == 0, handed.stderr
    assert "which did not answer" in handed.stderr
    code, _, err = _finish(owner)
    assert code == 0, err
    assert "Traceback" not in err
    assert "driving without one" in (data_dir / "videostudio.log").read_text()
    resumed = _run(server, "resume")  # the handed job: sent once, by whoever drives next
    assert resumed.returncode == 0, resumed.stderr
    _assert_saved_once(data_dir, sim, 2)
