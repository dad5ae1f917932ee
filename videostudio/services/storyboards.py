"""Storyboards in the journal: named, several per data folder, their shots in order.

Every change is one transaction of the journal (synchronous, WAL), so a storyboard
survives a restart or a crash as it was after the last gesture. A shot names a
library clip by its local id, or is a planned prompt. Turning a storyboard into
export shots checks each clip's file against the proof the journal recorded: a
clip whose file is gone or changed is named before anything is written.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from videostudio.core.jobs import SAVED, JobRecord
from videostudio.core.storyboard import Shot
from videostudio.services.clips import matches
from videostudio.services.export import ExportError, ExportResult, ExportShot, Progress, export
from videostudio.services.journal import Journal, JournalError

MAX_NAME = 80


class StoryboardError(ValueError):
    """A sentence for the user (a name taken, a storyboard that does not exist)."""


@dataclass(frozen=True)
class Storyboard:
    id: int
    name: str
    shots: tuple[Shot, ...] = ()
    created_at: float = 0.0
    updated_at: float = 0.0

    @property
    def planned(self) -> int:
        return sum(1 for s in self.shots if s.planned)


class Storyboards:
    """The storyboards of one journal. Thread-safe as the journal is."""

    def __init__(self, journal: Journal, clock: Callable[[], float] = time.time) -> None:
        self.journal = journal
        self._clock = clock

    # -- reads -------------------------------------------------------------------------------

    def all(self) -> list[Storyboard]:
        """Every storyboard, oldest first, with its shots."""
        boards = self.journal.rows("SELECT * FROM storyboards ORDER BY id")
        shots = self.journal.rows("SELECT * FROM storyboard_shots ORDER BY storyboard, position")
        by_board: dict[int, list[Shot]] = {}
        for row in shots:
            by_board.setdefault(int(row["storyboard"]), []).append(_shot(row))
        return [
            Storyboard(
                int(b["id"]),
                str(b["name"]),
                tuple(by_board.get(int(b["id"]), ())),
                float(b["created_at"]),
                float(b["updated_at"]),
            )
            for b in boards
        ]

    def get(self, board_id: int) -> Storyboard:
        for board in self.all():
            if board.id == board_id:
                return board
        raise StoryboardError(f"There is no storyboard {board_id}.")

    def find(self, name_or_id: str) -> Storyboard:
        """By name (exact, then case-insensitive) or by number."""
        boards = self.all()
        for match in (
            lambda b: b.name == name_or_id,
            lambda b: b.name.casefold() == name_or_id.casefold(),
            lambda b: str(b.id) == name_or_id.strip(),
        ):
            found = [b for b in boards if match(b)]
            if found:
                return found[0]
        names = ", ".join(f"{b.id}: {b.name}" for b in boards) or "none yet"
        raise StoryboardError(f"There is no storyboard {name_or_id!r} (storyboards: {names}).")

    # -- writes ------------------------------------------------------------------------------

    def create(self, name: str = "") -> Storyboard:
        """A new, empty storyboard; without a name it gets "Storyboard N"."""
        name = self._free_default() if not name.strip() else _clean(name)
        now = self._clock()
        with self.journal.transaction() as db:
            if db.execute("SELECT 1 FROM storyboards WHERE name=?", (name,)).fetchone():
                raise StoryboardError(f"A storyboard is already called {name!r}.")
            cur = db.execute(
                "INSERT INTO storyboards (name, created_at, updated_at) VALUES (?,?,?)",
                (name, now, now),
            )
        return self.get(int(cur.lastrowid or 0))

    def rename(self, board_id: int, name: str) -> Storyboard:
        name = _clean(name)
        with self.journal.transaction() as db:
            taken = db.execute(
                "SELECT 1 FROM storyboards WHERE name=? AND id<>?", (name, board_id)
            ).fetchone()
            if taken:
                raise StoryboardError(f"A storyboard is already called {name!r}.")
            db.execute(
                "UPDATE storyboards SET name=?, updated_at=? WHERE id=?",
                (name, self._clock(), board_id),
            )
        return self.get(board_id)

    def delete(self, board_id: int) -> None:
        with self.journal.transaction() as db:
            db.execute("DELETE FROM storyboard_shots WHERE storyboard=?", (board_id,))
            db.execute("DELETE FROM storyboards WHERE id=?", (board_id,))

    def set_shots(self, board_id: int, shots: Sequence[Shot]) -> Storyboard:
        """Replace the shots (reorder, remove, trim: each is one whole, atomic write)."""
        with self.journal.transaction() as db:
            if not db.execute("SELECT 1 FROM storyboards WHERE id=?", (board_id,)).fetchone():
                raise StoryboardError(f"There is no storyboard {board_id}.")
            db.execute("DELETE FROM storyboard_shots WHERE storyboard=?", (board_id,))
            db.executemany(
                "INSERT INTO storyboard_shots (storyboard, position, clip, prompt, trim_in,"
                " trim_out, continues) VALUES (?,?,?,?,?,?,?)",
                [
                    (board_id, i, s.clip, s.prompt, s.trim_in, s.trim_out, int(s.continues))
                    for i, s in enumerate(shots)
                ],
            )
            db.execute("UPDATE storyboards SET updated_at=? WHERE id=?", (self._clock(), board_id))
        return self.get(board_id)

    def add(self, board_id: int, *shots: Shot) -> Storyboard:
        return self.set_shots(board_id, [*self.get(board_id).shots, *shots])

    def _free_default(self) -> str:
        names = {b.name for b in self.all()}
        number = 1
        while f"Storyboard {number}" in names:
            number += 1
        return f"Storyboard {number}"


def _clean(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise StoryboardError("A storyboard needs a name.")
    if len(name) > MAX_NAME:
        raise StoryboardError(f"A storyboard's name has at most {MAX_NAME} characters.")
    return name


def _shot(row: Any) -> Shot:
    return Shot(
        clip=row["clip"],
        prompt=str(row["prompt"] or ""),
        trim_in=float(row["trim_in"] or 0.0),
        trim_out=row["trim_out"],
        continues=bool(row["continues"]),
    )


def clip_file(record: JobRecord) -> Path | None:
    """The saved file of a clip (its first output), if it has one."""
    if record.outputs:
        return Path(record.outputs[0].path)
    return Path(record.path) if record.path and record.state == SAVED else None


def export_shots(journal: Journal, shots: Sequence[Shot]) -> list[ExportShot]:
    """The files to export for ``shots``; ExportError naming the first that has none."""
    out = []
    for index, shot in enumerate(shots):
        name = f"Shot {index + 1}"
        if shot.clip is None:
            raise ExportError(f"{name} is a planned prompt, not generated yet: generate it first.")
        label = f"shot {index + 1} (job #{shot.clip})"
        try:
            record = journal.get(shot.clip)
        except (KeyError, JournalError, ValueError):
            raise ExportError(f"{label.capitalize()}: the job is not in the journal.") from None
        path = clip_file(record)
        if path is None or record.state != SAVED:
            raise ExportError(f"{label.capitalize()} has no saved clip (it is {record.label}).")
        if not path.is_file():
            raise ExportError(f"{label.capitalize()} cannot be exported: {path} is missing.")
        if record.outputs and not matches(path, record.outputs[0]):
            raise ExportError(
                f"{label.capitalize()} cannot be exported: {path} is damaged "
                "(it is not the file that was downloaded)."
            )
        out.append(
            ExportShot(
                path,
                shot.trim_in,
                shot.trim_out,
                label=label,
                meta={"clip": record.local_id, "job_id": record.job_id, "prompt": record.prompt},
            )
        )
    return out


def export_storyboard(
    journal: Journal,
    shots: Sequence[Shot],
    dest: Path,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    **options: Any,
) -> ExportResult:
    """Check the clips, then export them (blocking: call it on a worker thread)."""
    return export(
        export_shots(journal, shots), dest, on_progress=on_progress, cancel=cancel, **options
    )
