"""The view-model of the prompt's tools: the assistant's proposals, the prompt history and
the presets, for the compose form. Async slots on the studio's backend and tasks."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QInputDialog, QWidget

from videostudio.core.models import VideoModel
from videostudio.core.presets import Preset, PresetError
from videostudio.services.assistant import (
    DEFAULT_MODEL,
    Assistant,
    AssistantError,
    assistant_model,
    set_assistant_model,
)
from videostudio.services.journal import JournalError
from videostudio.services.presets import PresetStore, for_model
from videostudio.ui.compose.assistant import ask_assistant_model
from videostudio.ui.compose.form import ComposeForm
from videostudio.ui.compose.history import HistoryPopup
from videostudio.ui.session.studio import StudioController
from videostudio.ui.tasks import owned_slot

if TYPE_CHECKING:
    from videostudio.services.backend import Backend

HISTORY_LIMIT = 500  # prompts the box walks and the popup lists (a search reaches them all)


class PromptTools(QObject):
    """Signals: proposal_started(assistant model); proposal_text(text so far);
    proposal_ready(text, cost); proposal_failed(sentence); asking_changed(bool) while a
    question is on its way; history_ready(prompts, search); presets_ready([(name,
    description)]); preset_ready(Preset)."""

    proposal_started = Signal(str)
    proposal_text = Signal(str)
    proposal_ready = Signal(str, str)
    proposal_failed = Signal(str)
    asking_changed = Signal(bool)
    history_ready = Signal(list, str)
    presets_ready = Signal(list)
    preset_ready = Signal(object)

    def __init__(self, studio: StudioController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.tasks = studio.tasks  # closing the studio cancels what runs here
        self.asking = False
        self._asked: dict[str, int] = {}  # the latest question of each kind

    # -- the assistant ------------------------------------------------------------------------

    def improve(self, prompt: str, model: VideoModel) -> None:
        """One question per press: a press while one is on its way is ignored (it is paid)."""
        backend = self.studio.backend
        if self.asking:
            return
        if backend is None:
            self.proposal_failed.emit("Connecting; ask again in a moment.")
            return
        self.asking = True  # before any event can bring a second press
        self.asking_changed.emit(True)
        self.tasks.spawn(self._improve(backend, prompt, model))

    async def _improve(self, backend: Backend, prompt: str, model: VideoModel) -> None:
        try:
            assistant = Assistant(backend.client, backend.journal, demo=backend.demo)
            self.proposal_started.emit(assistant_model(backend.journal))
            proposal = await assistant.improve(prompt, model, on_text=self.proposal_text.emit)
        except AssistantError as exc:
            self.proposal_failed.emit(str(exc))
        except JournalError as exc:
            self.proposal_failed.emit(f"{exc}. Your prompt is unchanged.")
        else:
            money = " (demo)" if backend.demo else ""
            self.proposal_ready.emit(proposal.text, proposal.cost_text() + money)
        finally:
            self.asking = False
            self.asking_changed.emit(False)
            self.studio.refresh_spend()

    def assistant_model(self) -> str:
        backend = self.studio.backend
        return assistant_model(backend.journal) if backend is not None else DEFAULT_MODEL

    def ask_assistant_model(self, parent: QWidget) -> QInputDialog:
        return ask_assistant_model(
            parent, self.assistant_model(), DEFAULT_MODEL, self.set_assistant_model
        )

    @owned_slot(str)
    async def set_assistant_model(self, model: str) -> None:
        backend = self.studio.backend
        if backend is None:
            return
        await asyncio.to_thread(set_assistant_model, backend.journal, model)
        self._say(f"The assistant is now {assistant_model(backend.journal)}.", "info")

    # -- history ------------------------------------------------------------------------------

    @owned_slot(str)
    async def find_prompts(self, search: str = "") -> None:
        """The prompts sent that contain ``search``; an answer overtaken by a later question
        for the same text is dropped (the threads may finish in any order)."""
        backend = self.studio.backend
        if backend is None:
            return
        key = f"prompts:{search}"
        asked = self._asked[key] = self._asked.get(key, 0) + 1
        found = await asyncio.to_thread(backend.journal.prompts, search, HISTORY_LIMIT)
        if self._asked[key] == asked:
            self.history_ready.emit(found, search)

    # -- presets ------------------------------------------------------------------------------

    def _store(self) -> PresetStore | None:
        backend = self.studio.backend
        return PresetStore(backend.journal) if backend is not None else None

    @owned_slot()
    async def list_presets(self) -> None:
        store = self._store()
        if store is None:
            return
        asked = self._asked["presets"] = self._asked.get("presets", 0) + 1
        presets = await asyncio.to_thread(store.all)
        if self._asked["presets"] == asked:  # not overtaken by a later list
            self.presets_ready.emit([(p.name, f"{p.model}: {p.describe()}") for p in presets])

    @owned_slot(str)
    async def apply_preset(self, name: str) -> None:
        store = self._store()
        if store is None:
            return
        try:
            preset, notes = for_model(await asyncio.to_thread(store.get, name), self.studio.models)
        except PresetError as exc:
            self._say(str(exc), "error")
            return
        self.preset_ready.emit(preset)
        self.studio.images.apply_roles(list(preset.image_roles))
        left_out = f"; left out: {' '.join(notes)}" if notes else "."
        self._say(f"Preset {preset.name!r} applied{left_out}", "error" if notes else "info")

    @owned_slot(str, object)
    async def save_preset(self, name: str, settings: dict[str, Any] | None) -> None:
        store = self._store()
        if store is None or settings is None:
            self._say("Choose a model first; a preset keeps its settings.", "error")
            return
        seed = settings.get("seed")
        data = {**settings, "seed": "random" if seed is None else seed}
        data["image_roles"] = [role for _, role in self.studio.images.kept()]
        try:
            preset = Preset.from_json(name, {k: v for k, v in data.items() if v is not None})
            preset, notes = for_model(preset, self.studio.models)
            saved = await asyncio.to_thread(store.save, preset)
        except PresetError as exc:
            self._say(str(exc), "error")
            return
        left_out = f"; left out: {' '.join(notes)}" if notes else "."
        self._say(f"Saved the preset {saved.name!r}{left_out}", "error" if notes else "info")
        await self.list_presets()

    @owned_slot(str, str)
    async def rename_preset(self, old: str, new: str) -> None:
        await self._change(lambda s: s.rename(old, new), f"Renamed {old!r} to {new.strip()!r}.")

    @owned_slot(str)
    async def delete_preset(self, name: str) -> None:
        await self._change(lambda s: s.delete(name), f"Deleted the preset {name!r}.")

    @owned_slot(str)
    async def export_presets(self, path: str) -> None:
        await self._change(lambda s: s.export(Path(path)), f"Exported the presets to {path}.")

    @owned_slot(str)
    async def import_presets(self, path: str) -> None:
        store = self._store()
        if store is None:
            return
        try:
            saved, skipped = await asyncio.to_thread(
                store.import_file, Path(path), self.studio.models
            )
        except PresetError as exc:
            self._say(str(exc), "error")
            return
        parts = [f"Imported {len(saved)} preset(s) from {Path(path).name}."]
        parts += [f"{p.name}, left out: {' '.join(notes)}" for p, notes in saved if notes]
        parts += skipped
        self._say(" ".join(parts), "error" if skipped or len(parts) > 1 else "info")
        await self.list_presets()

    async def _change(self, change: Any, done: str) -> None:
        store = self._store()
        if store is None:
            return
        try:
            await asyncio.to_thread(change, store)
        except PresetError as exc:
            self._say(str(exc), "error")
            return
        self._say(done, "info")
        await self.list_presets()

    def _say(self, text: str, kind: str) -> None:
        self.studio.notice.emit(text, kind)

    # -- wiring -------------------------------------------------------------------------------

    def wire(self, form: ComposeForm) -> None:
        """Connect the compose form's prompt tools to this view-model (and back)."""
        form.improve_requested.connect(self.improve)
        self.proposal_started.connect(form.proposal.start)
        self.proposal_text.connect(form.proposal.stream)
        self.proposal_ready.connect(form.proposal.finish)
        self.proposal_failed.connect(form.proposal.fail)
        self.asking_changed.connect(lambda busy: form.improve_button.setEnabled(not busy))
        self.history_ready.connect(
            lambda prompts, search: form.history.set_prompts(prompts) if not search else None
        )
        form.history_requested.connect(lambda: self.open_history(form))
        buttons = form.presets_button
        buttons.apply_requested.connect(self.apply_preset)
        buttons.save_requested.connect(
            lambda name: self.save_preset(name, form.settings_for_preset())
        )
        buttons.rename_requested.connect(self.rename_preset)
        buttons.delete_requested.connect(self.delete_preset)
        buttons.import_requested.connect(self.import_presets)
        buttons.export_requested.connect(self.export_presets)
        self.presets_ready.connect(buttons.set_presets)
        self.preset_ready.connect(form.apply_preset)
        # A new backend (demo <-> live) has its own prompts and presets; a sent job is history.
        self.studio.jobs_reset.connect(lambda _states: self.refresh())
        self.studio.submitted.connect(lambda _local_id: self.find_prompts(""))

    def refresh(self) -> None:
        self.find_prompts("")
        self.list_presets()

    def open_history(self, form: ComposeForm) -> HistoryPopup:
        popup = HistoryPopup(form)
        popup.search_changed.connect(self.find_prompts)
        self.history_ready.connect(popup.set_prompts)
        popup.chosen.connect(form.prompt.replace_text)
        popup.finished.connect(popup.deleteLater)
        popup.open()
        self.find_prompts("")
        return popup
