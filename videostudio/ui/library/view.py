"""The library panel: search, filter chips and sort over the grid of cards, and an undo bar.

Every search or filter is a new LibraryQuery run by SQLite through the injected
sources (no Python filtering of thousands of rows); typing waits 150 ms for a
pause first. The panel only shows and asks: what the user wants done leaves as
intent signals (see LibraryGrid), which the panel re-emits under the same names.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from videostudio.core.jobs import JobRecord
from videostudio.core.library import LibraryQuery
from videostudio.services.activity import Activity
from videostudio.ui.library.cards import STATE_GROUPS, since_for
from videostudio.ui.library.grid import LibraryGrid
from videostudio.ui.library.model import (
    PAGE_SIZE,
    BatchSource,
    CountSource,
    LibraryModel,
    PageSource,
)
from videostudio.ui.library.thumbs import CardThumbnails
from videostudio.ui.media.thumbnails import POSTER_SIZE, FrameLoader
from videostudio.ui.widgets.inputs import guard_wheel

SEARCH_DELAY_MS = 150
UNDO_SHOWN_MS = 12_000
SORTS = (
    ("Newest first", "date", True),
    ("Oldest first", "date", False),
    ("Highest cost", "cost", True),
    ("Lowest cost", "cost", False),
    ("Model A–Z", "model", False),
)
DATES = (
    ("Any time", "all"),
    ("Today", "today"),
    ("Last 7 days", "7 days"),
    ("Last 30 days", "30 days"),
)
CHIPS = (("All", "all"), ("Saved", "saved"), ("Running", "running"), ("Failed", "failed"))

_STYLE = """
QToolButton#chip { border: 1px solid palette(mid); border-radius: 10px; padding: 2px 10px; }
QToolButton#chip:checked { background: palette(highlight); color: palette(highlighted-text);
                           border-color: palette(highlight); }
QFrame#undoBar { background: palette(tool-tip-base); border: 1px solid palette(mid);
                 border-radius: 4px; }
QFrame#undoBar QLabel { color: palette(tool-tip-text); }
QLabel#libraryEmpty { color: palette(placeholder-text); }
"""


class LibraryPanel(QWidget):
    """The clip library: find, look over and act on every job and clip.

    ``pages(query, offset, limit)``, ``count(query)`` and ``models()`` read the
    library (services.library over the journal); ``loader`` decodes frames (None:
    no thumbnails); ``batches(name)`` lists a batch's ids in order (default: via
    ``pages``); ``clock`` drives countdowns and date filters.

    Signals: the grid's intents (see LibraryGrid: play_requested(int, str),
    settings_requested(int), vary_requested(list), continue_requested(int, str),
    operation_requested(int, str), compare_source_requested(int),
    compare_requested(list), favourite_requested(list, bool), reveal_requested(str),
    delete_requested(list), retry_batch_requested(str), save_requested(int),
    resubmit_requested(int), stop_requested(list), current_changed(int)), plus
    batch_opened(str) (a batch filter was set; "" when cleared) and undo_requested().
    """

    play_requested = Signal(int, str)
    settings_requested = Signal(int)
    vary_requested = Signal(list)
    continue_requested = Signal(int, str)
    operation_requested = Signal(int, str)
    compare_source_requested = Signal(int)
    compare_requested = Signal(list)
    favourite_requested = Signal(list, bool)
    reveal_requested = Signal(str)
    delete_requested = Signal(list)
    retry_batch_requested = Signal(str)
    save_requested = Signal(int)
    resubmit_requested = Signal(int)
    stop_requested = Signal(list)
    current_changed = Signal(int)
    batch_opened = Signal(str)
    undo_requested = Signal()

    def __init__(
        self,
        pages: PageSource,
        count: CountSource,
        models: Callable[[], list[str]],
        loader: FrameLoader | None,
        *,
        batches: BatchSource | None = None,
        clock: Callable[[], float] = time.time,
        page_size: int = PAGE_SIZE,
        hover_scrub: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._models = models
        self._clock = clock
        self._batch: str | None = None
        self.thumbnails = None
        if loader is not None:
            # Posters sharp on HiDPI screens too (up to 2x: bigger costs memory, not looks).
            screen = QGuiApplication.primaryScreen()
            dpr = min(2.0, max(1.0, screen.devicePixelRatio() if screen else 1.0))
            self.thumbnails = CardThumbnails(loader, poster_size=POSTER_SIZE * dpr, parent=self)
        self.model = LibraryModel(
            pages,
            count,
            thumbnails=self.thumbnails,
            batches=batches,
            clock=clock,
            page_size=page_size,
            parent=self,
        )
        self._setup_ui(hover_scrub)
        self._refresh_models()
        self.apply_filters()

    def _setup_ui(self, hover_scrub: bool) -> None:
        self.setStyleSheet(_STYLE)
        self.search = QLineEdit(self)
        self.search.setObjectName("librarySearch")
        self.search.setPlaceholderText("Search prompts, models or a seed")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search the library")
        self.sort = QComboBox(self)
        self.sort.setAccessibleName("Sort")
        for text, key, descending in SORTS:
            self.sort.addItem(text, (key, descending))
        top = QHBoxLayout()
        top.addWidget(self.search, 1)

        self.chips = QButtonGroup(self)
        self.chips.setExclusive(True)
        chips_row = QHBoxLayout()
        chips_row.setSpacing(4)
        for text, key in CHIPS:
            chip = self._chip(text)
            chip.setProperty("group", key)
            chip.setChecked(key == "all")
            self.chips.addButton(chip)
            chips_row.addWidget(chip)
        self.favourites = self._chip("★ Favourites")
        self.favourites.setToolTip("Only clips marked as favourite (Space on a card)")
        chips_row.addSpacing(6)
        chips_row.addWidget(self.favourites)
        self.model_filter = QComboBox(self)
        self.model_filter.setAccessibleName("Model filter")
        # The filters may shrink (names elide) so the panel fits beside the draft at 1024 px.
        self.model_filter.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.model_filter.setMinimumContentsLength(8)
        self.model_filter.setMaximumWidth(220)
        self.date_filter = QComboBox(self)
        self.date_filter.setAccessibleName("Date filter")
        self.date_filter.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.date_filter.setMinimumContentsLength(6)
        for text, key in DATES:
            self.date_filter.addItem(text, key)
        self.batch_chip = self._chip("")
        self.batch_chip.setChecked(True)
        self.batch_chip.setToolTip("Showing one batch; click to show every clip again")
        self.batch_chip.hide()
        self.count_label = QLabel(self)
        self.count_label.setObjectName("hint")
        top.addWidget(self.model_filter)
        top.addWidget(self.date_filter)
        top.addWidget(self.sort)
        chips_row.addWidget(self.batch_chip)
        chips_row.addStretch(1)
        chips_row.addWidget(self.count_label)

        self.grid = LibraryGrid(self.model, hover_scrub=hover_scrub, parent=self)
        self.empty = QLabel(self)
        self.empty.setObjectName("libraryEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.grid)
        self.stack.addWidget(self.empty)

        self.undo_bar = QFrame(self)
        self.undo_bar.setObjectName("undoBar")
        self.undo_label = QLabel(self.undo_bar)
        self.undo_button = QPushButton("Undo", self.undo_bar)
        close = QToolButton(self.undo_bar)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setAccessibleName("Close")
        bar = QHBoxLayout(self.undo_bar)
        bar.setContentsMargins(8, 2, 2, 2)
        bar.addWidget(self.undo_label, 1)
        bar.addWidget(self.undo_button)
        bar.addWidget(close)
        self.undo_bar.hide()

        layout = self._layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addLayout(chips_row)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.undo_bar)

        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DELAY_MS)
        self.undo_timer = QTimer(self)
        self.undo_timer.setSingleShot(True)
        self.undo_timer.setInterval(UNDO_SHOWN_MS)

        self.search.textChanged.connect(self._on_search_text_changed)
        self.search_timer.timeout.connect(self.apply_filters)
        self.sort.currentIndexChanged.connect(self.apply_filters)
        self.chips.buttonToggled.connect(self._on_chips_button_toggled)
        self.favourites.toggled.connect(self.apply_filters)
        self.model_filter.currentIndexChanged.connect(self.apply_filters)
        self.date_filter.currentIndexChanged.connect(self.apply_filters)
        self.batch_chip.clicked.connect(self._on_batch_chip_clicked)
        self.undo_button.clicked.connect(self._on_undo_button_clicked)
        close.clicked.connect(self.hide_undo)
        self.undo_timer.timeout.connect(self.hide_undo)
        guard_wheel(self.sort, self.model_filter, self.date_filter)
        self.model.modelReset.connect(self._update_count)
        self.model.rowsInserted.connect(self._update_count)
        self.model.rowsRemoved.connect(self._update_count)
        # Ctrl+F is the window's "Find in the library": a second binding here would make
        # the key ambiguous, and Qt fires neither.
        g = self.grid
        for name in (
            "play_requested",
            "settings_requested",
            "vary_requested",
            "continue_requested",
            "operation_requested",
            "compare_source_requested",
            "compare_requested",
            "favourite_requested",
            "reveal_requested",
            "delete_requested",
            "retry_batch_requested",
            "save_requested",
            "resubmit_requested",
            "stop_requested",
            "current_changed",
        ):
            getattr(g, name).connect(getattr(self, name))
        g.open_batch_requested.connect(self.open_batch)

    def _chip(self, text: str) -> QToolButton:
        chip = QToolButton(self)
        chip.setObjectName("chip")
        chip.setText(text)
        chip.setCheckable(True)
        chip.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        return chip

    # -- the query ---------------------------------------------------------------------------

    def query(self) -> LibraryQuery:
        """What the controls ask for now."""
        key, descending = self.sort.currentData()
        group = next((b.property("group") for b in self.chips.buttons() if b.isChecked()), "all")
        return LibraryQuery(
            text=self.search.text().strip(),
            model=self.model_filter.currentData() or None,
            states=STATE_GROUPS[group],
            favourites=self.favourites.isChecked(),
            since=since_for(self.date_filter.currentData(), self._clock()),
            batch=self._batch,
            sort=key,
            descending=descending,
        )

    def apply_filters(self) -> None:
        """Run the controls' query now (typing runs it after a pause)."""
        self.search_timer.stop()
        self.model.set_query(self.query())

    def reload(self) -> None:
        """Query again and refresh the model list (the journal changed as a whole)."""
        self._refresh_models()
        self.apply_filters()

    def open_batch(self, batch: str | None) -> None:
        """Show only this batch (None: every clip again)."""
        self._batch = batch or None
        self.batch_chip.setVisible(self._batch is not None)
        self.batch_chip.setText(f"Batch {self._batch} ✕" if self._batch else "")
        self.apply_filters()
        self.batch_opened.emit(self._batch or "")

    def _on_search_text_changed(self, _text: str) -> None:
        self.search_timer.start()

    def _on_chips_button_toggled(self, _button: QToolButton, checked: bool) -> None:
        if checked:
            self.apply_filters()

    def _on_batch_chip_clicked(self) -> None:
        self.open_batch(None)

    def _refresh_models(self) -> None:
        current = self.model_filter.currentData()
        self.model_filter.blockSignals(True)
        self.model_filter.clear()
        self.model_filter.addItem("All models", "")
        for model in self._models():
            self.model_filter.addItem(model, model)
        self.model_filter.setCurrentIndex(max(0, self.model_filter.findData(current or "")))
        self.model_filter.blockSignals(False)

    def _update_count(self) -> None:
        total = self.model.total
        self.count_label.setText(f"{total:,} clip" + ("" if total == 1 else "s"))
        if total:
            self.stack.setCurrentWidget(self.grid)
            return
        query = self.model.query
        filtered = query != LibraryQuery(sort=query.sort, descending=query.descending)
        self.empty.setText(
            "No clips match. Clear the search or the filters to see the others."
            if filtered
            else "No clips yet. Write a prompt and press Generate: your clips appear here."
        )
        self.stack.setCurrentWidget(self.empty)

    # -- feeding -----------------------------------------------------------------------------

    def upsert(self, record: JobRecord, activity: Activity | None = None) -> None:
        """A job event from the view-model (JobService listener)."""
        self.model.upsert(record, activity)
        if activity is None and self.model_filter.findData(record.model) < 0:
            self._refresh_models()

    def remove(self, local_id: int) -> None:
        self.model.remove(local_id)

    def height_for_rows(self, rows: int) -> int:
        """The panel's height that shows ``rows`` full rows of cards under its filters."""
        grid = self.grid
        header = self._layout.sizeHint().height() - self.stack.sizeHint().height()
        return header + rows * grid.gridSize().height() + 2 * grid.frameWidth() + 2

    def select(self, local_id: int) -> bool:
        return self.grid.select(local_id)

    def selected_ids(self) -> list[int]:
        return self.grid.selected_ids()

    def set_hover_scrub(self, on: bool) -> None:
        """Turn hover scrubbing on or off (a setting: decoding strips costs CPU)."""
        self.grid.hover_scrub = on

    # -- undo ----------------------------------------------------------------------------------

    def show_undo(self, text: str) -> None:
        """Offer to undo what was just done (e.g. "3 clips moved to the trash.")."""
        self.undo_label.setText(text)
        self.undo_bar.show()
        self.undo_timer.start()

    def hide_undo(self) -> None:
        self.undo_timer.stop()
        self.undo_bar.hide()

    def _on_undo_button_clicked(self) -> None:
        self.hide_undo()
        self.undo_requested.emit()
