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
import itertools
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import AbstractContextManager, closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from videostudio.core.jobs import (
    NOT_SAVED,
    QUEUED,
    STOPPED,
    SUBMITTING,
    UNKNOWN,
    WATCHED_STATES,
    JobRecord,
    Output,
)
from videostudio.core.library import text_matches
from videostudio.core.spend import Charge, Spend, spend_of
from videostudio.platform import files
from videostudio.services.images import ImageStore
from videostudio.services.private import private_dir, private_file, tighten

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
    # A restored row is history until the user releases it; a retried row points at its
    # replacement; a job the user sent past a budget cap, that once (issue 15).
    """
    ALTER TABLE jobs ADD COLUMN restored INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE jobs ADD COLUMN retried_as INTEGER;
    ALTER TABLE jobs ADD COLUMN over_budget INTEGER NOT NULL DEFAULT 0;
    """,
    # named presets of the compose settings, and the prompt assistant's paid calls (issue 20)
    """
    CREATE TABLE presets (
        name       TEXT PRIMARY KEY COLLATE NOCASE,
        settings   TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE assistant_calls (
        id                INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at        REAL NOT NULL,
        model             TEXT NOT NULL,
        video_model       TEXT,
        outcome           TEXT NOT NULL,
        cost_usd          REAL,
        prompt_tokens     INTEGER,
        completion_tokens INTEGER
    );
    CREATE INDEX assistant_calls_created ON assistant_calls(created_at);
    """,
    # storyboards and their ordered shots (issue 19)
    """
    CREATE TABLE storyboards (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        name        TEXT NOT NULL UNIQUE,
        created_at  REAL NOT NULL,
        updated_at  REAL NOT NULL
    );
    CREATE TABLE storyboard_shots (
        storyboard  INTEGER NOT NULL REFERENCES storyboards(id),
        position    INTEGER NOT NULL,
        clip        INTEGER REFERENCES jobs(local_id),
        prompt      TEXT NOT NULL DEFAULT '',
        trim_in     REAL NOT NULL DEFAULT 0,
        trim_out    REAL,
        continues   INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (storyboard, position)
    );
    """,
    # lineage: the local job a result was made from, and how (extend, edit, upscale) (issue 18)
    """
    ALTER TABLE jobs ADD COLUMN source_job INTEGER;
    ALTER TABLE jobs ADD COLUMN operation TEXT;
    """,
)

# The columns are the record's fields: one place to add one (with a migration).
_COLUMNS = frozenset(f.name for f in dataclasses.fields(JobRecord))
_FLAGS = frozenset(f.name for f in dataclasses.fields(JobRecord) if f.type == "bool")


def apply_migrations(db: sqlite3.Connection, images: ImageStore, start: int, stop: int) -> None:
    """Take ``db`` (autocommit) from schema ``start`` to ``stop``, one transaction a step."""
    for number, step in enumerate(MIGRATIONS[start:stop], start=start + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            for part in step if isinstance(step, tuple) else (step,):
                if isinstance(part, str):
                    for statement in filter(str.strip, part.split(";")):
                        db.execute(statement)
                else:
                    part(db, images)
            db.execute(f"PRAGMA user_version={number}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")


class JournalError(RuntimeError):
    """The journal cannot be opened or written (disk full, a newer schema, corruption)."""


class AlreadyRetriedError(ValueError):
    """The job was sent again already; another new job needs the user's yes."""

    def __init__(self, local_id: int, retried_as: int) -> None:
        super().__init__(
            f"Job {local_id} was already sent again as job {retried_as}. Send another?"
        )
        self.local_id = local_id
        self.retried_as = retried_as


class StateConflictError(RuntimeError):
    """A compare-and-set found the row in another state: someone else moved it first."""


def _encode(name: str, value: Any) -> Any:
    if name == "request":
        return json.dumps(value)
    if name == "outputs":
        return json.dumps([o.to_json() for o in value])
    if name in _FLAGS:
        return int(bool(value))
    return value


def _row_to_record(row: sqlite3.Row) -> JobRecord:
    """A record from a row; raises ValueError/TypeError/KeyError on a damaged one."""
    data = dict(row)
    data["request"] = json.loads(data["request"])
    if not isinstance(data["request"], dict):
        raise ValueError("the request is not a JSON object")
    data["outputs"] = tuple(Output.from_json(o) for o in json.loads(data["outputs"] or "[]"))
    for name in _FLAGS:
        data[name] = bool(data[name])
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
            private_dir(path.parent)
            private_file(path)  # before SQLite makes it (0644); -wal and -shm take its mode
            for beside in ("-wal", "-shm"):
                tighten(path.with_name(path.name + beside))
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
        db.create_function("text_matches", 4, text_matches, deterministic=True)  # the search
        db.execute("PRAGMA journal_mode=WAL")
        for pragma in files.sqlite_durability():  # fullfsync on macOS
            db.execute(pragma)
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
        apply_migrations(self._db, self.images, version, len(MIGRATIONS))

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

    def backup(self, reason: str = "daily", *, prune: bool = True) -> Path:
        """Copy the journal with SQLite's backup API (consistent while in use); keep the
        newest (``prune=False`` keeps every one: a restore may be reading an old one)."""
        private_dir(self.backups)
        stamp = datetime.fromtimestamp(self._clock()).strftime("%Y%m%d-%H%M%S")
        target = self.backups / f"journal-{stamp}-{reason}.sqlite3"
        for number in itertools.count(2):  # two in one second: never one over the other
            if not target.exists():
                break
            target = self.backups / f"journal-{stamp}-{reason}-{number}.sqlite3"
        private_file(target)
        with closing(sqlite3.connect(target)) as out:
            self._db.backup(out)
        for old in self.list_backups()[BACKUPS_KEPT:] if prune else ():
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

    def replace_content(self, fresh: sqlite3.Connection) -> None:
        """Make the journal hold exactly what ``fresh`` holds (one step of the backup API,
        so readers see the old content or the new, never a mix). See services/restore.py."""
        with self._lock:
            fresh.backup(self._db)
        self.damaged.clear()

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
        over_budget: bool = False,
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
        with self._write() as db:
            ids = [
                _insert(db, request, state, estimate, path, batch, over_budget, now, source)
                for request, estimate, path, source in zip(
                    stored, estimates, paths, sources, strict=True
                )
            ]
        return [self.get(i) for i in ids]

    def add_retry(
        self, local_id: int, request: dict[str, Any], *, again: bool, over_budget: bool = False
    ) -> tuple[JobRecord, JobRecord]:
        """Journal job ``local_id`` sent again as a new job, and point the old row at it, in
        one transaction; returns (old, new). A row already sent again is only sent again
        with ``again`` (AlreadyRetriedError otherwise). A row of unknown outcome is stopped."""
        (stored,) = self.images.externalize_many([request])
        now = self._clock()
        with self._write() as db:
            row = db.execute(
                "SELECT state, retried_as, estimate_usd, batch, source_job, operation FROM jobs"
                " WHERE local_id=?",
                (local_id,),
            ).fetchone()
            if row is None:
                raise KeyError(local_id)
            if row["retried_as"] is not None and not again:
                raise AlreadyRetriedError(local_id, int(row["retried_as"]))
            source = (row["source_job"], row["operation"]) if row["operation"] else None
            new = _insert(
                db,
                stored,
                QUEUED,
                row["estimate_usd"],
                None,
                row["batch"],
                over_budget,
                now,
                source,
            )
            changes: dict[str, Any] = {"retried_as": new, "updated_at": now}
            if row["state"] == UNKNOWN:
                changes |= {"state": STOPPED, "error": f"Submitted again as job #{new}."}
            db.execute(
                f"UPDATE jobs SET {', '.join(f'{k}=?' for k in changes)} WHERE local_id=?",  # noqa: S608 (our names)
                [*changes.values(), local_id],
            )
        return self.get(local_id), self.get(new)

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

    def release_restored(self, local_ids: Collection[int] | None = None) -> list[int]:
        """The user's word that restored rows (all, or these) may be driven again."""
        where = "restored=1"
        params: list[Any] = []
        if local_ids is not None:
            wanted = list(local_ids)
            where += f" AND local_id IN ({','.join('?' * len(wanted))})"
            params += wanted
        with self._write() as db:
            found = db.execute(f"SELECT local_id FROM jobs WHERE {where}", params)  # noqa: S608 (placeholders only)
            ids = [int(r[0]) for r in found]
            db.execute(
                f"UPDATE jobs SET restored=0, updated_at=? WHERE {where}",  # noqa: S608 (placeholders only)
                [self._clock(), *params],
            )
        return ids

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

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        """Rows of any table beside the jobs (the storyboards read theirs with it)."""
        with self._lock:
            return list(self._db.execute(sql, list(params)).fetchall())

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """One locked write transaction, for the stores that live beside the jobs."""
        return self._write()

    def select_values(self, sql: str) -> list[Any]:
        with self._lock:
            return [r[0] for r in self._db.execute(sql).fetchall()]

    def states(self) -> dict[int, str]:
        """Every job's state by local id (cheap: no row is decoded)."""
        with self._lock:
            rows = self._db.execute("SELECT local_id, state FROM jobs").fetchall()
        return {int(local_id): str(state) for local_id, state in rows}

    def unfinished(self) -> list[JobRecord]:
        """Jobs that still need work: to send, to poll, to download or to save (not
        restored ones: those wait for the user's word)."""
        return [
            r
            for r in self.find(states=[QUEUED, NOT_SAVED, *sorted(WATCHED_STATES)])
            if not r.restored
        ]

    def held_restored(self) -> list[JobRecord]:
        """Restored jobs that would need work once the user releases them."""
        return [
            r for r in self.find(states=[QUEUED, NOT_SAVED, *sorted(WATCHED_STATES)]) if r.restored
        ]

    def damage_report(self) -> str:
        """A sentence about rows set aside, or ""."""
        if not self.damaged:
            return ""
        ids = ", ".join(f"#{i}" for i in sorted(self.damaged))
        return (
            f"{len(self.damaged)} job(s) in the journal cannot be read and were set aside "
            f"({ids}); every other job goes on. Backups are in {self.backups}."
        )

    # -- prompts, presets and the assistant's paid calls ---------------------------------------

    def prompts(self, search: str = "", limit: int = 500) -> list[str]:
        """Every prompt sent, newest first, each once; only those containing ``search``."""
        with self._lock:
            rows = self._db.execute(
                "SELECT prompt FROM jobs WHERE prompt <> '' AND instr(lower(prompt), lower(?)) > 0"
                " GROUP BY prompt ORDER BY MAX(local_id) DESC LIMIT ?",
                (search, limit),
            ).fetchall()
        return [str(r[0]) for r in rows]

    def add_assistant_call(
        self,
        *,
        model: str,
        video_model: str | None,
        outcome: str,
        cost_usd: float | None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
    ) -> None:
        """Record one answer of the prompt assistant (paid: it counts in spend and caps)."""
        with self._write() as db:
            db.execute(
                "INSERT INTO assistant_calls (created_at, model, video_model, outcome, cost_usd,"
                " prompt_tokens, completion_tokens) VALUES (?,?,?,?,?,?,?)",
                (
                    self._clock(),
                    model,
                    video_model,
                    outcome,
                    cost_usd,
                    prompt_tokens,
                    completion_tokens,
                ),
            )

    def charges(self) -> list[Charge]:
        """The assistant's calls with a reported cost, as spend counts them."""
        with self._lock:
            rows = self._db.execute(
                "SELECT created_at, model, cost_usd FROM assistant_calls"
                " WHERE cost_usd IS NOT NULL ORDER BY id"
            ).fetchall()
        return [Charge(float(r[0]), str(r[1]), float(r[2])) for r in rows]

    def spend(self, now: datetime) -> Spend:
        """What this folder has spent: its jobs and its assistant's answers."""
        return spend_of(self.find(), now, self.charges())

    def presets(self) -> dict[str, dict[str, Any]]:
        """Every preset's settings by name, in name order (a damaged one is left out)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT name, settings FROM presets ORDER BY name COLLATE NOCASE"
            ).fetchall()
        found = {}
        for name, text in rows:
            try:
                found[str(name)] = dict(json.loads(text))
            except (ValueError, TypeError):
                log.error("preset %r cannot be read", name)
        return found

    def save_preset(self, name: str, settings: dict[str, Any]) -> None:
        """Create or replace the preset ``name`` (names are compared without case)."""
        now = self._clock()
        with self._write() as db:
            db.execute(
                "INSERT INTO presets (name, settings, created_at, updated_at) VALUES (?,?,?,?)"
                " ON CONFLICT(name) DO UPDATE SET name=excluded.name,"
                " settings=excluded.settings, updated_at=excluded.updated_at",
                (name, json.dumps(settings), now, now),
            )

    def rename_preset(self, old: str, new: str) -> bool:
        """False when ``old`` does not exist or another preset is called ``new``."""
        with self._write() as db:
            taken = db.execute(
                "SELECT 1 FROM presets WHERE name=? AND name<>? COLLATE NOCASE", (new, old)
            ).fetchone()
            if taken:
                return False
            cur = db.execute(
                "UPDATE presets SET name=?, updated_at=? WHERE name=?", (new, self._clock(), old)
            )
            return cur.rowcount == 1

    def delete_preset(self, name: str) -> bool:
        with self._write() as db:
            return db.execute("DELETE FROM presets WHERE name=?", (name,)).rowcount == 1

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


def _insert(
    db: sqlite3.Connection,
    request: dict[str, Any],
    state: str,
    estimate: float | None,
    path: str | None,
    batch: str | None,
    over_budget: bool,
    now: float,
    source: tuple[int, str] | None = None,
) -> int:
    """One new row; returns its local id. ``source``: the job it was made from, and how."""
    seed = request.get("seed")
    source_job, operation = source or (None, None)
    cur = db.execute(
        "INSERT INTO jobs (state, model, prompt, request, estimate_usd, path, batch, seed,"
        " over_budget, source_job, operation, created_at, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            state,
            str(request.get("model", "")),
            str(request.get("prompt") or ""),
            json.dumps(request),
            estimate,
            path,
            batch,
            seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
            int(over_budget),
            source_job,
            operation,
            now,
            now,
        ),
    )
    return int(cur.lastrowid or 0)


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
