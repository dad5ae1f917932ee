"""The model picker: every prompt-to-video model, searchable by name or id, with its price."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFocusEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QCompleter, QLineEdit, QWidget

from videostudio.core.models import VideoModel
from videostudio.core.pricing import format_usd, price_per_second
from videostudio.ui.widgets.inputs import guard_wheel

ID_ROLE = Qt.ItemDataRole.UserRole + 1


def model_label(model: VideoModel) -> str:
    rate = price_per_second(model)
    price = f"{format_usd(rate)}/s" if rate is not None else "price unknown"
    return f"{model.name}  ·  {price}  ·  {model.id}"


class _SearchEdit(QLineEdit):
    """The picker's text field: entering it selects the text, so typing starts a search."""

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        QTimer.singleShot(0, self.selectAll)  # after the click that gave focus


class ModelPicker(QComboBox):
    """Signals: model_chosen(str) with the model id, when the user (or restore) picks one.

    Models without durations (edit, upscale, avatar) are not offered: they cannot make a
    clip from a prompt.
    """

    model_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._models: dict[str, VideoModel] = {}
        self._setup_ui()

    def _setup_ui(self) -> None:
        self.setObjectName("modelPicker")
        self.setAccessibleName("Model")
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMaxVisibleItems(20)
        guard_wheel(self)  # a stray wheel must not switch to a dearer model
        self._items = QStandardItemModel(self)
        self.setModel(self._items)
        # Type any part of the name or the id ("veo", "bytedance/"): a popup lists matches.
        search = _SearchEdit(self)
        search.setPlaceholderText("Search models…")
        self.setLineEdit(search)
        completer = QCompleter(self._items, self)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setMaxVisibleItems(12)
        self.setCompleter(completer)
        search.editingFinished.connect(self._on_line_edit_editing_finished)
        completer.activated.connect(self._on_completer_activated)
        self.activated.connect(self._on_activated)

    def set_models(self, models: list[VideoModel], keep: str | None = None) -> None:
        """Fill the list; keep the current (or ``keep``) model selected when it still exists."""
        current = keep or self.current_id()
        usable = sorted((m for m in models if m.generates_from_prompt), key=lambda m: m.name)
        self._models = {m.id: m for m in usable}
        self.blockSignals(True)
        self._items.clear()
        for model in usable:
            item = QStandardItem(model_label(model))
            item.setData(model.id, ID_ROLE)
            item.setToolTip(f"{model.name} — {model.id}")
            self._items.appendRow(item)
        self.blockSignals(False)
        if current in self._models:
            self.select(current)
        elif usable:
            self.select(usable[0].id)

    def select(self, model_id: str) -> bool:
        for row in range(self._items.rowCount()):
            if self._items.item(row).data(ID_ROLE) == model_id:
                self.setCurrentIndex(row)
                self.setToolTip(self._items.item(row).toolTip())
                self.model_chosen.emit(model_id)
                return True
        return False

    def current_id(self) -> str | None:
        index = self.currentIndex()
        if index < 0:
            return None
        value = self._items.item(index).data(ID_ROLE)
        return str(value) if value else None

    def current_model(self) -> VideoModel | None:
        model_id = self.current_id()
        return self._models.get(model_id) if model_id else None

    def _on_line_edit_editing_finished(self) -> None:
        # A search left half-typed goes back to showing the chosen model.
        if self.currentIndex() >= 0:
            self.setEditText(self.itemText(self.currentIndex()))

    def _on_completer_activated(self, text: str) -> None:
        row = self.findText(text)
        if row >= 0:
            self.select(str(self._items.item(row).data(ID_ROLE)))

    def _on_activated(self, row: int) -> None:
        self.select(str(self._items.item(row).data(ID_ROLE)))
