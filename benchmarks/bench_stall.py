"""GUI-thread stalls under load: 20 jobs polling, 2 downloads of 200 MB, a 24 MP image dropped.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_stall.py [--runs 3] [--seconds 20]

The data folder is prepared through the real parts: 20 queued jobs in the demo journal
(the window submits them on start; VIDEOSTUDIO_DEMO_PENDING/RUNNING=3600 keep them
pending, so they are polled), and 2 jobs the demo simulator already finished (created
through the simulator's own submit, two hours back on its clock, persisted in its jobs
file) whose clips are real rendered MP4s padded to 200 MB with an MP4 "free" box (still
valid files). The window resumes those two and downloads them. One second after the
first paint a 6000x4000 JPEG is dropped on the image zone. From the first paint the
probe's 1 ms heartbeat records every GUI-thread gap for --seconds; the table gives the
99th percentile and the longest gap. Floor: benchmarks/bare_window.py, same recording.
"""

from __future__ import annotations

import argparse
import random
import shutil
import struct
import tempfile
import time
from pathlib import Path

import harness

from videostudio import paths as app_paths
from videostudio.core.models import PENDING
from videostudio.services.journal import Journal
from videostudio.simulator.service import Simulator

BIG_BYTES = 200 * 2**20
ENV = {"VIDEOSTUDIO_DEMO_PENDING": "3600", "VIDEOSTUDIO_DEMO_RUNNING": "3600"}
REQUEST = {"model": "google/veo-3.1-fast", "duration": 4, "resolution": "720p"}


def make_photo(path: Path) -> None:
    """A 24 MP JPEG with enough detail to weigh what a camera's does."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QColor, QImage, QPainter, QPen

    image = QImage(6000, 4000, QImage.Format.Format_RGB32)
    image.fill(QColor(90, 120, 160))
    painter = QPainter(image)
    rng = random.Random(7)  # noqa: S311 (a picture, not a secret)
    for _ in range(25_000):
        painter.setPen(QPen(QColor(rng.randrange(256), rng.randrange(256), rng.randrange(256)), 3))
        x, y = rng.uniform(0, 6000), rng.uniform(0, 4000)
        painter.drawLine(QPointF(x, y), QPointF(x + rng.uniform(-80, 80), y + rng.uniform(-80, 80)))
    painter.end()
    if not image.save(str(path), "JPEG", 85):
        raise RuntimeError(f"cannot write {path}")


def prepare(root: Path) -> list[Path]:
    """The data folder described above; returns where the two big clips will be saved."""
    demo = app_paths.resolve(root).for_demo().ensure()
    cache = demo.simulator_cache
    sim = Simulator(
        pending_s=0,
        running_s=0,
        cache_dir=cache,
        jobs_file=cache / "jobs.jsonl",
        clock=lambda: time.time() - 7200,
    )
    journal = Journal(demo.journal)
    try:
        journal.add_many(
            {**REQUEST, "prompt": f"pending job {i}: waves on a quiet shore"} for i in range(20)
        )
        for i in range(2):
            body = {**REQUEST, "prompt": f"big download {i}: a lighthouse at dusk"}
            status, reply = sim.submit(body)
            if status != 202:
                raise RuntimeError(f"the simulator refused the job: {reply}")
            clip = sim.clip_path(sim.jobs[reply["id"]])
            pad = BIG_BYTES - clip.stat().st_size
            with clip.open("ab") as f:  # an MP4 "free" box: players skip it
                f.write(struct.pack(">I4s", pad, b"free"))
                f.write(b"\0" * (pad - 8))
            record = journal.add(body)
            journal.update(
                record.local_id, state=PENDING, job_id=reply["id"], submitted_at=time.time()
            )
    finally:
        journal.close()
        sim.close()
    return [demo.clips_dir]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0)
    opts = parser.parse_args()
    harness.header("GUI-thread stalls under load", opts.runs)
    work = Path(tempfile.mkdtemp(prefix="vs-bench-stall-"))
    try:
        photo = work / "photo-24mp.jpg"
        make_photo(photo)
        print(f"# dropped image: 6000x4000 JPEG, {photo.stat().st_size / 2**20:.1f} MB")
        load = ["--load", str(opts.seconds), "--drop", str(photo), "--timeout", "120"]
        floor_p99: list[float] = []
        floor_max: list[float] = []
        app_p99: list[float] = []
        app_max: list[float] = []
        for run in range(opts.runs):
            bare = harness.probe("bare", None, options=load)
            data = work / f"data-{run}"
            (clips,) = prepare(data)
            real = harness.probe("app", data, options=load, env=harness.child_env(**ENV))
            big = [p for p in clips.rglob("*.mp4") if p.stat().st_size >= BIG_BYTES]
            print(
                f"# run {run + 1}: {len(big)}/2 big downloads saved within the window; "
                f"image dropped at {real.get('dropped', 0):.1f} s; "
                f"app gaps p99 {real['gap_p99_ms']:.1f} ms, max {real['gap_max_ms']:.1f} ms; "
                f"gaps over 50 ms [s after paint, ms]: {real.get('freezes_ms', [])}"
            )
            shutil.rmtree(data, ignore_errors=True)
            floor_p99.append(bare["gap_p99_ms"] / 1000)
            floor_max.append(bare["gap_max_ms"] / 1000)
            app_p99.append(real["gap_p99_ms"] / 1000)
            app_max.append(real["gap_max_ms"] / 1000)
        print("| measure | floor | app | ratio | goal |")
        print("|---|---|---|---|---|")
        print(
            harness.row(
                "GUI stall under load: p99 gap",
                harness.fmt(floor_p99, digits=1),
                harness.fmt(app_p99, digits=1),
                "-",
                "< 16 ms",
            )
        )
        print(
            harness.row(
                "GUI stall under load: longest gap",
                harness.fmt(floor_max, digits=1),
                harness.fmt(app_max, digits=1),
                "-",
                "< 50 ms",
            )
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
