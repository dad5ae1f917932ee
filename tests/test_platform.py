"""Each OS's branch of the platform seam, reached on Linux by faking ``sys.platform`` and
only the one system call that differs (the rest runs for real)."""

from __future__ import annotations

import fcntl
import os
import sys
import types
from pathlib import Path

import pytest

from videostudio.platform import files, lock, memory
from videostudio.services.journal import Journal


def test_darwin_syncs_a_finished_file_with_f_fullfsync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(fcntl, "F_FULLFSYNC", 51, raising=False)
    monkeypatch.setattr(fcntl, "fcntl", lambda fd, op: calls.append((fd, op)))
    fd = os.open(tmp_path / "clip.mp4", os.O_RDWR | os.O_CREAT)
    try:
        files.durable_fsync(fd)
    finally:
        os.close(fd)
    assert calls == [(fd, 51)]


def test_darwin_falls_back_to_fsync_where_f_fullfsync_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []

    def refuse(fd: int, op: int) -> None:
        raise OSError(45, "Operation not supported")

    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(fcntl, "F_FULLFSYNC", 51, raising=False)
    monkeypatch.setattr(fcntl, "fcntl", refuse)
    monkeypatch.setattr(os, "fsync", synced.append)
    fd = os.open(tmp_path / "clip.mp4", os.O_RDWR | os.O_CREAT)
    try:
        files.durable_fsync(fd)
    finally:
        os.close(fd)
    assert synced == [fd]


def test_windows_never_opens_a_folder_to_sync_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[object] = []
    real_open = os.open
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(os, "open", lambda *a, **k: opened.append(a) or real_open(*a, **k))
    files.fsync_folder(tmp_path)  # Windows: PermissionError if it tried; the clip is saved
    assert opened == []
    monkeypatch.setattr(sys, "platform", "linux")
    files.fsync_folder(tmp_path)
    assert [a[0] for a in opened] == [tmp_path]


def test_o_binary_is_added_where_the_os_has_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flags: list[int] = []
    real_open = os.open
    monkeypatch.setattr(files, "BINARY", 0x8000)  # Windows' O_BINARY

    def record(path: Path, f: int, mode: int = 0o777) -> int:
        flags.append(f)
        return real_open(path, f & ~0x8000, mode)

    monkeypatch.setattr(os, "open", record)
    os.close(files.open_for_writing(tmp_path / "a.part", os.O_RDWR | os.O_CREAT))
    os.close(files.open_without_waiting(tmp_path / "a.part"))
    assert all(f & 0x8000 for f in flags) and len(flags) == 2


def test_without_o_nonblock_an_image_file_still_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "_NO_WAIT", 0)  # Windows has no O_NONBLOCK (and no FIFOs)
    (tmp_path / "a.png").write_bytes(b"\x89PNG")
    fd = files.open_without_waiting(tmp_path / "a.png")
    try:
        assert os.read(fd, 4) == b"\x89PNG"
    finally:
        os.close(fd)


def test_write_at_writes_at_the_offset_without_pwrite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(os, "pwrite")
    fd = os.open(tmp_path / "lock", os.O_RDWR | os.O_CREAT)
    try:
        os.write(fd, b"xxxxxxxx")
        files.write_at(fd, b"ab", 3)
    finally:
        os.close(fd)
    assert (tmp_path / "lock").read_bytes() == b"xxxabxxx"


def test_the_journal_asks_sqlite_for_fullfsync_on_darwin_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def pragma(path: Path, name: str) -> int:
        journal = Journal(path)
        try:  # a pragma is per connection: ask the journal's own one
            return int(journal._db.execute(f"PRAGMA {name}").fetchone()[0])
        finally:
            journal.close()

    assert pragma(tmp_path / "linux.sqlite3", "fullfsync") == 0
    monkeypatch.setattr(sys, "platform", "darwin")
    assert pragma(tmp_path / "mac.sqlite3", "fullfsync") == 1
    assert pragma(tmp_path / "mac2.sqlite3", "checkpoint_fullfsync") == 1


class _FakeMsvcrt(types.ModuleType):
    """msvcrt.locking as Windows behaves: the byte at the position, or OSError if held."""

    LK_NBLCK = 2

    def __init__(self, held: bool) -> None:
        super().__init__("msvcrt")
        self.held = held
        self.calls: list[tuple[int, int, int]] = []

    def locking(self, fd: int, mode: int, nbytes: int) -> None:
        self.calls.append((os.lseek(fd, 0, os.SEEK_CUR), mode, nbytes))
        if self.held:
            raise PermissionError(13, "Permission denied")


@pytest.mark.parametrize("held", [False, True])
def test_windows_locks_one_byte_past_the_owner_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, held: bool
) -> None:
    fake = _FakeMsvcrt(held)
    monkeypatch.setitem(sys.modules, "msvcrt", fake)
    fd = os.open(tmp_path / ".videostudio.lock", os.O_RDWR | os.O_CREAT)
    try:
        assert lock.try_lock(fd) is not held
        assert fake.calls == [(lock._FAR, fake.LK_NBLCK, 1)]
        assert os.lseek(fd, 0, os.SEEK_CUR) == 0  # the owner's text is written from 0
    finally:
        os.close(fd)


def test_the_glibc_allocator_setting_is_linux_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import ctypes

    def no_libc(name: str) -> object:
        raise AssertionError(f"loaded {name} on a system without it")

    monkeypatch.setattr(ctypes, "CDLL", no_libc)
    for system in ("darwin", "win32"):
        monkeypatch.setattr(sys, "platform", system)
        assert memory.return_big_blocks_to_the_os() is False
