"""The composition root of the window: QApplication, the qasync loop, paths, and the wiring.

Window first: the window is built and painted before the network side is
touched. After its first paint, the modules the backend needs (httpx, the
keyring backends, the simulator in demo mode) are imported on a worker thread,
so the window keeps answering; then the key is read from the keychain and the
backend opened. With no key the backend is the built-in simulator: demo mode,
labelled as such.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSettings
from PySide6.QtWidgets import QApplication, QWidget
from qasync import QEventLoop

from videostudio import APP_NAME, __version__
from videostudio import paths as app_paths

if TYPE_CHECKING:
    from videostudio.services.backend import Backend

DEMO_KEY = "demo-key"
# Demo jobs take seconds, not minutes, so trying the app is quick.
DEMO_PENDING_S = float(os.environ.get("VIDEOSTUDIO_DEMO_PENDING", "2"))
DEMO_RUNNING_S = float(os.environ.get("VIDEOSTUDIO_DEMO_RUNNING", "6"))


def backend_factory(paths: app_paths.Paths):  # type: ignore[no-untyped-def]
    """How the window connects: to OpenRouter with a key, else (or when demo mode is
    wanted) to the built-in simulator. The window switches between them at any time."""

    def connect(key: str | None, demo: bool) -> Backend:
        from videostudio.api.client import VideoClient
        from videostudio.services.backend import Backend

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
            record_requests=False,
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


# What opening a backend and its first request import: done on a worker thread after the
# first paint, so the GUI thread finds them loaded (finding the keyring backends alone takes
# about 0.2 s; httpx loads httpcore, h11 and anyio's asyncio backend, some 70 modules, only
# at its first request). The simulator (about 15 ms) comes too: whether there is a key is
# not known yet.
NETWORK_MODULES = (
    "httpx",
    "httpcore",
    "anyio._backends._asyncio",
    "videostudio.api.client",
    "videostudio.services.backend",
    "videostudio.services.keychain",
    "videostudio.simulator.server",
    "av",  # the frame decoder of posters and strips (their worker threads would load it)
)
FIRST_PAINT_WAIT_S = 2.0  # a window that never paints (minimised) must not hold the start


class _FirstPaint(QObject):
    """Resolves ``painted`` at the first paint of ``window``, then stops watching."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.painted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._window = window
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.Paint:
            if not self.painted.done():  # not cancelled by the wait's timeout
                self.painted.set_result(None)
            self._window.removeEventFilter(self)
        return False


def _load_network_side() -> None:
    """Import ahead of use; a module that fails here fails again, with its message, where used."""
    for name in NETWORK_MODULES:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    with contextlib.suppress(ImportError):
        import keyring

        keyring.get_keyring()  # finds the backend once; later lookups reuse it


async def _first_paint(window: QWidget) -> None:
    """Show the window and wait for its first paint (at most FIRST_PAINT_WAIT_S)."""
    painted = _FirstPaint(window).painted
    window.show()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(painted, FIRST_PAINT_WAIT_S)


def _likely_journal(paths: app_paths.Paths, settings: QSettings, demo: bool) -> Path:
    """The journal the window will most likely show: the one of the mode it was last in."""
    from videostudio.ui.shell.main_window import LAST_MODE_DEMO

    if demo or settings.value(LAST_MODE_DEMO, True, type=bool):
        return paths.for_demo().journal
    return paths.journal


async def _test_key(key: str) -> None:
    """A real call with ``key`` (the key dialog's Test button); raises when it is refused."""
    from videostudio.services.backend import verify_key

    await verify_key(key, os.environ.get("OPENROUTER_BASE_URL"))


def _raised_open_window(paths: app_paths.Paths) -> bool:
    """A window already runs on these folders: bring it to the front (as desktop apps do)."""
    from videostudio.services.instance import DataFolder, ring

    for folder in (paths.data_dir, paths.for_demo().data_dir):
        lock = DataFolder(folder, "")
        if lock.try_acquire():
            lock.unlock()
            continue
        owner = lock.owner()
        if "window" in owner.kind and asyncio.run(ring(folder, {"op": "raise"})):
            print(f"videostudio is already open ({owner.describe()}); brought it to the front.")
            return True
    return False


def run_app(demo: bool = False, data_dir: str | None = None) -> int:
    """Open the window and run it until it closes; returns the exit code."""
    from videostudio.services.keychain import KeyStore
    from videostudio.services.redact import configure_logging
    from videostudio.ui.desktop.identity import present
    from videostudio.ui.media.thumbnails import FrameLoader
    from videostudio.ui.session.clip_actions import ClipActions
    from videostudio.ui.session.studio import StudioController
    from videostudio.ui.shell.main_window import MainWindow
    from videostudio.ui.shell.style import STYLE

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    present(app)  # the icon, and the desktop file name where there are desktop files
    app.setStyleSheet(STYLE)
    # Closing the window must not stop the loop before the services have shut down.
    app.setQuitOnLastWindowClosed(False)
    paths = app_paths.resolve(data_dir).ensure()
    if _raised_open_window(paths):
        return 0
    configure_logging(str(paths.log_file))
    settings = QSettings(str(paths.settings), QSettings.Format.IniFormat)
    controller = StudioController(
        backend_factory(paths),
        KeyStore(),
        _test_key,
        demo=demo,
    )
    actions = ClipActions(controller)
    window = MainWindow(controller, settings, FrameLoader(paths.cache_dir / "frames"), actions)
    loop = QEventLoop(app)
    asyncio.set_event_loop(loop)
    closed = asyncio.Event()
    window.closing.connect(closed.set)

    async def main() -> None:
        await _first_paint(window)
        # The library first (it needs only SQLite), then the network side off the GUI thread.
        await controller.show_history(_likely_journal(paths, settings, demo))
        await asyncio.to_thread(_load_network_side)
        controller.start()
        await closed.wait()
        await controller.aclose()

    with loop:
        loop.run_until_complete(main())
    # Qt objects go before the interpreter does, on the GUI thread, not in its teardown.
    window.deleteLater()
    app.processEvents()
    return 0
