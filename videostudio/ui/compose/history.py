"""Prompt history in the prompt box: Ctrl+Up / Ctrl+Down walk the prompts sent (newest
first) without losing the draft in progress, and a popup finds one by text."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from videostudio.ui.compose.prompt_edit import PromptEdit

SHOWN_CHARS = 160  # a long prompt is shortened in the popup's list (its tooltip has it all)


class HistoryWalker(QObject):
    """Walks ``prompts`` (newest first) in a prompt box. Coming back past the newest
    brings the draft back; an entry edited while shown becomes the draft."""

    def __init__(self, prompt: PromptEdit) -> None:
        super().__init__(prompt)
        self._prompt = prompt
        self._prompts: list[str] = []
        self._index = -1  # -1: the draft is shown
        self._draft = ""
        prompt.editor.installEventFilter(self)

    def set_prompts(self, prompts: list[str]) -> None:
        shown = self._prompts[self._index] if self._index >= 0 else None
        self._prompts = list(prompts)
        self._index = self._prompts.index(shown) if shown in self._prompts else -1

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            if mods == Qt.KeyboardModifier.ControlModifier and event.key() in (
                Qt.Key.Key_Up,
                Qt.Key.Key_Down,
            ):
                self.walk(1 if event.key() == Qt.Key.Key_Up else -1)
                return True
        return super().eventFilter(watched, event)

    def walk(self, step: int) -> None:
        """One step older (+1) or newer (-1)."""
        text = self._prompt.text()
        if self._index >= 0 and text != self._prompts[self._index]:
            self._index = -1  # the user edited what was shown: that is the draft now
        if self._index == -1:
            self._draft = text
        index = max(-1, min(self._index + step, len(self._prompts) - 1))
        if index == self._index:
            return
        self._index = index
        self._prompt.replace_text(self._draft if index == -1 else self._prompts[index])


class HistoryPopup(QDialog):
    """Finds a sent prompt by text. Signals: search_changed(text) asks for the prompts
    containing it (answered with ``set_prompts``); chosen(prompt)."""

    search_changed = Signal(str)
    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._setup_ui()

    def _setup_ui(self) -> None:
        self.setWindowTitle("Prompt history")
        self.resize(620, 420)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Find a prompt you sent…")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget(self)
        self.list.setWordWrap(True)
        self.empty = QLabel(self)
        self.empty.setObjectName("hint")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Use this prompt")
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        layout.addWidget(buttons)
        self.search.textChanged.connect(self.search_changed)
        self.search.returnPressed.connect(self.accept)
        self.list.itemActivated.connect(lambda _item: self.accept())
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.search.hasFocus():
            self.list.setFocus()  # arrows from the search field go to the list
            self.list.keyPressEvent(event)
            return
        super().keyPressEvent(event)

    def set_prompts(self, prompts: list[str], search: str) -> None:
        if search != self.search.text():
            return  # an answer to an older search
        self.list.clear()
        for prompt in prompts:
            flat = " ".join(prompt.split())
            shown = flat if len(flat) <= SHOWN_CHARS else flat[: SHOWN_CHARS - 1] + "…"
            item = QListWidgetItem(shown, self.list)
            item.setData(Qt.ItemDataRole.UserRole, prompt)
            item.setToolTip(prompt)
        if prompts:
            self.list.setCurrentRow(0)
        self.empty.setText(
            "" if prompts else ("No prompt sent contains that." if search else "No prompts yet.")
        )

    def accept(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.chosen.emit(str(item.data(Qt.ItemDataRole.UserRole)))
        super().accept()
