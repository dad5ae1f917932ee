"""Crash test: a headless videostudio is SIGKILLed at random moments, again and again.

Real processes throughout: the standalone simulator (jobs kept in a file, so it
knows what it created), and the CLI (`generate`, then `resume`) killed with
SIGKILL mid-submit, mid-poll and mid-download. After the last restart every job
is accounted for: saved and valid, or shown as "may have been submitted"; none
lost, none submitted twice.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from videostudio.core.jobs import Output
from videostudio.services.clips import matches

JOBS = 8
KILLS = 12
KEY = "sk-or-v1-CRASH-TEST-KEY-0123456789"


@pytest.fixture
def standalone(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    jobs_file = tmp_path / "sim" / "jobs.jsonl"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "videostudio.simulator",
            "--port",
            "0",
            "--pending",
            "1",
            "--running",
            "6",
            "--api-key",
            KEY,
            "--jobs-file",
            str(jobs_file),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    assert proc.stdout is not None
    base_url = proc.stdout.readline().split()[-1]
    try:
        yield base_url, jobs_file
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


def _cli(base_url: str, data: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "OPENROUTER_API_KEY": KEY,
        "OPENROUTER_BASE_URL": base_url,
        "VIDEOSTUDIO_DATA_DIR": str(data),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "videostudio", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _journal_rows(data: Path) -> list[dict[str, object]]:
    path = data / "journal.sqlite3"
    if not path.exists():
        return []
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute("SELECT * FROM jobs ORDER BY local_id")]
    except sqlite3.OperationalError:  # not created yet
        return []
    finally:
        db.close()


def _wait_for(condition: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_sigkill_at_random_moments_loses_nothing_and_resubmits_nothing(
    standalone: tuple[str, Path], tmp_path: Path
) -> None:
    base_url, jobs_file = standalone
    data = tmp_path / "data"
    rng = random.Random(20261125)
    seeds = [str(s) for s in range(1, JOBS + 1)]
    gen_args = [
        "generate",
        "--yes",
        "--model",
        "google/veo-3.1-fast",
        "--duration",
        "4",
        "--prompt",
        "crash test clip",
        *[a for s in seeds for a in ("--seed", s)],
    ]

    # 1. The user asks for JOBS clips; the process dies soon after they are journaled.
    proc = _cli(base_url, data, *gen_args)
    _wait_for(lambda: len(_journal_rows(data)) == JOBS)
    time.sleep(rng.uniform(0.0, 0.6))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    kills = 1
    # 2. Restarted and killed again and again, at random moments.
    for _ in range(KILLS - 1):
        proc = _cli(base_url, data, "resume")
        try:
            proc.wait(timeout=rng.uniform(0.3, 1.5))
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
    # 3. The last start runs to the end.
    final = _cli(base_url, data, "resume")
    assert final.wait(timeout=240) in (0, 1)

    rows = _journal_rows(data)
    created = [json.loads(line) for line in jobs_file.read_text().splitlines() if line.strip()]
    created_seeds = Counter(str(c["request"]["seed"]) for c in created)
    by_state = Counter(str(r["state"]) for r in rows)
    journal_ids = {r["job_id"] for r in rows if r["job_id"]}
    unknown_seeds = {json.loads(str(r["request"]))["seed"] for r in rows if r["state"] == "unknown"}
    lost = [
        c
        for c in created
        if c["id"] not in journal_ids and c["request"]["seed"] not in unknown_seeds
    ]
    duplicates = sum(n - 1 for n in created_seeds.values())
    print(
        f"\ncrash test: jobs={JOBS} kills={kills} created={len(created)} states={dict(by_state)} "
        f"lost={len(lost)} duplicates={duplicates}"
    )

    assert kills >= KILLS // 2  # most restarts really died mid-work
    assert len(rows) == JOBS
    assert set(by_state) <= {"saved", "unknown"}, by_state
    assert duplicates == 0
    assert lost == []
    for r in rows:
        if r["state"] == "saved":
            clip = Path(str(r["path"]))
            (proof,) = json.loads(str(r["outputs"]))
            assert matches(clip, Output.from_json(proof))  # the journaled size and SHA-256
            assert clip.stat().st_size == r["size_bytes"]
            assert clip.with_suffix(".json").exists()
            assert r["job_id"] in {c["id"] for c in created}
    assert not list(data.rglob("*.part"))
