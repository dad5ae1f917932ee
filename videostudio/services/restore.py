"""Restoring the job journal from a backup: only what this app could have written.

A backup file is outside input: it may be missing, damaged, of a newer schema, or
built to harm (triggers that plant jobs, a view in a table's place, rows pointing
at the user's own files). It is copied aside and checked whole before the live
journal is touched: its schema must be exactly one that ``MIGRATIONS`` build (tables
and indexes, nothing else) and ``PRAGMA integrity_check`` must pass. Its rows are
then copied, table by table and column by column, into a fresh journal brought to
today's schema, whose content replaces the live one's. Restored rows are history:
marked ``restored``, nothing is sent, polled or downloaded for them until the user
releases them, and a path outside the clips folder is dropped from them.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import sqlite3
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from videostudio.services.images import ImageStore
from videostudio.services.journal import MIGRATIONS, Journal, JournalError, apply_migrations

SQLITE_HEADER = b"SQLite format 3\x00"

# (type, name, table, SQL with whitespace collapsed) of each sqlite_master entry
Schema = frozenset[tuple[str, str, str, str | None]]


class RestoreRefusedError(JournalError):
    """The backup was not restored; the message says why and where the journal was kept."""


@dataclass(frozen=True)
class Restored:
    before: Path  # the backup of the journal as it was
    jobs: int
    dropped_paths: int  # rows whose path outside the clips folder was dropped


def _schema(db: sqlite3.Connection) -> Schema:
    rows = db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    return frozenset(
        (str(t), str(n), str(tbl), " ".join(str(sql).split()) if sql is not None else None)
        for t, n, tbl, sql in rows
    )


@functools.cache
def known_schema(version: int) -> tuple[Schema, tuple[tuple[str, tuple[str, ...]], ...]]:
    """The schema MIGRATIONS build up to ``version``, and each table's columns."""
    with tempfile.TemporaryDirectory() as tmp, closing(sqlite3.connect(":memory:")) as db:
        db.isolation_level = None
        apply_migrations(db, ImageStore(Path(tmp)), 0, version)
        schema = _schema(db)
        tables = sorted(n for t, n, _, _ in schema if t == "table" and not n.startswith("sqlite_"))
        columns = tuple(
            (name, tuple(str(c[1]) for c in db.execute(f'PRAGMA table_info("{name}")')))
            for name in tables
        )
    return schema, columns


def _describe(entries: Schema) -> str:
    return ", ".join(sorted(f"{t} {n}" for t, n, _, _ in entries)[:5])


def _checked_version(copy: Path, shown: Path) -> int:
    """The schema version of a backup copy, once it proved to be one this app writes."""
    with closing(sqlite3.connect(f"{copy.as_uri()}?mode=ro", uri=True)) as db:
        db.execute("PRAGMA trusted_schema=OFF")
        try:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            schema = _schema(db)
        except sqlite3.DatabaseError as exc:
            raise RestoreRefusedError(f"{shown} is damaged or not a journal ({exc}).") from None
        if version > len(MIGRATIONS):
            raise RestoreRefusedError(
                f"{shown} was written by a newer videostudio (schema {version}; this one "
                f"knows schemas 1 to {len(MIGRATIONS)}). Update the app to restore it."
            )
        if version < 1:
            raise RestoreRefusedError(f"{shown} is an SQLite file but no videostudio journal.")
        expected, _ = known_schema(version)
        if schema != expected:
            extra, missing = schema - expected, expected - schema
            what = [f"holds what this app never writes ({_describe(extra)})"] if extra else []
            what += [f"lacks or changes {_describe(missing)}"] if missing else []
            raise RestoreRefusedError(
                f"{shown} is not a journal this app wrote: it {' and '.join(what)}."
            )
        try:
            problems = [str(r[0]) for r in db.execute("PRAGMA integrity_check")]
        except sqlite3.DatabaseError as exc:
            problems = [str(exc)]
        if problems != ["ok"]:
            raise RestoreRefusedError(f"{shown} is damaged ({problems[0]}).")
    return version


def _copy_aside(backup: Path, folder: Path) -> Path:
    """A private copy of the backup (checked and read from there: it cannot change
    under the checks); raises RestoreRefusedError for what is no backup file at all."""
    try:
        if backup.is_dir():
            raise RestoreRefusedError(f"{backup} is a folder, not a journal backup.")
        if not backup.is_file():
            what = "does not exist" if not os.path.lexists(backup) else "is not a regular file"
            raise RestoreRefusedError(f"{backup} {what}.")
        with backup.open("rb") as src:
            if src.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                raise RestoreRefusedError(
                    f"{backup} is not a journal backup (it is not an SQLite database)."
                )
            src.seek(0)
            copy = folder / "backup.sqlite3"
            with copy.open("wb") as out:
                shutil.copyfileobj(src, out)
    except OSError as exc:
        raise RestoreRefusedError(f"{backup} cannot be read ({exc.strerror or exc}).") from None
    return copy


def _inside(path: object, folder: Path) -> bool:
    if not isinstance(path, str) or not os.path.isabs(path):
        return False
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(folder))


def _drop_outside_paths(db: sqlite3.Connection, clips_dir: Path) -> int:
    """Restored rows keep no path (nor saved output) outside the clips folder."""
    dropped = 0
    rows = db.execute("SELECT local_id, path, outputs, note FROM jobs").fetchall()
    for local_id, path, outputs, note in rows:
        try:
            listed = json.loads(outputs or "[]")
            kept = [o for o in listed if _inside(o.get("path"), clips_dir)]
        except (ValueError, TypeError, AttributeError):
            continue  # a damaged row is set aside when read; it is never driven
        outside = path is not None and not _inside(path, clips_dir)
        if not outside and len(kept) == len(listed):
            continue
        dropped += 1
        words = "Restored from a backup: its file path outside the clips folder was dropped."
        db.execute(
            "UPDATE jobs SET path=?, outputs=?, note=? WHERE local_id=?",
            (
                None if outside else path,
                json.dumps(kept),
                f"{note} {words}" if note else words,
                local_id,
            ),
        )
    return dropped


def restore(journal: Journal, backup: Path, clips_dir: Path) -> Restored:
    """Replace the journal's content with the rows of ``backup`` (checked first); only for
    a folder no other process drives. Raises RestoreRefusedError (nothing replaced)."""
    try:
        before = journal.backup("before-restore", prune=False)
    except (sqlite3.Error, OSError) as exc:
        raise RestoreRefusedError(
            f"Not restored: the journal could not be backed up first ({exc}); nothing changed."
        ) from None
    kept = f"The journal was not changed; as it was, it is also kept at {before}."
    with tempfile.TemporaryDirectory(dir=journal.path.parent, prefix=".restore-") as tmp:
        try:
            copy = _copy_aside(backup, Path(tmp))
            version = _checked_version(copy, backup)
        except RestoreRefusedError as exc:
            raise RestoreRefusedError(f"Not restored: {exc} {kept}") from None
        try:
            with closing(_fresh(Path(tmp), copy, version, journal.images, backup)) as fresh:
                dropped = _drop_outside_paths(fresh, clips_dir)
                fresh.execute("UPDATE jobs SET restored=1")
                jobs = int(fresh.execute("SELECT count(*) FROM jobs").fetchone()[0])
                journal.replace_content(fresh)
        except RestoreRefusedError as exc:
            raise RestoreRefusedError(f"Not restored: {exc} {kept}") from None
        except (sqlite3.Error, OSError) as exc:
            raise RestoreRefusedError(f"Not restored: {exc}. {kept}") from None
    return Restored(before, jobs, dropped)


def _fresh(
    folder: Path, copy: Path, version: int, images: ImageStore, shown: Path
) -> sqlite3.Connection:
    """A new journal at ``version`` holding the copy's rows (values of the declared types
    only), then migrated to today's."""
    fresh = sqlite3.connect(folder / "fresh.sqlite3", isolation_level=None, uri=True)
    apply_migrations(fresh, images, 0, version)
    _, tables = known_schema(version)
    fresh.execute("ATTACH DATABASE ? AS backup", (f"{copy.as_uri()}?mode=ro",))
    fresh.execute("BEGIN IMMEDIATE")
    for table, columns in tables:
        names = ",".join(f'"{c}"' for c in columns)
        fresh.execute(
            f'INSERT INTO main."{table}" ({names}) SELECT {names} FROM backup."{table}"'  # noqa: S608 (names from our own schema)
        )
    fresh.execute("COMMIT")
    fresh.execute("DETACH DATABASE backup")
    try:
        _check_values(fresh, tables, shown)
    except RestoreRefusedError:
        fresh.close()
        raise
    apply_migrations(fresh, images, version, len(MIGRATIONS))
    return fresh


# What each declared column type may hold once SQLite applied its affinity on insert.
_TYPES = {
    "TEXT": ("text", "null"),
    "INTEGER": ("integer", "null"),
    "REAL": ("real", "integer", "null"),
}


def _check_values(
    db: sqlite3.Connection, tables: tuple[tuple[str, tuple[str, ...]], ...], shown: Path
) -> None:
    """Refuse values this app never writes: of another type than their column's, and
    settings that are not JSON (a damaged budget must not read as no budget)."""
    for table, _ in tables:
        for column in db.execute(f'PRAGMA table_info("{table}")'):
            name, declared = str(column[1]), str(column[2]).upper()
            allowed = _TYPES.get(declared)
            if allowed is None:
                continue
            marks = ",".join("?" * len(allowed))
            bad = db.execute(
                f'SELECT count(*) FROM "{table}" WHERE typeof("{name}") NOT IN ({marks})',  # noqa: S608 (names from our own schema)
                allowed,
            ).fetchone()[0]
            if bad:
                raise RestoreRefusedError(
                    f"{shown} is not a journal this app wrote: {bad} value(s) of {table}.{name} "
                    "are of the wrong type."
                )
    if any(table == "settings" for table, _ in tables):
        bad = db.execute("SELECT count(*) FROM settings WHERE NOT json_valid(value)").fetchone()
        if bad[0]:
            raise RestoreRefusedError(
                f"{shown} is not a journal this app wrote: {bad[0]} setting(s) are not JSON."
            )
