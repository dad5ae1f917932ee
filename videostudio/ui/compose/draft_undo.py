"""Undo for loading a clip's settings into the form (Use these settings, Vary, Continue).

Each load replaces the whole draft; the draft it replaced is kept (prompt, model,
settings, provider options and images, the images as prepared, so nothing is read
again) and undo() brings the newest kept one back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from videostudio.ui.compose.advanced_options import AdvancedOptions
from videostudio.ui.compose.draft_images import DraftImage, DraftImages
from videostudio.ui.compose.model_picker import ModelPicker
from videostudio.ui.compose.params_panel import ParamsPanel
from videostudio.ui.compose.prompt_edit import PromptEdit

KEPT_DRAFTS = 20  # how many loads can be undone in a row


@dataclass(frozen=True)
class _Kept:
    prompt: str
    model: str | None
    params: dict[str, Any]
    options: dict[str, Any]
    images: list[DraftImage]


class DraftUndo(QObject):
    """Signals: available(bool) when there is (or is no longer) a draft to bring back."""

    available = Signal(bool)

    def __init__(
        self,
        prompt: PromptEdit,
        picker: ModelPicker,
        params: ParamsPanel,
        advanced: AdvancedOptions,
        images: DraftImages,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._prompt, self._picker, self._params = prompt, picker, params
        self._advanced, self._images = advanced, images
        self._kept: list[_Kept] = []

    def keep(self) -> None:
        """Keep the draft as it is now: a load is about to replace it."""
        self._kept.append(
            _Kept(
                self._prompt.text(),
                self._picker.current_id(),
                self._params.values(),
                self._advanced.values(),
                self._images.snapshot(),
            )
        )
        del self._kept[:-KEPT_DRAFTS]
        self.available.emit(True)

    def undo(self) -> bool:
        """Bring the newest kept draft back; False when there is none."""
        if not self._kept:
            return False
        kept = self._kept.pop()
        if kept.model is not None:
            self._picker.select(kept.model)
        self._params.apply(kept.params)
        if kept.params.get("seed") is None:
            self._params.seed_fixed.setChecked(False)
        self._advanced.apply(kept.options)
        self._images.restore(kept.images)
        self._prompt.set_text(kept.prompt)
        self._prompt.focus()
        self.available.emit(bool(self._kept))
        return True
