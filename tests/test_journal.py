"""The job journal on real SQLite files: durability rules, migrations, crash recovery."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
import tracemalloc
from pathlib import Path

import pytest

from videostudio.core.jobs import QUEUED, SAVED, SUBMITTING, UNKNOWN
from videostudio.services.journal import MIGRATIONS, Journal, JournalError, StateConflictError

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


def test_a_row_is_claimed_once_even_by_two_connections(tmp_path: Path) -> None:
    """Compare-and-set: two processes (two connections) claiming one queued job."""
    path = tmp_path / "j.sqlite3"
    mine, theirs = Journal(path), Journal(path)
    record = mine.add(BODY)
    mine.update(record.local_id, expect=[QUEUED], state=SUBMITTING)
    with pytest.raises(StateConflictError, match="is submitting"):
        theirs.update(record.local_id, expect=[QUEUED], state=SUBMITTING)
    assert theirs.get(record.local_id).state == SUBMITTING


def test_a_damaged_row_is_set_aside_and_the_others_go_on(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    journal = Journal(path)
    good = journal.add(BODY)
    bad = journal.add(BODY)
    other = journal.add(BODY)
    journal.close()
    db = sqlite3.connect(path)
    db.execute("UPDATE jobs SET request='{broken' WHERE local_id=?", (bad.local_id,))
    db.commit()
    db.close()
    reopened = Journal(path)
    assert [r.local_id for r in reopened.unfinished()] == [good.local_id, other.local_id]
    assert list(reopened.damaged) == [bad.local_id]
    assert f"#{bad.local_id}" in reopened.damage_report()
    assert "every other job goes on" in reopened.damage_report()


def _zero_page(path: Path, page: int) -> None:
    size = sqlite3.connect(path).execute("PRAGMA page_size").fetchone()[0]
    with path.open("r+b") as f:
        f.seek(size * (page - 1))
        f.write(bytes(size))


def test_a_damaged_file_is_kept_aside_and_its_readable_rows_salvaged(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    journal = Journal(path)
    journal.add_many([{**BODY, "prompt": f"job {i} " + "x" * 300} for i in range(200)])
    journal.close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.close()
    _zero_page(path, pages // 2)  # a page in the middle of the jobs table
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(path).execute("SELECT count(*), sum(length(request)) FROM jobs").fetchone()
    salvaged = Journal(path)
    count = len(salvaged.find())
    assert 150 < count < 200
    assert f"{count} job(s) were recovered" in salvaged.report
    kept = [p for p in tmp_path.glob("j.sqlite3.damaged-*") if p.name[-4:] not in ("-wal", "-shm")]
    assert len(kept) == 1
    assert str(kept[0]) in salvaged.report
    salvaged.add(BODY)  # and it is a working journal again
    assert len(salvaged.find()) == count + 1


def test_a_file_that_is_no_database_is_replaced_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    journal = Journal(path)
    assert journal.find() == []
    assert "0 job(s) were recovered" in journal.report


def _v2_journal(path: Path, request: dict[str, object]) -> None:
    """A journal as version 0.1 wrote it: schema 2, images inline as data URLs."""
    db = sqlite3.connect(path)
    for script in MIGRATIONS[:2]:
        assert isinstance(script, str)
        db.executescript(script)
    db.execute("PRAGMA user_version=2")
    db.execute(
        "INSERT INTO jobs (state, model, prompt, request, created_at, updated_at)"
        " VALUES ('saved', ?, ?, ?, 1, 1)",
        (request["model"], request["prompt"], json.dumps(request)),
    )
    db.commit()
    db.close()


def test_migration_backs_up_first_and_moves_images_out_of_the_rows(tmp_path: Path) -> None:
    image = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 100
    url = "data:image/png;base64," + base64.b64encode(image).decode()
    part = {"type": "image_url", "image_url": {"url": url}, "frame_type": "first_frame"}
    path = tmp_path / "j.sqlite3"
    _v2_journal(path, {**BODY, "frame_images": [part]})
    journal = Journal(path)
    (record,) = journal.find()
    ref = record.request["frame_images"][0]["image_url"]["url"]
    assert ref.startswith("videostudio-image:")
    assert journal.images.read(ref) == image
    assert record.seed == 3
    assert journal.images.expand(record.request)["frame_images"][0]["image_url"]["url"] == url
    (backup,) = journal.list_backups()
    assert f"before-schema-{len(MIGRATIONS)}" in backup.name  # the schema it moved to
    old = sqlite3.connect(backup)
    assert old.execute("PRAGMA user_version").fetchone()[0] == 2
    assert url in old.execute("SELECT request FROM jobs").fetchone()[0]
    old.close()


def test_a_backup_can_be_restored(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    journal = Journal(path)
    kept = journal.add(BODY)
    backup = journal.backup("manual")
    journal.add({**BODY, "prompt": "made after the backup"})
    before = journal.restore(backup)
    assert [r.local_id for r in journal.find()] == [kept.local_id]
    assert before.exists()
    assert len(Journal(before).find()) == 2


def test_images_are_stored_once_and_keep_the_journal_small(tmp_path: Path) -> None:
    image = b"\xff\xd8\xff" + os.urandom(3 * 2**20)
    url = "data:image/jpeg;base64," + base64.b64encode(image).decode()
    part = {"type": "image_url", "image_url": {"url": url}}
    journal = Journal(tmp_path / "j.sqlite3")
    journal.add_many([{**BODY, "seed": i, "input_references": [part]} for i in range(20)])
    journal.close()
    db_bytes = sum(p.stat().st_size for p in tmp_path.glob("j.sqlite3*"))
    assert db_bytes < 512 * 1024  # 20 jobs with a 3 MB image each (60 MB inline before)
    assert len(list((tmp_path / "images").iterdir())) == 1


def test_a_batch_stores_its_shared_image_once_in_little_memory(tmp_path: Path) -> None:
    # A 16 MB data URL shared by a batch: decoded, hashed and written in pieces, once.
    image = b"\x89PNG\r\n\x1a\n" + os.urandom(12 * 2**20)
    url = "data:image/png;base64," + base64.b64encode(image).decode()
    part = {"type": "image_url", "image_url": {"url": url}}
    journal = Journal(tmp_path / "j.sqlite3")
    tracemalloc.start()
    try:
        rows = journal.add_many([{**BODY, "seed": i, "frame_images": [part]} for i in range(20)])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    journal.close()
    assert peak < 8 * 2**20, f"peak {peak / 2**20:.1f} MiB"
    (stored,) = (tmp_path / "images").iterdir()
    assert stored.read_bytes() == image
    assert stored.name == hashlib.sha256(image).hexdigest() + ".png"
    refs = {r.request["frame_images"][0]["image_url"]["url"] for r in rows}
    assert refs == {"videostudio-image:" + stored.name}
