"""Moving clips to the system trash, and back (Undo).

QFile.moveToTrash follows the freedesktop trash spec on Linux (Trash/files and a
Trash/info/<name>.trashinfo record); undoing moves each file back and removes its
record, so the trash does not list a file that is no longer in it. Blocking file
work: the view-model runs these in a worker thread.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QFile, QStandardPaths

Receipt = list[tuple[Path, Path]]  # (where the file was, where the trash put it)


def move_to_trash(paths: list[Path]) -> Receipt:
    """Trash every file; on a failure, the ones already trashed come back and OSError says why."""
    moved: Receipt = []
    # Qt makes the Trash folder but not a missing data folder above it (a fresh account).
    data = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    if data:
        Path(data).mkdir(parents=True, exist_ok=True)
    for path in paths:
        file = QFile(str(path))
        if not file.moveToTrash():  # on success the file's name is its place in the trash
            restore_from_trash(moved)
            raise OSError(f"{path.name} could not be moved to the trash (no trash on its disk?).")
        moved.append((path, Path(file.fileName())))
    return moved


def restore_from_trash(receipt: Receipt) -> None:
    """Put trashed files back where they were, and drop their trash records."""
    for original, trashed in receipt:
        os.replace(trashed, original)
        info = trashed.parent.parent / "info" / f"{trashed.name}.trashinfo"
        info.unlink(missing_ok=True)
