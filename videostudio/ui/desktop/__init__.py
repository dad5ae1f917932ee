"""The app on the desktop: notifications, the file manager, the trash, drag and drop.

Nothing here knows the window: the window (or its view-model) connects these pieces.
"""

from videostudio.ui.desktop.drops import (
    DropContent,
    ImageDropFilter,
    classify,
    file_drag_mime,
    is_clip_name,
    is_image_name,
)
from videostudio.ui.desktop.notifications import (
    LOGGED,
    NOTIFICATION,
    TRAY,
    Notice,
    Notifier,
    notice_for,
)
from videostudio.ui.desktop.reveal import reveal
from videostudio.ui.desktop.trash import (
    TrashedFile,
    TrashReceipt,
    move_to_trash,
    restore,
    with_sidecars,
)

__all__ = [
    "LOGGED",
    "NOTIFICATION",
    "TRAY",
    "DropContent",
    "ImageDropFilter",
    "Notice",
    "Notifier",
    "TrashReceipt",
    "TrashedFile",
    "classify",
    "file_drag_mime",
    "is_clip_name",
    "is_image_name",
    "move_to_trash",
    "notice_for",
    "restore",
    "reveal",
    "with_sidecars",
]
