"""Send one draft as a batch: N seeds x M models (x prompt lines), priced before sending.

The panel builds the list of GenerationRequest from the draft (the base request)
and the user's choices, checks each model's jobs with validate_for_sending, and
shows the job count and the total estimate as they change. It sends nothing: it
hands the list to the view-model (send_requested), which journals it as one batch
and holds it to the budget (confirmation_text words the question).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from videostudio.core.budget import Budget, confirmations, over_caps
from videostudio.core.models import GenerationRequest, VideoModel
from videostudio.core.options import check_options, options_of, provider_field
from videostudio.core.pricing import format_usd, price_per_second, short_side
from videostudio.core.seeds import random_seed
from videostudio.core.spend import Spend
from videostudio.core.validation import MAX_SEED, validate_for_sending
from videostudio.ui.widgets.inputs import RangeSpinBox

Estimator = Callable[[GenerationRequest], "float | None"]
MAX_JOBS = 100  # a bigger batch is almost surely a slip of the finger, and money
ID_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass
class BatchPlan:
    """The jobs a batch would send, their estimates, and what stands in the way."""

    requests: list[GenerationRequest] = field(default_factory=list)
    estimates: list[float | None] = field(default_factory=list)
    problems: dict[str, list[str]] = field(default_factory=dict)  # model id -> why not
    notes: dict[str, list[str]] = field(default_factory=dict)  # model id -> what was adjusted
    errors: list[str] = field(default_factory=list)  # about the batch as a whole

    @property
    def total(self) -> float:
        return sum(e or 0.0 for e in self.estimates)

    @property
    def unknown(self) -> int:
        return sum(e is None for e in self.estimates)

    @property
    def sendable(self) -> bool:
        return bool(self.requests) and not self.problems and not self.errors


def _nearest(value: int, offered: Iterable[int]) -> int:
    return min(offered, key=lambda v: (abs(v - value), v))  # a tie goes to the shorter


def fit_to_model(
    request: GenerationRequest, model: VideoModel
) -> tuple[GenerationRequest, list[str]]:
    """``request`` for ``model``, each setting it does not offer moved to its nearest one;
    and a sentence per change. Frame images it cannot take are left for validation to name."""
    notes: list[str] = []
    changes: dict[str, object] = {}
    durations = model.supported_durations or ()
    if request.duration is not None and durations and request.duration not in durations:
        changes["duration"] = _nearest(request.duration, durations)
        notes.append(f"{changes['duration']} s instead of {request.duration} s")
    resolutions = model.supported_resolutions or ()
    if request.resolution is not None and request.resolution not in resolutions:
        wanted = short_side(request.resolution) or 0
        sized = [r for r in resolutions if short_side(r) is not None]
        best = min(sized, key=lambda r: abs((short_side(r) or 0) - wanted), default=None)
        changes["resolution"] = best
        notes.append(f"{best} instead of {request.resolution}" if best else "its own resolution")
    ratios = model.supported_aspect_ratios or ()
    if request.aspect_ratio is not None and request.aspect_ratio not in ratios:
        changes["aspect_ratio"] = ratios[0] if ratios else None
        notes.append(
            f"{ratios[0]} instead of {request.aspect_ratio}" if ratios else "its own aspect ratio"
        )
    if request.size is not None and request.size not in (model.supported_sizes or ()):
        changes["size"] = None
        notes.append(f"its own size instead of {request.size}")
    if request.generate_audio and not model.generate_audio:
        changes["generate_audio"] = None
        notes.append("silent (it makes no audio)")
    if request.seed is not None and not model.seed:
        changes["seed"] = None
        notes.append("no seed (it takes none: each run differs)")
    options = options_of(request.provider)
    kept = {k: v for k, v in options.items() if not check_options(model, {k: v})}
    if kept != options:
        dropped = ", ".join(k for k in options if k not in kept)
        notes.append(f"without the options it does not take ({dropped})")
    changes["provider"] = provider_field(model.id, kept)
    fitted = dataclasses.replace(request, model=model.id, **changes)  # type: ignore[arg-type]
    return fitted, notes


def plan_batch(
    base: GenerationRequest,
    models: Sequence[VideoModel],
    seeds: Sequence[int | None],
    estimate: Estimator,
    *,
    prompt_lines: bool = False,
    fit: bool = True,
) -> BatchPlan:
    """Every job of the batch: prompt lines x models x seeds, in that order, on the draft's
    settings (fitted to each model when ``fit``), with estimates and per-model problems."""
    plan = BatchPlan()
    prompt = base.prompt or ""
    prompts: list[str | None] = (
        [line.strip() for line in prompt.splitlines() if line.strip()]
        if prompt_lines
        else [base.prompt]
    )
    if not models:
        plan.errors.append("Check at least one model.")
    if not seeds:
        plan.errors.append("Give at least one seed.")
    count = len(prompts) * len(models) * len(seeds)
    if count > MAX_JOBS:
        plan.errors.append(
            f"That is {count} jobs; a batch is at most {MAX_JOBS}. "
            "Use fewer seeds, models or prompt lines."
        )
        return plan
    options = options_of(base.provider)
    for text in prompts:
        for model in models:
            for seed in seeds:
                request = dataclasses.replace(base, prompt=text, seed=seed)
                if fit:
                    request, notes = fit_to_model(request, model)
                    for note in notes:
                        if note not in plan.notes.setdefault(model.id, []):
                            plan.notes[model.id].append(note)
                else:
                    request = dataclasses.replace(
                        request, model=model.id, provider=provider_field(model.id, options)
                    )
                for problem in validate_for_sending(request, model):
                    if problem.message not in plan.problems.setdefault(model.id, []):
                        plan.problems[model.id].append(problem.message)
                plan.requests.append(request)
                plan.estimates.append(estimate(request))
    plan.problems = {m: p for m, p in plan.problems.items() if p}
    plan.notes = {m: n for m, n in plan.notes.items() if n}
    return plan


def parse_seeds(text: str) -> list[int]:
    """ "1, 2 3" -> [1, 2, 3]; ValueError with a sentence for anything else."""
    parts = [p for p in re.split(r"[\s,;]+", text.strip()) if p]
    seeds = []
    for part in parts:
        if not part.isdigit() or int(part) > MAX_SEED:
            raise ValueError(
                f"{part!r} is not a seed: seeds are whole numbers from 0 to {MAX_SEED}, "
                "separated by commas or spaces."
            )
        seeds.append(int(part))
    return list(dict.fromkeys(seeds))  # the same seed twice would be the same clip twice


def confirmation_text(
    budget: Budget, spend: Spend, estimates: Sequence[float | None], demo: bool = False
) -> str | None:
    """The question to ask before sending these jobs, or None when nothing needs asking.

    Over a cap the answer "send" overrides the cap for this one send.
    """
    total = sum(e or 0.0 for e in estimates)
    reasons = over_caps(budget, spend, total)
    asks = confirmations(budget, list(estimates), demo=demo)
    if not reasons and not asks:
        return None
    parts = []
    if reasons:
        parts.append("This goes over your budget: " + "; and ".join(reasons) + ".")
    parts += asks
    if demo:
        parts.append("(Demo mode: these are simulated prices, not real money.)")
    parts.append("Send anyway?" if reasons else "Send?")
    return " ".join(parts)


class BatchPanel(QWidget):
    """Seeds x models (x prompt lines) for one draft, with the job count and total estimate.

    ``estimate(request)`` prices one request in USD (None: price unknown).
    Signals: changed() whenever the plan changes, cancelled() on Cancel (nothing sent),
    send_requested(object) with the
    list[GenerationRequest] to send (only when every job can be sent).
    """

    changed = Signal()
    cancelled = Signal()
    send_requested = Signal(object)

    def __init__(
        self,
        estimate: Estimator,
        parent: QWidget | None = None,
        seed_source: Callable[[], int] = random_seed,
    ) -> None:
        super().__init__(parent)
        self._estimate = estimate
        self._seed_source = seed_source
        self._base: GenerationRequest | None = None
        self._models: dict[str, VideoModel] = {}
        self._random: list[int] = []
        self._plan = BatchPlan()
        self._setup_ui()

    def _setup_ui(self) -> None:
        self.setObjectName("batchPanel")
        seeds = QGroupBox("Seeds", self)
        self.draft_seed = QRadioButton("One job per model (the draft's seed)", seeds)
        self.random_seeds = QRadioButton("Random seeds:", seeds)
        self.seed_count = RangeSpinBox(seeds)
        self.seed_count.setRange(1, MAX_JOBS)
        self.seed_count.setValue(4)
        self.seed_count.setAccessibleName("Number of random seeds")
        self.seed_count.setMaximumWidth(90)
        self.reroll = QPushButton("New seeds", seeds)
        self.reroll.setToolTip("Draw other random seeds")
        self.listed_seeds = QRadioButton("These seeds:", seeds)
        self.seed_list = QLineEdit(seeds)
        self.seed_list.setPlaceholderText("e.g. 1, 42, 1234")
        self.seed_list.setAccessibleName("Seeds")
        self.seeds_shown = QLabel(seeds)
        self.seeds_shown.setObjectName("hint")
        self.seeds_shown.setWordWrap(True)
        self.seed_mode = QButtonGroup(self)
        for button in (self.draft_seed, self.random_seeds, self.listed_seeds):
            self.seed_mode.addButton(button)
        self.random_seeds.setChecked(True)
        seed_grid = QGridLayout(seeds)
        seed_grid.addWidget(self.draft_seed, 0, 0, 1, 3)
        seed_grid.addWidget(self.random_seeds, 1, 0)
        count_row = QHBoxLayout()
        count_row.addWidget(self.seed_count)
        count_row.addWidget(self.reroll)
        count_row.addStretch(1)
        seed_grid.addLayout(count_row, 1, 1, 1, 2)
        seed_grid.addWidget(self.listed_seeds, 2, 0)
        seed_grid.addWidget(self.seed_list, 2, 1, 1, 2)
        seed_grid.addWidget(self.seeds_shown, 3, 0, 1, 3)
        seed_grid.setColumnStretch(1, 1)

        models = QGroupBox("Models", self)
        self.search = QLineEdit(models)
        self.search.setPlaceholderText("Search models…")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search models")
        self.model_list = QListWidget(models)
        self.model_list.setAccessibleName("Models to run")
        self.model_list.setUniformItemSizes(True)
        model_box = QVBoxLayout(models)
        model_box.addWidget(self.search)
        model_box.addWidget(self.model_list, 1)

        self.fit = QCheckBox("Fit the settings to each model (nearest duration, resolution…)", self)
        self.fit.setChecked(True)
        self.fit.setToolTip(
            "A model that does not offer a setting of the draft gets its nearest one; "
            "each change is listed below."
        )
        self.prompt_lines = QCheckBox("Each line of the prompt is a job", self)
        self.summary = QLabel(self)
        self.summary.setObjectName("estimate")
        self.summary.setWordWrap(True)
        self.details = QLabel(self)
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.PlainText)
        self.details.setObjectName("inlineMessage")
        self.send_button = QPushButton("Send", self)
        self.send_button.setObjectName("generate")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Close without sending anything (Esc)")

        bottom = QHBoxLayout()
        bottom.addWidget(self.summary, 1)
        bottom.addWidget(self.cancel_button)
        bottom.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.addWidget(seeds)
        layout.addWidget(models, 1)
        layout.addWidget(self.fit)
        layout.addWidget(self.prompt_lines)
        layout.addWidget(self.details)
        layout.addLayout(bottom)

        self.seed_mode.buttonToggled.connect(self._on_seed_mode_button_toggled)
        self.seed_count.valueChanged.connect(self._on_seed_count_value_changed)
        self.reroll.clicked.connect(self._on_reroll_clicked)
        self.seed_list.textChanged.connect(self._on_seed_list_text_changed)
        self.search.textChanged.connect(self._on_search_text_changed)
        self.model_list.itemChanged.connect(self._on_model_list_item_changed)
        self.fit.toggled.connect(self._update)
        self.prompt_lines.toggled.connect(self._update)
        self.send_button.clicked.connect(self._on_send_button_clicked)
        self.cancel_button.clicked.connect(self.cancelled)
        self._draw_seeds()

    # -- inputs ---------------------------------------------------------------------------

    def set_models(self, models: Sequence[VideoModel]) -> None:
        """The catalogue; models that make no clip from a prompt are left out. Keeps checks."""
        checked = set(self.checked_models())
        usable = sorted((m for m in models if m.generates_from_prompt), key=lambda m: m.name)
        self._models = {m.id: m for m in usable}
        self.model_list.blockSignals(True)
        self.model_list.clear()
        for model in usable:
            item = QListWidgetItem(self.model_list)
            item.setData(ID_ROLE, model.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked if model.id in checked else Qt.CheckState.Unchecked
            )
        self.model_list.blockSignals(False)
        self._on_search_text_changed(self.search.text())
        self._update()

    def set_base(self, request: GenerationRequest) -> None:
        """The draft to vary. Its model is checked when no model is yet."""
        self._base = request
        if not self.checked_models() and request.model in self._models:
            self.set_checked_models([request.model])
        lines = [line for line in (request.prompt or "").splitlines() if line.strip()]
        self.prompt_lines.setEnabled(len(lines) > 1)
        self.prompt_lines.setText(
            f"Each line of the prompt is a job ({len(lines)} lines)"
            if len(lines) > 1
            else "Each line of the prompt is a job (write one prompt per line)"
        )
        self._update()

    def set_checked_models(self, model_ids: Iterable[str]) -> None:
        wanted = set(model_ids)
        self.model_list.blockSignals(True)
        for row in range(self.model_list.count()):
            item = self.model_list.item(row)
            on = item.data(ID_ROLE) in wanted
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self.model_list.blockSignals(False)
        self._update()

    def checked_models(self) -> list[str]:
        return [
            str(item.data(ID_ROLE))
            for item in (self.model_list.item(r) for r in range(self.model_list.count()))
            if item.checkState() == Qt.CheckState.Checked
        ]

    def seeds(self) -> list[int | None]:
        """The seeds each model runs with (ValueError for a badly typed list)."""
        if self.draft_seed.isChecked():
            return [self._base.seed if self._base else None]
        if self.listed_seeds.isChecked():
            return list(parse_seeds(self.seed_list.text()))
        return list(self._random)

    # -- outputs --------------------------------------------------------------------------

    def plan(self) -> BatchPlan:
        return self._plan

    def requests(self) -> list[GenerationRequest]:
        """The jobs to send (empty while anything stands in the way)."""
        return list(self._plan.requests) if self._plan.sendable else []

    # -- keeping the plan current -------------------------------------------------------------

    def _update(self) -> None:
        plan = BatchPlan()
        try:
            seeds = self.seeds()
        except ValueError as exc:
            plan.errors.append(str(exc))
            seeds = []
        if self._base is None:
            plan.errors.append("Write a prompt and pick a model in the draft first.")
        elif not plan.errors:
            models = [self._models[m] for m in self.checked_models()]
            plan = plan_batch(
                self._base,
                models,
                seeds,
                self._estimate,
                prompt_lines=self.prompt_lines.isChecked() and self.prompt_lines.isEnabled(),
                fit=self.fit.isChecked(),
            )
        self._plan = plan
        self._show_plan()
        self.changed.emit()

    def _show_plan(self) -> None:
        plan = self._plan
        jobs = len(plan.requests)
        per_model: dict[str, list[float | None]] = {}
        for request, usd in zip(plan.requests, plan.estimates, strict=True):
            per_model.setdefault(request.model, []).append(usd)
        warn = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self.model_list.blockSignals(True)
        for row in range(self.model_list.count()):
            item = self.model_list.item(row)
            model = self._models[str(item.data(ID_ROLE))]
            rate = price_per_second(model)
            text = f"{model.name}  ·  " + (
                f"{format_usd(rate)}/s" if rate is not None else "price unknown"
            )
            estimates = per_model.get(model.id)
            if estimates:
                text += f"  —  {len(estimates)} job{'s' if len(estimates) > 1 else ''} " + (
                    _money(estimates)
                )
            item.setText(text)
            problems = plan.problems.get(model.id, [])
            notes = plan.notes.get(model.id, [])
            item.setIcon(warn if problems else QIcon())
            tip = [model.id, *problems, *(f"Adjusted: {n}." for n in notes)]
            item.setToolTip("\n".join(tip))
        self.model_list.blockSignals(False)

        lines = list(plan.errors)
        for model_id, problems in plan.problems.items():
            lines.append(f"{self._name(model_id)} cannot take this draft: {' '.join(problems)}")
        if plan.problems:
            lines.append("Uncheck those models, or change the draft, to send the batch.")
        for model_id, notes in plan.notes.items():
            lines.append(f"{self._name(model_id)}: {'; '.join(notes)}.")
        self.details.setText("\n".join(lines))
        self.details.setProperty("problem", bool(plan.errors or plan.problems))
        self.details.style().polish(self.details)
        self.details.setVisible(bool(lines))

        if jobs:
            self.summary.setText(f"{jobs} job{'s' if jobs > 1 else ''}, {_money(plan.estimates)}")
        else:
            self.summary.setText("No jobs yet")
        self.send_button.setText(f"Send {jobs} job{'s' if jobs != 1 else ''}")
        self.send_button.setEnabled(plan.sendable)
        self.send_button.setToolTip(
            "Send these jobs (you are asked first when the budget says so)"
            if plan.sendable
            else "Nothing to send until the problems above are solved"
        )
        self._show_seeds()

    def _name(self, model_id: str) -> str:
        model = self._models.get(model_id)
        return model.name if model else model_id

    def _draw_seeds(self) -> None:
        self._random = [self._seed_source() for _ in range(self.seed_count.value())]
        self._update()

    def _show_seeds(self) -> None:
        if self.draft_seed.isChecked():
            seed = self._base.seed if self._base else None
            text = f"Seed {seed}" if seed is not None else "A random seed per job, chosen on send"
        elif self.random_seeds.isChecked():
            text = "Seeds: " + ", ".join(str(s) for s in self._random)
        else:
            text = ""
        self.seeds_shown.setText(text)
        self.seeds_shown.setVisible(bool(text))
        self.seed_count.setEnabled(self.random_seeds.isChecked())
        self.reroll.setEnabled(self.random_seeds.isChecked())
        self.seed_list.setEnabled(self.listed_seeds.isChecked())

    def _on_seed_mode_button_toggled(self, _button: QRadioButton, on: bool) -> None:
        if on:
            self._update()

    def _on_seed_count_value_changed(self, _count: int) -> None:
        self._draw_seeds()

    def _on_reroll_clicked(self) -> None:
        self._draw_seeds()

    def _on_seed_list_text_changed(self, _text: str) -> None:
        if self.listed_seeds.isChecked():
            self._update()

    def _on_search_text_changed(self, text: str) -> None:
        needle = text.strip().lower()
        for row in range(self.model_list.count()):
            item = self.model_list.item(row)
            model = self._models[str(item.data(ID_ROLE))]
            item.setHidden(bool(needle) and needle not in f"{model.name} {model.id}".lower())

    def _on_model_list_item_changed(self, _item: QListWidgetItem) -> None:
        self._update()

    def _on_send_button_clicked(self) -> None:
        requests = self.requests()
        if requests:
            self.send_requested.emit(requests)


def _money(estimates: Sequence[float | None]) -> str:
    total = sum(e or 0.0 for e in estimates)
    unknown = sum(e is None for e in estimates)
    if unknown == len(estimates):
        return "price unknown"
    text = f"≈ {format_usd(total)}"
    return text + (f" (+ {unknown} priced unknown)" if unknown else "")
