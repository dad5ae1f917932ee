"""One data folder, one driver, with the window: a second launch brings the first window
forward, the command line hands its jobs to the window, and a window opened while the
command line runs a batch shows it and takes over afterwards. Real child processes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import subprocess
import sys
from collections.abc import Iterator

from tests.ui.conftest import Studio, close_studio, make_studio, until
from videostudio.core.jobs import SAVED
from videostudio.services.instance import DOORBELL_NAME, DataFolder
from videostudio.services.journal import Journal


def _child(studio: Studio, *args: str) -> list[str]:
    return [sys.executable, "-m", "videostudio", *args, "--data-dir", str(studio.data)]


def _env(studio: Studio) -> dict[str, str]:
    return {
        **os.environ,
        "OPENROUTER_API_KEY": "sk-or-v1-ui",
        "OPENROUTER_BASE_URL": studio.server.base_url,
        "QT_QPA_PLATFORM": "offscreen",
    }


def _held(studio: Studio) -> bool:
    """True while another process holds the data folder (a free lock is put back)."""
    lock = DataFolder(studio.data, "test")
    if lock.try_acquire():
        lock.unlock()
        return False
    return True


@contextlib.contextmanager
def _log_lines() -> Iterator[list[str]]:
    """What the instance module logs meanwhile."""
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("videostudio.services.instance")
    logger.addHandler(handler)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)


async def _run(studio: Studio, *args: str) -> subprocess.CompletedProcess[str]:
    """A child process while this window's event loop keeps answering its doorbell."""
    return await asyncio.to_thread(
        subprocess.run,
        _child(studio, *args),
        env=_env(studio),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_a_second_launch_brings_the_open_window_forward(studio: Studio) -> None:
    await until(lambda: studio.controller.backend is not None, what="the backend")
    raised: list[bool] = []
    studio.controller.raise_requested.connect(lambda: raised.append(True))
    second = await _run(studio)
    assert second.returncode == 0, second.stderr
    assert "videostudio is already open (the videostudio window (pid" in second.stdout
    assert raised == [True]


async def test_the_command_line_hands_its_job_to_the_window(studio: Studio) -> None:
    await until(lambda: studio.controller.backend is not None, what="the backend")
    handed = await _run(studio, "generate", "--prompt", "from the terminal", "--duration", "4")
    assert handed.returncode == 0, handed.stderr
    assert "the videostudio window (pid" in handed.stderr
    assert "was handed to it" in handed.stderr
    assert studio.sim.submit_count == 1  # sent once, by the window
    model = studio.window.library.model
    await until(lambda: model.rowCount() == 1, what="the handed job in the library")
    record = model.record(model.id_at(0))
    assert record is not None and record.prompt == "from the terminal"
    await until(
        lambda: model.record(model.id_at(0)).state == SAVED,  # type: ignore[union-attr]
        what="the clip saved by the window",
    )


async def test_a_window_opened_during_a_batch_watches_then_takes_over(
    qapp: object, studio: Studio
) -> None:
    await close_studio(studio)  # the folder is free again
    studio.sim.pending_s = 3
    batch = await asyncio.to_thread(
        subprocess.Popen,
        _child(studio, "generate", "--prompt", "the terminal's batch", "--duration", "4"),
        env=_env(studio),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        await until(lambda: _held(studio), what="the batch running")
        s = make_studio(studio.server, studio.data)
        s.window.show()
        await s.controller.start()
        try:
            banner = s.window.owner_banner
            await until(banner.isVisible, what="the owner banner")
            assert "videostudio generate (pid" in banner.label.text()
            assert s.controller.backend is not None and not s.controller.backend.driving
            await asyncio.to_thread(batch.wait, 120)
            await until(lambda: not banner.isVisible(), within=30, what="the window taking over")
            assert s.controller.backend is not None and s.controller.backend.driving
            assert studio.sim.submit_count == 1  # the batch's job, never sent twice
        finally:
            await close_studio(s)
    finally:
        if batch.poll() is None:
            batch.kill()
        batch.communicate(timeout=30)


async def test_a_doorbell_that_cannot_open_leaves_the_window_driving_and_quiet(
    qapp: object, studio: Studio
) -> None:
    """Its file cannot be written (a folder in its place): the window still drives, sends
    the job queued before it opened, and says nothing alarming; the log says why."""
    await close_studio(studio)
    bell = studio.data / DOORBELL_NAME
    bell.mkdir()
    (bell / "in the way").touch()
    journal = Journal(studio.data / "journal.sqlite3")
    try:
        queued = journal.add({"model": "google/veo-3.1-fast", "prompt": "queued", "duration": 4})
    finally:
        journal.close()
    s = make_studio(studio.server, studio.data)
    notices: list[tuple[str, str]] = []
    s.controller.notice.connect(lambda text, kind: notices.append((text, kind)))
    s.window.show()
    with _log_lines() as lines:
        await s.controller.start()
        try:
            backend = s.controller.backend
            await until(lambda: backend is not None and backend.driving, what="the window driving")
            assert backend is not None and not backend.folder.answering
            await until(
                lambda: backend.journal.get(queued.local_id).state == SAVED,
                what="the queued job sent and saved",
            )
            assert studio.sim.submit_count == 1
        finally:
            await close_studio(s)
    assert not [n for n in notices if n[1] == "error"], notices
    assert any("driving without one" in line for line in lines)
