"""The job journal: every job, from before its submit to its saved file, in SQLite.

It is the single source of truth for the queue panel and the CLI. A job is
written (state "queued"/"submitting") before its POST is sent, so a crash can
never forget a job that may have been billed. WAL keeps readers (another
process running ``videostudio jobs``) from blocking the writer; synchronous=FULL
makes each state change durable before the next network step.

The schema is versioned with PRAGMA user_version; MIGRATIONS only grow.
Nothing secret is stored: the request body carries no key, errors carry
the server's words.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from videostudio.core.jobs import QUEUED, SUBMITTING, UNKNOWN, WATCHED_STATES, JobRecord

MIGRATIONS: tuple[str, ...] = (
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
)

# The columns are the record's fields: one place to add one (with a migration).
_COLUMNS = frozenset(f.name for f in dataclasses.fields(JobRecord))


class JournalError(RuntimeError):
    """The journal cannot be opened or written (disk full, a newer schema, corruption)."""


def _row_to_record(row: sqlite3.Row) -> JobRecord:
    data = dict(row)
    data["request"] = json.loads(data["request"])
    return JobRecord(**data)


class Journal:
    """SQLite-backed store of JobRecords. Thread-safe: the services call it from a worker thread."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise JournalError(f"Cannot open the job journal at {path}: {exc}") from exc

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > len(MIGRATIONS):
            raise JournalError(
                f"The journal at {self.path} was written by a newer videostudio "
                f"(schema {version}); update the app."
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            self._db.executescript(f"BEGIN; {script}; PRAGMA user_version={number}; COMMIT;")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- writes ----------------------------------------------------------------------------

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
    ) -> list[JobRecord]:
        """Write several jobs in one transaction (a batch is journaled whole or not at all)."""
        requests = list(requests)
        estimates = list(estimates) if estimates is not None else [None] * len(requests)
        paths = list(paths) if paths is not None else [None] * len(requests)
        now = self._clock()
        ids: list[int] = []
        with self._write() as db:
            for request, estimate, path in zip(requests, estimates, paths, strict=True):
                cur = db.execute(
                    "INSERT INTO jobs (state, model, prompt, request, estimate_usd, path, batch,"
                    " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        state,
                        str(request.get("model", "")),
                        str(request.get("prompt") or ""),
                        json.dumps(request),
                        estimate,
                        path,
                        batch,
                        now,
                        now,
                    ),
                )
                ids.append(int(cur.lastrowid or 0))
        return [self.get(i) for i in ids]

    def update(self, local_id: int, **changes: Any) -> JobRecord:
        """Change some fields of a job and return the new record."""
        unknown = set(changes) - _COLUMNS
        if unknown or "local_id" in changes:
            raise ValueError(f"cannot update {sorted(unknown or {'local_id'})}")
        changes["updated_at"] = self._clock()
        if "request" in changes:
            changes["request"] = json.dumps(changes["request"])
        assignments = ", ".join(f"{name}=?" for name in changes)
        with self._write() as db:
            cur = db.execute(
                f"UPDATE jobs SET {assignments} WHERE local_id=?",  # noqa: S608 (names checked above)
                (*changes.values(), local_id),
            )
            if cur.rowcount != 1:
                raise KeyError(local_id)
        return self.get(local_id)

    def recover_interrupted(self) -> list[JobRecord]:
        """After a crash: a job caught mid-submit may exist on the server; never resend it.

        Returns the jobs turned to "unknown".
        """
        rows = self.find(states=[SUBMITTING])
        for record in rows:
            self.update(
                record.local_id,
                state=UNKNOWN,
                error="The app stopped while submitting; the job may have been created and billed.",
            )
        return [self.get(r.local_id) for r in rows]

    # -- reads -----------------------------------------------------------------------------

    def get(self, local_id: int) -> JobRecord:
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE local_id=?", (local_id,)).fetchone()
        if row is None:
            raise KeyError(local_id)
        return _row_to_record(row)

    def find(
        self, *, states: Iterable[str] | None = None, limit: int | None = None
    ) -> list[JobRecord]:
        """Jobs in creation order, optionally only those in ``states``."""
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
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [_row_to_record(r) for r in rows]

    def unfinished(self) -> list[JobRecord]:
        """Jobs that still need work: to send, to poll or to download."""
        return self.find(states=[QUEUED, *sorted(WATCHED_STATES)])

    # -- plumbing --------------------------------------------------------------------------

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
