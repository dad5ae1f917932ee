"""Show a file in the file manager, selected; or at least open its folder; or say why not.

``reveal`` asks the file manager over D-Bus (org.freedesktop.FileManager1.ShowItems,
which Nautilus, Dolphin, Nemo, Caja and Thunar implement) to open the folder with the file
selected. Without one it opens the folder the platform's way (QDesktopServices); when that
fails too it returns a sentence for the user instead of failing silently.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtDBus import QDBusConnection, QDBusMessage, QDBusPendingCallWatcher
from PySide6.QtGui import QDesktopServices

from videostudio.ui.desktop.bus import FILE_MANAGER, FILE_MANAGER_PATH, session_bus

log = logging.getLogger("videostudio.ui.desktop")

# A file manager started by D-Bus activation takes a moment to answer its first call.
SHOW_ITEMS_TIMEOUT_MS = 8000


async def reveal(
    path: str | Path, *, bus: QDBusConnection | None = None, startup_id: str = ""
) -> str | None:
    """Show ``path`` in the file manager; None when done, else a message for the user.

    Runs on the GUI thread's loop and never blocks it: the D-Bus call is awaited.
    ``startup_id`` is passed on to the file manager (focus-stealing prevention).
    """
    target, there = await asyncio.to_thread(_locate, path)  # a stat may hang on a network drive
    folder = target.parent
    if not there:
        return f"{target.name} is no longer in {folder}: it may have been moved or deleted."
    bus = session_bus() if bus is None else bus
    if bus.isConnected() and await _show_items(bus, target, startup_id):
        return None
    if QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
        return None
    log.info("no file manager could open %s", folder)
    return (
        f"Could not open the folder {folder}: no file manager answered. "
        f"The file is at {target}; Copy path puts that on the clipboard."
    )


def _locate(path: str | Path) -> tuple[Path, bool]:
    """``path`` made absolute, and whether it is there."""
    target = Path(os.path.abspath(path))
    return target, target.exists()


async def _show_items(bus: QDBusConnection, target: Path, startup_id: str) -> bool:
    """True when a file manager accepted ShowItems for ``target``."""
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
