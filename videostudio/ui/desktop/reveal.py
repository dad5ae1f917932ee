"""Show a file in the file manager, selected; or at least open its folder; or say why not.

One branch per OS, chosen at run time: Finder (``open -R``) on macOS, Explorer
(``explorer /select,``) on Windows, and elsewhere the freedesktop file manager over
D-Bus (org.freedesktop.FileManager1.ShowItems, which Nautilus, Dolphin, Nemo, Caja and
Thunar implement; QtDBus is imported only there). Where that fails it opens the folder
the platform's way (QDesktopServices); when that fails too it returns a sentence for the
user instead of failing silently.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QProcess, QUrl
from PySide6.QtGui import QDesktopServices

from videostudio.ui.desktop.bus import FILE_MANAGER, FILE_MANAGER_PATH

if TYPE_CHECKING:
    from PySide6.QtDBus import QDBusConnection

log = logging.getLogger("videostudio.ui.desktop")

# A file manager started by D-Bus activation takes a moment to answer its first call.
SHOW_ITEMS_TIMEOUT_MS = 8000


async def reveal(
    path: str | Path, *, bus: QDBusConnection | None = None, startup_id: str = ""
) -> str | None:
    """Show ``path`` in the file manager; None when done, else a message for the user.

    Runs on the GUI thread's loop and never blocks it: the D-Bus call is awaited.
    ``bus`` and ``startup_id`` (focus-stealing prevention) are the freedesktop branch's.
    """
    target, there = await asyncio.to_thread(_locate, path)  # a stat may hang on a network drive
    folder = target.parent
    if not there:
        return f"{target.name} is no longer in {folder}: it may have been moved or deleted."
    if sys.platform == "darwin":
        shown = _start("open", ["-R", str(target)])
    elif sys.platform == "win32":
        shown = _start("explorer.exe", [f"/select,{target}"])
    else:
        shown = await _show_items(bus, target, startup_id)
    if shown or QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
        return None
    log.info("no file manager could open %s", folder)
    return (
        f"Could not open the folder {folder}: no file manager answered. "
        f"The file is at {target}; Copy path puts that on the clipboard."
    )


def backend_name() -> str:
    """Which file manager this OS's branch asks (for ``--self-check``)."""
    if sys.platform == "darwin":
        return "Finder (open -R)"
    if sys.platform == "win32":
        return "Explorer (explorer /select,)"
    return "org.freedesktop.FileManager1 over D-Bus, else the folder"


def _start(program: str, arguments: list[str]) -> bool:
    """Start the OS's own revealer, detached; True when it started."""
    started = QProcess.startDetached(program, arguments)
    return bool(started[0] if isinstance(started, tuple) else started)


def _locate(path: str | Path) -> tuple[Path, bool]:
    """``path`` made absolute, and whether it is there."""
    target = Path(os.path.abspath(path))
    return target, target.exists()


async def _show_items(bus: QDBusConnection | None, target: Path, startup_id: str) -> bool:
    """True when a freedesktop file manager accepted ShowItems for ``target``."""
    try:
        from PySide6.QtDBus import QDBusConnection, QDBusMessage, QDBusPendingCallWatcher
    except ImportError:  # a Qt built without D-Bus: the folder, the platform's way
        return False
    bus = QDBusConnection.sessionBus() if bus is None else bus
    if not bus.isConnected():
        return False
    call = QDBusMessage.createMethodCall(FILE_MANAGER, FILE_MANAGER_PATH, FILE_MANAGER, "ShowItems")
    uri = bytes(QUrl.fromLocalFile(str(target)).toEncoded().data()).decode("ascii")
    call.setArguments([[uri], startup_id])
    done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    watcher = QDBusPendingCallWatcher(bus.asyncCall(call, SHOW_ITEMS_TIMEOUT_MS))

    def finished(w: QDBusPendingCallWatcher) -> None:
        if w.isError():
            log.info("ShowItems failed: %s", w.error().message())
        if not done.done():
            done.set_result(not w.isError())

    watcher.finished.connect(finished)
    try:
        return await done
    finally:
        watcher.deleteLater()
