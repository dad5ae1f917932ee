"""The composition root of the window: QApplication, the qasync loop, paths, and the wiring.

The window is shown first (from the cached catalogue and the journal); the key
is read from the keychain and the backend opened right after, on the loop.
With no key the backend is the built-in simulator: demo mode, labelled as such.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication
from qasync import QEventLoop

from videostudio import APP_NAME, __version__
from videostudio import paths as app_paths
from videostudio.api.client import VideoClient
from videostudio.services.backend import Backend, verify_key
from videostudio.services.keychain import KeyStore
from videostudio.services.redact import configure_logging
from videostudio.ui.main_window import MainWindow
from videostudio.ui.studio import StudioController
from videostudio.ui.style import STYLE
from videostudio.ui.thumbnails import ThumbnailMaker

DEMO_KEY = "demo-key"
# Demo jobs take seconds, not minutes, so trying the app is quick.
DEMO_PENDING_S = float(os.environ.get("VIDEOSTUDIO_DEMO_PENDING", "2"))
DEMO_RUNNING_S = float(os.environ.get("VIDEOSTUDIO_DEMO_RUNNING", "6"))


def backend_factory(paths: app_paths.Paths):  # type: ignore[no-untyped-def]
    """How the window connects: to OpenRouter with a key, else (or when demo mode is
    wanted) to the built-in simulator. The window switches between them at any time."""

    def connect(key: str | None, demo: bool) -> Backend:
        if key and not demo:
            client = VideoClient(
                api_key=lambda: key, base_url=os.environ.get("OPENROUTER_BASE_URL")
            )
            return Backend.open(
                client,
                journal_path=paths.journal,
                clips_dir=paths.clips_dir,
                cache_dir=paths.cache_dir,
                demo=False,
            )
        from videostudio.simulator.server import SimulatorServer  # demo only
        from videostudio.simulator.service import Simulator

        demo_paths = paths.for_demo().ensure()
        sim = Simulator(
            pending_s=DEMO_PENDING_S,
            running_s=DEMO_RUNNING_S,
            cache_dir=demo_paths.simulator_cache,
            jobs_file=demo_paths.simulator_cache / "jobs.jsonl",
        )
        server = SimulatorServer(sim)
        server.start()
        client = VideoClient(api_key=DEMO_KEY, base_url=server.base_url)
        return Backend.open(
            client,
            journal_path=demo_paths.journal,
            clips_dir=demo_paths.clips_dir,
            cache_dir=demo_paths.cache_dir,
            demo=True,
            on_close=server.stop,
        )

    return connect


def _icon() -> QIcon:
    for folder in (
        Path(__file__).resolve().parents[1] / "resources",
        Path(sys.prefix) / "share" / "icons" / "hicolor" / "scalable" / "apps",
    ):
        icon = folder / "videostudio.svg"
        if icon.exists():
            return QIcon(str(icon))
    return QIcon()


def run_app(demo: bool = False, data_dir: str | None = None) -> int:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_NAME)
    app.setWindowIcon(_icon())
    app.setStyleSheet(STYLE)
    # Closing the window must not stop the loop before the services have shut down.
    app.setQuitOnLastWindowClosed(False)
    paths = app_paths.resolve(data_dir).ensure()
    configure_logging(str(paths.log_file))
    settings = QSettings(str(paths.settings), QSettings.Format.IniFormat)
    controller = StudioController(
        backend_factory(paths),
        KeyStore(),
        lambda key: verify_key(key, os.environ.get("OPENROUTER_BASE_URL")),
        demo=demo,
    )
    window = MainWindow(controller, settings, ThumbnailMaker(paths.cache_dir / "thumbnails"))
    loop = QEventLoop(app)
    asyncio.set_event_loop(loop)
    closed = asyncio.Event()
    window.closing.connect(closed.set)

    async def main() -> None:
        window.show()
        controller.start()
        await closed.wait()
        await controller.aclose()

    with loop:
        loop.run_until_complete(main())
    # Qt objects go before the interpreter does, on the GUI thread, not in its teardown.
    window.deleteLater()
    app.processEvents()
    return 0
