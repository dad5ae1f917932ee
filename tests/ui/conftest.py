"""UI tests run on the qasync loop, like the app: awaiting in a test keeps Qt's events flowing.

The window is the real one, wired to the simulator over loopback TCP, with a
real journal, a real QMediaPlayer and an in-memory keychain (the real one in
test_keychain.py).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import gc
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from tests.conftest import states_of
from tests.test_simulator_clips import _png
from videostudio.api.client import VideoClient
from videostudio.api.errors import NotFoundError
from videostudio.api.retry import RetryPolicy
from videostudio.core.jobs import JobRecord
from videostudio.core.polling import PollPolicy
from videostudio.services.activity import Activity
from videostudio.services.backend import Backend
from videostudio.services.keychain import KeyStore
from videostudio.services.remote_image import fetch_image
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Simulator
from videostudio.ui.media.thumbnails import FrameLoader
from videostudio.ui.session.clip_actions import ClipActions
from videostudio.ui.session.link import CONNECTED
from videostudio.ui.session.studio import StudioController
from videostudio.ui.shell.main_window import MainWindow
from videostudio.ui.shell.style import STYLE

FAST_POLLS = PollPolicy(first=0.2, steps=(), ceiling=0.2)
# Real time in the window: waits as in production, only shorter.
FAST_RETRY = RetryPolicy(initial=0.05, max_interval=0.2, jitter=0.0)
FAST_OUTAGE = RetryPolicy(initial=0.3, factor=1.0, max_interval=0.3, jitter=0.0)


async def FAST_RECONNECT_SLEEP(delay: float) -> None:  # noqa: N802 (a constant, in effect)
    """The window's reconnect waits, real but short."""
    await asyncio.sleep(min(delay, 0.3))


def pytest_asyncio_loop_factories(config: Any, item: Any) -> dict[str, Callable[[], Any]]:
    def qt_loop() -> qasync.QEventLoop:
        app = QApplication.instance() or QApplication([])
        # Collect the previous test's Qt objects (its loop's timers, its windows) here, on
        # the GUI thread: left to the cyclic GC they may be destroyed on a worker thread.
        gc.collect()
        return qasync.QEventLoop(app)

    return {"qt": qt_loop}


async def until(condition: Callable[[], object], within: float = 30.0, what: str = "") -> None:
    """Wait (letting Qt and asyncio run) until ``condition()`` is true."""
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await asyncio.sleep(0.02)


@dataclass
class Studio:
    window: MainWindow
    controller: StudioController
    sim: Simulator
    server: SimulatorServer
    data: Path
    settings: QSettings
    events: list[tuple[JobRecord, Activity | None]] = field(default_factory=list)
    closed: bool = False

    def states(self, local_id: int) -> list[str]:
        return states_of(self.events, local_id)


async def check_key(base_url: str, key: str) -> None:
    """The app's key check (a poll of a job that cannot exist), retrying as fast as the
    window's client does in these tests."""
    async with VideoClient(api_key=key, base_url=base_url, retry=FAST_RETRY) as client:
        with contextlib.suppress(NotFoundError):
            await client.get_generation("videostudio-key-check")


def make_studio(
    server: SimulatorServer,
    data: Path,
    key: str | None = "sk-or-v1-ui",
    *,
    live_url: str | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    test_key: Callable[[str], Awaitable[None]] | None = None,
) -> Studio:
    """The real window and view-model. Live mode talks to ``live_url`` (default: the
    simulator); demo mode always to the simulator, marked as demo."""

    def connect(k: str | None, demo: bool) -> Backend:
        demo = demo or k is None
        client = VideoClient(
            api_key=lambda: k or "anonymous",
            base_url=server.base_url if demo or live_url is None else live_url,
            retry=FAST_RETRY,
        )
        return Backend.open(
            client,
            journal_path=data / ("demo" if demo else "") / "journal.sqlite3",
            clips_dir=data / "clips",
            cache_dir=data / "cache",
            demo=demo,
            poll_policy=FAST_POLLS,
            outage=FAST_OUTAGE,
        )

    keys = KeyStore()
    if key:
        keys.set(key)
    controller = StudioController(
        connect,
        keys,
        test_key or functools.partial(check_key, live_url or server.base_url),
        fetch=functools.partial(fetch_image, allow_http_loopback=True),
        clock=clock,
        sleep=sleep or FAST_RECONNECT_SLEEP,
    )
    controller.reconnect_delays = (0.3,)
    settings = QSettings(str(data / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("window/ask_before_quit", False)  # tests close with jobs running
    actions = ClipActions(controller)
    window = MainWindow(controller, settings, FrameLoader(data / "frames"), actions)
    studio = Studio(window, controller, server.sim, server, data, settings)
    controller.job_changed.connect(lambda r, a: studio.events.append((r, a)))
    return studio


@pytest.fixture(autouse=True)
def _keep_loop_running(qapp: QApplication) -> None:
    qapp.setQuitOnLastWindowClosed(False)  # as the app does: closing must not stop the loop


@pytest.fixture
async def studio(
    qapp: QApplication, server: SimulatorServer, sim: Simulator, tmp_path: Path
) -> AsyncIterator[Studio]:
    qapp.setStyleSheet(STYLE)
    sim.pending_s, sim.running_s = 0.3, 0.6
    s = make_studio(server, tmp_path / "data")
    s.window.resize(1280, 800)
    s.window.show()
    await s.controller.start()
    await until(lambda: s.controller.link.state == CONNECTED, what="the live connection")
    yield s
    await close_studio(s)


async def close_studio(s: Studio) -> None:
    if s.closed:
        return
    s.closed = True
    s.window.close()
    await s.controller.aclose()
    s.window.deleteLater()
    await asyncio.sleep(0.05)


def png_file(path: Path, color: str = "#3366ff", w: int = 160, h: int = 90) -> Path:
    path.write_bytes(base64.b64decode(_png(color, w, h).split(",", 1)[1]))
    return path


def question_box() -> QMessageBox | None:
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
    return next((b for b in boxes if b.isVisible()), None)


async def answer(
    button_text: str, question: str = "Send the same job again?", safe: str = "Don't send"
) -> str:
    """Wait for the window's question, click ``button_text`` with the mouse; its details."""
    await until(question_box, what="the question")
    box = question_box()
    assert box is not None
    assert box.text() == question
    text = box.informativeText()
    buttons = {b.text(): b for b in box.findChildren(QPushButton)}
    assert box.defaultButton() is buttons[safe]  # Enter does not send it again
    QTest.mouseClick(buttons[button_text], Qt.MouseButton.LeftButton)
    await until(lambda: question_box() is None, what="the question to close")
    return text
