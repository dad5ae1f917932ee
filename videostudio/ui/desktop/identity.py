"""How the app names and pictures itself to the desktop, per OS.

On Linux (and the other freedesktop desktops) the desktop file name links the window to
videostudio.desktop (Wayland's app id, the dock's icon); macOS and Windows have no
desktop files and take the window's icon.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QGuiApplication, QIcon

from videostudio import APP_NAME

ICON_NAME = "videostudio.svg"


def present(app: QGuiApplication) -> None:
    """Give ``app`` its name on the desktop and its icon, where each applies."""
    if sys.platform not in ("darwin", "win32"):
        app.setDesktopFileName(APP_NAME)
    app.setWindowIcon(icon())


def icon() -> QIcon:
    """The app's icon: beside the source, or in the environment's share/ (pip, pipx and
    the bundle put it there on every OS)."""
    for folder in (
        Path(__file__).resolve().parents[3] / "resources",
        Path(sys.prefix) / "share" / "icons" / "hicolor" / "scalable" / "apps",
    ):
        path = folder / ICON_NAME
        if path.exists():
            return QIcon(str(path))
    return QIcon()
