"""The job journal: every job, from before its submit to its saved files, in SQLite.

It is the single source of truth for the window and the CLI. A job is written
(state "queued") before its POST is sent, so a crash can never forget a job that
may have been billed. WAL keeps readers (``videostudio jobs`` in another terminal)
from blocking the writer; synchronous=FULL makes each state change durable before
the next network step. State changes that matter are compare-and-set: a row is
claimed only from the state its claimer saw, so no row is ever driven twice.

Images are not in the rows: requests keep references into the image store beside
the journal (services/images.py). Damage is contained: an integrity check runs
at open, unreadable rows are set aside and reported while every other job goes
on, a damaged file is salvaged into a fresh one, and the file is backed up with
SQLite's backup API before each migration and once a day (``videostudio journal``
lists, checks and restores backups).

The schema is versioned with PRAGMA user_version; MIGRATIONS only grow. Nothing
secret is stored: the request body carries no key, errors carry the server's
words (scrubbed of the key by the client).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from videostudio.core.jobs import (
    NOT_SAVED,
    QUEUED,
    SUBMITTING,
    UNKNOWN,
    WATCHED_STATES,
    JobRecord,
    Output,
)
from videostudio.services.images import ImageStore

log = logging.getLogger("videostudio.services.journal")

BACKUPS_KEPT = 5
BACKUP_EVERY_S = 24 * 3600


def _externalize_images(db: sqlite3.Connection, images: ImageStore) -> None:
    """Migration 3: move base64 images out of the rows into the image store; note seeds."""
    rows = db.execute("SELECT local_id, request FROM jobs").fetchall()
    for local_id, text in rows:
        try:
            request = json.loads(text)
        except ValueError:
            continue  # a damaged row stays as it is; reading it reports it
        seed = request.get("seed") if isinstance(request, dict) else None
        if isinstance(request, dict):
            request = images.externalize(request)
        db.execute(
            "UPDATE jobs SET request=?, seed=? WHERE local_id=?",
            (json.dumps(request), seed if isinstance(seed, int) else None, local_id),
        )


Migration = str | Callable[[sqlite3.Connection, ImageStore], None]
MIGRATIONS: tuple[Migration | tuple[Migration, ...], ...] = (
    # 1: the jobs table.
    """
    CREATE TABLE jobs (
        local_id      INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id        TEXT UNIQUE,
        state         TEXT NOT NULL,
        remote_status TEXT,
        model         TEXT NOT NULL,
        prompt        TEXT NOT NULL,
        request       TEXT NOT NULL,
        error         TEXT,
        error_kind    TEXT,
        estimate_usd  REAL,
        cost_usd      REAL,
        path          TEXT,
        size_bytes    INTEGER,
        batch         TEXT,
        created_at    REAL NOT NULL,
        submitted_at  REAL,
        finished_at   REAL,
        saved_at      REAL,
        updated_at    REAL NOT NULL
    );
    CREATE INDEX jobs_state ON jobs(state);
    """,
    # 2: which request field a refusal concerns, so the window can point at the control.
    "ALTER TABLE jobs ADD COLUMN error_field TEXT;",
    # 3: proof of each saved output, notes, the seed sent, the library's marks, settings
    # shared by the window and the CLI (budgets), and images moved out of the rows.
    (
        """
        ALTER TABLE jobs ADD COLUMN outputs TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE jobs ADD COLUMN output_count INTEGER;
        ALTER TABLE jobs ADD COLUMN note TEXT;
        ALTER TABLE jobs ADD COLUMN seed INTEGER;
        ALTER TABLE jobs ADD COLUMN favourite INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE jobs ADD COLUMN deleted_at REAL;
        CREATE INDEX jobs_created ON jobs(created_at);
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        """,
        _externalize_images,
    ),
    # lineage: the local job a result was made from, and how (extend, edit, upscale) (issue 18)
    """
    ALTER TABLE jobs ADD COLUMN source_job INTEGER;
    ALTER TABLE jobs ADD COLUMN operation TEXT;
    """,
)

# The columns are the record's fields: one place to add one (with a migration).
_COLUMNS = frozenset(f.name for f in dataclasses.fields(JobRecord))


class JournalError(RuntimeError):
    """The journal cannot be opened or written (disk full, a newer schema, corruption)."""


class StateConflictError(RuntimeError):
    """A compare-and-set found the row in another state: someone else moved it first."""


def _encode(name: str, value: Any) -> Any:
    if name == "request":
        return json.dumps(value)
    if name == "outputs":
        return json.dumps([o.to_json() for o in value])
    if name == "favourite":
        return int(bool(value))
    return value


def _row_to_record(row: sqlite3.Row) -> JobRecord:
    """A record from a row; raises ValueError/TypeError/KeyError on a damaged one."""
    data = dict(row)
    data["request"] = json.loads(data["request"])
    if not isinstance(data["request"], dict):
        raise ValueError("the request is not a JSON object")
    data["outputs"] = tuple(Output.from_json(o) for o in json.loads(data["outputs"] or "[]"))
    data["favourite"] = bool(data["favourite"])
    return JobRecord(**data)


class Journal:
    """SQLite-backed store of JobRecords. Thread-safe: the services call it from worker threads.

    ``damaged`` maps the local ids of rows that could not be read to why;
    ``report`` says what was repaired at open (empty when nothing was).
    """

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.images = ImageStore(path.parent / "images")
        self.backups = path.parent / "backups"
        self._clock = clock
        self._lock = threading.Lock()
        self.damaged: dict[int, str] = {}
        self.report = ""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._db = self._connect()
                self._check()
            except sqlite3.OperationalError:
                raise  # cannot open or locked: not damage, nothing to salvage
            except sqlite3.DatabaseError as exc:  # corrupt, or not a database at all
                if hasattr(self, "_db"):
                    self._db.close()
                self.report = self._salvage(str(exc))
                self._db = self._connect()
            self._migrate()
            self._backup_if_due()
        except (sqlite3.Error, OSError) as exc:
            raise JournalError(f"Cannot open the job journal at {path}: {exc}") from exc

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA busy_timeout=5000")
        return db

    def _check(self) -> None:
        """A quick integrity check; raises DatabaseError when the file is damaged."""
        problems = [r[0] for r in self._db.execute("PRAGMA quick_check").fetchall()]
        if problems != ["ok"]:
            raise sqlite3.DatabaseError("; ".join(problems[:3]))

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > len(MIGRATIONS):
            raise JournalError(
                f"The journal at {self.path} was written by a newer videostudio "
                f"(schema {version}); update the app."
            )
        if version and version < len(MIGRATIONS):
            self.backup(f"before-schema-{len(MIGRATIONS)}")
        for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for part in step if isinstance(step, tuple) else (step,):
                    if isinstance(part, str):
                        for statement in filter(str.strip, part.split(";")):
                            self._db.execute(statement)
                    else:
                        part(self._db, self.images)
                self._db.execute(f"PRAGMA user_version={number}")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- damage and backups ------------------------------------------------------------------

    def _salvage(self, why: str) -> str:
        """Keep the damaged file aside and copy every readable row into a fresh journal."""
        stamp = datetime.fromtimestamp(self._clock()).strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
        os.replace(self.path, aside)
        for suffix in ("-wal", "-shm"):
            extra = Path(f"{self.path}{suffix}")
            if extra.exists():
                os.replace(extra, Path(f"{aside}{suffix}"))
        rows, lost = _readable_rows(aside)
        fresh = self._connect()
        self._db = fresh
        self._migrate()
        if rows:
            columns = [c for c in rows[0] if c in _COLUMNS]
            fresh.execute("BEGIN IMMEDIATE")
            for row in rows:
                fresh.execute(
                    f"INSERT INTO jobs ({','.join(columns)}) "  # noqa: S608 (known columns)
                    f"VALUES ({','.join('?' * len(columns))})",
                    [row.get(c) for c in columns],
                )
            fresh.execute("COMMIT")
        fresh.close()
        report = (
            f"The job journal was damaged ({why}). {len(rows)} job(s) were recovered"
            + (f"; {lost} could not be read" if lost else "")
            + f". The damaged file is kept at {aside}; backups are in {self.backups}."
        )
        log.error("%s", report)
        return report

    def backup(self, reason: str = "daily") -> Path:
        """Copy the journal with SQLite's backup API (consistent while in use); keep the newest."""
        self.backups.mkdir(parents=True, exist_ok=True)
        stamp = datetime.fromtimestamp(self._clock()).strftime("%Y%m%d-%H%M%S")
        target = self.backups / f"journal-{stamp}-{reason}.sqlite3"
        with closing(sqlite3.connect(target)) as out:
            self._db.backup(out)
        for old in self.list_backups()[BACKUPS_KEPT:]:
            old.unlink(missing_ok=True)
        return target

    def list_backups(self) -> list[Path]:
        """Backups, newest first."""
        if not self.backups.is_dir():
            return []
        found = self.backups.glob("journal-*.sqlite3")
        return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)

    def _backup_if_due(self) -> None:
        newest = self.list_backups()[:1]
        has_jobs = self._db.execute("SELECT 1 FROM jobs LIMIT 1").fetchone() is not None
        if has_jobs and (not newest or self._clock() - newest[0].stat().st_mtime > BACKUP_EVERY_S):
            self.backup()

    def restore(self, backup: Path) -> Path:
        """Replace the journal's content with ``backup`` (checked first); returns a backup of
        what it replaced. Only for a folder no other process is driving."""
        with closing(sqlite3.connect(f"file:{backup}?mode=ro", uri=True)) as src:
            problems = [r[0] for r in src.execute("PRAGMA quick_check").fetchall()]
            if problems != ["ok"]:
                raise JournalError(f"{backup} is damaged too ({problems[0]}); choose another.")
            before = self.backup("before-restore")
            with self._lock:
                src.backup(self._db)
        self._migrate()
        return before

    # -- writes ------------------------------------------------------------------------------

    def add(
        self,
        request: dict[str, Any],
        *,
        state: str = QUEUED,
        estimate_usd: float | None = None,
        path: str | None = None,
        batch: str | None = None,
    ) -> JobRecord:
        """Write a new job before anything is sent; returns it with its local id."""
        return self.add_many(
            [request], state=state, estimates=[estimate_usd], paths=[path], batch=batch
        )[0]

    def add_many(
        self,
        requests: Iterable[dict[str, Any]],
        *,
        state: str = QUEUED,
        estimates: Iterable[float | None] | None = None,
        paths: Iterable[str | None] | None = None,
        batch: str | None = None,
        lineage: Iterable[tuple[int, str] | None] | None = None,
    ) -> list[JobRecord]:
        """Write several jobs in one transaction (a batch is journaled whole or not at all).

        Data-URL images go to the image store first; the rows keep references.
        ``lineage``: per job, the local id of the job it works on and the operation.
        """
        stored = self.images.externalize_many(requests)
        estimates = list(estimates) if estimates is not None else [None] * len(stored)
        paths = list(paths) if paths is not None else [None] * len(stored)
        sources = list(lineage) if lineage is not None else [None] * len(stored)
        now = self._clock()
        ids: list[int] = []
        with self._write() as db:
            for request, estimate, path, source in zip(
                stored, estimates, paths, sources, strict=True
            ):
                seed = request.get("seed")
                source_job, operation = source or (None, None)
                cur = db.execute(
                    "INSERT INTO jobs (state, model, prompt, request, estimate_usd, path, batch,"
                    " seed, source_job, operation, created_at, updated_at)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        state,
                        str(request.get("model", "")),
                        str(request.get("prompt") or ""),
                        json.dumps(request),
                        estimate,
                        path,
                        batch,
                        seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
                        source_job,
                        operation,
                        now,
                        now,
                    ),
                )
                ids.append(int(cur.lastrowid or 0))
        return [self.get(i) for i in ids]

    def update(
        self, local_id: int, *, expect: Collection[str] | None = None, **changes: Any
    ) -> JobRecord:
        """Change some fields of a job and return the new record.

        With ``expect``, only if the row is still in one of those states (compare-and-set);
        otherwise StateConflictError and nothing is written.
        """
        unknown = set(changes) - _COLUMNS
        if unknown or "local_id" in changes:
            raise ValueError(f"cannot update {sorted(unknown or {'local_id'})}")
        changes["updated_at"] = self._clock()
        assignments = ", ".join(f"{name}=?" for name in changes)
        values = [_encode(name, value) for name, value in changes.items()]
        where = "local_id=?"
        params: list[Any] = [*values, local_id]
        if expect is not None:
            wanted = list(expect)
            where += f" AND state IN ({','.join('?' * len(wanted))})"
            params += wanted
        with self._write() as db:
            cur = db.execute(
                f"UPDATE jobs SET {assignments} WHERE {where}",  # noqa: S608 (names checked above)
                params,
            )
            if cur.rowcount != 1:
                exists = db.execute("SELECT state FROM jobs WHERE local_id=?", (local_id,))
                row = exists.fetchone()
                if row is None:
                    raise KeyError(local_id)
                raise StateConflictError(
                    f"job {local_id} is {row[0]}, not {'/'.join(expect or ())}"
                )
        return self.get(local_id)

    def recover_interrupted(self) -> list[JobRecord]:
        """After a crash: a job caught mid-submit may exist on the server; never resend it.

        Only the process that owns the data folder calls this. Returns the jobs
        turned to "unknown".
        """
        recovered = []
        for record in self.find(states=[SUBMITTING]):
            try:
                recovered.append(
                    self.update(
                        record.local_id,
                        expect=[SUBMITTING],
                        state=UNKNOWN,
                        error="The app stopped while submitting; "
                        "the job may have been created and billed.",
                    )
                )
            except StateConflictError:
                continue
        return recovered

    def set_setting(self, key: str, value: Any) -> None:
        """A setting shared by the window and the CLI (JSON value; None removes it)."""
        with self._write() as db:
            if value is None:
                db.execute("DELETE FROM settings WHERE key=?", (key,))
            else:
                db.execute(
                    "INSERT INTO settings (key, value) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                    (key, json.dumps(value)),
                )

    # -- reads -------------------------------------------------------------------------------

    def setting(self, key: str, default: Any = None) -> Any:
        with self._lock:
            row = self._db.execute("SELECT value FROM settings WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row is not None else default

    def get(self, local_id: int) -> JobRecord:
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE local_id=?", (local_id,)).fetchone()
        if row is None:
            raise KeyError(local_id)
        return _row_to_record(row)

    def find_job_id(self, job_id: str) -> JobRecord | None:
        """The row that already holds a server job id, if any."""
        with self._lock:
            row = self._db.execute("SELECT local_id FROM jobs WHERE job_id=?", (job_id,)).fetchone()
        return self.get(int(row[0])) if row is not None else None

    def find(
        self, *, states: Iterable[str] | None = None, limit: int | None = None
    ) -> list[JobRecord]:
        """Readable jobs in creation order, optionally only those in ``states``.

        A row that cannot be read is left in place, skipped and noted in ``damaged``,
        so one bad row never hides the others.
        """
        sql = "SELECT * FROM jobs"
        params: list[Any] = []
        if states is not None:
            wanted = list(states)
            sql += f" WHERE state IN ({','.join('?' * len(wanted))})"
            params += wanted
        sql += " ORDER BY local_id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return self.select(sql, params)

    def select(self, sql: str, params: list[Any]) -> list[JobRecord]:
        """Records for a SELECT over jobs (the library builds its queries on this)."""
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        records = []
        for row in rows:
            try:
                records.append(_row_to_record(row))
            except (ValueError, TypeError, KeyError) as exc:
                if row["local_id"] not in self.damaged:
                    log.error("job %s cannot be read: %s", row["local_id"], exc)
                self.damaged[int(row["local_id"])] = f"{type(exc).__name__}: {exc}"
        return records

    def scalar(self, sql: str, params: list[Any]) -> Any:
        with self._lock:
            return self._db.execute(sql, params).fetchone()[0]

    def select_values(self, sql: str) -> list[Any]:
        with self._lock:
            return [r[0] for r in self._db.execute(sql).fetchall()]

    def states(self) -> dict[int, str]:
        """Every job's state by local id (cheap: no row is decoded)."""
        with self._lock:
            rows = self._db.execute("SELECT local_id, state FROM jobs").fetchall()
        return {int(local_id): str(state) for local_id, state in rows}

    def unfinished(self) -> list[JobRecord]:
        """Jobs that still need work: to send, to poll, to download or to save."""
        return self.find(states=[QUEUED, NOT_SAVED, *sorted(WATCHED_STATES)])

    def damage_report(self) -> str:
        """A sentence about rows set aside, or ""."""
        if not self.damaged:
            return ""
        ids = ", ".join(f"#{i}" for i in sorted(self.damaged))
        return (
            f"{len(self.damaged)} job(s) in the journal cannot be read and were set aside "
            f"({ids}); every other job goes on. Backups are in {self.backups}."
        )

    # -- plumbing ----------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One locked IMMEDIATE transaction; a failure rolls it back and says so."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise JournalError(f"Cannot write the job journal: {exc}") from exc


def _readable_rows(path: Path) -> tuple[list[dict[str, Any]], int]:
    """Every jobs row that can still be read from a damaged file, and how many could not."""
    rows: list[dict[str, Any]] = []
    lost = 0
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return rows, 0
    with closing(db):
        db.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in db.execute("SELECT * FROM jobs ORDER BY local_id")], 0
        except sqlite3.Error:
            pass
        try:
            top = int(db.execute("SELECT seq FROM sqlite_sequence WHERE name='jobs'").fetchone()[0])
        except (sqlite3.Error, TypeError):
            top = 100_000
        for local_id in range(1, top + 1):
            try:
                row = db.execute("SELECT * FROM jobs WHERE local_id=?", (local_id,)).fetchone()
            except sqlite3.Error:
                lost += 1
                continue
            if row is not None:
                rows.append(dict(row))
    return rows, lost
