"""The prompt box: multi-line, with a character count; Ctrl+Enter generates."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QTextCursor
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from videostudio.core.validation import MAX_PROMPT_CHARS


class _Editor(QPlainTextEdit):
    submitted = Signal()

    def event(self, event: QEvent) -> bool:
        if (
            isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.ShortcutOverride
            and event.matches(QKeySequence.StandardKey.Undo)
            and not self.document().isUndoAvailable()
        ):
            event.ignore()  # nothing typed to undo: Ctrl+Z goes to the window (a loaded draft)
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        ctrl = event.modifiers() & Qt.KeyboardModifier.ControlModifier
        if ctrl and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if not event.isAutoRepeat():  # a held key is one press: one job, not a stream
                self.submitted.emit()
            return
        super().keyPressEvent(event)


class PromptEdit(QWidget):
    """Signals: submitted() on Ctrl+Enter; changed() on every edit."""

    submitted = Signal()
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._setup_ui()

    def _setup_ui(self) -> None:
        self.editor = _Editor(self)
        self.editor.setObjectName("prompt")
        self.editor.setPlaceholderText(
            "Describe the clip: subject, action, camera, light, mood…\nCtrl+Enter generates."
        )
        self.editor.setTabChangesFocus(True)
        self.editor.setAccessibleName("Prompt")
        self.editor.setMinimumHeight(self.editor.fontMetrics().lineSpacing() * 4 + 12)
        self.count = QLabel(self)
        self.count.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.count.setObjectName("hint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.editor)
        layout.addWidget(self.count)
        self.editor.submitted.connect(self.submitted)
        self.editor.textChanged.connect(self._on_editor_text_changed)
        self._on_editor_text_changed()

    def text(self) -> str:
        return self.editor.toPlainText()

    def set_text(self, text: str) -> None:
        """The text, with the cursor after it: typing goes on from where it ended."""
        self.editor.setPlainText(text)
        self.editor.moveCursor(QTextCursor.MoveOperation.End)

    def replace_text(self, text: str) -> None:
        """Replace the whole text as one edit, so Ctrl+Z brings the old text back."""
        cursor = self.editor.textCursor()
        cursor.beginEditBlock()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(text)
        cursor.endEditBlock()
        self.editor.setTextCursor(cursor)  # the cursor after the new text

    def focus(self) -> None:
        self.editor.setFocus()

    def _on_editor_text_changed(self) -> None:
        n = len(self.text())
        self.count.setText(f"{n:,} / {MAX_PROMPT_CHARS:,}")
        self.count.setProperty("problem", n > MAX_PROMPT_CHARS)
        self.count.style().polish(self.count)
        self.changed.emit()
