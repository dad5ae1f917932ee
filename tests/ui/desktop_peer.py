"""A desktop on a private session bus, for the desktop-integration tests (run as a child).

``python -m tests.ui.desktop_peer notifications file-manager [no-markup] [no-stdin]`` owns the
freedesktop names given, on the bus of DBUS_SESSION_BUS_ADDRESS, with QtDBus exporting
real objects (so the bus sees the spec's signatures and introspection). Each call received
is printed as one JSON line; JSON lines on stdin make it emit the server's signals:
``{"emit": "ActionInvoked", "id": 1, "key": "default"}``,
``{"emit": "NotificationClosed", "id": 1, "reason": 2}``,
``{"emit": "ActivationToken", "id": 1, "token": "t"}``.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from PySide6.QtCore import ClassInfo, QCoreApplication, QObject, QSocketNotifier, Signal, Slot
from PySide6.QtDBus import QDBusConnection


def say(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


# What GNOME Shell, dunst or mako publish: the spec's types, no Qt type hints (Qt's own
# introspection would add them, and a client could lean on them without knowing).
NOTIFICATIONS_XML = """
<interface name="org.freedesktop.Notifications">
  <method name="GetCapabilities"><arg type="as" name="capabilities" direction="out"/></method>
  <method name="Notify">
    <arg type="s" name="app_name" direction="in"/>
    <arg type="u" name="replaces_id" direction="in"/>
    <arg type="s" name="app_icon" direction="in"/>
    <arg type="s" name="summary" direction="in"/>
    <arg type="s" name="body" direction="in"/>
    <arg type="as" name="actions" direction="in"/>
    <arg type="a{sv}" name="hints" direction="in"/>
    <arg type="i" name="expire_timeout" direction="in"/>
    <arg type="u" name="id" direction="out"/>
  </method>
  <signal name="ActionInvoked"><arg type="u" name="id"/><arg type="s" name="action_key"/></signal>
  <signal name="NotificationClosed"><arg type="u" name="id"/><arg type="u" name="reason"/></signal>
  <signal name="ActivationToken"><arg type="u" name="id"/><arg type="s" name="token"/></signal>
</interface>
"""


@ClassInfo(
    {"D-Bus Interface": "org.freedesktop.Notifications", "D-Bus Introspection": NOTIFICATIONS_XML}
)
class Notifications(QObject):
    ActionInvoked = Signal("uint", str)
    NotificationClosed = Signal("uint", "uint")
    ActivationToken = Signal("uint", str)

    def __init__(self, capabilities: list[str]) -> None:
        super().__init__()
        self.capabilities = capabilities
        self.last_id = 0

    @Slot(result="QStringList")
    def GetCapabilities(self) -> list[str]:  # noqa: N802 (the D-Bus name)
        say(call="GetCapabilities")
        return self.capabilities

    @Slot(str, "uint", str, str, str, "QStringList", "QVariantMap", int, result="uint")
    def Notify(  # noqa: N802 (the D-Bus name)
        self,
        app_name: str,
        replaces_id: int,
        app_icon: str,
        summary: str,
        body: str,
        actions: list[str],
        hints: dict[str, Any],
        expire_timeout: int,
    ) -> int:
        if replaces_id:
            notification_id = replaces_id
        else:
            self.last_id += 1
            notification_id = self.last_id
        say(
            call="Notify",
            id=notification_id,
            app_name=app_name,
            replaces_id=replaces_id,
            app_icon=app_icon,
            summary=summary,
            body=body,
            actions=actions,
            hints={k: str(v) for k, v in hints.items()},
            expire_timeout=expire_timeout,
        )
        return notification_id

    def command(self, line: dict[str, Any]) -> None:
        if line["emit"] == "ActionInvoked":
            self.ActionInvoked.emit(line["id"], line["key"])
        elif line["emit"] == "NotificationClosed":
            self.NotificationClosed.emit(line["id"], line["reason"])
        elif line["emit"] == "ActivationToken":
            self.ActivationToken.emit(line["id"], line["token"])


@ClassInfo({"D-Bus Interface": "org.freedesktop.FileManager1"})
class FileManager(QObject):
    @Slot("QStringList", str)
    def ShowItems(self, uris: list[str], startup_id: str) -> None:  # noqa: N802 (the D-Bus name)
        say(call="ShowItems", uris=uris, startup_id=startup_id)

    @Slot("QStringList", str)
    def ShowFolders(self, uris: list[str], startup_id: str) -> None:  # noqa: N802 (the D-Bus name)
        say(call="ShowFolders", uris=uris, startup_id=startup_id)


def main(argv: list[str]) -> int:
    app = QCoreApplication(argv)
    bus = QDBusConnection.sessionBus()
    exported = QDBusConnection.RegisterOption.ExportAllSlots
    exported |= QDBusConnection.RegisterOption.ExportAllSignals
    markup = [] if "no-markup" in argv else ["body-markup"]
    server = Notifications(["actions", "body", *markup])
    manager = FileManager()
    if "notifications" in argv:
        bus.registerObject("/org/freedesktop/Notifications", server, exported)
        bus.registerService("org.freedesktop.Notifications")
    if "file-manager" in argv:
        bus.registerObject("/org/freedesktop/FileManager1", manager, exported)
        bus.registerService("org.freedesktop.FileManager1")

    pending = b""

    def read_commands() -> None:
        # Raw reads: a buffered readline would keep a second line where the notifier
        # cannot see it.
        nonlocal pending
        chunk = os.read(sys.stdin.fileno(), 65536)
        if not chunk:
            app.quit()
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            if line.strip():
                server.command(json.loads(line))

    stdin = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
    if "no-stdin" not in argv:  # started by the bus, with no one to talk to
        stdin.activated.connect(read_commands)
    say(ready=True)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
