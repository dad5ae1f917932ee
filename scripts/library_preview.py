"""Look at the library panel alone: ~40 real clips in several states, light and dark.

    xvfb-run -a -s "-screen 0 1280x800x24" python scripts/library_preview.py OUT_DIR

Renders a few real clips with the simulator's renderer, journals 40 jobs around
them (saved, running, downloading, retrying, failed, not saved, a batch,
favourites), shows the panel at 1024x640 and 1280x800 in Fusion light and dark,
waits for the thumbnails and saves a screenshot of each, plus one while
scrubbing over a card and one with a card's context menu state selected.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QStyleFactory

from videostudio.core import failures
from videostudio.core.failures import Failure
from videostudio.core.jobs import DOWNLOADING, NOT_SAVED, QUEUED, SAVED, UNKNOWN, Output
from videostudio.core.models import FAILED, IN_PROGRESS, PENDING
from videostudio.services.jobs import Activity
from videostudio.services.journal import Journal
from videostudio.simulator.render import ClipSpec, render_clip
from videostudio.ui.library.sources import JournalSources
from videostudio.ui.library.view import LibraryPanel
from videostudio.ui.thumbnails import FrameLoader

PROMPTS = [
    "A red fox trotting through fresh snow at dawn, steam rising from its breath",
    "Macro shot of a dew drop sliding down a green leaf",
    "Drone flight over a neon city at night in the rain, reflections everywhere",
    "A paper boat sailing down a flooded street, children laughing in the background",
    "Slow pan across an old library with dust in the sunbeams",
    "Astronaut planting a flag on a glittering ice moon",
    "Cat jumps onto a piano and plays a chord",
    "Waves crashing on black volcanic sand, aerial view",
]
MODELS = ["google/veo-3.1-fast", "openai/sora-2-pro", "alibaba/wan-2.7", "kwaivgi/kling-v2.5"]
NOW = time.time()


def dark_palette() -> QPalette:
    p = QPalette()
    roles = QPalette.ColorRole
    for role, color in (
        (roles.Window, "#2b2b2b"),
        (roles.WindowText, "#e6e6e6"),
        (roles.Base, "#1f1f1f"),
        (roles.AlternateBase, "#2a2a2a"),
        (roles.Text, "#e6e6e6"),
        (roles.Button, "#333333"),
        (roles.ButtonText, "#e6e6e6"),
        (roles.Highlight, "#3d7dd8"),
        (roles.HighlightedText, "#ffffff"),
        (roles.ToolTipBase, "#3a3a3a"),
        (roles.ToolTipText, "#f0f0f0"),
        (roles.PlaceholderText, "#8a8a8a"),
        (roles.Mid, "#555555"),
    ):
        p.setColor(role, QColor(color))
    return p


def build(data: Path) -> tuple[Journal, list[tuple[int, Activity]]]:
    clips = []
    for i, (w, h) in enumerate([(640, 360), (640, 360), (360, 640), (640, 360), (480, 480)]):
        out = data / "render" / f"clip{i}.mp4"
        render_clip(ClipSpec(w, h, 3, PROMPTS[i], MODELS[i % len(MODELS)]), out)
        clips.append(out)
    clock = [NOW - 40 * 3600.0]
    journal = Journal(data / "journal.sqlite3", clock=lambda: clock[0])
    live: list[tuple[int, Activity]] = []
    for i in range(40):
        clock[0] += 3600
        request = {
            "model": MODELS[i % len(MODELS)],
            "prompt": PROMPTS[i % len(PROMPTS)],
            "duration": (4, 6, 8)[i % 3],
            "seed": 1000 + i * 7,
        }
        batch = "dawn-fox" if 30 <= i < 36 else None
        (record,) = journal.add_many([request], estimates=[0.4 + i % 5 * 0.1], batch=batch)
        kind = i % 10
        clip = clips[i % len(clips)]
        if kind in (0, 1, 2, 3, 4, 6) or batch:
            copies = 2 if i % 13 == 0 else 1
            outputs = tuple(Output(n, str(clip), clip.stat().st_size, "x") for n in range(copies))
            journal.update(
                record.local_id,
                state=SAVED,
                path=str(clip),
                outputs=outputs,
                cost_usd=0.4 + i % 5 * 0.1,
                favourite=i % 7 == 0,
                job_id=f"job-{i}",
            )
        elif kind == 5:
            journal.update(record.local_id, state=FAILED, error="The provider refused the prompt.")
        elif kind == 7:
            journal.update(record.local_id, state=NOT_SAVED, error="Disk full: free 40 MB.")
        elif kind == 8:
            journal.update(record.local_id, state=UNKNOWN, error="No reply to the submit.")
        else:
            journal.update(record.local_id, state=QUEUED)
    # The newest few are running now.
    for state, activity in (
        (PENDING, None),
        (IN_PROGRESS, Activity(failure=Failure(failures.SERVER, "HTTP 503", retry_in=12))),
        (DOWNLOADING, Activity(received=4_000_000, total=10_000_000)),
    ):
        clock[0] += 60
        (record,) = journal.add_many(
            [{"model": MODELS[0], "prompt": "A lighthouse in a storm, waves", "duration": 6}],
            estimates=[0.9],
        )
        journal.update(record.local_id, state=state, job_id=f"run-{state}")
        if activity is not None:
            live.append((record.local_id, activity))
    return journal, live


def settle(app: QApplication, panel: LibraryPanel, within: float = 20.0) -> None:
    """Let Qt run until every card in view that has a clip shows its poster."""
    deadline = time.monotonic() + within

    def ready() -> bool:
        first, last = panel.grid.visible_rows()
        model = panel.model
        return all(
            model.index(row, 0).data(Qt.ItemDataRole.DecorationRole) is not None
            for row in range(first, last + 1)
            if model.record_at(row).state == SAVED
        )

    thumbs = panel.thumbnails
    assert thumbs is not None  # noqa: S101 (the preview always has a loader)
    while time.monotonic() < deadline and not (ready() and not thumbs.loader.busy()):
        app.processEvents()
        time.sleep(0.02)
    for _ in range(10):
        app.processEvents()


def main(out: Path) -> int:
    app = QApplication(sys.argv)
    app.setStyle(QStyleFactory.create("Fusion"))
    light = app.style().standardPalette()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        journal, live = build(data)
        sources = JournalSources(journal)
        loader = FrameLoader(data / "thumbs")
        for name, palette in (("light", light), ("dark", dark_palette())):
            app.setPalette(palette)
            for width, height in ((1024, 640), (1280, 800)):
                panel = LibraryPanel(
                    sources.pages, sources.count, sources.models, loader, batches=sources.batch
                )
                for local_id, activity in live:
                    panel.upsert(journal.get(local_id), activity)
                panel.setWindowTitle("Library preview")
                panel.resize(width, height)
                panel.show()
                settle(app, panel)
                panel.grab().save(str(out / f"library-{name}-{width}x{height}.png"))
                if width == 1280:
                    panel.grid.select(panel.model.id_at(4))
                    saved = next(
                        row
                        for row in range(panel.model.rowCount())
                        if panel.model.record_at(row).state == SAVED
                    )
                    rect = panel.grid.visualRect(panel.model.index(saved, 0))
                    thumb = panel.grid.card_delegate.rects(rect, panel.grid.font()).thumb
                    at = QPoint(thumb.left() + thumb.width() * 2 // 3, thumb.center().y())
                    QTest.mouseMove(panel.grid.viewport(), at)
                    settle(app, panel)
                    QTest.mouseMove(panel.grid.viewport(), at + QPoint(1, 0))
                    settle(app, panel)
                    panel.show_undo("3 clips moved to the trash.")
                    settle(app, panel)
                    panel.grab().save(str(out / f"library-{name}-hover.png"))
                    panel.search.setText("fox")
                    panel.apply_filters()
                    settle(app, panel)
                    panel.grab().save(str(out / f"library-{name}-search.png"))
                panel.close()
                panel.deleteLater()
                app.processEvents()
        loader.stop()
        journal.close()
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "library-preview")))
