"""Binary, durable file writes on every OS.

- ``O_BINARY`` exists on Windows only; without it every write there is in text mode
  (each ``\\n`` byte of a clip becomes ``\\r\\n``).
- A folder can be opened and fsynced on POSIX only (Windows refuses to open one); NTFS
  makes a rename durable with the file's own flush.
- On macOS ``fsync`` reaches the drive's cache, not its platter: ``F_FULLFSYNC`` does.
- ``O_NONBLOCK`` (so a FIFO cannot hang an open) exists on POSIX only; Windows has no
  FIFOs in its file system.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

BINARY = getattr(os, "O_BINARY", 0)
_NO_WAIT = getattr(os, "O_NONBLOCK", 0)  # POSIX; Windows has no FIFO to wait on


def open_for_writing(path: Path, flags: int, mode: int = 0o644) -> int:
    """``os.open`` for binary data: ``flags`` plus O_BINARY where it exists."""
    return os.open(path, flags | BINARY, mode)


def open_without_waiting(path: str | os.PathLike[str]) -> int:
    """A binary read-only descriptor that a FIFO or device cannot block on opening."""
    return os.open(path, os.O_RDONLY | BINARY | _NO_WAIT)


def durable_fsync(fd: int) -> None:
    """Make ``fd``'s data reach the disk (F_FULLFSYNC on macOS, else fsync)."""
    if sys.platform == "darwin":
        _full_fsync(fd)
    else:
        os.fsync(fd)


def _full_fsync(fd: int) -> None:
    import fcntl  # POSIX only; this branch runs on macOS

    try:
        fcntl.fcntl(fd, fcntl.F_FULLFSYNC)  # type: ignore[attr-defined, unused-ignore]
    except OSError:  # a file system without it (some network shares): the best there is
        os.fsync(fd)


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable where folders can be synced (not on Windows)."""
    if sys.platform == "win32":
        return  # a folder cannot be opened; the file's own flush covers the rename on NTFS
    fd = os.open(folder, os.O_RDONLY)
    try:
        durable_fsync(fd)
    finally:
        os.close(fd)


def write_at(fd: int, data: bytes, offset: int) -> None:
    """Write ``data`` at ``offset`` (os.pwrite is POSIX only; this descriptor is not shared)."""
    os.lseek(fd, offset, os.SEEK_SET)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def make_private(fd: int) -> None:
    """Readable and writable by its owner only (POSIX modes; a Windows profile's files are
    the user's by its ACL)."""
    if sys.platform != "win32":
        os.fchmod(fd, stat.S_IRUSR | stat.S_IWUSR)


def owned_by_me(path: Path) -> bool:
    """True when ``path`` belongs to this user (on Windows, a profile folder is the user's)."""
    if sys.platform == "win32":
        return True
    return path.stat().st_uid == os.getuid()


def sqlite_durability() -> tuple[str, ...]:
    """The PRAGMAs that make a committed SQLite transaction durable on this OS."""
    if sys.platform == "darwin":  # synchronous=FULL fsyncs, which macOS keeps in cache
        return ("PRAGMA synchronous=FULL", "PRAGMA fullfsync=ON", "PRAGMA checkpoint_fullfsync=ON")
    return ("PRAGMA synchronous=FULL",)
