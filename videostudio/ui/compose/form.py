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

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
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
from videostudio.core.presets import Preset
from videostudio.core.validation import Problem
from videostudio.ui.compose.advanced_options import AdvancedOptions
from videostudio.ui.compose.assistant import ProposalPanel
from videostudio.ui.compose.history import HistoryWalker
from videostudio.ui.compose.image_zone import ImageZone
from videostudio.ui.compose.model_picker import ModelPicker, facts_text
from videostudio.ui.compose.params_panel import ParamsPanel
from videostudio.ui.compose.presets import PresetsButton
from videostudio.ui.compose.prompt_edit import PromptEdit

SPACE = 8  # the compose panel's spacing unit
MIN_WIDTH = 300
PREFERRED_MODEL = "google/veo-3.1-fast"  # a good, affordable first choice
DRAFT_SAVE_DELAY_MS = 400  # the draft is written this long after the last edit

# (prompt, model, params) -> (estimate label, its basis); the images count too.
Estimator = Callable[[str, VideoModel, dict[str, Any]], tuple[str, str]]
# (prompt, model, params) -> what sending it does to the caps ("" when it fits).
CapNote = Callable[[str, VideoModel, dict[str, Any]], str]


def _section(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName("sectionTitle")
    return label


class ComposeForm(QWidget):
    """Signals: generate_requested(prompt, model, params, options); variations_requested();
    model_chosen(model) when the settings show another model; draft_saved() after the draft
    was written (the images are kept by the view-model); message(text) for the status bar;
    improve_requested(prompt, model) and history_requested() for the prompt's tools."""

    generate_requested = Signal(str, object, dict, dict)
    improve_requested = Signal(str, object)
    history_requested = Signal()
    variations_requested = Signal()
    model_chosen = Signal(object)
    draft_saved = Signal()
    message = Signal(str)

    def __init__(
        self,
        settings: QSettings,
        estimator: Estimator,
        parent: QWidget | None = None,
        *,
        cap_note: CapNote | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self._estimator = estimator
        self._cap_note = cap_note
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
        self.improve_button.clicked.connect(self.request_improve)
        self.history_button.clicked.connect(self.history_requested)
        self.proposal.accepted.connect(self._on_proposal_accepted)

    def _build(self) -> None:
        form = QWidget(self)
        self.prompt = PromptEdit(form)
        self.history = HistoryWalker(self.prompt)
        self.improve_button = QPushButton("Improve prompt", form)
        self.improve_button.setToolTip(
            "Rewrite the prompt for the chosen model with an AI assistant (Ctrl+Shift+I); "
            "you see the proposal and its cost before anything changes"
        )
        self.history_button = QPushButton("History…", form)
        self.history_button.setToolTip(
            "Find a prompt you sent (Ctrl+H); Ctrl+Up and Ctrl+Down in the prompt walk them"
        )
        self.proposal = ProposalPanel(form)
        self.presets_button = PresetsButton(form)
        self.model_picker = ModelPicker(form)
        self.model_facts = QLabel(form)  # price first, then what the model can do
        self.model_facts.setObjectName("modelFacts")
        self.model_facts.setWordWrap(True)
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
        self.estimate.setWordWrap(True)  # "… · over today's cap by $0.30" on a second line
        self.variations_button = QPushButton("Variations…", self)
        self.variations_button.setToolTip(
            "Send this draft as a batch: several seeds, several models, or both (Ctrl+B)"
        )
        self.generate_button = QPushButton("Generate", self)
        self.generate_button.setObjectName("generate")
        self.generate_button.setToolTip("Generate the clip (Ctrl+Enter)")
        self.generate_button.setDefault(True)
        form_layout = QVBoxLayout(form)
        form_layout.setContentsMargins(SPACE, 0, SPACE, SPACE)
        form_layout.setSpacing(SPACE // 2)
        form_layout.addWidget(_section("Prompt", form))
        form_layout.addWidget(self.prompt, 1)
        tools = QHBoxLayout()
        tools.addWidget(self.improve_button)
        tools.addWidget(self.history_button)
        tools.addStretch(1)
        form_layout.addLayout(tools)
        form_layout.addWidget(self.proposal)
        form_layout.addWidget(_section("Model", form))
        form_layout.addWidget(self.model_picker)
        form_layout.addWidget(self.model_facts)
        form_layout.addWidget(self.catalog_status)
        settings_head = QHBoxLayout()
        settings_head.addWidget(_section("Settings", form), 1)
        settings_head.addWidget(self.presets_button)
        form_layout.addLayout(settings_head)
        form_layout.addWidget(self.params)
        form_layout.addWidget(self.advanced)
        form_layout.addWidget(_section("Images", form))
        form_layout.addWidget(self.images)
        scroll = self.form_scroll = QScrollArea(self)
        scroll.setWidget(form)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Problems, the estimate and Generate stay in view however the form scrolls.
        self.estimate.setWordWrap(True)  # a cap warning may take a second line
        go = QHBoxLayout()
        go.setContentsMargins(SPACE, 0, SPACE, 0)
        go.addStretch(1)
        go.addWidget(self.variations_button)
        go.addWidget(self.generate_button)
        self._content = form
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        self.problem_label.setContentsMargins(SPACE, 0, SPACE, 0)
        layout.addWidget(self.problem_label)
        self.estimate.setContentsMargins(SPACE, 0, SPACE, 0)
        layout.addWidget(self.estimate)
        layout.addLayout(go)
        self._fit_width()

    def _fit_width(self) -> None:
        """As wide as the widest row of controls: the form never scrolls sideways."""
        bar = self.form_scroll.verticalScrollBar().sizeHint().width()
        self.setMinimumWidth(max(MIN_WIDTH, self._content.minimumSizeHint().width() + bar))

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
        self.model_facts.setText(facts_text(model))
        self.params.set_model(model)  # a refreshed catalogue keeps the values still offered
        saved = self.settings.value(f"draft/params/{model_id}")
        if switched and isinstance(saved, dict):
            self.params.apply(saved)
        self.advanced.set_model(model)
        self._fit_width()
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

    def apply_preset(self, preset: Preset) -> None:
        """A preset's settings in the form (the prompt and the images stay as they are)."""
        if self.model_picker.current_id() != preset.model and not self.model_picker.select(
            preset.model
        ):
            self.message.emit(f"{preset.model} is not in the model list any more.")
            return
        self.params.apply(
            {
                "duration": preset.duration,
                "resolution": preset.resolution,
                "aspect_ratio": preset.aspect_ratio,
                "size": preset.size,
                "seed": preset.seed,
                "generate_audio": preset.generate_audio,
            }
        )
        if preset.seed is None:
            self.params.seed_fixed.setChecked(False)
        self.advanced.clear()
        self.advanced.apply(dict(preset.options))
        self._on_draft_changed()

    def settings_for_preset(self) -> dict[str, Any] | None:
        """The settings a preset keeps (model, parameters, options); None without a model."""
        model_id = self.model_picker.current_id()
        if not model_id:
            return None
        return {"model": model_id, **self.params.values(), "options": self.advanced.values()}

    # -- the prompt's tools -----------------------------------------------------------------

    def request_improve(self) -> None:
        model = self.model_picker.current_model()
        if model is None:
            self.proposal.fail("Choose a model first: the rewrite follows what it responds to.")
            return
        self.improve_requested.emit(self.prompt.text(), model)

    def _on_proposal_accepted(self, text: str) -> None:
        self.prompt.replace_text(text)
        self.prompt.focus()

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
        prompt, params = self.prompt.text(), self.params.values()
        label, basis = self._estimator(prompt, model, params)
        over = self._cap_note(prompt, model, params) if self._cap_note is not None else ""
        text = f"Estimated {label}" if label != "price unknown" else "Price unknown"
        self.estimate.setText(f"{text} · {over}" if over else text)
        self.estimate.setToolTip(basis)
        self.estimate.setProperty("over", bool(over))  # the warning colour (style.py)
        self.estimate.style().polish(self.estimate)

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
