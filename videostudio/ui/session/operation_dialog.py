"""Extend, edit or upscale one saved clip: the models that can, the few settings, the estimate.

The dialog only collects a choice and prices it (with the same plan and price rules the
send uses); ClipActions prepares and sends it through the controller's one submit path.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from videostudio.core.jobs import JobRecord
from videostudio.core.models import VideoModel
from videostudio.core.operations import Operation, SourceClip
from videostudio.core.pricing import estimate_for
from videostudio.core.validation import validate_for_sending
from videostudio.services.operations import DEFAULT_FACTOR, OperationError, plan

_TITLES = {
    Operation.EXTEND: ("Extend", "What happens next"),
    Operation.EDIT: ("Edit", "What to change (e.g. make it dusk, remove the car)"),
    Operation.UPSCALE: ("Upscale", "Optional: what the detail should look like"),
}


@dataclass(frozen=True)
class Offer:
    """What the dialog offers: an operation on one clip, by the models that can do it."""

    operation: Operation
    record: JobRecord
    source: SourceClip
    models: list[VideoModel]
    prompt: str = ""
    model_id: str | None = None
    duration: int | None = None
    factor: float | None = None
    creativity: int | None = None


@dataclass(frozen=True)
class Choice:
    """What the user chose (an Offer's settings, filled in)."""

    operation: Operation
    local_id: int
    model_id: str
    prompt: str
    duration: int | None
    factor: float | None
    creativity: int | None
    estimate_usd: float | None


class OperationDialog(QDialog):
    """One operation on one clip, priced as it is set up. Read ``choice()`` once accepted."""

    def __init__(self, offer: Offer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.offer = offer
        self._estimate: float | None = None
        self._setup_ui()
        self._refresh()

    def _setup_ui(self) -> None:
        offer = self.offer
        title, hint = _TITLES[offer.operation]
        record, source = offer.record, offer.source
        self.setWindowTitle(f"{title} job {record.local_id}")
        self.setObjectName(f"{offer.operation}Dialog")
        self.setMinimumWidth(560)
        about = QLabel(
            f"Job {record.local_id} · {record.model} · {source.width}×{source.height} · "
            f"{source.seconds:g} s\n{record.prompt}",
            self,
        )
        about.setWordWrap(True)
        self.model_combo = QComboBox(self)
        self.model_combo.setAccessibleName("Model")
        for model in offer.models:
            self.model_combo.addItem(model.name, model.id)
        if offer.model_id is not None:
            self.model_combo.setCurrentIndex(max(0, self.model_combo.findData(offer.model_id)))
        self.prompt_edit = QLineEdit(offer.prompt, self)
        self.prompt_edit.setPlaceholderText(hint)
        self.prompt_edit.setAccessibleName(hint)
        self.duration_combo = QComboBox(self)
        self.duration_combo.setAccessibleName("Seconds to add")
        self.factor_spin = QDoubleSpinBox(self)
        self.factor_spin.setAccessibleName("Upscale factor")
        self.factor_spin.setSingleStep(0.5)
        self.factor_spin.setDecimals(1)
        self.factor_spin.setSuffix("×")
        self.creativity_combo = QComboBox(self)
        self.creativity_combo.setAccessibleName("Creativity")
        self.creativity_combo.addItem("Precise (keeps the picture)", 0)
        self.creativity_combo.addItem("Creative (adds detail)", 1)
        self.creativity_combo.setCurrentIndex(1 if offer.creativity else 0)
        self.result_label = QLabel(self)
        self.estimate_label = QLabel(self)
        self.estimate_label.setObjectName("operationEstimate")
        self.estimate_label.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Model", self.model_combo)
        form.addRow(
            "Prompt" if offer.operation is Operation.EXTEND else "Instruction", self.prompt_edit
        )
        extending = offer.operation is Operation.EXTEND
        upscaling = offer.operation is Operation.UPSCALE
        for label, widget, shown in (
            ("Add", self.duration_combo, extending),
            ("Factor", self.factor_spin, upscaling),
            ("Style", self.creativity_combo, upscaling),
        ):
            if shown:
                form.addRow(label, widget)
            else:
                widget.hide()  # kept (choice() reads them) but not part of this operation
        form.addRow("Result", self.result_label)
        self.buttons = QDialogButtonBox(self)
        self.ok_button = self.buttons.addButton(title, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addLayout(form)
        layout.addWidget(self.estimate_label)
        layout.addWidget(self.buttons)

        self._fill_model_controls()
        self.model_combo.currentIndexChanged.connect(self._on_model_combo_current_index_changed)
        for signal in (
            self.prompt_edit.textChanged,
            self.duration_combo.currentIndexChanged,
            self.factor_spin.valueChanged,
            self.creativity_combo.currentIndexChanged,
        ):
            signal.connect(self._refresh)

    def _model(self) -> VideoModel:
        wanted = self.model_combo.currentData()
        return next(m for m in self.offer.models if m.id == wanted)

    def _fill_model_controls(self) -> None:
        model = self._model()
        self.duration_combo.blockSignals(True)
        self.duration_combo.clear()
        for seconds in model.supported_durations or ():
            self.duration_combo.addItem(f"{seconds} s", seconds)
        if self.offer.duration is not None:
            self.duration_combo.setCurrentIndex(
                max(0, self.duration_combo.findData(self.offer.duration))
            )
        self.duration_combo.blockSignals(False)
        low, high = model.upscale_factor or (1.5, 3.0)
        self.factor_spin.blockSignals(True)
        self.factor_spin.setRange(low, high)
        self.factor_spin.setValue(self.offer.factor or DEFAULT_FACTOR)
        self.factor_spin.blockSignals(False)

    def _on_model_combo_current_index_changed(self, _index: int) -> None:
        self._fill_model_controls()
        self._refresh()

    def choice(self) -> Choice:
        op = self.offer.operation
        return Choice(
            operation=op,
            local_id=self.offer.record.local_id,
            model_id=self._model().id,
            prompt=self.prompt_edit.text().strip(),
            duration=self.duration_combo.currentData() if op is Operation.EXTEND else None,
            factor=self.factor_spin.value() if op is Operation.UPSCALE else None,
            creativity=self.creativity_combo.currentData() if op is Operation.UPSCALE else None,
            estimate_usd=self._estimate,
        )

    def _result_text(self, choice: Choice) -> str:
        source = self.offer.source
        if choice.operation is Operation.UPSCALE and choice.factor:
            w, h = round(source.width * choice.factor), round(source.height * choice.factor)
            return f"{w}×{h}, {source.seconds:g} s (the same length)"
        if choice.operation is Operation.EXTEND and choice.duration:
            return (
                f"{source.seconds + choice.duration:g} s: the clip, then {choice.duration} s more"
            )
        return f"{source.width}×{source.height}, {source.seconds:g} s (the same length)"

    def _refresh(self) -> None:
        choice = self.choice()
        model = self._model()
        self.result_label.setText(self._result_text(choice))
        try:
            request = plan(
                choice.operation,
                self.offer.record,
                model,
                prompt=choice.prompt,
                duration=choice.duration,
                factor=choice.factor,
                creativity=choice.creativity,
            )
        except OperationError as exc:
            self._show(None, str(exc), ok=False)
            return
        problems = validate_for_sending(request, model)
        if problems:
            self._show(None, problems[0].message, ok=False)
            return
        estimate = estimate_for(model, request, self.offer.source)
        how = "by its job id" if request.previous_job_id else "the clip is sent as a video"
        self._show(estimate.usd, f"Estimated {estimate.label()} · {estimate.basis} · {how}")

    def _show(self, usd: float | None, text: str, *, ok: bool = True) -> None:
        self._estimate = usd
        self.estimate_label.setText(text)
        self.ok_button.setEnabled(ok)
