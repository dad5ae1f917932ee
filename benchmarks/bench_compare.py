"""How much four 1080p clips playing in the compare grid stall the GUI thread (run by hand).

    .venv/bin/python benchmarks/bench_compare.py [--rounds 5] [--seconds 8]

A 16 ms heartbeat timer runs on the GUI thread and records the gap between its
ticks. Each round measures it three times: a floor (an empty window of the same
size), a reference (four bare QVideoWidgets playing the same clips, no sync: the
least this way of showing video can cost) and the grid playing the four 1080p
H.264 clips in sync. It prints each round's p99 and max gaps, the ratios to the
floor (min/median/max over the rounds), how far the tiles strayed from the
leader (p95 and max of samples every 100 ms), how often the sync timer
re-seeked, and how many frames each tile showed per second.

Without a display it runs itself under Xvfb (a real X server, so QVideoWidget
renders through OpenGL as on a desktop; here that is Mesa's llvmpipe on the CPU).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WIDTH, HEIGHT = 1280, 800
HEARTBEAT_MS = 16


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clips", type=Path, help="folder to keep the rendered clips in")
    args = parser.parse_args()
    if not os.environ.get("DISPLAY"):
        xvfb = shutil.which("xvfb-run")
        if xvfb is None:
            raise SystemExit("No display and no xvfb-run: run scripts/bootstrap")
        command = [xvfb, "-a", "-s", f"-screen 0 {WIDTH}x{HEIGHT}x24", sys.executable]
        return subprocess.run([*command, *sys.argv], check=False).returncode  # noqa: S603
    os.environ.pop("QT_QPA_PLATFORM", None)
    from videostudio.__main__ import return_big_blocks_to_the_os

    return_big_blocks_to_the_os()  # the allocator set up as the app's entry point does
    clips = args.clips or Path(tempfile.mkdtemp(prefix="bench-compare-"))
    return run(render(clips), args.rounds, args.seconds)


def render(folder: Path) -> list[Path]:
    from videostudio.simulator.render import ClipSpec, render_clip

    paths = []
    for i, model in enumerate(
        ("google/veo-3.1", "openai/sora-2-pro", "alibaba/wan-2.7", "x-ai/grok")
    ):
        path = folder / f"clip{i}-1080p.mp4"
        if not path.exists():
            print(f"rendering {path.name} (1920x1080, 8 s)…", flush=True)
            render_clip(ClipSpec(1920, 1080, 8, f"bench clip {i}", model), path)
        paths.append(path)
    return paths


class Heartbeat:
    """A 16 ms timer on the GUI thread; the gaps between its ticks say how long it stalled."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.gaps: list[float] = []
        self._last: float | None = None
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            self.gaps.append((now - self._last) * 1000)
        self._last = now

    def run(self, seconds: float, sample: object = None) -> tuple[float, float]:
        from PySide6.QtWidgets import QApplication

        self.gaps, self._last = [], None
        self.timer.start(HEARTBEAT_MS)
        end = time.monotonic() + seconds
        next_sample = time.monotonic()
        while time.monotonic() < end:
            QApplication.processEvents()
            if callable(sample) and time.monotonic() >= next_sample:
                sample()
                next_sample += 0.1
            time.sleep(0.001)
        self.timer.stop()
        gaps = sorted(self.gaps)
        return gaps[int(len(gaps) * 0.99)], gaps[-1]


def settle(seconds: float) -> None:
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.005)


def bare_widgets(paths: list[Path], heartbeat: Heartbeat, seconds: float) -> tuple[float, float]:
    """Four QVideoWidgets in a 2x2 layout, each player looping on its own."""
    from PySide6.QtCore import QUrl
    from PySide6.QtMultimedia import QMediaPlayer
    from PySide6.QtMultimediaWidgets import QVideoWidget
    from PySide6.QtWidgets import QGridLayout, QWidget

    window = QWidget()
    window.setGeometry(0, 0, WIDTH, HEIGHT)
    layout = QGridLayout(window)
    players = []
    for i, path in enumerate(paths):
        video = QVideoWidget(window)
        layout.addWidget(video, i // 2, i % 2)
        player = QMediaPlayer(window)
        player.setVideoOutput(video)
        player.setLoops(QMediaPlayer.Loops.Infinite)
        player.setSource(QUrl.fromLocalFile(str(path)))
        players.append(player)
    window.show()
    for player in players:
        player.play()
    settle(1.0)
    gaps = heartbeat.run(seconds)
    for player in players:
        player.stop()
        player.setSource(QUrl())
    window.close()
    window.deleteLater()
    settle(0.5)
    return gaps


def run(paths: list[Path], rounds: int, seconds: float) -> int:
    from PySide6.QtWidgets import QApplication, QWidget

    from videostudio.ui.review.compare import CompareGrid, CompareItem

    app = QApplication(sys.argv[:1])
    heartbeat = Heartbeat()
    rows = []
    for n in range(1, rounds + 1):
        empty = QWidget()
        empty.setGeometry(0, 0, WIDTH, HEIGHT)
        empty.show()
        settle(1.0)
        floor = heartbeat.run(seconds)
        empty.close()
        empty.deleteLater()
        bare = bare_widgets(paths, heartbeat, seconds)

        grid = CompareGrid()
        grid.setGeometry(0, 0, WIDTH, HEIGHT)
        grid.show()
        grid.set_items([CompareItem(i, p, f"clip {i}") for i, p in enumerate(paths)])
        deadline = time.monotonic() + 30
        while grid.duration() < 8000 and time.monotonic() < deadline:
            settle(0.05)
        frames = [0] * len(grid.tiles)
        for i, tile in enumerate(grid.tiles):
            tile.sink.videoFrameChanged.connect(
                lambda f, i=i, n=frames: n.__setitem__(i, n[i] + 1) if f.isValid() else None
            )
        grid.play()
        settle(1.0)  # past the start-up
        frames[:] = [0] * len(frames)
        offsets: list[float] = []

        def sample(grid: CompareGrid = grid, offsets: list[float] = offsets) -> None:
            lead = grid.leader()
            if lead is not None and grid.is_playing():
                offsets += [abs(t.position() - lead.position()) for t in grid.tiles]

        resyncs = grid.resyncs
        busy = heartbeat.run(seconds, sample)
        fps = [f / seconds for f in frames]
        offsets.sort()
        drift = (offsets[int(len(offsets) * 0.95)], offsets[-1]) if offsets else (0.0, 0.0)
        rows.append((floor, busy, bare, drift, grid.resyncs - resyncs, fps))
        grid.clear()
        grid.close()
        grid.deleteLater()
        settle(0.5)
        print(
            f"round {n}: gaps p99/max: floor {floor[0]:.0f}/{floor[1]:.0f} ms, bare video "
            f"widgets {bare[0]:.0f}/{bare[1]:.0f} ms, grid {busy[0]:.0f}/{busy[1]:.0f} ms | "
            f"drift p95 {drift[0]:.0f} ms max {drift[1]:.0f} ms, {rows[-1][4]} re-seeks | "
            f"fps per tile {', '.join(f'{f:.1f}' for f in fps)}",
            flush=True,
        )
    for name, column in (("grid", 1), ("bare video widgets", 2)):
        for label, index in (("p99", 0), ("max", 1)):
            ratios = sorted(row[column][index] / row[0][index] for row in rows)  # type: ignore[index]
            print(
                f"{name}/floor {label} gap ratio: min {ratios[0]:.2f} median "
                f"{statistics.median(ratios):.2f} max {ratios[-1]:.2f}"
            )
    app.quit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
