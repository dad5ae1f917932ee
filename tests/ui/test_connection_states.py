"""Every message true, every state visible: the status bar, banners, countdowns and the key
dialog say what the service really answered, and clear when the cause is gone."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import keyring
from keyring.backends import fail
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFrame, QLabel

from tests.ui.conftest import Studio, close_studio, make_studio, until
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Fault, Simulator


def status_words(studio: Studio) -> str:
    """Everything the status bar shows: its permanent labels and its passing message."""
    bar = studio.window.statusBar()
    labels = " | ".join(label.text() for label in bar.findChildren(QLabel) if label.text())
    return f"{labels} | {bar.currentMessage()}"


def banners(studio: Studio) -> list[str]:
    frames = studio.window.findChildren(QFrame, "banner")
    return [f.label.text() for f in frames if f.isVisible()]  # type: ignore[attr-defined]


def dead_url() -> tuple[str, int]:
    """An API address on this machine where nothing listens (yet): connections are refused,
    as with no network. A SimulatorServer started on its port later brings it back."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    return f"http://127.0.0.1:{port}/api/v1", port


def row_status(studio: Studio) -> str:
    """The newest job's state in words, as its card and the line under the player say it."""
    model = studio.window.library.model
    return model.status_of(model.id_at(0)) if model.rowCount() else ""


def row_elapsed(studio: Studio) -> str:
    model = studio.window.library.model
    return model.elapsed_of(model.id_at(0)) if model.rowCount() else ""


def seconds_of(elapsed: str) -> int:
    minutes, seconds = (int(x) for x in elapsed.split(":"))
    return minutes * 60 + seconds


class Clock:
    """A wall clock the test moves by hand (starts at the real time: journal times are real)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


async def test_connected_names_the_api_when_it_is_not_openrouter(studio: Studio) -> None:
    port = studio.server.port
    assert f"Connected to 127.0.0.1:{port} (not openrouter.ai)" in status_words(studio)
    assert "OpenRouter" not in status_words(studio)
    from videostudio.ui.session.link import Link  # the same words for the real service

    live = Link(demo=False, base_url="https://openrouter.ai/api/v1", reachable=True, key_ok=True)
    assert live.status == "Connected to OpenRouter"


async def test_offline_with_a_saved_key_says_so_and_clears_when_reachable(
    qapp: object, sim: Simulator, server: SimulatorServer, tmp_path: Path
) -> None:
    url, port = dead_url()
    s = make_studio(server, tmp_path / "data", live_url=url)
    s.window.show()
    await s.controller.start()
    try:
        await until(lambda: "can't be reached" in status_words(s), what="the offline status")
        assert "Connected" not in status_words(s)
        (banner,) = banners(s)
        assert f"127.0.0.1:{port} can't be reached. Jobs you start are journaled" in banner
        with SimulatorServer(sim, port=port):  # the network is back
            await until(lambda: "Connected to" in status_words(s), what="the connection back")
            await until(lambda: banners(s) == [], what="the offline banner to go")
    finally:
        await close_studio(s)


async def test_the_offline_banner_counts_down_to_the_next_try(
    qapp: object, server: SimulatorServer, tmp_path: Path
) -> None:
    clock = Clock()
    gate = asyncio.Event()

    async def parked(_delay: float) -> None:  # the wait itself is not what is tested
        await gate.wait()

    url, _port = dead_url()
    s = make_studio(server, tmp_path / "data", live_url=url, clock=clock, sleep=parked)
    s.controller.reconnect_delays = (20.0,)
    s.window.show()
    await s.controller.start()
    try:
        banner = s.window.offline_banner.label
        await until(lambda: "Next try in 20 s." in banner.text(), what="the countdown")
        clock.now += 15
        await until(lambda: "Next try in 5 s." in banner.text(), what="the next second")
        clock.now += 10
        await until(lambda: "Trying again now…" in banner.text(), what="the try")
    finally:
        gate.set()
        await close_studio(s)


async def test_a_refused_key_is_said_and_cleared_by_a_working_one(
    qapp: object, server: SimulatorServer, tmp_path: Path
) -> None:
    server.sim.api_key = "sk-or-v1-the-right-one"
    s = make_studio(server, tmp_path / "data", key="sk-or-v1-revoked")
    s.window.show()
    await s.controller.start()
    try:
        w = s.window
        await until(lambda: "refused the API key" in status_words(s), what="the key status")
        assert "Connected" not in status_words(s)
        await until(lambda: banners(s), what="the key banner")
        assert "refused the API key: Invalid API key." in banners(s)[0]
        # The user saves a working key in the dialog: the banner goes once a call succeeds.
        w.open_key_dialog()
        dialog = w.key_dialog
        assert dialog is not None
        dialog.key_edit.setText("sk-or-v1-the-right-one")
        dialog.save_button.click()
        await until(lambda: "Connected to" in status_words(s), what="the working key")
        assert banners(s) == []
    finally:
        await close_studio(s)


async def test_the_credits_banner_goes_once_a_submit_is_accepted(studio: Studio) -> None:
    studio.sim.credits_usd = 0.0
    studio.window.compose.prompt.set_text("a quiet harbour")
    studio.window.compose.generate_button.click()
    await until(lambda: any("Insufficient credits" in b for b in banners(studio)), what="402")
    studio.sim.credits_usd = None  # credits were added
    await until(studio.window.compose.generate_button.isEnabled)
    studio.window.compose.generate_button.click()  # the same request: refused, so not a repeat
    await until(lambda: "Saved" in row_status(studio), what="the second job")
    assert not any("Insufficient credits" in b for b in banners(studio))


async def test_started_is_said_only_when_the_job_was_accepted(studio: Studio) -> None:
    said: list[str] = []
    studio.window.statusBar().messageChanged.connect(said.append)
    studio.sim.credits_usd = 0.0
    studio.window.compose.prompt.set_text("a quiet harbour")
    studio.window.compose.generate_button.click()
    await until(lambda: row_status(studio).startswith("Refused"), what="the refusal")
    assert not any("started" in text for text in said), said
    assert studio.window.statusBar().currentMessage() == ""
    studio.sim.credits_usd = None
    await until(studio.window.compose.generate_button.isEnabled)
    studio.window.compose.generate_button.click()
    await until(lambda: any("Job started" in text for text in said), what="the start")
    port = studio.server.port
    assert said[-1] == f"Job started: 127.0.0.1:{port} accepted it; the clip is saved when done."
    assert f"Sending the job to 127.0.0.1:{port}…" in said


async def test_a_retry_counts_down(studio: Studio) -> None:
    clock = Clock()
    studio.controller.clock = clock
    studio.sim.add_fault(Fault("submit", "status", status=429, retry_after=20))
    studio.window.compose.prompt.set_text("a quiet harbour")
    studio.window.compose.generate_button.click()
    await until(lambda: "retrying in 20 s" in row_status(studio), what="the countdown")
    clock.now += 15
    assert "retrying in 5 s" in row_status(studio)
    clock.now += 16
    assert "retrying now" in row_status(studio)


async def test_elapsed_keeps_counting_while_the_clip_downloads(studio: Studio) -> None:
    clock = Clock()
    studio.controller.clock = clock
    studio.sim.add_fault(Fault("content", "stall", stall_s=60))
    studio.window.compose.prompt.set_text("a quiet harbour")
    studio.window.compose.generate_button.click()
    await until(lambda: row_status(studio) == "Downloading", what="the download")
    before = seconds_of(row_elapsed(studio))
    clock.now += 75
    assert seconds_of(row_elapsed(studio)) - before in (74, 75, 76)  # whole seconds shown


def ticking(studio: Studio) -> list[QTimer]:
    """Repeating timers that run (a one-off, such as keeping the draft a moment after an edit,
    ends by itself), but for the status bar's own fading of a passing message."""
    bar = studio.window.statusBar()
    timers = studio.window.findChildren(QTimer)
    return [t for t in timers if t.isActive() and not t.isSingleShot() and t.parent() is not bar]


async def test_the_window_ticks_only_while_something_runs(studio: Studio) -> None:
    assert ticking(studio) == []  # idle: no timer at all
    studio.window.compose.prompt.set_text("a quiet harbour")
    studio.window.compose.generate_button.click()
    await until(lambda: row_status(studio) == "Pending", what="a running job")
    assert [t.interval() for t in ticking(studio)] == [1000]
    await until(lambda: row_status(studio) == "Saved", what="the clip")
    await until(lambda: studio.window.player.path is not None, what="the player")
    studio.window.player.clear()
    await until(lambda: ticking(studio) == [], what="every timer to stop")


async def test_a_key_refused_by_test_is_not_offered_for_the_session(
    qapp: object, server: SimulatorServer, tmp_path: Path
) -> None:
    keyring.set_keyring(fail.Keyring())  # no keychain: the session-only button is offered
    server.sim.api_key = "sk-or-v1-good"
    s = make_studio(server, tmp_path / "data", key=None)
    s.window.show()
    await s.controller.start()
    try:
        s.window.open_key_dialog()
        dialog = s.window.key_dialog
        assert dialog is not None
        assert dialog.session_button.isVisible()
        dialog.key_edit.setText("sk-or-v1-wrong")
        dialog.test_button.click()
        await until(lambda: "refused this key" in dialog.status.text(), what="the refusal")
        assert dialog.status.text() == (
            "OpenRouter refused this key: Invalid API key. Check that you copied all of it, "
            "or create a new key."
        )
        assert not dialog.session_button.isEnabled()
        dialog.key_edit.setText("sk-or-v1-good")  # another key may be offered again
        assert dialog.session_button.isEnabled()
    finally:
        await close_studio(s)
