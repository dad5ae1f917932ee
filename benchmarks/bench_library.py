"""The library panel's first paint with 1,000 and 10,000 jobs in a real journal.

For each size, a fresh journal (a tenth of the jobs saved, pointing at one real
H.264 clip, so saved cards ask for posters and paint placeholders) is opened by
the real sources (services.library over SQLite). Two figures per sample, offscreen:

- shown -> painted: from ``show()`` to the end of the first paint of the grid;
- built -> painted: from constructing the panel (count + first page) to the same.

The floor is a bare QListView (IconMode) over a QStringListModel with the same
number of plain strings, from show() to its first paint. Each figure is the
min/median/max of ``--samples`` runs; the ratio is panel median / floor median.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_library.py [--samples 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QObject, QStringListModel
from PySide6.QtWidgets import QApplication, QListView, QWidget

from videostudio.__main__ import return_big_blocks_to_the_os
from videostudio.core.jobs import SAVED
from videostudio.services.journal import Journal
from videostudio.simulator.render import ClipSpec, render_clip
from videostudio.ui.library.sources import JournalSources
from videostudio.ui.library.view import LibraryPanel
from videostudio.ui.media.thumbnails import FrameLoader

SIZE = (1280, 800)


class _Painted(QObject):
    """Notes that a widget received a paint event."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = False

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Paint:
            self.seen = True
        return False


def _until_painted(app: QApplication, viewport: QWidget) -> float:
    """Process events until ``viewport`` has painted once; returns when that is done."""
    painted = _Painted()
    viewport.installEventFilter(painted)
    while not painted.seen:
        app.processEvents()
    viewport.removeEventFilter(painted)
    return time.perf_counter()


def _journal(folder: Path, count: int, clip: Path) -> Journal:
    clock = [1_800_000_000.0]
    journal = Journal(folder / "journal.sqlite3", clock=lambda: clock[0])
    models = ("google/veo-3.1-fast", "openai/sora-2-pro", "alibaba/wan-2.7")
    for start in range(0, count, 500):
        clock[0] += 60
        n = min(500, count - start)
        requests = [
            {
                "model": models[i % 3],
                "prompt": f"A red fox in the snow, take {i}, slow motion, golden hour light",
                "duration": 6,
                "seed": i,
            }
            for i in range(start, start + n)
        ]
        saved = start // 500 % 10 == 9 or start + n == count  # the newest chunk is saved
        journal.add_many(
            requests,
            state=SAVED if saved else "failed",
            estimates=[0.4] * n,
            paths=[str(clip) if saved else None] * n,
        )
    return journal


def _panel_sample(app: QApplication, sources: JournalSources, cache: Path) -> tuple[float, float]:
    loader = FrameLoader(cache)
    built = time.perf_counter()
    panel = LibraryPanel(sources.pages, sources.count, sources.models, loader)
    panel.resize(*SIZE)
    shown = time.perf_counter()
    panel.show()
    done = _until_painted(app, panel.grid.viewport())
    loader.stop()
    panel.close()
    panel.deleteLater()
    app.processEvents()
    return done - shown, done - built


def _floor_sample(app: QApplication, count: int) -> float:
    view = QListView()
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setModel(QStringListModel([f"clip {i}" for i in range(count)], view))
    view.resize(*SIZE)
    shown = time.perf_counter()
    view.show()
    done = _until_painted(app, view.viewport())
    view.close()
    view.deleteLater()
    app.processEvents()
    return done - shown


def _line(label: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"  {label:<28} min {min(ms):7.1f} ms  median {statistics.median(ms):7.1f} ms"
        f"  max {max(ms):7.1f} ms"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=9)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000, 10_000])
    args = parser.parse_args(argv)
    return_big_blocks_to_the_os()  # the allocator set up as the app's entry point does
    app = QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        clip = root / "clip.mp4"
        render_clip(ClipSpec(640, 360, 2, "bench", "bench/model"), clip)
        for count in args.sizes:
            journal = _journal(root / f"j{count}", count, clip)
            sources = JournalSources(journal)
            cache = root / f"cache{count}"
            _panel_sample(app, sources, cache)  # warm: imports, fonts, SQLite's page cache
            _floor_sample(app, count)
            shown, built, floor = [], [], []
            for _ in range(args.samples):
                a, b = _panel_sample(app, sources, cache)
                shown.append(a)
                built.append(b)
                floor.append(_floor_sample(app, count))
            print(f"{count:,} jobs ({args.samples} samples, {SIZE[0]}x{SIZE[1]}, offscreen)")
            print(_line("library: shown -> painted", shown))
            print(_line("library: built -> painted", built))
            print(_line("floor: bare QListView", floor))
            ratio = statistics.median(shown) / statistics.median(floor)
            ratio_built = statistics.median(built) / statistics.median(floor)
            print(f"  ratio (median, shown)   {ratio:5.2f}x the floor")
            print(f"  ratio (median, built)   {ratio_built:5.2f}x the floor")
            journal.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
