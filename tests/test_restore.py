"""`videostudio journal --restore FILE` against backups built to be hostile: real SQLite
files, the real CLI in child processes, the simulator on loopback TCP.

A restore accepts only what this app could have written, checks it all before the live
journal is touched, and restores rows as history: nothing restored is sent, polled or
downloaded until the user says so, and no path outside the clips folder is written.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from videostudio.services.journal import MIGRATIONS, Journal
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Simulator

KEY = "sk-or-v1-restore-test"
BODY = {"model": "google/veo-3.1-fast", "prompt": "a paper boat", "duration": 4}


def _run(
    data: Path, home: Path, server: SimulatorServer | None, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "VIDEOSTUDIO_DATA_DIR": str(data)}
    env["OPENROUTER_API_KEY"] = KEY
    if server is not None:
        env["OPENROUTER_BASE_URL"] = server.base_url
    return subprocess.run(
        [sys.executable, "-m", "videostudio", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _dump(path: Path) -> tuple[int, list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Everything that matters in a journal file: its schema version, rows and settings."""
    db = sqlite3.connect(path)
    try:
        return (
            db.execute("PRAGMA user_version").fetchone()[0],
            db.execute("SELECT * FROM jobs ORDER BY local_id").fetchall(),
            db.execute("SELECT * FROM settings ORDER BY key").fetchall(),
        )
    finally:
        db.close()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """The user's own home, with their own files in it."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "holiday.mp4").write_bytes(b"the user's own holiday video")
    (home / "holiday.json").write_text('{"mine": true}')
    return home


@pytest.fixture
def live(data_dir: Path) -> Path:
    """A live journal with one job of the user's, closed."""
    journal = Journal(data_dir / "journal.sqlite3")
    journal.add({**BODY, "prompt": "the user's live job"}, state="rejected")
    journal.set_setting("budget", {"daily": 5.0})
    journal.close()
    return data_dir / "journal.sqlite3"


def _backup(tmp_path: Path, change: Callable[[sqlite3.Connection], None] | None = None) -> Path:
    """A backup as this app writes one (a real journal's), then changed by ``change``."""
    source = tmp_path / "source" / "journal.sqlite3"
    source.parent.mkdir(exist_ok=True)
    journal = Journal(source)
    journal.add({**BODY, "prompt": "an old saved job"}, state="rejected")
    made = journal.backup("manual")
    journal.close()
    if change is not None:
        db = sqlite3.connect(made, isolation_level=None)
        change(db)
        db.close()
    return made


def _plant_trigger(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TRIGGER plant AFTER UPDATE ON jobs BEGIN "
        "INSERT INTO jobs (state, model, prompt, request, created_at, updated_at) "
        "VALUES ('queued', 'google/veo-3.1-fast', 'planted', "
        '\'{"model": "google/veo-3.1-fast", "prompt": "planted"}\', 0, 0); END'
    )


def _view_like_a_table(db: sqlite3.Connection) -> None:
    db.execute("DROP TABLE settings")
    db.execute("CREATE VIEW settings AS SELECT 'budget' AS key, 'null' AS value")


def _newer(db: sqlite3.Connection) -> None:
    db.execute(f"PRAGMA user_version={len(MIGRATIONS) + 3}")


def _extra_index(db: sqlite3.Connection) -> None:
    db.execute("CREATE INDEX jobs_prompt ON jobs(prompt)")


def _many_rows(db: sqlite3.Connection) -> None:
    request = json.dumps({**BODY, "prompt": "x" * 2000})
    for _ in range(40):
        db.execute(
            "INSERT INTO jobs (state, model, prompt, request, created_at, updated_at) "
            "VALUES ('rejected', 'm', ?, ?, 0, 0)",
            ("x" * 2000, request),
        )


def _state_of_another_type(db: sqlite3.Connection) -> None:
    db.execute("UPDATE jobs SET state=x'00ff'")


def _setting_not_json(db: sqlite3.Connection) -> None:
    db.execute("INSERT INTO settings (key, value) VALUES ('budget', 'no cap {')")


HOSTILE = {
    "a value of another type": (_state_of_another_type, "value(s) of jobs.state"),
    "a setting that is not JSON": (_setting_not_json, "1 setting(s) are not JSON"),
    "triggers": (_plant_trigger, "holds what this app never writes (trigger plant)"),
    "a view named like a table": (_view_like_a_table, "view settings"),
    "a newer schema": (_newer, f"was written by a newer videostudio (schema {len(MIGRATIONS) + 3}"),
    "an index of its own": (_extra_index, "index jobs_prompt"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_backup_this_app_could_not_have_written_is_refused(
    case: str, tmp_path: Path, data_dir: Path, home: Path, live: Path
) -> None:
    change, words = HOSTILE[case]
    backup = _backup(tmp_path, change)
    as_it_was = _dump(live)
    proc = _run(data_dir, home, None, "journal", "--restore", str(backup))
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "Not restored:" in proc.stderr and words in proc.stderr, proc.stderr
    assert _dump(live) == as_it_was  # nothing replaced
    _names_its_backup(proc.stderr, as_it_was)
    # Every later command still works on the journal as it was.
    jobs = _run(data_dir, home, None, "jobs", "--json")
    assert jobs.returncode == 0, jobs.stderr
    assert [r["prompt"] for r in json.loads(jobs.stdout)] == ["the user's live job"]


def _names_its_backup(stderr: str, as_it_was: tuple[object, ...]) -> None:
    """The message names the backup made first, and that backup holds the journal as it was."""
    named = [w.rstrip(".") for w in stderr.split() if "before-restore" in w]
    assert named, stderr
    assert _dump(Path(named[0])) == as_it_was


def _truncated(tmp_path: Path) -> Path:
    backup = _backup(tmp_path, _many_rows)
    data = backup.read_bytes()
    assert len(data) > 8 * 4096
    cut = tmp_path / "truncated.sqlite3"
    cut.write_bytes(data[: len(data) // 2 + 1000])  # mid-page
    return cut


def _not_sqlite(tmp_path: Path) -> Path:
    path = tmp_path / "notes.sqlite3"
    path.write_text("these are my notes, not a database\n" * 100)
    return path


def _empty_sqlite(tmp_path: Path) -> Path:
    path = tmp_path / "empty.sqlite3"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    return path


NOT_A_BACKUP = {
    "missing": (lambda tmp: tmp / "no-such-backup.sqlite3", "does not exist"),
    "a folder": (lambda tmp: tmp, "is a folder, not a journal backup"),
    "not SQLite": (_not_sqlite, "is not a journal backup (it is not an SQLite database)"),
    "truncated": (_truncated, "is damaged"),
    "an SQLite file of another app": (_empty_sqlite, "no videostudio journal"),
}


@pytest.mark.parametrize("case", sorted(NOT_A_BACKUP))
def test_what_is_no_backup_gets_a_sentence_and_nothing_is_replaced(
    case: str, tmp_path: Path, data_dir: Path, home: Path, live: Path
) -> None:
    make, words = NOT_A_BACKUP[case]
    backup = make(tmp_path)
    as_it_was = _dump(live)
    proc = _run(data_dir, home, None, "journal", "--restore", str(backup))
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert words in proc.stderr, proc.stderr
    assert "The journal was not changed" in proc.stderr
    assert _dump(live) == as_it_was
    _names_its_backup(proc.stderr, as_it_was)


def _plant_rows(home: Path) -> Callable[[sqlite3.Connection], None]:
    def plant(db: sqlite3.Connection) -> None:
        request = json.dumps({**BODY, "prompt": "planted"})
        outputs = json.dumps(
            [{"index": 0, "path": str(home / "holiday.mp4"), "size": 1, "sha256": "0" * 64}]
        )
        for state, job_id in (("pending", "job-the-user-never-made"), ("queued", None)):
            db.execute(
                "INSERT INTO jobs (state, job_id, model, prompt, request, path, outputs,"
                " estimate_usd, created_at, updated_at, submitted_at)"
                " VALUES (?, ?, 'google/veo-3.1-fast', 'planted', ?, ?, ?, 0.32, 0, 0, 0)",
                (state, job_id, request, str(home / "holiday.mp4"), outputs),
            )

    return plant


def test_planted_rows_are_history_and_never_write_outside_the_clips_folder(
    tmp_path: Path,
    data_dir: Path,
    home: Path,
    live: Path,
    sim: Simulator,
    server: SimulatorServer,
) -> None:
    backup = _backup(tmp_path, _plant_rows(home))
    proc = _run(data_dir, home, server, "journal", "--restore", str(backup))
    assert proc.returncode == 0, proc.stderr
    assert "Restored 3 job(s)" in proc.stderr
    assert "nothing restored is sent, polled or downloaded until you say so" in proc.stderr
    assert "2 of them had a file path outside the clips folder" in proc.stderr
    _names_backup_of_live(proc.stderr)
    jobs = json.loads(_run(data_dir, home, None, "jobs", "--json").stdout)
    assert all(r["path"] is None or "holiday" not in r["path"] for r in jobs)

    resumed = _run(data_dir, home, server, "resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "2 job(s) restored from a backup are kept as history" in resumed.stderr
    assert sim.requests == []  # nothing submitted, nothing polled with the key
    assert (home / "holiday.mp4").read_bytes() == b"the user's own holiday video"
    assert (home / "holiday.json").read_text() == '{"mine": true}'

    # The user's word for one job: the queued one is sent, and saved in the clips folder.
    queued = next(r for r in jobs if r["state"] == "queued")
    released = _run(data_dir, home, server, "resume", "--restored", str(queued["local_id"]))
    assert released.returncode == 0, released.stderr
    posts = [r for r in sim.requests if r["method"] == "POST"]
    assert len(posts) == 1
    assert not any("job-the-user-never-made" in r["path"] for r in sim.requests)
    saved = next(
        r
        for r in json.loads(_run(data_dir, home, None, "jobs", "--json").stdout)
        if r["local_id"] == queued["local_id"]
    )
    assert saved["state"] == "saved"
    assert Path(saved["path"]).parent == data_dir / "clips"
    assert (home / "holiday.mp4").read_bytes() == b"the user's own holiday video"
    assert (home / "holiday.json").read_text() == '{"mine": true}'
    assert sorted(p.name for p in home.iterdir()) == ["holiday.json", "holiday.mp4"]


def _names_backup_of_live(stderr: str) -> None:
    named = [w.rstrip(".") for w in stderr.split() if "before-restore" in w]
    assert named and Path(named[0]).is_file(), stderr
    assert [r[5] for r in _dump(Path(named[0]))[1]] == ["the user's live job"]


def test_restoring_the_oldest_backup_keeps_it_and_every_other(data_dir: Path) -> None:
    journal = Journal(data_dir / "journal.sqlite3", clock=lambda: 1.8e9)  # one second
    journal.add(BODY, state="rejected")
    made = [journal.backup("manual") for _ in range(5)]  # as many as are kept
    assert len(set(made)) == 5
    from videostudio.services.restore import restore

    first = restore(journal, made[0], data_dir / "clips")
    journal.add({**BODY, "prompt": "made after the first restore"}, state="rejected")
    second = restore(journal, made[1], data_dir / "clips")
    assert all(p.is_file() for p in made)
    assert first.before != second.before
    assert len(Journal(second.before).find()) == 2  # the journal between the two restores
    assert [r.restored for r in journal.find()] == [True]
    journal.close()


def test_a_backup_of_an_older_schema_is_brought_to_todays(tmp_path: Path, data_dir: Path) -> None:
    from tests.test_journal import _v2_journal
    from videostudio.services.restore import restore

    old = tmp_path / "old.sqlite3"
    _v2_journal(old, {**BODY, "seed": 3})
    journal = Journal(data_dir / "journal.sqlite3")
    done = restore(journal, old, data_dir / "clips")
    (record,) = journal.find()
    assert done.jobs == 1
    assert (record.prompt, record.seed, record.restored) == ("a paper boat", 3, True)
    assert journal.scalar("PRAGMA user_version", []) == len(MIGRATIONS)
    journal.close()
