"""The job journal on real SQLite files: durability rules, migrations, crash recovery."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from videostudio.core.jobs import QUEUED, SAVED, SUBMITTING, UNKNOWN
from videostudio.services.journal import MIGRATIONS, Journal, JournalError

BODY = {"model": "google/veo-3.1", "prompt": "a lighthouse", "duration": 8, "seed": 3}


def test_a_job_is_written_before_anything_is_sent(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3", clock=lambda: 100.0)
    record = journal.add(BODY, estimate_usd=1.6)
    assert record.state == QUEUED
    assert record.job_id is None
    assert (record.model, record.prompt, record.request) == ("google/veo-3.1", "a lighthouse", BODY)
    assert record.created_at == 100.0
    # A second connection (another process: `videostudio jobs`) sees it committed.
    other = sqlite3.connect(tmp_path / "j.sqlite3")
    assert other.execute("SELECT state, estimate_usd FROM jobs").fetchall() == [("queued", 1.6)]
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    other.close()
    journal.close()


def test_updates_and_queries(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    a, b, c = journal.add_many([BODY, {**BODY, "seed": 4}, {**BODY, "seed": 5}], batch="b1")
    journal.update(a.local_id, state="pending", job_id="gen-vid-1")
    journal.update(b.local_id, state=SAVED, path="/x.mp4", cost_usd=1.6)
    assert journal.get(a.local_id).job_id == "gen-vid-1"
    assert [r.local_id for r in journal.unfinished()] == [a.local_id, c.local_id]
    assert [r.local_id for r in journal.find(states=[SAVED])] == [b.local_id]
    assert {r.batch for r in journal.find()} == {"b1"}
    with pytest.raises(KeyError):
        journal.update(999, state=SAVED)
    with pytest.raises(ValueError, match="cannot update"):
        journal.update(a.local_id, secret="x")
    with pytest.raises(JournalError, match="UNIQUE"):  # one row per server job
        journal.update(c.local_id, job_id="gen-vid-1")
    assert journal.get(c.local_id).job_id is None  # the failed write was rolled back


def test_interrupted_submits_become_unknown_never_queued(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    journal = Journal(path)
    sent = journal.add(BODY, state=SUBMITTING)
    waiting = journal.add(BODY)
    journal.close()  # the process "dies" here
    reopened = Journal(path)
    recovered = reopened.recover_interrupted()
    assert [r.local_id for r in recovered] == [sent.local_id]
    assert reopened.get(sent.local_id).state == UNKNOWN
    assert "may have been created" in (reopened.get(sent.local_id).error or "")
    assert reopened.get(waiting.local_id).state == QUEUED  # never sent: safe to send


def test_schema_is_versioned(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    Journal(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    db.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(JournalError, match="newer videostudio"):
        Journal(path)


def test_an_unwritable_place_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(JournalError, match="Cannot open the job journal"):
        Journal(blocker / "j.sqlite3")
