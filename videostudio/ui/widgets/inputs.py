"""Inputs that change what a job costs: only on purpose.

A wheel turns a combo box or spin box only while it has keyboard focus; over an
unfocused one it scrolls the panel underneath (the event goes on to the parent).
A number field shows its range and refuses a typed value outside it visibly (the
field is marked and says why) instead of clamping it to the nearest end.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QValidator, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QApplication,
    QDoubleSpinBox,
    QSpinBox,
    QToolTip,
    QWidget,
)


class _WheelGuard(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not isinstance(event, QWheelEvent) or not isinstance(watched, QWidget):
            return False
        focus = QApplication.focusWidget()
        if focus is not None and (focus is watched or watched.isAncestorOf(focus)):
            return False
        area = _scroll_area_of(watched)
        if area is not None:  # the panel scrolls as if the control were not there
            viewport = area.viewport()
            QApplication.sendEvent(
                viewport,
                QWheelEvent(
                    viewport.mapFromGlobal(event.globalPosition()),
                    event.globalPosition(),
                    event.pixelDelta(),
                    event.angleDelta(),
                    event.buttons(),
                    event.modifiers(),
                    event.phase(),
                    event.inverted(),
                ),
            )
        return True


def _scroll_area_of(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QAbstractScrollArea):
        parent = parent.parentWidget()
    return parent


_GUARD = _WheelGuard()  # stateless: one filter serves every control


def guard_wheel(*widgets: QWidget) -> None:
    """Let a wheel change these controls only while they have focus (and not give it)."""
    for widget in widgets:
        if widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
            widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # a wheel does not take focus
        widget.installEventFilter(_GUARD)


def number_text(value: float) -> str:
    """1 -> "1", 0.5 -> "0.5", 2147483647 -> "2147483647" (never in e-notation)."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def range_text(low: float, high: float) -> str:
    return f"{number_text(low)} to {number_text(high)}"


class _RangeCheck:
    """Marks a spin box whose typed text is a number outside its range, saying why."""

    def __init__(self, box: QSpinBox | QDoubleSpinBox) -> None:
        self.box = box
        self._plain_tip = ""
        box.setProperty("problem", False)
        self._refused_over: float | None = None  # the value kept when a typed one was refused
        box.valueChanged.connect(self._on_box_value_changed)

    def first(self) -> float:
        """The lowest real value (a special "not set" value sits one step below it)."""
        box = self.box
        low = float(box.minimum())
        return low + box.singleStep() if box.specialValueText() else low

    def tip(self) -> str:
        return f"Takes {range_text(self.first(), float(self.box.maximum()))}."

    def accepts(self, text: str) -> bool:
        """False, and the field marked, when ``text`` is a number outside the range."""
        box = self.box
        bare = text.removeprefix(box.prefix()).removesuffix(box.suffix()).strip()
        number, ok = box.locale().toDouble(bare)
        if not ok or bare == box.specialValueText():
            return True
        if self.first() <= number <= float(box.maximum()):
            if number != self._refused_over:  # (not Qt putting the kept value back)
                self.clear()
            return True
        self._mark(
            f"{bare} is out of range: this field takes "
            f"{range_text(self.first(), float(box.maximum()))}."
        )
        return False

    def _mark(self, why: str) -> None:
        box = self.box
        if not box.property("problem"):
            self._plain_tip = box.toolTip()
            self._refused_over = float(box.value())
        elif box.toolTip() == why:
            return
        box.setProperty("problem", True)
        box.setToolTip(why)
        box.style().polish(box)
        if box.isVisible():
            QToolTip.showText(box.mapToGlobal(box.rect().bottomLeft()), why, box)

    def _on_box_value_changed(self, value: float) -> None:
        if value != self._refused_over:  # Qt re-sends the kept value when it drops the typing
            self.clear()

    def clear(self) -> None:
        box = self.box
        self._refused_over = None
        if box.property("problem"):
            box.setProperty("problem", False)
            box.setToolTip(self._plain_tip)
            box.style().polish(box)


class RangeSpinBox(QSpinBox):
    """An integer field that refuses out-of-range typing visibly (see the module doc)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.range_check = _RangeCheck(self)
        guard_wheel(self)

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        if not self.range_check.accepts(text):
            return QValidator.State.Intermediate, text, pos  # kept as typed, never taken
        return super().validate(text, pos)


class RangeDoubleSpinBox(QDoubleSpinBox):
    """A decimal field that refuses out-of-range typing visibly (see the module doc)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.range_check = _RangeCheck(self)
        guard_wheel(self)

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        if not self.range_check.accepts(text):
            return QValidator.State.Intermediate, text, pos
        return super().validate(text, pos)
