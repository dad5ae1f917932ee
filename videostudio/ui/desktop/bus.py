"""The session bus the desktop services are reached on, and their well-known names."""

from __future__ import annotations

from PySide6.QtDBus import QDBusConnection

NOTIFICATIONS = "org.freedesktop.Notifications"
NOTIFICATIONS_PATH = "/org/freedesktop/Notifications"
FILE_MANAGER = "org.freedesktop.FileManager1"
FILE_MANAGER_PATH = "/org/freedesktop/FileManager1"


def session_bus() -> QDBusConnection:
    """The user's session bus (DBUS_SESSION_BUS_ADDRESS); not connected where there is none."""
    return QDBusConnection.sessionBus()
