"""Generation parameters, limited to what the chosen model accepts.

Every control offers only the model's own values; one the model does not take
is disabled, and its tooltip says why. Size and resolution + aspect ratio are
alternatives: picking a size disables the other two.
"""

from __future__ import annotations

import random
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QWidget,
)

from videostudio.core.models import VideoModel
from videostudio.core.pricing import default_resolution
from videostudio.ui.compose.chips import ChoiceChip
from videostudio.ui.widgets.inputs import RangeSpinBox, guard_wheel

AUTO_SIZE = "Auto size"
MAX_SEED = 2**31 - 1


def _fill(
    combo: ChoiceChip, values: tuple[Any, ...], label: str = "{}", default: Any = None
) -> None:
    """Offer ``values``; keep the current choice where still offered, else ``default``."""
    keep = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    for value in values:
        combo.addItem(label.format(value), value)
    index = combo.findData(keep)
    if index < 0:
        index = combo.findData(default)
    combo.setCurrentIndex(index if index >= 0 else 0)
    combo.blockSignals(False)


def _allow(widget: QWidget, allowed: bool, why: str, tip: str = "") -> None:
    widget.setEnabled(allowed)
    widget.setToolTip(tip if allowed else why)


class ParamsPanel(QWidget):
    """Signals: changed() whenever a value changes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model: VideoModel | None = None
        self._audio_wanted = True  # the user's choice, kept across silent models
        self._setup_ui()

    def _setup_ui(self) -> None:
        # Chips that show their value, in one row: settings read as values, not as a form.
        self.duration = ChoiceChip("Duration", self)
        self.resolution = ChoiceChip("Resolution", self)
        self.aspect = ChoiceChip("Aspect ratio", self)
        self.size_combo = ChoiceChip("Size", self)
        self.seed_fixed = QCheckBox("Fixed seed", self)
        self.seed = RangeSpinBox(self)
        self.seed.setRange(0, MAX_SEED)
        self.seed.setToolTip(
            "The same seed gives a similar clip again. " + self.seed.range_check.tip()
        )
        # A wheel over a chip scrolls the panel, as over every other setting.
        guard_wheel(self.duration, self.resolution, self.aspect, self.size_combo)
        self.audio = QCheckBox("Audio", self)
        self.seed.setAccessibleName("Seed")
        self.audio.setAccessibleName("Audio")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(2)
        for column, (chip, caption) in enumerate(
            (
                (self.duration, "&Duration"),
                (self.resolution, "&Resolution"),
                (self.aspect, "&Aspect"),
                (self.size_combo, "Si&ze"),
            )
        ):
            label = QLabel(caption, self)
            label.setObjectName("caption")
            label.setBuddy(chip)
            grid.addWidget(label, 0, column)
            grid.addWidget(chip, 1, column)
        grid.setColumnStretch(4, 1)
        seed_row = QHBoxLayout()
        seed_row.setContentsMargins(0, 4, 0, 0)
        seed_row.addWidget(self.seed_fixed)
        seed_row.addWidget(self.seed, 1)
        seed_row.addSpacing(8)
        seed_row.addWidget(self.audio)
        grid.addLayout(seed_row, 2, 0, 1, 5)
        for combo in (self.duration, self.resolution, self.aspect):
            combo.currentIndexChanged.connect(self.changed)
        self.size_combo.currentIndexChanged.connect(self._on_size_current_index_changed)
        self.seed_fixed.toggled.connect(self._on_seed_fixed_toggled)
        self.seed.valueChanged.connect(self.changed)
        self.audio.toggled.connect(self._on_audio_toggled)
        self.seed.setEnabled(False)

    # -- the model limits everything ------------------------------------------------------

    def set_model(self, model: VideoModel) -> None:
        self._model = model
        name = model.name
        _fill(self.duration, model.supported_durations or (), "{} s")
        # The same default the estimates and the model list's price assume.
        _fill(self.resolution, model.supported_resolutions or (), default=default_resolution(model))
        _fill(self.aspect, model.supported_aspect_ratios or ())
        _fill(self.size_combo, (None, *(model.supported_sizes or ())))
        self.size_combo.setItemText(0, AUTO_SIZE)
        _allow(self.duration, bool(model.supported_durations), f"{name} takes no duration.")
        _allow(
            self.size_combo,
            bool(model.supported_sizes),
            f"{name} offers no exact sizes.",
            "An exact size replaces resolution and aspect ratio.",
        )
        _allow(
            self.seed_fixed,
            bool(model.seed),
            f"{name} does not accept a seed: every run differs.",
            "Use the same seed to get a similar clip again.",
        )
        if not model.seed:
            self.seed_fixed.setChecked(False)
        _allow(self.audio, bool(model.generate_audio), f"{name} makes silent clips only.")
        self.audio.blockSignals(True)
        self.audio.setChecked(bool(model.generate_audio) and self._audio_wanted)
        self.audio.blockSignals(False)
        self._update_resolution_aspect()
        self.clear_problems()
        self.changed.emit()

    def _update_resolution_aspect(self) -> None:
        model = self._model
        if model is None:
            return
        by_size = self.size_combo.currentData() is not None
        why_size = "The chosen size sets the resolution and aspect ratio."
        _allow(
            self.resolution,
            bool(model.supported_resolutions) and not by_size,
            why_size if by_size else f"{model.name} has no resolution choice.",
        )
        _allow(
            self.aspect,
            bool(model.supported_aspect_ratios) and not by_size,
            why_size if by_size else f"{model.name} has no aspect ratio choice.",
        )

    def _on_size_current_index_changed(self) -> None:
        self._update_resolution_aspect()
        self.changed.emit()

    def _on_audio_toggled(self, on: bool) -> None:
        self._audio_wanted = on
        self.changed.emit()

    def _on_seed_fixed_toggled(self, fixed: bool) -> None:
        self.seed.setEnabled(fixed)
        if fixed and self.seed.value() == 0:
            self.seed.setValue(random.randint(1, MAX_SEED))  # noqa: S311 (not security)
        self.changed.emit()

    # -- values ------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """The request fields these controls set (None = not sent)."""
        by_size = self.size_combo.currentData() is not None
        return {
            "duration": self.duration.currentData() if self.duration.isEnabled() else None,
            "size": self.size_combo.currentData(),
            "resolution": None
            if by_size or not self.resolution.isEnabled()
            else self.resolution.currentData(),
            "aspect_ratio": None
            if by_size or not self.aspect.isEnabled()
            else self.aspect.currentData(),
            "seed": self.seed.value() if self.seed_fixed.isChecked() else None,
            "generate_audio": self.audio.isChecked() if self.audio.isEnabled() else None,
        }

    def apply(self, values: dict[str, Any]) -> None:
        """Select saved values where the current model still offers them."""
        for combo, key in (
            (self.duration, "duration"),
            (self.resolution, "resolution"),
            (self.aspect, "aspect_ratio"),
            (self.size_combo, "size"),
        ):
            index = combo.findData(values.get(key))
            if index >= 0:
                combo.setCurrentIndex(index)
        if values.get("seed") is not None and self.seed_fixed.isEnabled():
            self.seed.setValue(int(values["seed"]))
            self.seed_fixed.setChecked(True)
        if values.get("generate_audio") is not None and self.audio.isEnabled():
            self.audio.setChecked(bool(values["generate_audio"]))

    # -- problems from validation or the server ------------------------------------------

    def widget_for(self, field: str) -> QWidget | None:
        widgets: dict[str, QWidget] = {
            "duration": self.duration,
            "resolution": self.resolution,
            "aspect_ratio": self.aspect,
            "size": self.size_combo,
            "seed": self.seed,
            "generate_audio": self.audio,
        }
        return widgets.get(field)

    def show_problem(self, field: str, message: str) -> bool:
        widget = self.widget_for(field)
        if widget is None:
            return False
        widget.setProperty("problem", True)
        widget.setToolTip(message)
        widget.style().polish(widget)
        return True

    def clear_problems(self) -> None:
        for field in ("duration", "resolution", "aspect_ratio", "size", "seed", "generate_audio"):
            widget = self.widget_for(field)
            if widget is not None and widget.property("problem"):
                widget.setProperty("problem", False)
                widget.style().polish(widget)
