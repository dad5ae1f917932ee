"""Screenshots of the real window in its main states, for docs/ (run under Xvfb).

    xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/python scripts/screenshots.py docs/screenshots

It drives the app as a user would (demo mode, a fresh data folder) and takes
each picture of the whole screen with ImageMagick's `import`, so the video
surface is captured as it is shown.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QMimeData, QSettings, QUrl
from PySide6.QtGui import QColor, QImage, QLinearGradient, QPainter
from PySide6.QtWidgets import QApplication
from qasync import QEventLoop

from videostudio import paths as app_paths
from videostudio.api.client import VideoClient
from videostudio.services.backend import Backend
from videostudio.services.keychain import KeyStore
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Fault, Simulator
from videostudio.ui.main_window import MainWindow
from videostudio.ui.studio import StudioController
from videostudio.ui.style import STYLE
from videostudio.ui.thumbnails import ThumbnailMaker


async def until(condition, within: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(str(condition))
        await asyncio.sleep(0.05)


def shoot(out: Path, name: str) -> None:
    QApplication.processEvents()
    grabber = shutil.which("import")  # ImageMagick, installed by scripts/bootstrap
    if grabber is None:
        raise SystemExit("ImageMagick's `import` is missing: run scripts/bootstrap")
    subprocess.run([grabber, "-window", "root", str(out / f"{name}.png")], check=True)  # noqa: S603
    print("wrote", out / f"{name}.png")


def sample_image(path: Path) -> Path:
    image = QImage(1280, 720, QImage.Format.Format_RGB32)
    gradient = QLinearGradient(0, 0, 1280, 720)
    gradient.setColorAt(0, QColor("#ff7e5f"))
    gradient.setColorAt(1, QColor("#2b5876"))
    painter = QPainter(image)
    painter.fillRect(image.rect(), gradient)
    painter.end()
    image.save(str(path))
    return path


async def drive(
    window: MainWindow, controller: StudioController, sim: Simulator, out: Path, tmp: Path
) -> None:
    window.show()
    window.move(0, 0)
    await controller.start()
    await until(lambda: window.model_picker.count() > 0)
    await asyncio.sleep(0.5)
    shoot(out, "1-empty")

    window.model_picker.select("google/veo-3.1")
    window.prompt.set_text(
        "A paper boat drifting down a rainy street at golden hour, "
        "low tracking shot, reflections on the wet asphalt"
    )
    window.params.duration.setCurrentIndex(window.params.duration.findData(8))
    window.params.resolution.setCurrentIndex(window.params.resolution.findData("1080p"))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(sample_image(tmp / "sunset.png")))])
    window.images.accept_mime(mime)
    await until(lambda: window.images.tile_ids())
    await asyncio.sleep(0.3)
    shoot(out, "2-model-and-images")

    window._on_generate()
    await asyncio.sleep(0.5)
    window.prompt.set_text("Timelapse of clouds over a mountain lake, 4K, calm")
    window.model_picker.select("alibaba/wan-2.7")
    window._on_generate()
    await asyncio.sleep(1.5)
    window.model_picker.select("google/veo-3.1-fast")
    window.prompt.set_text("A red kite over green hills")
    window._on_generate()
    await asyncio.sleep(2.5)
    shoot(out, "3-jobs-running")

    await until(lambda: window.player.path is not None, within=90)
    await asyncio.sleep(2.0)
    shoot(out, "4-clip-playing")

    sim.credits_usd = 0.0
    window.prompt.set_text("One more clip")
    window._on_generate()
    await until(lambda: window.message_banner.isVisible())
    sim.add_fault(
        Fault(
            "submit",
            "status",
            status=400,
            field="duration",
            message="This duration is not available right now.",
        )
    )
    sim.credits_usd = None
    window._on_generate()
    await until(lambda: window.params.duration.property("problem") is True)
    await asyncio.sleep(0.5)
    shoot(out, "5-errors")
    window.close()


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv)
    app.setQuitOnLastWindowClosed(False)
    app.setStyleSheet(STYLE)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        paths = app_paths.resolve(tmp / "data").for_demo().ensure()
        sim = Simulator(pending_s=3, running_s=5, cache_dir=paths.simulator_cache)
        server = SimulatorServer(sim)
        server.start()

        def connect(_key: str | None) -> Backend:
            client = VideoClient(api_key="demo-key", base_url=server.base_url)
            return Backend.open(
                client,
                journal_path=paths.journal,
                clips_dir=paths.clips_dir,
                cache_dir=paths.cache_dir,
                demo=True,
            )

        controller = StudioController(connect, KeyStore(), lambda key: asyncio.sleep(0))
        settings = QSettings(str(paths.settings), QSettings.Format.IniFormat)
        window = MainWindow(controller, settings, ThumbnailMaker(paths.cache_dir / "thumbs"))
        loop = QEventLoop(app)
        asyncio.set_event_loop(loop)

        async def run() -> None:
            try:
                await drive(window, controller, sim, out, tmp)
            finally:
                await controller.aclose()
                server.stop()

        with loop:
            loop.run_until_complete(run())
        window.deleteLater()
        app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
