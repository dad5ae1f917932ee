"""Screenshots of the compare grid, spend view, advanced options and batch panel, each
alone, at 1024x640 and 1280x800, in a light and a dark (Fusion) palette.

    .venv/bin/python scripts/compare_preview.py OUT_DIR

Without a display it runs itself under Xvfb once per screen size. Each picture is
of the whole screen (ImageMagick's `import`), so the video surfaces are captured as
shown. The grid plays four real clips (2, 3, 4 and 4 s) and stops at 2.6 s, where
the 2 s clip holds its last frame, greyed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

SIZES = ((1024, 640), (1280, 800))


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "preview").resolve()
    out.mkdir(parents=True, exist_ok=True)
    if "--size" in argv:
        w, h = (int(v) for v in argv[argv.index("--size") + 1].split("x"))
        return shoot_all(out, w, h)
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        raise SystemExit("xvfb-run is missing: run scripts/bootstrap")
    for w, h in SIZES:
        command = [xvfb, "-a", "-s", f"-screen 0 {w}x{h}x24", sys.executable, __file__]
        subprocess.run([*command, str(out), "--size", f"{w}x{h}"], check=True)  # noqa: S603
    return 0


def shoot_all(out: Path, width: int, height: int) -> int:
    from PySide6.QtWidgets import QApplication

    from videostudio.ui.style import STYLE

    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    light = app.palette()
    clips = render_clips(out / "clips")
    for theme in ("light", "dark"):
        app.setPalette(light if theme == "light" else dark_palette())
        app.setStyleSheet(STYLE)
        for name, build in (
            ("compare", lambda: compare_grid(clips)),
            ("spend", spend_view),
            ("advanced", advanced_options),
            ("batch", batch_panel),
        ):
            window = build()
            window.setWindowTitle(f"{name} ({theme})")
            window.setGeometry(0, 0, width, height)
            window.show()
            settle(window)
            shoot(out / f"{name}-{width}x{height}-{theme}.png")
            close = getattr(window, "clear", None)
            if callable(close):
                close()
            window.close()
            window.deleteLater()
            wait(lambda: True, 0.2)
    return 0


def wait(condition: Callable[[], object], within: float = 30.0) -> None:
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        QApplication.processEvents()
        if condition() and within > 0.5:
            return
        time.sleep(0.01)


def settle(window: object) -> None:
    from videostudio.ui.compare import CompareGrid

    if isinstance(window, CompareGrid):
        wait(lambda: window.duration() == 4000)
        window.seek(2200)
        window.play()
        wait(lambda: window.position() >= 2600)
        window.pause()
        wait(lambda: all(t.shown_ms() is not None for t in window.tiles))
    wait(lambda: True, 0.5)  # let the window paint


def shoot(path: Path) -> None:
    grabber = shutil.which("import")  # ImageMagick
    if grabber is None:
        raise SystemExit("ImageMagick's `import` is missing: run scripts/bootstrap")
    subprocess.run([grabber, "-window", "root", str(path)], check=True)  # noqa: S603
    print("wrote", path)


def dark_palette() -> object:
    from PySide6.QtGui import QColor, QPalette

    p = QPalette()
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    for r, c in (  # the usual dark Fusion palette
        (role.Window, "#353535"),
        (role.WindowText, "#f0f0f0"),
        (role.Base, "#232323"),
        (role.AlternateBase, "#2c2c2c"),
        (role.ToolTipBase, "#424242"),
        (role.ToolTipText, "#f0f0f0"),
        (role.PlaceholderText, "#9a9a9a"),
        (role.Text, "#f0f0f0"),
        (role.Button, "#3c3c3c"),
        (role.ButtonText, "#f0f0f0"),
        (role.BrightText, "#ff6b6b"),
        (role.Light, "#505050"),
        (role.Midlight, "#464646"),
        (role.Mid, "#8a8a8a"),
        (role.Dark, "#1e1e1e"),
        (role.Shadow, "#000000"),
        (role.Highlight, "#2a82da"),
        (role.HighlightedText, "#ffffff"),
        (role.Link, "#6ea8fe"),
    ):
        p.setColor(r, QColor(c))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(group.Disabled, r, QColor("#7a7a7a"))
    return p


def render_clips(folder: Path) -> list[object]:
    from videostudio.simulator.render import ClipSpec, render_clip
    from videostudio.ui.compare import CompareItem

    specs = (
        (1, 2, "a paper boat on a rainy street", "x-ai/grok-imagine-video", "Grok Imagine", 7),
        (2, 3, "a paper boat on a rainy street", "alibaba/wan-2.7", "Wan 2.7", 1234),
        (3, 4, "a paper boat on a rainy street", "google/veo-3.1", "Veo 3.1", 42),
        (4, 4, "a paper boat on a rainy street", "kwaivgi/kling-v3.0-std", "Kling v3.0", None),
    )
    items = []
    for local_id, seconds, prompt, model, name, seed in specs:
        path = folder / f"job{local_id}.mp4"
        if not path.exists():
            render_clip(ClipSpec(640, 360, seconds, prompt, model), path)
        cost = f"${0.07 * seconds:.2f}" if local_id != 4 else f"≈ ${0.126 * seconds:.2f}"
        items.append(CompareItem(local_id, path, name, seed, cost, local_id == 3, prompt))
    return items


def compare_grid(items: list[object]) -> object:
    from videostudio.ui.compare import CompareGrid

    grid = CompareGrid()
    grid.set_items(items)  # type: ignore[arg-type]
    return grid


def spend_view() -> object:
    from PySide6.QtWidgets import QMainWindow

    from videostudio.core.budget import Budget
    from videostudio.core.jobs import SAVED, JobRecord
    from videostudio.core.models import IN_PROGRESS
    from videostudio.core.spend import spend_of
    from videostudio.ui.spend_view import SpendBadge, SpendPanel

    now = datetime.now().astimezone()
    rows = [
        ("google/veo-3.1", SAVED, 0, 3.20, None),
        ("google/veo-3.1-fast", SAVED, 0, 0.80, None),
        ("kwaivgi/kling-v3.0-std", IN_PROGRESS, 0, None, 1.01),
        ("google/veo-3.1", SAVED, 3, 1.60, None),
        ("alibaba/wan-2.7", SAVED, 5, 0.50, None),
        ("minimax/hailuo-2.3", SAVED, 45, 0.49, None),
    ]
    records = [
        JobRecord(
            local_id=i,
            state=state,
            model=model,
            prompt="p",
            request={},
            cost_usd=cost,
            estimate_usd=estimate,
            created_at=(now - timedelta(days=days)).timestamp(),
            submitted_at=(now - timedelta(days=days)).timestamp(),
        )
        for i, (model, state, days, cost, estimate) in enumerate(rows, 1)
    ]
    spend = spend_of(records, now)
    budget = Budget(daily=10.0, monthly=60.0, ask_above=2.0, confirm_jobs=4)
    window = QMainWindow()
    panel = SpendPanel(window)
    panel.set_model_names(
        {
            "google/veo-3.1": "Google: Veo 3.1",
            "google/veo-3.1-fast": "Google: Veo 3.1 Fast",
            "kwaivgi/kling-v3.0-std": "Kling: Kling v3.0 Standard",
            "alibaba/wan-2.7": "Alibaba: Wan 2.7",
        }
    )
    panel.set_spend(spend, demo=True)
    panel.budget_form.set_budget(budget)
    badge = SpendBadge(window)
    badge.set_spend(spend, demo=True)
    badge.set_budget(budget)
    window.setCentralWidget(panel)
    window.statusBar().addPermanentWidget(badge)
    return window


def _models() -> dict[str, object]:
    from videostudio.core.models import VideoModel
    from videostudio.simulator.service import load_catalogue

    return {m["id"]: VideoModel.from_json(m) for m in load_catalogue()}


def advanced_options() -> object:
    from PySide6.QtWidgets import QVBoxLayout, QWidget

    from videostudio.ui.advanced_options import AdvancedOptions

    window = QWidget()
    options = AdvancedOptions(window)
    options.set_model(_models()["google/veo-3.1"])  # type: ignore[arg-type]
    options.apply({"negativePrompt": "text, watermarks", "enhancePrompt": True})
    layout = QVBoxLayout(window)
    layout.addWidget(options)
    layout.addStretch(1)
    return window


def batch_panel() -> object:
    from videostudio.core.models import GenerationRequest
    from videostudio.core.pricing import estimate_for
    from videostudio.ui.batch_panel import BatchPanel

    models = _models()
    panel = BatchPanel(lambda r: estimate_for(models[r.model], r).usd)  # type: ignore[arg-type]
    panel.set_models(list(models.values()))  # type: ignore[arg-type]
    panel.set_base(
        GenerationRequest(
            model="google/veo-3.1-fast",
            prompt="a paper boat on a rainy street\na kite over the sea",
            duration=8,
            resolution="720p",
            aspect_ratio="16:9",
            generate_audio=True,
        )
    )
    panel.set_checked_models(
        ["google/veo-3.1-fast", "kwaivgi/kling-v3.0-std", "minimax/hailuo-2.3"]
    )
    panel.seed_count.setValue(3)
    return panel


if __name__ == "__main__":
    os.environ.pop("QT_QPA_PLATFORM", None)  # a real (X) display, for the video surfaces
    raise SystemExit(main(sys.argv[1:]))
