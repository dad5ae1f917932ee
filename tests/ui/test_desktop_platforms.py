"""The desktop's branch for each OS (reveal, notifications, trash restore, identity), reached
on Linux by faking ``sys.platform`` and only the one call that differs there."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication

from videostudio import APP_NAME
from videostudio.ui.desktop import LOGGED, Notice, Notifier, reveal, trash
from videostudio.ui.desktop.identity import present
from videostudio.ui.desktop.trash import TrashedFile, TrashReceipt

# The module (the package's ``reveal`` is the function of that name).
reveal_module = importlib.import_module("videostudio.ui.desktop.reveal")


class Started:
    """Stands in for starting the OS's revealer: records what would have been run."""

    def __init__(self, ok: bool) -> None:
        self.ok = ok
        self.runs: list[tuple[str, list[str]]] = []

    def __call__(self, program: str, arguments: list[str]) -> bool:
        self.runs.append((program, arguments))
        return self.ok


@pytest.mark.parametrize(
    ("system", "program", "arguments"),
    [("darwin", "open", ["-R", "{clip}"]), ("win32", "explorer.exe", ["/select,{clip}"])],
)
async def test_reveal_asks_the_os_file_manager_to_select_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, system: str, program: str, arguments: list[str]
) -> None:
    clip = tmp_path / "a clip.mp4"
    clip.write_bytes(b"\0")
    started = Started(ok=True)
    monkeypatch.setattr(sys, "platform", system)
    monkeypatch.setattr(reveal_module, "_start", started)
    assert await reveal(clip) is None
    assert started.runs == [(program, [a.format(clip=clip) for a in arguments])]


class FolderOpener(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toLocalFile())


async def test_reveal_opens_the_folder_when_finder_cannot_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\0")
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(reveal_module, "_start", Started(ok=False))
    opener = FolderOpener()
    QDesktopServices.setUrlHandler("file", opener, "open")
    try:
        assert await reveal(clip) is None
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert opener.opened == [str(tmp_path)]


@pytest.mark.parametrize("system", ["darwin", "win32"])
def test_off_linux_notices_go_to_the_tray_without_d_bus(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch, system: str
) -> None:
    monkeypatch.setattr(sys, "platform", system)
    notifier = Notifier()
    delivered: list[tuple[int, str]] = []
    notifier.delivered.connect(lambda local_id, how: delivered.append((local_id, how)))
    try:
        notifier.notify(3, Notice("Clip ready", "boat", "transfer.complete"))
        assert delivered == [(3, LOGGED)]  # offscreen has no tray; a desktop shows it there
        assert notifier.pending() == {}
    finally:
        notifier.close()


def test_notifications_import_no_qtdbus_off_linux() -> None:
    code = (
        "import sys; from PySide6 import QtWidgets; sys.platform = 'darwin'\n"
        "app = QtWidgets.QApplication(['x', '-platform', 'offscreen'])\n"
        "from videostudio.ui.desktop import Notifier, reveal\n"
        "Notifier().close()\n"
        "print('PySide6.QtDBus' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.split()[-1] == "False", done.stderr


def _recycled(tmp_path: Path) -> tuple[TrashReceipt, Path, Path, Path]:
    """A clip as Windows' Recycle Bin holds it: $R<id>.mp4 with its $I<id>.mp4 beside."""
    bin_ = tmp_path / "$Recycle.Bin" / "S-1-5-21-1"
    bin_.mkdir(parents=True)
    held, info = bin_ / "$RA1B2C3.mp4", bin_ / "$IA1B2C3.mp4"
    held.write_bytes(b"clip")
    info.write_bytes(b"\x02\0\0\0name and date")
    original = tmp_path / "clips" / "boat.mp4"
    original.parent.mkdir()
    return TrashReceipt((TrashedFile(str(original), str(held)),)), original, held, info


def test_undo_on_windows_removes_the_recycle_bins_entry(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    receipt, original, held, info = _recycled(tmp_path)
    monkeypatch.setattr(sys, "platform", "win32")
    assert trash.restore(receipt) == []
    assert original.read_bytes() == b"clip"
    assert not held.exists() and not info.exists()  # no ghost left in the Recycle Bin


def test_undo_on_macos_leaves_the_trash_alone_but_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    receipt, original, held, info = _recycled(tmp_path)
    monkeypatch.setattr(sys, "platform", "darwin")
    assert trash.restore(receipt) == []
    assert original.read_bytes() == b"clip" and not held.exists()
    assert info.exists()  # not a file macOS's Trash would have: nothing else is touched


@pytest.mark.parametrize(("system", "named"), [("linux", APP_NAME), ("darwin", ""), ("win32", "")])
def test_the_desktop_file_name_is_set_only_where_desktop_files_exist(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch, system: str, named: str
) -> None:
    qapp.setDesktopFileName("")
    monkeypatch.setattr(sys, "platform", system)
    try:
        present(qapp)
        assert qapp.desktopFileName() == named
        assert not qapp.windowIcon().isNull()
    finally:
        qapp.setDesktopFileName("")
