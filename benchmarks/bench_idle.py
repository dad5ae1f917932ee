"""Idle CPU of the window: with no jobs, and with 20 jobs pending on the server.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_idle.py [--seconds 20] [--runs 3]

The window starts in demo mode; once usable (probe.py stops its own heartbeat then) it
settles for --settle seconds, then its CPU time is read from /proc/PID/stat over
--seconds. "20 pending": the demo journal holds 20 queued jobs (through the real
Journal API); the window sends them to the built-in simulator on start, which keeps
them pending (VIDEOSTUDIO_DEMO_PENDING=3600), so the window polls 20 jobs. The
simulator runs inside the window's process: its replies to the polls are counted too.
Floor: benchmarks/bare_window.py idling.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import time
from pathlib import Path

import harness

from videostudio import paths as app_paths
from videostudio.services.journal import Journal

PENDING_ENV = {"VIDEOSTUDIO_DEMO_PENDING": "3600", "VIDEOSTUDIO_DEMO_RUNNING": "3600"}


def queue_jobs(root: Path, count: int) -> None:
    """Journal ``count`` queued demo jobs: the window submits them when it starts."""
    demo = app_paths.resolve(root).for_demo().ensure()
    journal = Journal(demo.journal)
    try:
        journal.add_many(
            {
                "model": "google/veo-3.1-fast",
                "prompt": f"pending job {i}: waves on a quiet shore",
                "duration": 4,
                "resolution": "720p",
                "aspect_ratio": "16:9",
            }
            for i in range(count)
        )
    finally:
        journal.close()


def measure(settle: float, seconds: float):  # type: ignore[no-untyped-def]
    def on_started(proc: subprocess.Popen[bytes], out: Path) -> float:
        harness.wait_for_file(out, proc)
        time.sleep(settle)
        before = harness.cpu_seconds(proc.pid)
        time.sleep(seconds)
        used = harness.cpu_seconds(proc.pid) - before
        proc.terminate()
        return used / seconds

    return on_started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--settle", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=3)
    opts = parser.parse_args()
    harness.header(f"idle CPU over {opts.seconds:.0f} s after {opts.settle:.0f} s", opts.runs)
    sample = measure(opts.settle, opts.seconds)
    floor: list[float] = []
    results: dict[int, list[float]] = {0: [], 20: []}
    for _ in range(opts.runs):
        floor.append(harness.probe("bare", None, options=["--hold"], on_started=sample)["extra"])
        for pending, cpu in results.items():
            data = harness.fresh_data_dir()
            try:
                queue_jobs(data, pending)
                env = harness.child_env(**PENDING_ENV)
                result = harness.probe("app", data, options=["--hold"], env=env, on_started=sample)
            finally:
                shutil.rmtree(data, ignore_errors=True)
            cpu.append(result["extra"])
    print("| measure | floor | app | ratio | goal |")
    print("|---|---|---|---|---|")
    for pending, goal in ((0, "< 0.5 %"), (20, "< 1 %")):
        label = "no jobs" if not pending else f"{pending} pending"
        print(
            harness.row(
                f"idle CPU, {label}",
                harness.fmt(floor, "%", 100, 2),
                harness.fmt(results[pending], "%", 100, 2),
                "-",
                goal,
            )
        )


if __name__ == "__main__":
    main()
