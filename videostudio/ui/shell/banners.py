"""Lines across the top of the window: demo mode, offline, the key, credits, errors.

Each stays while its cause lasts; the view-model clears it when the cause is gone.
Server text is shown escaped, with its web addresses made clickable.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget


class Banner(QFrame):
    """A line across the top of the window: demo mode, offline, the key, credits, errors.

    It stays while its cause lasts; the view-model clears it when the cause is gone.
    """

    def __init__(self, kind: str, closable: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setProperty("kind", kind)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setOpenExternalLinks(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(8, 4, 8, 4)
        self._layout.addWidget(self.label, 1)
        self.actions_: list[QPushButton] = []
        if closable:
            close = QToolButton(self)
            close.setText("✕")
            close.setToolTip("Dismiss")
            close.setAccessibleName("Dismiss")
            close.clicked.connect(self.hide)
            self._layout.addWidget(close)
        self.hide()

    def add_action(self, text: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text, self)
        button.clicked.connect(slot)
        self._layout.insertWidget(len(self.actions_) + 1, button)
        self.actions_.append(button)
        return button

    def show_text(self, html: str) -> None:
        self.label.setText(html)
        self.setVisible(bool(html))


def linkify(text: str) -> str:
    """Plain text (a server's message) as safe HTML, with its web addresses clickable."""
    escaped = html.escape(text, quote=False)
    return re.sub(r"(https://[^\s<\"']+[^\s<\"'.,;:)])", r'<a href="\1">\1</a>', escaped)
