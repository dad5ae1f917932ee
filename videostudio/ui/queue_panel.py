"""The job queue: every job as a row that moves through its states, with its actions.

The rows mirror the journal (through the view-model's signals); transient
activity (download progress, "retrying in N s") is shown but never stored.
The window's one-second ticker calls ``tick()`` only while some job is
running, so elapsed times and countdowns move and an idle window uses no CPU.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QMenu,
    QMessageBox,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from videostudio.core.failures import sentences
from videostudio.core.jobs import DOWNLOADING, REJECTED, SAVED, STOPPED, UNKNOWN, JobRecord
from videostudio.services.activity import Activity

COLUMNS = ("", "Prompt", "Model", "Parameters", "Status", "Elapsed", "Progress", "Cost")
THUMB, PROMPT, MODEL, PARAMS, STATUS, ELAPSED, PROGRESS, COST = range(len(COLUMNS))
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 1
LOCAL_ID_ROLE = Qt.ItemDataRole.UserRole + 2
AnyIndex = QModelIndex | QPersistentModelIndex


def _params_text(record: JobRecord) -> str:
    p = record.parameters()
    parts = [
        f"{p['duration']} s" if p.get("duration") else "",
        str(p.get("size") or p.get("resolution") or ""),
        str(p.get("aspect_ratio") or ""),
        f"seed {p['seed']}" if p.get("seed") is not None else "",
        "audio" if p.get("generate_audio") else "",
    ]
    roles = record.image_roles()
    if roles:
        parts.append(f"{len(roles)} image" + ("s" if len(roles) > 1 else ""))
    return " · ".join(x for x in parts if x)


def _elapsed(record: JobRecord, now: float) -> str:
    start = record.submitted_at or record.created_at
    end = None  # still going (downloading included): count up to now
    if record.state == SAVED:
        end = record.saved_at
    elif record.is_final:
        end = record.finished_at or record.updated_at
    seconds = max(0, int((end or now) - start))
    return f"{seconds // 60}:{seconds % 60:02d}"


def labelled(label: str, detail: str) -> str:
    """ "Label: detail", without saying the label twice when the detail starts with it."""
    if detail.casefold().startswith(label.casefold()):
        return sentences(detail)
    return f"{label}: {sentences(detail)}"


def status_text(record: JobRecord, activity: Activity | None, waited: float = 0.0) -> str:
    """The row's status; a retry counts down by ``waited`` seconds since it was announced."""
    if activity is not None and activity.failure is not None:
        wait = (activity.failure.retry_in or 0) - waited
        when = f"retrying in {wait:.0f} s" if wait >= 0.5 else "retrying now"
        return f"{record.label} — {when}: {sentences(activity.failure.message)}"
    if record.error and record.state not in (SAVED,):
        return labelled(record.label, record.error)
    if record.remote_status and record.remote_status not in (record.state, "completed"):
        return f"{record.label} ({record.remote_status})"  # a status the docs do not list
    return record.label


class JobQueueModel(QAbstractTableModel):
    """Rows of JobRecords, newest first."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._ids: list[int] = []
        self._records: dict[int, JobRecord] = {}
        self._activity: dict[int, tuple[Activity, float]] = {}  # and when it came
        self._thumbs: dict[int, QPixmap] = {}
        self.now = time.time

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def clear(self) -> None:
        self.beginResetModel()
        self._ids.clear()
        self._records.clear()
        self._activity.clear()
        self._thumbs.clear()
        self.endResetModel()

    def record_at(self, row: int) -> JobRecord:
        return self._records[self._ids[row]]

    def row_of(self, local_id: int) -> int:
        return self._ids.index(local_id)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        record = self.record_at(index.row())
        activity, since = self._activity.get(record.local_id, (None, 0.0))
        col = index.column()
        if role == LOCAL_ID_ROLE:
            return record.local_id
        if role == Qt.ItemDataRole.DecorationRole and col == THUMB:
            return self._thumbs.get(record.local_id)
        if role == PROGRESS_ROLE and col == PROGRESS:
            if record.state == SAVED:
                return 1.0
            if record.state == DOWNLOADING and activity is not None and activity.failure is None:
                return activity.fraction
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == PROMPT:
                return record.prompt
            if col == STATUS:
                return status_text(record, activity, self.now() - since)
            if col == MODEL:
                return record.job_id or "not submitted yet"
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if col == PROMPT:
            text = record.prompt.replace("\n", " ")
            return text if len(text) <= 60 else text[:59] + "…"
        if col == MODEL:
            return record.model
        if col == PARAMS:
            return _params_text(record)
        if col == STATUS:
            return status_text(record, activity, self.now() - since)
        if col == ELAPSED:
            return _elapsed(record, self.now())
        if col == COST:
            if record.cost_usd is not None:
                return f"${record.cost_usd:.2f}"
            return f"≈ ${record.estimate_usd:.2f}" if record.estimate_usd is not None else ""
        return None

    def upsert(self, record: JobRecord, activity: Activity | None) -> None:
        local_id = record.local_id
        if activity is None:
            self._activity.pop(local_id, None)
        else:
            self._activity[local_id] = (activity, self.now())
        if local_id not in self._records:
            self.beginInsertRows(QModelIndex(), 0, 0)
            self._ids.insert(0, local_id)
            self._records[local_id] = record
            self.endInsertRows()
            return
        if activity is None:
            self._records[local_id] = record
        row = self._ids.index(local_id)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def set_thumbnail(self, local_id: int, pixmap: QPixmap) -> None:
        if local_id in self._records:
            self._thumbs[local_id] = pixmap
            row = self._ids.index(local_id)
            self.dataChanged.emit(self.index(row, THUMB), self.index(row, THUMB))

    def running(self) -> bool:
        return any(not r.is_final for r in self._records.values())

    def tick(self) -> None:
        """Refresh the status (countdowns) and elapsed time of the running rows."""
        for row, local_id in enumerate(self._ids):
            if not self._records[local_id].is_final:
                self.dataChanged.emit(self.index(row, STATUS), self.index(row, ELAPSED))


class _ProgressDelegate(QStyledItemDelegate):
    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        fraction = index.data(PROGRESS_ROLE)
        if fraction is None:
            super().paint(painter, option, index)
            return
        bar = QStyleOptionProgressBar()
        rect: QRect = option.rect
        bar.rect = rect.adjusted(4, 6, -4, -6)
        bar.minimum, bar.maximum = 0, 1000
        bar.progress = int(fraction * 1000)
        bar.text = f"{fraction:.0%}"
        bar.textVisible = True
        QApplication.style().drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)


class JobQueuePanel(QWidget):
    """Signals: job_selected(int), stop_requested(int), resubmit_requested(int),
    reveal_requested(str)."""

    job_selected = Signal(int)
    stop_requested = Signal(int)
    resubmit_requested = Signal(int)
    reveal_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = JobQueueModel(self)
        self._setup_ui()

    def _setup_ui(self) -> None:
        self.table = QTableView(self)
        self.table.setObjectName("queue")
        self.table.setAccessibleName("Job queue")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setIconSize(QSize(64, 36))
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(44)
        self.table.setItemDelegateForColumn(PROGRESS, _ProgressDelegate(self.table))
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)  # Tab leaves the list; arrows move within it
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(PROMPT, QHeaderView.ResizeMode.Stretch)
        for col, width in (
            (THUMB, 72),
            (MODEL, 140),
            (PARAMS, 130),
            (STATUS, 190),
            (ELAPSED, 52),
            (PROGRESS, 80),
            (COST, 60),
        ):
            header.resizeSection(col, width)
        header.moveSection(header.visualIndex(STATUS), 1)  # what a job is doing, in view first
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_table_custom_context_menu_requested)
        self.table.selectionModel().currentRowChanged.connect(self._on_table_current_row_changed)
        self.stop_button = QPushButton("Stop watching", self)
        self.stop_button.setToolTip(
            "The API has no cancel: the job may still finish and be billed."
        )
        self.resubmit_button = QPushButton("Submit again", self)
        self.reveal_button = QPushButton("Show in folder", self)
        self.stop_button.clicked.connect(self._on_stop_button_clicked)
        self.resubmit_button.clicked.connect(self._on_resubmit_button_clicked)
        self.reveal_button.clicked.connect(self._on_reveal_button_clicked)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.resubmit_button, self.stop_button, self.reveal_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self._update_buttons()

    # -- feeding ----------------------------------------------------------------------------

    def upsert(self, record: JobRecord, activity: Activity | None) -> None:
        self.model.upsert(record, activity)
        self._update_buttons()

    def select(self, local_id: int) -> None:
        self.table.selectRow(self.model.row_of(local_id))

    def selected(self) -> JobRecord | None:
        index = self.table.currentIndex()
        return self.model.record_at(index.row()) if index.isValid() else None

    # -- actions ------------------------------------------------------------------------------

    def _update_buttons(self) -> None:
        record = self.selected()
        state = record.state if record else None
        self.stop_button.setEnabled(record is not None and not record.is_final)
        self.resubmit_button.setEnabled(state in (UNKNOWN, REJECTED, STOPPED, "failed", "expired"))
        self.resubmit_button.setToolTip(
            "This job may already exist and be billed; sending it again makes a second job."
            if state == UNKNOWN
            else "Send the same request again as a new job."
        )
        self.reveal_button.setEnabled(state == SAVED)

    def _on_table_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._update_buttons()
        if current.isValid():
            self.job_selected.emit(self.model.record_at(current.row()).local_id)

    def _on_stop_button_clicked(self) -> None:
        record = self.selected()
        if record is None:
            return
        answer = QMessageBox.question(
            self,
            "Stop watching this job?",
            "OpenRouter has no way to cancel a video job. If you stop watching, the job may "
            "still finish on the server and be billed, but this app will not download it.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.stop_requested.emit(record.local_id)

    def _on_resubmit_button_clicked(self) -> None:
        record = self.selected()
        if record is not None:
            self.resubmit_requested.emit(record.local_id)

    def _on_reveal_button_clicked(self) -> None:
        record = self.selected()
        if record is not None and record.path:
            self.reveal_requested.emit(record.path)

    def _on_table_custom_context_menu_requested(self, pos: Any) -> None:
        self._update_buttons()
        menu = QMenu(self)
        for button in (self.resubmit_button, self.stop_button, self.reveal_button):
            action = QAction(button.text(), menu)
            action.setEnabled(button.isEnabled())
            action.triggered.connect(button.click)
            menu.addAction(action)
        menu.exec(self.table.viewport().mapToGlobal(pos))
