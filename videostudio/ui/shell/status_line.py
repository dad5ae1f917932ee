"""The status bar, with passing messages that wrap instead of being cut mid-word.

QStatusBar paints a message on one line and clips it at the permanent widgets. Here
the message (still set with showMessage, so it fades as before) is shown by a
word-wrapping label that takes the room left of the permanent widgets and grows to a
second line when it needs one.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar, QWidget


class StatusLine(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = QLabel(self)
        self.message.setObjectName("statusMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.message.setSizePolicy(policy)
        self.addPermanentWidget(self.message, 1)  # permanent: a message never hides it
        self.messageChanged.connect(self._on_message_changed)

    def _on_message_changed(self, text: str) -> None:
        self.message.setText(text)
        self.message.setToolTip(text)
        self.setMinimumHeight(0)
        width = max(1, self.message.width())
        self.setMinimumHeight(self.message.heightForWidth(width) + 6 if text else 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        """The message is the label's to show: nothing is painted over the widgets."""
