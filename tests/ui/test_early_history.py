"""The library shows the journal's clips before the network side, the key and the backend
are ready: it needs only SQLite (start-up with a long history)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from tests.ui.conftest import close_studio, make_studio, until
from videostudio import paths as app_paths
from videostudio.app import _likely_journal
from videostudio.services.journal import Journal
from videostudio.simulator.server import SimulatorServer
from videostudio.ui.shell.main_window import LAST_MODE_DEMO

BODY = {"model": "google/veo-3.1-fast", "prompt": "a lighthouse", "duration": 4}


async def test_the_library_fills_before_any_backend_opens(
    qapp: QApplication, server: SimulatorServer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    journal = Journal(data / "journal.sqlite3")
    journal.add_many([{**BODY, "seed": n} for n in range(5)])
    journal.close()
    s = make_studio(server, data)
    s.window.show()
    await s.controller.show_history(data / "journal.sqlite3")
    assert s.controller.backend is None
    await until(lambda: s.window.library.model.total == 5, what="five cards")
    assert not s.window.spend_badge.isVisible()  # nothing added up yet: no "$0.00"
    await s.controller.start()
    await until(lambda: s.controller.backend is not None, what="the backend")
    await until(lambda: s.controller.preview is None, what="the early journal closed")
    assert s.window.library.model.total == 5  # the same jobs, now from the backend
    await until(s.window.spend_badge.isVisible, what="the spend figures")
    await close_studio(s)


async def test_no_journal_is_made_for_a_folder_without_one(
    qapp: QApplication, server: SimulatorServer, tmp_path: Path
) -> None:
    s = make_studio(server, tmp_path / "data")
    await s.controller.show_history(tmp_path / "data" / "demo" / "journal.sqlite3")
    assert s.controller.preview is None
    assert not (tmp_path / "data" / "demo").exists()
    await close_studio(s)


def test_the_early_journal_is_the_one_of_the_last_mode(tmp_path: Path) -> None:
    paths = app_paths.resolve(tmp_path / "data")
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    assert _likely_journal(paths, settings, demo=False) == paths.for_demo().journal  # fresh
    settings.setValue(LAST_MODE_DEMO, False)
    assert _likely_journal(paths, settings, demo=False) == paths.journal
    assert _likely_journal(paths, settings, demo=True) == paths.for_demo().journal


async def test_a_new_backend_tells_the_window_every_jobs_state(
    qapp: QApplication, server: SimulatorServer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    journal = Journal(data / "journal.sqlite3")
    ids = [r.local_id for r in journal.add_many([{**BODY, "seed": n} for n in range(3)])]
    journal.close()
    s = make_studio(server, data)
    told: list[dict[int, str]] = []
    s.controller.jobs_reset.connect(told.append)
    await s.controller.start()
    await until(lambda: bool(told), what="the jobs' states")
    assert told[0] == dict.fromkeys(ids, "queued")  # int keys survive the signal
    await close_studio(s)
