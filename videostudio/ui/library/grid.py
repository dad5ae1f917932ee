"""The grid of cards: keyboard, hover scrub, hover buttons, context menu, drag out.

A QListView in IconMode (Static, uniform sizes: Qt lays out 10,000 cards without
asking each) with one CardDelegate. Everything the user asks for leaves as an
intent signal carrying local ids (and paths); the view-model acts on them.

Keys: arrows move, Ctrl+A selects all, Enter plays the current card (output 0),
Delete moves the selection to the trash, Space toggles favourite on the selection
(Enter already plays; Space marks while browsing, as in photo managers).

Timers: a 1 s ticker runs only while a card in view is running (countdowns,
elapsed); a zero-delay single shot gathers the cards in view after a scroll or
resize. An idle library runs none.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QContextMenuEvent,
    QGuiApplication,
    QHideEvent,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import QAbstractItemView, QListView, QMenu, QWidget

from videostudio.core.jobs import NOT_SAVED, REJECTED, STOPPED, UNKNOWN, JobRecord
from videostudio.core.models import EXPIRED, FAILED
from videostudio.ui.library import cards
from videostudio.ui.library.delegate import (
    MAX_CARD_WIDTH,
    MIN_CARD_WIDTH,
    CardDelegate,
    Hover,
    card_height,
)
from videostudio.ui.library.model import STRIP_ROLE, LibraryModel
from videostudio.ui.media.thumbnails import STRIP_FRAMES
from videostudio.ui.widgets.operations import COMPARE_SOURCE, OPERATIONS

LOOKAHEAD_ROWS = 1  # grid rows below the view whose posters are decoded ahead
RESUBMITTABLE = frozenset({UNKNOWN, REJECTED, STOPPED, FAILED, EXPIRED})


class LibraryGrid(QListView):
    """Cards in a reflowing grid.

    Signals (local ids are ints, lists are list[int]):
    play_requested(int, str path), settings_requested(int), vary_requested(list),
    continue_requested(int, str path), operation_requested(int, str operation),
    compare_source_requested(int), compare_requested(list),
    favourite_requested(list, bool), reveal_requested(str path), delete_requested(list),
    retry_batch_requested(str batch), save_requested(int), resubmit_requested(int),
    stop_requested(list), open_batch_requested(str batch), current_changed(int).
    """

    play_requested = Signal(int, str)
    settings_requested = Signal(int)
    vary_requested = Signal(list)
    continue_requested = Signal(int, str)
    operation_requested = Signal(int, str)  # local id, "extend" | "edit" | "upscale"
    compare_source_requested = Signal(int)
    compare_requested = Signal(list)
    favourite_requested = Signal(list, bool)
    reveal_requested = Signal(str)
    delete_requested = Signal(list)
    retry_batch_requested = Signal(str)
    save_requested = Signal(int)
    resubmit_requested = Signal(int)
    stop_requested = Signal(list)
    open_batch_requested = Signal(str)
    current_changed = Signal(int)

    def __init__(
        self, model: LibraryModel, *, hover_scrub: bool = True, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.library = model
        self.hover_scrub = hover_scrub
        frames = model.thumbnails.strip_frames if model.thumbnails is not None else STRIP_FRAMES
        self.card_delegate = CardDelegate(frames, self)
        self._visible: tuple[int, int] = (0, -1)
        self._setup_ui()

    def _setup_ui(self) -> None:
        self.setObjectName("library")
        self.setAccessibleName("Clip library")
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setUniformItemSizes(True)
        self.setSpacing(0)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(24)
        # Always there: a scrollbar that comes and goes would reflow the cards back and forth.
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setMouseTracking(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setItemDelegate(self.card_delegate)
        self.setModel(self.library)
        self.card_delegate.clicked.connect(self._on_card_delegate_clicked)
        self.doubleClicked.connect(self._on_doubleclicked)
        self.selectionModel().currentChanged.connect(self._on_selection_current_changed)
        self._gather = QTimer(self)
        self._gather.setSingleShot(True)
        self._gather.setInterval(0)
        self._gather.timeout.connect(self._on_gather_timeout)
        self.ticker = QTimer(self)
        self.ticker.setInterval(1000)
        self.ticker.timeout.connect(self._on_ticker_timeout)
        self.verticalScrollBar().valueChanged.connect(self._on_view_changed)
        for signal in (
            self.library.modelReset,
            self.library.rowsInserted,
            self.library.rowsRemoved,
            self.library.dataChanged,
        ):
            signal.connect(self._on_view_changed)
        self._reflow()

    # -- layout ------------------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._reflow()
        self._gather.start(0)

    def _reflow(self) -> None:
        """As many columns as fit at the smallest card width, sharing the width out."""
        width = max(self.viewport().width(), MIN_CARD_WIDTH)
        columns = max(1, width // MIN_CARD_WIDTH)
        card = min(MAX_CARD_WIDTH, (width - 1) // columns)  # a full row must fit strictly
        line = self.card_delegate.line_height(self.font())
        size = QSize(card, card_height(card, line))
        if size != self.gridSize():
            self.card_delegate.card_width = card
            self.setGridSize(size)

    def visible_rows(self) -> tuple[int, int]:
        """(first, last) rows in view; (0, -1) when none. Cards flow in row order, so a
        binary search over their rects finds the edges without visiting every row."""
        count = self.library.rowCount()
        if count == 0:
            return (0, -1)
        top, bottom = 0, self.viewport().height()

        def first_at_or_below(y: int) -> int:
            lo, hi = 0, count
            while lo < hi:
                mid = (lo + hi) // 2
                if self.visualRect(self.library.index(mid, 0)).bottom() < y:
                    lo = mid + 1
                else:
                    hi = mid
            return lo

        first = first_at_or_below(top)
        after = first_at_or_below(bottom + 1)
        while after < count and self.visualRect(self.library.index(after, 0)).top() <= bottom:
            after += 1
        return (first, min(after, count) - 1)

    def columns(self) -> int:
        grid = self.gridSize().width() or MIN_CARD_WIDTH
        return max(1, self.viewport().width() // grid)

    # -- what is in view: images and the ticker --------------------------------------------------

    def _on_view_changed(self, *_args: object) -> None:
        # Not connected to QTimer.start directly: start(int) would take a signal's int
        # argument (a scroll position) as its interval.
        self._gather.start(0)

    def _on_gather_timeout(self) -> None:
        first, last = self.visible_rows()
        self._visible = (first, last)
        model = self.library
        ahead = min(model.rowCount() - 1, last + LOOKAHEAD_ROWS * self.columns())
        wanted = {model.id_at(row) for row in range(first, ahead + 1)}
        if model.thumbnails is not None:
            model.thumbnails.keep(wanted | self._hovered_ids())
            # Ask for every card in view (memory hits once loaded) and just below the fold.
            for row in range(first, ahead + 1):
                model.index(row, 0).data(Qt.ItemDataRole.DecorationRole)
        self._update_ticker()

    def _hovered_ids(self) -> set[int]:
        hover = self.card_delegate.hover
        return {hover.local_id} if hover is not None else set()

    def live_in_view(self) -> set[int]:
        """Running cards in view (the ticker repaints only these)."""
        first, last = self._visible
        live = set()
        for local_id in self.library.live_ids():
            row = self.library.row_of(local_id)
            if row is not None and first <= row <= last:
                live.add(local_id)
        return live

    def _update_ticker(self) -> None:
        if self.live_in_view() and self.isVisible():
            if not self.ticker.isActive():
                self.ticker.start()
        else:
            self.ticker.stop()

    def _on_ticker_timeout(self) -> None:
        live = self.live_in_view()
        self.library.tick(live)
        self._update_ticker()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._gather.start(0)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.ticker.stop()

    # -- hover: scrub and buttons -----------------------------------------------------------

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        super().mouseMoveEvent(event)
        if event.buttons() != Qt.MouseButton.NoButton:
            return
        self._hover_at(event.position().toPoint())

    def _hover_at(self, pos: QPoint) -> None:
        index = self.indexAt(pos)
        old = self.card_delegate.hover
        if not index.isValid():
            self._set_hover(None)
            return
        rect = self.visualRect(index)
        rects = self.card_delegate.rects(rect, self.font())
        part = rects.hit(pos)
        local_id = self.library.id_at(index.row())
        fraction = None
        record = self.library.record(local_id)
        if self.hover_scrub and part == "thumb" and record and cards.main_file(record):
            thumb = rects.thumb
            fraction = min(1.0, max(0.0, (pos.x() - thumb.left()) / max(1, thumb.width())))
            index.data(STRIP_ROLE)  # queues the strip on the first hover
        hover = Hover(local_id, part, fraction)
        if hover != old:
            self._set_hover(hover)

    def _set_hover(self, hover: Hover | None) -> None:
        old = self.card_delegate.hover
        self.card_delegate.hover = hover
        for item in (old, hover):
            if item is not None:
                index = self.library.index_of(item.local_id)
                if index.isValid():
                    self.viewport().update(self.visualRect(index))

    def leaveEvent(self, event: QEvent) -> None:
        super().leaveEvent(event)
        self._set_hover(None)  # the poster comes back

    def scrub_tile(self, local_id: int) -> int | None:
        """The strip tile last painted for a card while scrubbing (tests, the status bar)."""
        return self.card_delegate.scrubbed.get(local_id)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (
            QEvent.Type.PaletteChange,
            QEvent.Type.StyleChange,
        ):
            self.card_delegate.clear_cache()
            self.viewport().update()
        super().changeEvent(event)

    # -- selection and keys --------------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        """Selected cards in row order (the current card when nothing is selected)."""
        rows = sorted(i.row() for i in self.selectionModel().selectedIndexes())
        if not rows and self.currentIndex().isValid():
            rows = [self.currentIndex().row()]
        return [self.library.id_at(r) for r in rows]

    def select(self, local_id: int) -> bool:
        """Make a card current and selected, scrolled into view; False if not loaded."""
        index = self.library.index_of(local_id)
        if not index.isValid():
            return False
        self.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )
        self.scrollTo(index)
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._play(self.currentIndex())
        elif event.matches(QKeySequence.StandardKey.Delete) or key == Qt.Key.Key_Delete:
            ids = self.selected_ids()
            if ids:
                self.delete_requested.emit(ids)
        elif key == Qt.Key.Key_Space and not event.modifiers():
            self._toggle_favourite(self.selected_ids())
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def _play(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        record = self.library.record_at(index.row())
        path = cards.main_file(record)
        if path is not None:
            self.play_requested.emit(record.local_id, path)

    def _on_doubleclicked(self, index: QModelIndex) -> None:
        self._play(index)

    def _on_selection_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.current_changed.emit(self.library.id_at(current.row()))

    def _toggle_favourite(self, ids: list[int]) -> None:
        records = [r for r in (self.library.record(i) for i in ids) if r is not None]
        if records:
            self.favourite_requested.emit(ids, not all(r.favourite for r in records))

    def _on_card_delegate_clicked(self, action: str, local_id: int) -> None:
        ids = self.selected_ids()
        if local_id not in ids:
            ids = [local_id]
        if action == "favourite":
            record = self.library.record(local_id)
            if record is not None:
                self.favourite_requested.emit([local_id], not record.favourite)
        elif action == "compare":
            self.compare_requested.emit(ids[:4])
        else:
            rect = self.visualRect(self.library.index_of(local_id))
            rects = self.card_delegate.rects(rect, self.font())
            self.select_if_needed(local_id)
            menu = self.menu_for(ids)
            menu.exec(self.viewport().mapToGlobal(rects.buttons["more"].bottomLeft()))

    def select_if_needed(self, local_id: int) -> None:
        if local_id not in self.selected_ids():
            self.select(local_id)

    # -- the context menu ---------------------------------------------------------------------

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        index = self.indexAt(event.pos())
        if not index.isValid():
            return
        self.select_if_needed(self.library.id_at(index.row()))
        self.menu_for(self.selected_ids()).exec(event.globalPos())

    def menu_for(self, ids: list[int]) -> QMenu:
        """The actions for these cards; each one emits an intent."""
        records = [r for r in (self.library.record(i) for i in ids) if r is not None]
        menu = QMenu(self)
        if not records:
            return menu
        first = records[0]
        single = len(records) == 1
        path = cards.main_file(first)
        saved = [r for r in records if cards.main_file(r)]

        def add(name: str, text: str, enabled: bool, slot: object) -> QAction:
            action = menu.addAction(text)
            action.setObjectName(name)
            action.setEnabled(enabled)
            action.triggered.connect(slot)
            return action

        play = add("play", "Play", single and path is not None, lambda: self._play_record(first))
        menu.setDefaultAction(play)
        add(
            "settings",
            "Use these settings",
            single,
            lambda: self.settings_requested.emit(first.local_id),
        )
        add(
            "vary",
            "Vary (new seed)",
            True,
            lambda: self.vary_requested.emit([r.local_id for r in records]),
        )
        add(
            "continue",
            "Continue from last frame",
            single and path is not None,
            lambda: self.continue_requested.emit(first.local_id, path or ""),
        )
        for operation, text, _keys in OPERATIONS:
            add(
                operation,
                text,
                single and path is not None,
                lambda _=False, op=operation: self.operation_requested.emit(first.local_id, op),
            )
        add(
            "compare_source",
            COMPARE_SOURCE[0],
            single and path is not None and first.source_job is not None,
            lambda: self.compare_source_requested.emit(first.local_id),
        )
        compare = add(
            "compare",
            "Compare",
            2 <= len(saved) <= 4,
            lambda: self.compare_requested.emit([r.local_id for r in saved]),
        )
        compare.setToolTip("Select two to four saved clips to compare them side by side.")
        favourite = not all(r.favourite for r in records)
        add(
            "favourite",
            "Favourite" if favourite else "Remove from favourites",
            True,
            lambda: self.favourite_requested.emit([r.local_id for r in records], favourite),
        )
        menu.addSeparator()
        add(
            "reveal",
            "Show in folder",
            single and path is not None,
            lambda: self.reveal_requested.emit(path or ""),
        )
        add("copy", "Copy path", bool(saved), lambda: self._copy_paths(saved))
        if first.batch:
            batch = first.batch
            menu.addSeparator()
            add(
                "open_batch", "Open this batch", True, lambda: self.open_batch_requested.emit(batch)
            )
            add(
                "retry_batch",
                "Retry failed jobs of this batch",
                True,
                lambda: self.retry_batch_requested.emit(batch),
            )
        extra = []
        if single and first.state == NOT_SAVED:
            extra.append(("save", "Save to…", lambda: self.save_requested.emit(first.local_id)))
        if single and first.state in RESUBMITTABLE:
            extra.append(
                ("resubmit", "Submit again…", lambda: self.resubmit_requested.emit(first.local_id))
            )
        running = [r.local_id for r in records if not r.is_final and r.state != NOT_SAVED]
        if running:
            extra.append(("stop", "Stop watching…", lambda: self.stop_requested.emit(running)))
        if extra:
            menu.addSeparator()
            for name, text, slot in extra:
                add(name, text, True, slot)
        menu.addSeparator()
        add(
            "trash",
            "Move to trash",
            True,
            lambda: self.delete_requested.emit([r.local_id for r in records]),
        )
        return menu

    def _play_record(self, record: JobRecord) -> None:
        path = cards.main_file(record)
        if path is not None:
            self.play_requested.emit(record.local_id, path)

    def _copy_paths(self, records: list[JobRecord]) -> None:
        paths = [p for r in records for p in cards.files(r)]
        QGuiApplication.clipboard().setText("\n".join(paths))
