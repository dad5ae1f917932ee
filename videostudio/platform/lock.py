"""An exclusive, non-blocking lock on an open file that the OS drops with its process.

Why not the ``filelock`` package: the lock file also says who holds it (pid, kind), and
another process must read that while it is held. On Windows ``msvcrt.locking`` locks
bytes so that nobody else can read them, and filelock locks the file's first byte; here
one byte far past the owner's text is locked instead. That is two calls per OS, no
dependency, and both locks (flock, LockFileEx) are released by the kernel when the
process dies, kill -9 included.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

_FAR = 1 << 30  # the byte locked on Windows: past any owner text, which stays readable


def try_lock(fd: int) -> bool:
    """Lock ``fd`` for this process if nobody holds it; never waits. Chosen by what the
    OS has: msvcrt (Windows), else fcntl (Linux, macOS)."""
    try:
        import msvcrt
    except ImportError:
        return _try_lock_posix(fd)
    return _try_lock_windows(msvcrt, fd)


def _try_lock_posix(fd: int) -> bool:
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _try_lock_windows(msvcrt: Any, fd: int) -> bool:
    os.lseek(fd, _FAR, os.SEEK_SET)
    try:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:  # held by another process (EACCES / EDEADLOCK)
        return False
    finally:
        os.lseek(fd, 0, os.SEEK_SET)
    return True


def name() -> str:
    """Which lock this OS gets (for ``--self-check``)."""
    return "msvcrt.locking (LockFileEx)" if _has("msvcrt") else "fcntl.flock"


def _has(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True
