"""Start to usable with N saved jobs in the history, and how soon the queue shows them.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_history.py --jobs 1000 [--runs 5]

The demo journal of a data folder is filled through the real Journal API (add_many,
then update to "saved") with N jobs whose clips are real small MP4 files (copies of
resources/selfcheck.mp4). Each run starts the window on a fresh copy of that journal
(no thumbnails cached). Usable: painted, the queue painted with N rows, then 0.5 s
with no GUI-thread gap over 50 ms. Queue painted: from the window's Show event to the
first paint of the queue's viewport with N rows.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import harness

from videostudio import paths as app_paths
from videostudio.core.jobs import SAVED
from videostudio.services.journal import Journal

CLIP = harness.ROOT / "resources" / "selfcheck.mp4"


def build_history(root: Path, jobs: int) -> None:
    """A data folder whose demo journal holds ``jobs`` saved jobs with real clip files."""
    demo = app_paths.resolve(root).for_demo().ensure()
    journal = Journal(demo.journal)
    try:
        requests = [
            {
                "model": "google/veo-3.1-fast",
                "prompt": f"history clip {i}: a paper boat on a rainy street",
                "duration": 4,
                "resolution": "720p",
                "aspect_ratio": "16:9",
                "seed": i,
            }
            for i in range(jobs)
        ]
        records = journal.add_many(requests, estimates=[0.6] * jobs)
        now = time.time()
        for record in records:
            clip = demo.clips_dir / f"clip-{record.local_id:05d}.mp4"
            shutil.copyfile(CLIP, clip)
            journal.update(
                record.local_id,
                state=SAVED,
                job_id=f"bench-{record.local_id}",
                remote_status="completed",
                path=str(clip),
                size_bytes=clip.stat().st_size,
                cost_usd=0.6,
                submitted_at=now,
                finished_at=now,
                saved_at=now,
            )
    finally:
        journal.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    opts = parser.parse_args()
    harness.header(f"start-up with {opts.jobs} saved jobs", opts.runs)
    template = Path(tempfile.mkdtemp(prefix="vs-bench-history-"))
    try:
        started = time.monotonic()
        build_history(template, opts.jobs)
        print(f"# history of {opts.jobs} jobs built in {time.monotonic() - started:.1f} s")
        floor: list[float] = []
        usable: list[float] = []
        queue: list[float] = []
        ratios: list[float] = []
        for _ in range(opts.runs):
            bare = harness.probe("bare", None)
            data = harness.fresh_data_dir(template)
            try:
                real = harness.probe("app", data, options=["--rows", str(opts.jobs)])
            finally:
                shutil.rmtree(data, ignore_errors=True)
            if "rows_painted" not in real:
                raise RuntimeError(f"the queue never showed {opts.jobs} rows: {real}")
            floor.append(bare["usable"])
            usable.append(real["usable"])
            queue.append(real["rows_painted"] - real["shown"])
            ratios.append(real["usable"] / bare["usable"])
        print("| measure | floor | app | ratio | goal |")
        print("|---|---|---|---|---|")
        print(
            harness.row(
                f"start to usable with {opts.jobs:,} jobs in history",
                harness.fmt(floor),
                harness.fmt(usable),
                harness.fmt_ratio(ratios),
                "<= 1.5x",
            )
        )
        print(
            harness.row(
                f"queue with {opts.jobs:,} jobs painted, after the window is shown",
                "-",
                harness.fmt(queue),
                "-",
                "< 150 ms",
            )
        )
    finally:
        shutil.rmtree(template, ignore_errors=True)


if __name__ == "__main__":
    main()
