"""Loaded by every Python started with this folder on PYTHONPATH: hides what only Linux
has, as macOS and Windows lack it, so the app's code paths off Linux run here.

Hidden: the ``fcntl`` module and ``PySide6.QtDBus`` (ImportError), abstract Unix socket
names (EINVAL), ``os.O_NONBLOCK`` and ``os.pwrite``. The data folder's lock then takes
its Windows branch: the seam (videostudio.platform) alone is given an ``msvcrt`` whose
one call, ``locking`` (LockFileEx), is the real flock taken before fcntl was hidden (both
die with their process). Only the seam: the standard library takes an importable msvcrt
to mean Windows (subprocess would reach for _winapi).
"""

from __future__ import annotations

import errno
import fcntl as _fcntl
import getpass  # noqa: F401 (it and subprocess take an importable msvcrt to mean Windows)
import importlib.abc
import importlib.util
import os
import socket
import subprocess  # noqa: F401 (loaded before the seam's stand-in msvcrt exists)
import sys
import types

_HIDDEN = ("fcntl", "PySide6.QtDBus")


class _Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: object = None, target: object = None) -> object:
        if name in _HIDDEN:
            raise ModuleNotFoundError(f"No module named {name!r} (hidden: not on every OS)")
        if name == "msvcrt" and _importer().startswith("videostudio.platform"):
            return importlib.util.spec_from_loader("msvcrt", _StandIn())
        return None


class _StandIn(importlib.abc.Loader):
    def create_module(self, spec: object) -> types.ModuleType:
        return _msvcrt

    def exec_module(self, module: types.ModuleType) -> None:
        pass


def _importer() -> str:
    """The module whose import statement is running (past importlib's own frames)."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__", "").startswith(
        ("importlib", "_frozen_importlib")
    ):
        frame = frame.f_back  # type: ignore[assignment]
    return str(frame.f_globals.get("__name__", "")) if frame is not None else ""


sys.meta_path.insert(0, _Hide())
for _name in _HIDDEN:
    sys.modules.pop(_name, None)
del os.O_NONBLOCK, os.pwrite


def _locking(fd: int, mode: int, nbytes: int) -> None:
    try:
        _fcntl.flock(fd, _fcntl.LOCK_EX | _fcntl.LOCK_NB)
    except BlockingIOError:
        raise PermissionError(errno.EACCES, "Permission denied") from None


_msvcrt = types.ModuleType("msvcrt", "A stand-in: msvcrt.locking over flock.")
_msvcrt.LK_NBLCK = 2  # type: ignore[attr-defined]
_msvcrt.locking = _locking  # type: ignore[attr-defined]


def _refuse_abstract(method: str) -> None:
    real = getattr(socket.socket, method)

    def checked(self: socket.socket, address: object, *rest: object) -> object:
        if isinstance(address, str | bytes) and address[:1] in ("\0", b"\0"):
            raise OSError(errno.EINVAL, "abstract socket names exist on Linux only")
        return real(self, address, *rest)

    setattr(socket.socket, method, checked)


for _method in ("bind", "connect", "connect_ex"):
    _refuse_abstract(_method)
