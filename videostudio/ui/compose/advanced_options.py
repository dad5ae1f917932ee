"""The "Advanced" section: the chosen model's provider options (reference §3.3).

One row per key of ``allowed_passthrough_parameters`` (but those Settings already
shows, such as Veo's aspectRatio), typed and named in words where the key is known
(core/options.KNOWN: bool, number, integer, choice, text) and free text otherwise; the
raw key is in the tooltip. A number shows its range. Every row starts "not set" and
nothing is sent unless the user sets it: the provider's own default applies.
values() is what core/options.provider_field takes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from videostudio.core.models import VideoModel
from videostudio.core.options import (
    KNOWN,
    OptionKind,
    check_options,
    form_options,
    kind_of,
    provider_field,
)
from videostudio.ui.widgets.inputs import (
    RangeDoubleSpinBox,
    RangeSpinBox,
    guard_wheel,
    number_text,
)

NOT_SET = "not set"
_WIDE = 1e6  # the range of a number option whose limits are not known


def option_label(key: str) -> str:
    """The words for option ``key``: its known label ("cfg_scale" -> "Prompt adherence"),
    else the key as words ("contentModeration" -> "Content moderation")."""
    if kind_of(key).label:
        return kind_of(key).label
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key).replace("_", " ").split()
    text = " ".join(words).lower()
    return text[:1].upper() + text[1:]


class _TriBox(QCheckBox):
    """A checkbox whose third state means "not set"; a click goes on, then on/off."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(NOT_SET, parent)
        self.setTristate(True)
        self.setCheckState(Qt.CheckState.PartiallyChecked)
        self.stateChanged.connect(self._on_state_changed)

    def nextCheckState(self) -> None:
        on = self.checkState() != Qt.CheckState.Checked
        self.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def _on_state_changed(self, _state: int) -> None:
        state = self.checkState()
        self.setText(
            NOT_SET
            if state == Qt.CheckState.PartiallyChecked
            else "on"
            if state == Qt.CheckState.Checked
            else "off"
        )


class _OptionRow:
    """One option's control: value() is None while not set."""

    def __init__(self, key: str, kind: OptionKind, parent: QWidget, changed: Callable[[], None]):
        self.key = key
        self.kind = kind
        self.widget = self._make(parent)
        self.widget.setAccessibleName(option_label(key))
        self.reset = QToolButton(parent)
        self.reset.setText("×")
        self.reset.setAutoRaise(True)
        self.reset.setToolTip("Not set: leave it to the provider's default")
        self.reset.setAccessibleName(f"Unset {option_label(key)}")
        self.reset.clicked.connect(lambda: self.set_value(None))
        self._changed = changed
        self._connect()
        self._sync_reset()

    def _make(self, parent: QWidget) -> QWidget:
        kind = self.kind.kind
        if kind == "bool":
            return _TriBox(parent)
        if kind == "choice":
            combo = QComboBox(parent)
            guard_wheel(combo)
            combo.addItem(NOT_SET, None)
            labels = self.kind.choice_labels or self.kind.choices
            for label, choice in zip(labels, self.kind.choices, strict=True):
                combo.addItem(label, choice)
                combo.setItemData(
                    combo.count() - 1, f"Sent as {choice}", Qt.ItemDataRole.ToolTipRole
                )
            return combo
        if kind == "integer":
            spin = RangeSpinBox(parent)
            first = int(self.kind.minimum) if self.kind.minimum is not None else -int(_WIDE)
            last = int(self.kind.maximum) if self.kind.maximum is not None else int(_WIDE)
            spin.setRange(first - 1, last)  # one below the range reads "not set"
            spin.setSpecialValueText(NOT_SET)
            spin.setValue(spin.minimum())
            return spin
        if kind == "number":
            dspin = RangeDoubleSpinBox(parent)
            low = self.kind.minimum if self.kind.minimum is not None else -_WIDE
            high = self.kind.maximum if self.kind.maximum is not None else _WIDE
            step = (high - low) / 100 if high - low <= 100 else 0.1
            dspin.setDecimals(max(1, -math.floor(math.log10(step))))
            dspin.setSingleStep(step)
            dspin.setRange(low - step, high)  # one step below the range reads "not set"
            dspin.setSpecialValueText(NOT_SET)
            dspin.setValue(dspin.minimum())
            return dspin
        edit = QLineEdit(parent)
        edit.setPlaceholderText(NOT_SET)  # (the tooltip says the provider decides)
        return edit  # the row's × clears it: no second clear button

    def _connect(self) -> None:
        w = self.widget
        if isinstance(w, QCheckBox):
            w.stateChanged.connect(self._on_edited)
        elif isinstance(w, QComboBox):
            w.currentIndexChanged.connect(self._on_edited)
        elif isinstance(w, (QSpinBox, QDoubleSpinBox)):
            w.valueChanged.connect(self._on_edited)
        elif isinstance(w, QLineEdit):
            w.textChanged.connect(self._on_edited)

    def _on_edited(self) -> None:
        self._sync_reset()
        self._changed()

    def _sync_reset(self) -> None:
        self.reset.setEnabled(self.value() is not None)

    def value(self) -> Any:
        w = self.widget
        if isinstance(w, QCheckBox):
            state = w.checkState()
            return (
                None if state == Qt.CheckState.PartiallyChecked else state == Qt.CheckState.Checked
            )
        if isinstance(w, QComboBox):
            return w.currentData()
        if isinstance(w, QSpinBox):
            return None if w.value() == w.minimum() else w.value()
        if isinstance(w, QDoubleSpinBox):
            return None if w.value() <= w.minimum() else round(w.value(), w.decimals())
        if isinstance(w, QLineEdit):
            return w.text() or None
        return None

    def set_value(self, value: Any) -> None:
        """Show ``value`` (None: not set); the caller has checked that it fits the kind."""
        w = self.widget
        if isinstance(w, QCheckBox):
            w.setCheckState(
                Qt.CheckState.PartiallyChecked
                if value is None
                else Qt.CheckState.Checked
                if value
                else Qt.CheckState.Unchecked
            )
        elif isinstance(w, QComboBox):
            w.setCurrentIndex(max(w.findData(value), 0))
        elif isinstance(w, QSpinBox):
            w.setValue(w.minimum() if value is None else int(value))
        elif isinstance(w, QDoubleSpinBox):
            w.setValue(w.minimum() if value is None else float(value))
        elif isinstance(w, QLineEdit):
            w.setText("" if value is None else str(value))
        self._sync_reset()


class AdvancedOptions(QWidget):
    """A collapsible section of the chosen model's provider options, all "not set" at first.

    Signals: changed() whenever an option is set, changed or unset (also by apply and
    set_model).
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model: VideoModel | None = None
        self._rows: dict[str, _OptionRow] = {}
        self._quiet = False  # while rebuilding or applying: one changed() at the end
        self._expanded = False
        self._setup_ui()

    def _setup_ui(self) -> None:
        self.setObjectName("advancedOptions")
        self.header = QToolButton(self)
        self.header.setObjectName("advancedHeader")
        self.header.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.header.setArrowType(Qt.ArrowType.RightArrow)
        self.header.setAutoRaise(True)
        self.header.setAccessibleName("Advanced provider options")
        self.body = QWidget(self)
        self.note = QLabel(self.body)
        self.note.setObjectName("hint")
        self.note.setWordWrap(True)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        body = QVBoxLayout(self.body)
        body.setContentsMargins(12, 0, 0, 0)
        body.addWidget(self.note)
        body.addLayout(self.form)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.header)
        layout.addWidget(self.body)
        self.header.clicked.connect(self._on_header_clicked)
        self.body.setVisible(False)
        self._update_header()

    # -- the model decides the rows --------------------------------------------------------

    def set_model(self, model: VideoModel | None) -> list[str]:
        """Rebuild for ``model``; keep the values it still takes. Returns the keys dropped."""
        kept = self.values()
        self._model = model
        self._quiet = True
        try:
            while self.form.rowCount():
                self.form.removeRow(0)
            self._rows.clear()
            keys = form_options(model) if model else []
            self.note.setText("")
            if keys:
                self.note.setText("Sent only when set; unset options keep the provider's defaults.")
                for key in keys:
                    self._add_row(key)
            dropped = self._apply(kept)
        finally:
            self._quiet = False
        self._update_header()
        self.changed.emit()
        return dropped

    def _add_row(self, key: str) -> None:
        kind = kind_of(key)
        row = _OptionRow(key, kind, self.body, self._on_row_changed)
        if kind.tip:
            what = kind.tip
        elif key in KNOWN:
            what = f"A {kind.kind} option."
        else:
            what = "Free text, sent as typed (see the provider's documentation)."
        name = option_label(key)
        if isinstance(row.widget, (RangeSpinBox, RangeDoubleSpinBox)):
            what += " " + row.widget.range_check.tip()
            low, high = row.widget.range_check.first(), row.widget.maximum()
            name += f" ({number_text(low)}–{number_text(high)})"
        tip = f"{what} Sent as {key}; not sent unless set."
        row.widget.setToolTip(tip)
        line = QHBoxLayout()
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(row.widget, 1)
        line.addWidget(row.reset)
        label = QLabel(name, self.body)
        label.setToolTip(tip)
        label.setBuddy(row.widget)
        self.form.addRow(label, line)
        self._rows[key] = row

    def model(self) -> VideoModel | None:
        return self._model

    def option_keys(self) -> list[str]:
        return list(self._rows)

    def control(self, key: str) -> QWidget:
        """The control of option ``key`` (KeyError when the model does not take it)."""
        return self._rows[key].widget

    # -- values --------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """The options the user set (what core.options.provider_field takes)."""
        return {k: v for k, row in self._rows.items() if (v := row.value()) is not None}

    def provider(self) -> dict[str, Any] | None:
        """The request's ``provider`` field for these options, or None when none is set."""
        if self._model is None:
            return None
        return provider_field(self._model.id, self.values())

    def apply(self, options: Mapping[str, Any]) -> list[str]:
        """Show saved options ("use these settings"); return the keys not applied (the model
        does not take them, or the value does not fit)."""
        self._quiet = True
        try:
            for row in self._rows.values():
                row.set_value(None)
            dropped = self._apply(options)
        finally:
            self._quiet = False
        self._update_header()  # "Advanced · 2 set": it opens only when the user opens it
        self.changed.emit()
        return dropped

    def _apply(self, options: Mapping[str, Any]) -> list[str]:
        dropped = []
        for key, value in options.items():
            row = self._rows.get(key)
            fits = (
                row is not None
                and self._model is not None
                and not check_options(self._model, {key: value})
            )
            if row is None or not fits:
                dropped.append(key)
                continue
            row.set_value(value)
        return dropped

    def clear(self) -> None:
        """Every option back to "not set"."""
        self.apply({})

    # -- collapsing ------------------------------------------------------------------------

    def set_expanded(self, on: bool) -> None:
        self._expanded = on
        self.body.setVisible(on)
        self.header.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)

    def is_expanded(self) -> bool:
        return self._expanded

    def _on_header_clicked(self) -> None:
        self.set_expanded(not self._expanded)

    def _on_row_changed(self) -> None:
        if self._quiet:
            return
        self._update_header()
        self.changed.emit()

    def _update_header(self) -> None:
        count = len(self.values())
        if not self._rows:
            model = self._model.name if self._model else "This model"
            text = "Advanced: none for this model"
            self.header.setToolTip(f"{model} takes no provider options.")
        else:
            text = f"Advanced · {count} set" if count else "Advanced"
            self.header.setToolTip(
                "Provider options this model takes; nothing is sent unless you set it."
            )
        self.header.setText(text)
        self.header.setEnabled(bool(self._rows))
        if not self._rows:
            self.set_expanded(False)
