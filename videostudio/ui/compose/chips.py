"""A chip: a compact button that shows its value ("4 s", "720p", "16:9") and opens a menu.

It speaks a small part of QComboBox's language (addItem, findData, currentData,
setCurrentIndex, currentIndexChanged) so the settings code reads the same. A wheel
changes it only while it has focus (as the arrow keys do); otherwise it scrolls the panel.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeyEvent, QWheelEvent
from PySide6.QtWidgets import QMenu, QSizePolicy, QToolButton, QWidget


class ChoiceChip(QToolButton):
    """Signals: currentIndexChanged(int) when the chosen value changes."""

    currentIndexChanged = Signal(int)  # noqa: N815 (QComboBox's name, on purpose)

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("valueChip")
        self.setAccessibleName(name)
        self._name = name
        self._items: list[tuple[str, Any]] = []
        self._index = -1
        self._menu = QMenu(self)
        self._group = QActionGroup(self)
        self._group.setExclusive(True)
        self.setMenu(self._menu)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)

    # -- the items --------------------------------------------------------------------------

    def addItem(self, text: str, data: Any = None) -> None:
        self._items.append((text, data))
        self._rebuild_menu()
        if self._index < 0:
            self.setCurrentIndex(0)

    def clear(self) -> None:
        self._items.clear()
        self._index = -1
        self._rebuild_menu()
        self._show()

    def count(self) -> int:
        return len(self._items)

    def setItemText(self, index: int, text: str) -> None:
        self._items[index] = (text, self._items[index][1])
        self._rebuild_menu()
        self._show()

    def itemText(self, index: int) -> str:
        return self._items[index][0]

    def itemData(self, index: int) -> Any:
        return self._items[index][1] if 0 <= index < len(self._items) else None

    def findData(self, data: Any) -> int:
        for i, (_text, value) in enumerate(self._items):
            if value == data and (data is not None or value is None):
                return i
        return -1

    # -- the choice -------------------------------------------------------------------------

    def currentIndex(self) -> int:
        return self._index

    def currentData(self) -> Any:
        return self.itemData(self._index)

    def currentText(self) -> str:
        return self._items[self._index][0] if 0 <= self._index < len(self._items) else ""

    def setCurrentIndex(self, index: int) -> None:
        index = index if 0 <= index < len(self._items) else -1
        if index == self._index:
            return
        self._index = index
        self._show()
        if not self.signalsBlocked():
            self.currentIndexChanged.emit(index)

    def _rebuild_menu(self) -> None:
        self._menu.clear()
        for action in self._group.actions():
            self._group.removeAction(action)
        for i, (text, _value) in enumerate(self._items):
            action = QAction(text, self._menu)
            action.setCheckable(True)
            action.setChecked(i == self._index)
            action.triggered.connect(lambda _on=False, row=i: self.setCurrentIndex(row))
            self._group.addAction(action)
            self._menu.addAction(action)

    def _show(self) -> None:
        self.setText(f"{self.currentText()} ▾" if self._items else "—")
        for i, action in enumerate(self._group.actions()):
            action.setChecked(i == self._index)

    # -- input ------------------------------------------------------------------------------

    def _step(self, delta: int) -> None:
        self.setCurrentIndex(min(len(self._items) - 1, max(0, self._index + delta)))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        step = {Qt.Key.Key_Up: -1, Qt.Key.Key_Left: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_Right: 1}
        delta = step.get(Qt.Key(event.key()))
        if delta is not None and self._items:
            self._step(delta)
            return
        super().keyPressEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        turn = event.angleDelta().y()
        if not self.hasFocus() or not self._items or turn == 0:
            event.ignore()  # unfocused, the wheel scrolls the panel (guard_wheel)
            return
        self._step(1 if turn < 0 else -1)  # down is the next value, as in a combo box
