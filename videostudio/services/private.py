"""Files and folders only their owner can open: what the app keeps holds every prompt.

The data and cache folders are 0700, the journal (and SQLite's -wal and -shm beside it,
which take its mode), the log, backups and sidecars 0600, whatever the umask. A folder an
older version made 0755 is tightened when it is used. (On Windows these modes only
decide read-only; the profile folder already keeps other users out.)
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Make ``path`` (and any missing parents, private too) and leave it open to its owner
    only."""
    new_dir(path)
    os.chmod(path, FOLDER_MODE)
    return path


def new_dir(path: Path) -> None:
    """Make ``path`` and its missing parents, each private (mkdir's own ``parents`` would
    make them with the umask's mode); a folder that exists, e.g. one the user chose,
    keeps its mode."""
    missing: list[Path] = []
    while not path.is_dir():
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for folder in reversed(missing):
        folder.mkdir(mode=FOLDER_MODE, exist_ok=True)


def private_file(path: Path) -> Path:
    """Create ``path`` if missing (empty) and leave it readable by its owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    os.close(fd)
    os.chmod(path, FILE_MODE)
    return path


def tighten(path: Path) -> None:
    """Make an existing file private (one an older version wrote 0644); no file, no change."""
    with contextlib.suppress(FileNotFoundError):
        os.chmod(path, FILE_MODE)
