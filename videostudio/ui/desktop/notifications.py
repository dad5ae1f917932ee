"""OS notifications for jobs that end while the window is in the background.

One branch per desktop, chosen at run time: on Linux (and the other freedesktop
systems) the Notifications service over D-Bus (freedesktop_notices.py, the only place
QtDBus is imported, and only then); on macOS and Windows, and wherever D-Bus has no
server, the tray's message (Qt shows it through the OS's own notification centre);
where there is no tray either, a log line. A click on one of ours comes back as
``activated(local_id)``, so the window can show that job and come to the front.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QSystemTrayIcon

from videostudio import APP_NAME
from videostudio.core.jobs import NOT_SAVED, REJECTED, SAVED, UNKNOWN, JobRecord
from videostudio.core.models import CANCELLED, EXPIRED, FAILED

if TYPE_CHECKING:
    from videostudio.ui.desktop.freedesktop_notices import FreedesktopNotices

log = logging.getLogger("videostudio.ui.desktop")

# Where a notice went (the second argument of ``Notifier.delivered``).
NOTIFICATION = "notification"
TRAY = "tray"
LOGGED = "log"

PROMPT_CHARS = 120
ERROR_CHARS = 160

_SUMMARIES = {
    SAVED: "Clip ready",
    FAILED: "Job failed",
    REJECTED: "Job failed",
    EXPIRED: "Job failed",
    CANCELLED: "Job failed",
    NOT_SAVED: "Clip not saved",
    UNKNOWN: "Job may have been sent",
}


@dataclass(frozen=True)
class Notice:
    """What one notification says; ``body`` is plain text (escaped only for servers that
    read markup). ``category`` is the spec's hint: transfer.complete or transfer.error."""

    summary: str
    body: str
    category: str


def _short(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def notice_for(previous: str | None, record: JobRecord, window_active: bool) -> Notice | None:
    """The one notification policy: a notice when a job has just reached saved or a failure
    (``previous``, the state last seen, differs) while the window is not the active one.

    A job first seen in its final state (``previous`` None) was not watched ending here:
    no notice. Stopped jobs were stopped by the user: no notice either.
    """
    summary = _SUMMARIES.get(record.state)
    if window_active or summary is None or previous is None or previous == record.state:
        return None
    lines = [_short(record.prompt, PROMPT_CHARS) if record.prompt.strip() else "(no prompt)"]
    if record.state != SAVED and record.error:
        lines.append(_short(record.error, ERROR_CHARS))
    category = "transfer.complete" if record.state == SAVED else "transfer.error"
    return Notice(summary, "\n".join(lines), category)


def backend_name() -> str:
    """Which notifications this OS gets (for ``--self-check``)."""
    if _freedesktop():
        return "freedesktop Notifications over D-Bus, else the tray"
    return "the tray's messages (the OS's notification centre)"


def _freedesktop() -> bool:
    return sys.platform not in ("darwin", "win32")


class Notifier(QObject):
    """Shows notices for jobs and hears clicks on them.

    Signals: activated(int local_id) when the user clicks one of our notifications (the
    "default" action) or the tray balloon; delivered(int local_id, str channel) once a
    notice went out, channel being "notification", "tray" or "log" (nothing to show it).
    ``bus`` (a QDBusConnection) picks the freedesktop branch on that bus.
    """

    activated = Signal(int)
    delivered = Signal(int, str)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        bus: Any = None,
        app_name: str = APP_NAME,
        icon_name: str = APP_NAME,
        desktop_entry: str = APP_NAME,
    ) -> None:
        super().__init__(parent)
        self._app_name = app_name
        self._icon_name = icon_name
        self._states: dict[int, str] = {}  # local id -> state last seen
        self._tray: QSystemTrayIcon | None = None
        self._tray_local_id = 0
        self._service = _freedesktop_service(self, bus, app_name, icon_name, desktop_entry)
        if self._service is not None:
            self._service.shown.connect(
                lambda local_id: self.delivered.emit(local_id, NOTIFICATION)
            )
            self._service.refused.connect(self._fall_back)
            self._service.clicked.connect(self.activated)

    # -- what the window tells us -----------------------------------------------------------

    def reset(self, states: Mapping[int, str]) -> None:
        """Remember the state of every job of a (new) backend, so one that ends later is
        recognised as ending now (connect to the view-model's jobs_reset)."""
        self._states = dict(states)

    def track(self, record: JobRecord, window_active: bool) -> None:
        """Note a job's new state; notify when ``notice_for`` says so."""
        previous = self._states.get(record.local_id)
        self._states[record.local_id] = record.state
        notice = notice_for(previous, record, window_active)
        if notice is not None:
            self.notify(record.local_id, notice)

    def notify(self, local_id: int, notice: Notice) -> None:
        """Show ``notice`` for job ``local_id`` (replacing our earlier one for that job)."""
        if self._service is None:
            self._fall_back(local_id, notice, "this desktop shows notices through the tray")
            return
        self._service.send(local_id, notice)

    def pending(self) -> dict[int, int]:
        """Our notifications still on screen: notification id -> local id."""
        return self._service.pending() if self._service is not None else {}

    def close(self) -> None:
        """Stop listening, wait for a notice on its way, take the tray icon down."""
        if self._service is not None:
            self._service.close()
        if self._tray is not None:
            self._tray.hide()

    def _on_service_shown(self, local_id: int) -> None:
        self.delivered.emit(local_id, NOTIFICATION)

    # -- without a notification service -----------------------------------------------------

    def _fall_back(self, local_id: int, notice: Notice, reason: str) -> None:
        log.info("no notification service (%s)", reason)
        if QSystemTrayIcon.isSystemTrayAvailable():
            tray = self._tray_icon()
            self._tray_local_id = local_id
            icon = (
                QSystemTrayIcon.MessageIcon.Information
                if notice.category == "transfer.complete"
                else QSystemTrayIcon.MessageIcon.Warning
            )
            tray.showMessage(notice.summary, notice.body, icon)
            self.delivered.emit(local_id, TRAY)
            return
        log.info("job %d: %s (no tray either, so nothing was shown)", local_id, notice.summary)
        self.delivered.emit(local_id, LOGGED)

    def _tray_icon(self) -> QSystemTrayIcon:
        if self._tray is None:
            icon = QIcon.fromTheme(self._icon_name, QGuiApplication.windowIcon())
            self._tray = QSystemTrayIcon(icon, self)
            self._tray.setToolTip(self._app_name)
            self._tray.messageClicked.connect(self._on_tray_message_clicked)
        self._tray.show()
        return self._tray

    def _on_tray_message_clicked(self) -> None:
        if self._tray_local_id:
            self.activated.emit(self._tray_local_id)


def _freedesktop_service(
    parent: QObject, bus: Any, app_name: str, icon_name: str, desktop_entry: str
) -> FreedesktopNotices | None:
    """The D-Bus branch where it applies and loads; None means the tray."""
    if bus is None and not _freedesktop():
        return None
    try:
        from videostudio.ui.desktop.freedesktop_notices import FreedesktopNotices
    except ImportError as exc:  # a Qt built without D-Bus
        log.info("no D-Bus in this Qt (%s): notices go to the tray", exc)
        return None
    return FreedesktopNotices(
        parent, bus=bus, app_name=app_name, icon_name=icon_name, desktop_entry=desktop_entry
    )
