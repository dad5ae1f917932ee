"""The freedesktop Notifications service over D-Bus: Linux's branch of notifications.py.

Notify takes an unsigned ``replaces_id`` and PySide6 marshals every Python int as a
signed one, which servers refuse (wrong signature). A call made through a QDBusInterface's
meta-object carries the declared types instead, but that meta-object comes from the
server's introspection, where ``a{sv}`` (the hints) has no Qt type: the method cannot be
called. So this first shows QtDBus the method with Qt types (a local object of the
same interface, which QtDBus introspects and caches per interface name on the
connection), and the server's interface is then built from that. Such a call blocks:
notices go out from a one-thread pool, never from the GUI thread.

Imported only where the freedesktop desktop is (this module imports QtDBus).
"""

from __future__ import annotations

import functools
import html
import logging
import os
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from PySide6.QtCore import (
    Q_ARG,
    Q_RETURN_ARG,
    SLOT,
    ClassInfo,
    QMetaObject,
    QObject,
    Qt,
    QThreadPool,
    Signal,
    Slot,
)
from PySide6.QtDBus import QDBusConnection, QDBusInterface, QDBusMessage

from videostudio.ui.desktop.bus import NOTIFICATIONS, NOTIFICATIONS_PATH

if TYPE_CHECKING:
    from videostudio.ui.desktop.notifications import Notice

log = logging.getLogger("videostudio.ui.desktop")

# A hung notification server must not keep the app from quitting for long.
CALL_TIMEOUT_MS = 5000

# The server's signals we hear, each to a slot that takes the whole message (so a server
# that gets an argument type slightly wrong is still heard).
_BUS_SIGNALS = [
    ("ActionInvoked", SLOT("_on_bus_action_invoked(QDBusMessage)")),
    ("NotificationClosed", SLOT("_on_bus_notification_closed(QDBusMessage)")),
    ("ActivationToken", SLOT("_on_bus_activation_token(QDBusMessage)")),
]

# The Notify method as the meta-object must have it (see the module's docstring).
NOTIFY_METHOD = "Notify(QString,uint,QString,QString,QString,QStringList,QVariantMap,int)"

_Q = TypeVar("_Q", bound=type[QObject])


def _dbus_interface(name: str) -> Callable[[_Q], _Q]:
    """PySide6's ClassInfo decorator naming a class's D-Bus interface."""
    decorate: Any = ClassInfo  # its stubs have it take dicts by keyword and return nothing
    return cast(Callable[[_Q], _Q], decorate({"D-Bus Interface": name}))


@_dbus_interface(NOTIFICATIONS)
class _NotifyShape(QObject):
    """The Notify method with Qt types, shown to QtDBus on our own connection only."""

    @Slot(str, "uint", str, str, str, "QStringList", "QVariantMap", int, result="uint")
    def Notify(self, *_args: object) -> int:  # the D-Bus name
        return 0  # never called: it is unregistered once QtDBus has read it


def _teach_notify_types(bus: QDBusConnection) -> bool:
    """Have QtDBus cache the Qt-typed Notify for the interface on ``bus``; True when it has."""
    shape = _NotifyShape()
    path = f"/io/github/videostudio/notify_shape_{uuid.uuid4().hex}"
    if not bus.registerObject(path, shape, QDBusConnection.RegisterOption.ExportAllSlots):
        return False
    try:
        seen = QDBusInterface(bus.baseService(), path, NOTIFICATIONS, bus).metaObject()
        methods = range(seen.methodOffset(), seen.methodCount())
        return any(
            seen.method(i).methodSignature().data() == NOTIFY_METHOD.encode() for i in methods
        )
    finally:
        bus.unregisterObject(path)


class FreedesktopNotices(QObject):
    """Sends notices to org.freedesktop.Notifications and hears clicks on ours.

    Signals: shown(int local_id) once the server took one; refused(int local_id, object
    notice, str why) when it could not be shown here; clicked(int local_id) for a click
    on one of ours (its "default" action).
    """

    shown = Signal(int)
    refused = Signal(int, object, str)
    clicked = Signal(int)
    # From the pool thread: local id, Notice, notification id (0 = failed), error text.
    _sent = Signal(int, object, int, str)

    def __init__(
        self,
        parent: QObject | None,
        *,
        bus: QDBusConnection | None,
        app_name: str,
        icon_name: str,
        desktop_entry: str,
    ) -> None:
        super().__init__(parent)
        self._bus = QDBusConnection.sessionBus() if bus is None else bus
        self._app_name = app_name
        self._icon_name = icon_name
        self._desktop_entry = desktop_entry
        self._local_ids: dict[int, int] = {}  # notification id -> local id
        self._notification_ids: dict[int, int] = {}  # local id -> notification id
        self._tokens: dict[int, str] = {}  # notification id -> XDG activation token
        self._capabilities: frozenset[str] | None = None  # read and written on the pool only
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # one notice at a time, in order
        self._sent.connect(self._on_self_sent)
        self._listening = self._bus.isConnected()
        self._typed = self._listening and _teach_notify_types(self._bus)
        if self._listening and not self._typed:
            log.warning("QtDBus did not take the Notify types: notifications will not show")
        if self._listening:
            for name, slot in _BUS_SIGNALS:
                # PySide6 takes the SLOT() string here (its stubs say bytes, which it refuses).
                heard = self._bus.connect(
                    NOTIFICATIONS,
                    NOTIFICATIONS_PATH,
                    NOTIFICATIONS,
                    name,
                    self,
                    slot,  # type: ignore[call-overload]
                )
                if not heard:
                    log.warning("cannot listen to %s on the session bus", name)

    def send(self, local_id: int, notice: Notice) -> None:
        """Show ``notice`` for job ``local_id`` (replacing our earlier one for that job)."""
        if not self._bus.isConnected():
            self.refused.emit(local_id, notice, "there is no session bus")
            return
        if not self._typed:
            self.refused.emit(local_id, notice, "QtDBus cannot call Notify")
            return
        replaces = self._notification_ids.get(local_id, 0)
        self._pool.start(functools.partial(self._send, local_id, notice, replaces))

    def pending(self) -> dict[int, int]:
        """Our notifications still on screen: notification id -> local id."""
        return dict(self._local_ids)

    def close(self) -> None:
        """Stop listening and wait for a notice on its way."""
        if self._listening:
            for name, slot in _BUS_SIGNALS:
                self._bus.disconnect(
                    NOTIFICATIONS,
                    NOTIFICATIONS_PATH,
                    NOTIFICATIONS,
                    name,
                    self,
                    slot,  # type: ignore[call-overload]
                )
            self._listening = False
        self._pool.waitForDone()

    # -- sending (on the pool thread) -------------------------------------------------------

    def _send(self, local_id: int, notice: Notice, replaces: int) -> None:
        try:
            notification_id, error = self._call_notify(notice, replaces)
        except Exception as exc:  # noqa: BLE001 (a notice must never take the app down)
            notification_id, error = 0, repr(exc)
        self._sent.emit(local_id, notice, notification_id, error)

    def _call_notify(self, notice: Notice, replaces: int) -> tuple[int, str]:
        # No isValid() check: it is false until a D-Bus-activatable server has started.
        service = QDBusInterface(NOTIFICATIONS, NOTIFICATIONS_PATH, NOTIFICATIONS, self._bus)
        service.setTimeout(CALL_TIMEOUT_MS)
        if self._capabilities is None:
            reply = service.call("GetCapabilities")
            if reply.type() != QDBusMessage.MessageType.ReplyMessage:
                return 0, reply.errorMessage()
            found = reply.arguments()[0] if reply.arguments() else []
            self._capabilities = frozenset(str(c) for c in found)
        body = notice.body
        if "body-markup" in self._capabilities:
            body = html.escape(body, quote=False)
        notification_id = QMetaObject.invokeMethod(
            service,
            "Notify",
            Qt.ConnectionType.DirectConnection,
            Q_RETURN_ARG("uint"),
            Q_ARG(str, self._app_name),
            Q_ARG("uint", replaces),
            Q_ARG(str, self._icon_name),
            Q_ARG(str, notice.summary),
            Q_ARG(str, body),
            Q_ARG("QStringList", ["default", "Show"]),
            Q_ARG(
                "QVariantMap",
                {"desktop-entry": self._desktop_entry, "category": notice.category},
            ),
            Q_ARG(int, -1),
        )
        if not isinstance(notification_id, int) or notification_id <= 0:
            return 0, service.lastError().message() or "the notification service gave no id"
        return notification_id, ""

    # -- back on the GUI thread -------------------------------------------------------------

    def _on_self_sent(
        self, local_id: int, notice: Notice, notification_id: int, error: str
    ) -> None:
        if not notification_id:
            self.refused.emit(local_id, notice, error)
            return
        old = self._notification_ids.get(local_id)
        if old is not None and old != notification_id:
            self._local_ids.pop(old, None)
        self._local_ids[notification_id] = local_id
        self._notification_ids[local_id] = notification_id
        self.shown.emit(local_id)

    @Slot(QDBusMessage)
    def _on_bus_action_invoked(self, message: QDBusMessage) -> None:
        args = message.arguments()
        if len(args) < 2 or args[1] != "default":
            return
        local_id = self._local_ids.get(int(args[0]))
        if local_id is None:
            return  # another application's notification
        token = self._tokens.pop(int(args[0]), "")
        if token:  # Qt's Wayland plugin hands it to the compositor on the next activation
            os.environ["XDG_ACTIVATION_TOKEN"] = token
        self.clicked.emit(local_id)

    @Slot(QDBusMessage)
    def _on_bus_notification_closed(self, message: QDBusMessage) -> None:
        args = message.arguments()
        if not args:
            return
        notification_id = int(args[0])
        self._tokens.pop(notification_id, None)
        local_id = self._local_ids.pop(notification_id, None)
        if local_id is not None and self._notification_ids.get(local_id) == notification_id:
            del self._notification_ids[local_id]

    @Slot(QDBusMessage)
    def _on_bus_activation_token(self, message: QDBusMessage) -> None:
        args = message.arguments()
        if len(args) >= 2 and int(args[0]) in self._local_ids:
            self._tokens[int(args[0])] = str(args[1])
