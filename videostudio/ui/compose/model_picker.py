"""The model picker: every prompt-to-video model, searchable by name, vendor or id.

Its list has columns (name, vendor, price per second, what the model can do), each
column as wide as its longest value, so a price is never cut.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFocusEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QHeaderView,
    QLineEdit,
    QTreeView,
    QWidget,
)

from videostudio.core.models import VideoModel
from videostudio.core.pricing import format_usd, price_per_second
from videostudio.ui.widgets.inputs import guard_wheel

ID_ROLE = Qt.ItemDataRole.UserRole + 1
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 2  # name, vendor and id: what a search matches
COLUMNS = ("Model", "Vendor", "Price", "Audio", "Frames", "Seed")
YES = "✓"


def split_name(model: VideoModel) -> tuple[str, str]:
    """("Veo 3.1 Fast", "Google") from "Google: Veo 3.1 Fast" (or the id's vendor)."""
    vendor, sep, name = model.name.partition(": ")
    if sep:
        return name, vendor
    return model.name, model.id.partition("/")[0]


def price_text(model: VideoModel) -> str:
    rate = price_per_second(model)
    return f"{format_usd(rate)}/s" if rate is not None else "price unknown"


def capabilities(model: VideoModel) -> tuple[bool, bool, bool]:
    """(audio, first/last frame, seed)."""
    frames = bool(model.supported_frame_images)
    return bool(model.generate_audio), frames, bool(model.seed)


def model_row(model: VideoModel) -> list[str]:
    """The list's cells for ``model``, in COLUMNS order."""
    name, vendor = split_name(model)
    marks = [YES if on else "" for on in capabilities(model)]
    return [name, vendor, price_text(model), *marks]


def facts_text(model: VideoModel) -> str:
    """The line beside the picker: price, then what the model can do."""
    audio, frames, seed = capabilities(model)
    can = [w for w, on in (("audio", audio), ("first/last frame", frames), ("seed", seed)) if on]
    return " · ".join([price_text(model), *can])


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
        self._items = QStandardItemModel(0, len(COLUMNS), self)
        self._items.setHorizontalHeaderLabels(list(COLUMNS))
        self.setModel(self._items)
        view = self._list = QTreeView(self)
        view.setRootIsDecorated(False)
        view.setUniformRowHeights(True)
        view.setAllColumnsShowFocus(True)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.header().setStretchLastSection(False)
        view.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.setView(view)
        # Type any part of the name or the id ("veo", "bytedance/"): a popup lists matches.
        search = _SearchEdit(self)
        search.setPlaceholderText("Search models…")
        self.setLineEdit(search)
        completer = QCompleter(self._items, self)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionRole(SEARCH_ROLE)
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
        self._items.removeRows(0, self._items.rowCount())
        for model in usable:
            cells = [QStandardItem(text) for text in model_row(model)]
            first = cells[0]
            first.setData(model.id, ID_ROLE)
            first.setData(f"{model.name} {model.id}", SEARCH_ROLE)
            for cell in cells:
                cell.setToolTip(f"{model.name} — {model.id}")
            for cell in cells[2:]:
                cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            cells[2].setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self._items.appendRow(cells)
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

    def showPopup(self) -> None:
        view = self._list
        header = view.header()
        width = sum(
            max(view.sizeHintForColumn(c), header.sectionSizeHint(c)) for c in range(len(COLUMNS))
        )
        wanted = width + view.verticalScrollBar().sizeHint().width() + 2 * view.frameWidth() + 4
        view.setMinimumWidth(wanted)
        super().showPopup()
        popup = view.window()  # the combo sizes its popup to itself: wide enough for the columns
        if popup.width() < wanted:
            popup.resize(wanted, popup.height())

    def _on_completer_activated(self, text: str) -> None:
        row = self.findData(text, SEARCH_ROLE)
        if row >= 0:
            self.select(str(self._items.item(row).data(ID_ROLE)))

    def _on_activated(self, row: int) -> None:
        self.select(str(self._items.item(row).data(ID_ROLE)))
