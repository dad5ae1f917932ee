"""The compose form: prompt, model, settings, advanced options, images, estimate, Generate.

It owns the draft's controls and their logic: the draft is kept in settings a moment after
each edit and comes back on the next start; each model keeps its own settings; the estimate
follows every edit; problems are shown at the control they concern. Intents leave as
signals (generate, variations, a model chosen); the window wires them to the view-model.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSettings, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from videostudio.core.models import GenerationRequest, VideoModel
from videostudio.core.validation import Problem
from videostudio.ui.compose.advanced_options import AdvancedOptions
from videostudio.ui.compose.image_zone import ImageZone
from videostudio.ui.compose.model_picker import ModelPicker
from videostudio.ui.compose.params_panel import ParamsPanel
from videostudio.ui.compose.prompt_edit import PromptEdit

PREFERRED_MODEL = "google/veo-3.1-fast"  # a good, affordable first choice
DRAFT_SAVE_DELAY_MS = 400  # the draft is written this long after the last edit

# (prompt, model, params) -> (estimate label, its basis); the images count too.
Estimator = Callable[[str, VideoModel, dict[str, Any]], tuple[str, str]]


def _section(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName("sectionTitle")
    return label


class ComposeForm(QWidget):
    """Signals: generate_requested(prompt, model, params, options); variations_requested();
    model_chosen(model) when the settings show another model; draft_saved() after the draft
    was written (the images are kept by the view-model); message(text) for the status bar."""

    generate_requested = Signal(str, object, dict, dict)
    variations_requested = Signal()
    model_chosen = Signal(object)
    draft_saved = Signal()
    message = Signal(str)

    def __init__(
        self, settings: QSettings, estimator: Estimator, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self._estimator = estimator
        self._shown_model: str | None = None  # the model the settings are showing
        self._sending = False
        self._build()
        self._draft_timer = QTimer(self)  # the draft is kept a moment after each edit
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_SAVE_DELAY_MS)
        self._draft_timer.timeout.connect(self.save_draft)
        self.prompt.submitted.connect(self.request_generate)
        self.prompt.changed.connect(self._on_draft_changed)
        self.generate_button.clicked.connect(self.request_generate)
        self.variations_button.clicked.connect(self.variations_requested)
        self.model_picker.model_chosen.connect(self._on_model_picker_model_chosen)
        self.params.changed.connect(self._on_draft_changed)
        self.advanced.changed.connect(self._on_draft_changed)

    def _build(self) -> None:
        form = QWidget(self)
        self.prompt = PromptEdit(form)
        self.model_picker = ModelPicker(form)
        self.catalog_status = QLabel(form)
        self.catalog_status.setObjectName("hint")
        self.catalog_status.setWordWrap(True)
        self.params = ParamsPanel(form)
        self.images = ImageZone(form)
        self.problem_label = QLabel(self)
        self.problem_label.setObjectName("inlineMessage")
        self.problem_label.setWordWrap(True)
        self.problem_label.hide()
        self.advanced = AdvancedOptions(form)
        self.estimate = QLabel(self)
        self.estimate.setObjectName("estimate")
        self.variations_button = QPushButton("Variations…", self)
        self.variations_button.setToolTip(
            "Send this draft as a batch: several seeds, several models, or both (Ctrl+B)"
        )
        self.generate_button = QPushButton("Generate", self)
        self.generate_button.setObjectName("generate")
        self.generate_button.setToolTip("Generate the clip (Ctrl+Enter)")
        self.generate_button.setDefault(True)
        form_layout = QVBoxLayout(form)
        form_layout.addWidget(_section("Prompt", form))
        form_layout.addWidget(self.prompt, 3)
        form_layout.addWidget(_section("Model", form))
        form_layout.addWidget(self.model_picker)
        form_layout.addWidget(self.catalog_status)
        form_layout.addWidget(_section("Settings", form))
        form_layout.addWidget(self.params)
        form_layout.addWidget(self.advanced)
        form_layout.addWidget(_section("Images", form))
        form_layout.addWidget(self.images)
        form_layout.addStretch(1)
        scroll = self.form_scroll = QScrollArea(self)
        scroll.setWidget(form)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        # Problems, the estimate and Generate stay in view however the form scrolls.
        go = QHBoxLayout()
        go.setContentsMargins(9, 0, 9, 0)
        go.addWidget(self.estimate, 1)
        go.addWidget(self.variations_button)
        go.addWidget(self.generate_button)
        self.setMinimumWidth(340)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        self.problem_label.setContentsMargins(9, 0, 9, 0)
        layout.addWidget(self.problem_label)
        layout.addLayout(go)

    # -- the draft kept between runs --------------------------------------------------------

    def restore(self) -> None:
        """The last run's prompt, with the focus in it."""
        self.prompt.set_text(str(self.settings.value("draft/prompt", "") or ""))
        self._draft_timer.stop()  # restoring is not an edit
        self.prompt.focus()

    def save_draft(self) -> None:
        """Keep the draft (prompt, model, its settings and options) so a restart or a crash
        finds it as it was."""
        self._draft_timer.stop()
        s = self.settings
        s.setValue("draft/prompt", self.prompt.text())
        model_id = self.model_picker.current_id()
        if model_id:
            s.setValue("draft/model", model_id)
            self._save_params(model_id)
        s.sync()
        self.draft_saved.emit()

    def _save_params(self, model_id: str) -> None:
        values = {k: v for k, v in self.params.values().items() if v is not None}
        self.settings.setValue(f"draft/params/{model_id}", values)
        self.settings.setValue(f"draft/options/{model_id}", json.dumps(self.advanced.values()))

    def _on_draft_changed(self) -> None:
        self.update_estimate()
        self._draft_timer.start()  # kept a moment later: a crash loses at most that

    # -- models -----------------------------------------------------------------------------

    def set_models(self, models: list[VideoModel], status: str) -> None:
        keep = self.model_picker.current_id() or str(self.settings.value("draft/model", "")) or None
        self.model_picker.set_models(models, keep or PREFERRED_MODEL)
        self.catalog_status.setText(status)
        self.catalog_status.setVisible(bool(status))
        self._update_generate()

    def _on_model_picker_model_chosen(self, model_id: str) -> None:
        model = self.model_picker.current_model()
        if model is None:
            return
        switched = model_id != self._shown_model
        if switched and self._shown_model is not None:
            self._save_params(self._shown_model)  # switching back brings them back
        self._shown_model = model_id
        self.params.set_model(model)  # a refreshed catalogue keeps the values still offered
        saved = self.settings.value(f"draft/params/{model_id}")
        if switched and isinstance(saved, dict):
            self.params.apply(saved)
        self.advanced.set_model(model)
        options = self.settings.value(f"draft/options/{model_id}")
        if switched and isinstance(options, str) and options:
            self.advanced.apply(json.loads(options))
        self.model_chosen.emit(model)
        self._on_draft_changed()

    # -- a clip's settings back in the form -------------------------------------------------

    def load_request(self, request: GenerationRequest, options: dict[str, Any]) -> None:
        """A clip's prompt, model, settings and options in the form (its images are the
        view-model's)."""
        self.prompt.set_text(request.prompt or "")
        if self.model_picker.current_id() != request.model and not self.model_picker.select(
            request.model
        ):
            self.message.emit(f"{request.model} is not in the model list any more; choose another.")
        self.params.apply(
            {
                "duration": request.duration,
                "resolution": request.resolution,
                "aspect_ratio": request.aspect_ratio,
                "size": request.size,
                "seed": request.seed,
                "generate_audio": request.generate_audio,
            }
        )
        if request.seed is None:
            self.params.seed_fixed.setChecked(False)
        self.advanced.clear()
        self.advanced.apply(options)

    def finish_load(self) -> None:
        """After a load: the draft changed (estimate, saving) and the prompt has the focus."""
        self._on_draft_changed()
        self.prompt.focus()

    # -- estimate, Generate, problems -------------------------------------------------------

    def update_estimate(self) -> None:
        model = self.model_picker.current_model()
        if model is None:
            self.estimate.setText("")
            return
        label, basis = self._estimator(self.prompt.text(), model, self.params.values())
        self.estimate.setText(f"Estimated {label}" if label != "price unknown" else "Price unknown")
        self.estimate.setToolTip(basis)

    def set_sending(self, sending: bool) -> None:
        self._sending = sending
        self._update_generate()

    def _update_generate(self) -> None:
        ready = self.model_picker.current_model() is not None
        self.generate_button.setEnabled(ready and not self._sending)
        self.generate_button.setText("Sending…" if self._sending else "Generate")

    def request_generate(self) -> None:
        """Ask for the draft to be generated (once: not while the last press is on its way)."""
        if self._sending:
            return
        model = self.model_picker.current_model()
        if model is None:
            self.show_problems([Problem("", "Choose a model first.")])
            return
        self.generate_requested.emit(
            self.prompt.text(), model, self.params.values(), self.advanced.values()
        )

    def show_problems(self, problems: list[Problem]) -> None:
        """Each problem at its control where it has one; all of them next to Generate."""
        self.params.clear_problems()
        self.prompt.editor.setProperty("problem", False)
        messages = []
        for problem in problems:
            if problem.field == "prompt":
                self.prompt.editor.setProperty("problem", True)
            elif not self.params.show_problem(problem.field, problem.message):
                pass  # said below, next to Generate
            messages.append(problem.message)
        self.prompt.editor.style().polish(self.prompt.editor)
        self.problem_label.setText("\n".join(dict.fromkeys(messages)))
        self.problem_label.setVisible(bool(messages))
        if any(p.field == "prompt" for p in problems):
            self.prompt.focus()

    def hide_problems(self) -> None:
        self.problem_label.hide()

    # -- images -----------------------------------------------------------------------------

    def add_image_tile(self, image_id: int, thumb: QImage, name: str, note: str) -> None:
        self.images.add_tile(image_id, thumb, name, note)
        self.update_estimate()

    def show_image_messages(self, messages: list[tuple[str, str]]) -> None:
        self.images.show_messages(messages)
        if messages:  # on a short screen the lines may be below the fold: bring them up
            QTimer.singleShot(0, self._scroll_to_image_messages)

    def _scroll_to_image_messages(self) -> None:
        area = self.images.message_area
        if area.isVisible():
            self.form_scroll.ensureWidgetVisible(area, 0, 8)

    def paste_image(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None or not self.images.accept_mime(mime):
            self.images.show_message("The clipboard holds no image, image file or image address.")
