"""The library's rows: jobs from the journal, a page at a time, kept live by job events.

SQLite does the searching, filtering and sorting (``set_query`` re-queries
through the injected sources); Qt's lazy loading (canFetchMore/fetchMore) asks
for the next page as the grid scrolls, so 10,000 clips cost one page at start.
Job events (``upsert``) update a row in O(1) by local id: rows live in two lists,
``_head`` (jobs that arrived live, newest last) and ``_tail`` (pages, in query
order), and a dict maps each id to its slot, so neither a new job at the top nor
a change anywhere shifts or scans the others. Texts are made in ``data`` for the
cards being painted only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QUrl,
)

from videostudio.core.jobs import DOWNLOADING, JobRecord
from videostudio.core.library import LibraryQuery
from videostudio.core.operations import lineage_text
from videostudio.services.activity import Activity
from videostudio.services.clips import file_missing
from videostudio.ui.library import cards
from videostudio.ui.library.cards import Timed, elapsed_text, status_line
from videostudio.ui.library.thumbs import CardThumbnails
from videostudio.ui.widgets.fit import Part, join

PageSource = Callable[[LibraryQuery, int, int], list[JobRecord]]
CountSource = Callable[[LibraryQuery], int]
BatchSource = Callable[[str], list[int]]  # a batch's local ids, in the order they were made
AnyIndex = QModelIndex | QPersistentModelIndex

PAGE_SIZE = 120

_role = Qt.ItemDataRole.UserRole
RECORD_ROLE = _role + 1  # JobRecord
LOCAL_ID_ROLE = _role + 2  # int
CARD_ROLE = _role + 3  # Card: everything the delegate paints but the images
STRIP_ROLE = _role + 4  # QImage | None: the hover strip (queued on first ask)
FILES_ROLE = _role + 5  # list[str]: the saved outputs


@dataclass(frozen=True)
class Card:
    """A card's texts and marks, made when it is painted."""

    record: JobRecord
    badge: str
    tone: str
    meta: str
    meta_parts: tuple[Part, ...]  # the meta line's parts (figures kept whole)
    progress: float | None  # a download's fraction
    batch: str  # "batch · 3 of 8", or the lineage ("extended from job 4"), or ""
    outputs: int
    has_file: bool
    unreadable: bool


class LibraryModel(QAbstractListModel):
    """Jobs as a list of cards, newest first by default.

    ``pages(query, offset, limit)`` and ``count(query)`` are the library's queries
    (services/library.py over the journal); ``batches(name)`` lists a batch's ids
    for the "batch · 3 of 8" badge (by default through ``pages``). ``clock`` makes
    retry countdowns testable. ``thumbnails`` may be None (no images: tests, CLI).
    """

    def __init__(
        self,
        pages: PageSource,
        count: CountSource,
        *,
        thumbnails: CardThumbnails | None = None,
        batches: BatchSource | None = None,
        clock: Callable[[], float] = time.time,
        page_size: int = PAGE_SIZE,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._pages = pages
        self._count = count
        self._batches_source = batches or self._batch_ids
        self._clock = clock
        self.page_size = page_size
        self.thumbnails = thumbnails
        self._query = LibraryQuery()
        self._head: list[int] = []
        self._tail: list[int] = []
        self._slot: dict[int, int] = {}  # head i -> -(i + 1), tail i -> i
        self._records: dict[int, JobRecord] = {}
        self._activity: dict[int, Timed] = {}
        self._live: set[int] = set()  # ids whose card changes with time
        self._batch_cache: dict[str, dict[int, tuple[int, int]]] = {}
        self._gone: dict[int, bool] = {}  # saved clips whose files are missing (looked once)
        self._offset = 0  # rows of the query read so far
        self._total = 0
        self._exhausted = True
        self.pages_loaded = 0  # for tests and the benchmark
        if thumbnails is not None:
            thumbnails.poster_ready.connect(self._on_thumbnails_poster_ready)
            thumbnails.strip_ready.connect(self._on_thumbnails_strip_ready)

    # -- the query ---------------------------------------------------------------------------

    @property
    def query(self) -> LibraryQuery:
        return self._query

    @property
    def total(self) -> int:
        """How many jobs the query finds (live arrivals included)."""
        return self._total

    def set_query(self, query: LibraryQuery) -> None:
        """Show what ``query`` finds: count it, load its first page (the rest on scroll)."""
        query = replace(query, limit=None, offset=0)
        self.beginResetModel()
        self._query = query
        self._head.clear()
        self._tail.clear()
        self._slot.clear()
        self._records.clear()
        self._live.clear()
        self._activity = {k: v for k, v in self._activity.items() if v.activity.failure}
        self._batch_cache.clear()
        self._gone.clear()
        self._offset = 0
        self._total = self._count(query)
        self._exhausted = False
        self._load_page()
        self.endResetModel()

    def reload(self) -> None:
        """Query again (e.g. after the journal changed behind the model's back)."""
        self.set_query(self._query)

    def canFetchMore(self, parent: AnyIndex) -> bool:
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: AnyIndex) -> None:
        if parent.isValid() or self._exhausted:
            return
        first = self.rowCount()
        fresh = self._read_page()
        if fresh:
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            self._append(fresh)
            self.endInsertRows()

    def _load_page(self) -> None:
        self._append(self._read_page())

    def _read_page(self) -> list[JobRecord]:
        page = self._pages(self._query, self._offset, self.page_size)
        self.pages_loaded += 1
        self._offset += len(page)
        if len(page) < self.page_size or self._offset >= self._total:
            self._exhausted = True
        # A job that arrived live is also in the journal: a page may bring it again.
        return [r for r in page if r.local_id not in self._records]

    def _append(self, records: Sequence[JobRecord]) -> None:
        for record in records:
            self._slot[record.local_id] = len(self._tail)
            self._tail.append(record.local_id)
            self._records[record.local_id] = record
            if not record.is_final:
                self._live.add(record.local_id)

    # -- rows --------------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._head) + len(self._tail)

    def id_at(self, row: int) -> int:
        heads = len(self._head)
        return self._head[heads - 1 - row] if row < heads else self._tail[row - heads]

    def row_of(self, local_id: int) -> int | None:
        """The row of a job, or None when it is not loaded (O(1))."""
        slot = self._slot.get(local_id)
        if slot is None:
            return None
        heads = len(self._head)
        return heads - 1 - (-slot - 1) if slot < 0 else heads + slot

    def index_of(self, local_id: int) -> QModelIndex:
        row = self.row_of(local_id)
        return self.index(row, 0) if row is not None else QModelIndex()

    def record(self, local_id: int) -> JobRecord | None:
        return self._records.get(local_id)

    def record_at(self, row: int) -> JobRecord:
        return self._records[self.id_at(row)]

    def status_of(self, local_id: int) -> str:
        """The job's state in a sentence, its countdown on this model's clock ("" if unknown)."""
        record = self._records.get(local_id)
        if record is None:
            return ""
        return status_line(record, self._activity.get(local_id), self._clock())

    def elapsed_of(self, local_id: int) -> str:
        record = self._records.get(local_id)
        return elapsed_text(record, self._clock()) if record is not None else ""

    def live_ids(self) -> set[int]:
        """Jobs whose cards change with time (running, or counting down to a retry)."""
        return self._live

    # -- live changes --------------------------------------------------------------------------

    def upsert(self, record: JobRecord, activity: Activity | None = None) -> None:
        """A job event: update its card, or show a new job at the top if the query lists it.

        An event with an Activity carries transient news (progress, a retry wait): the
        record is kept as journaled; an event without one is a journal change.
        """
        local_id = record.local_id
        if activity is None:
            self._activity.pop(local_id, None)
            self._gone.pop(local_id, None)
        else:
            self._activity[local_id] = Timed(activity, self._clock())
        old = self._records.get(local_id)
        if old is None:
            if activity is not None or not self._query.matches(record):
                return
            if not self._goes_on_top(record):
                self._insert_sorted(record)  # a restored clip, or a sort other than newest
                return
            row = 0
            self.beginInsertRows(QModelIndex(), row, row)
            self._head.append(local_id)
            self._slot[local_id] = -len(self._head)
            self._records[local_id] = record
            self._total += 1
            self._note_live(record)
            if record.batch:
                self._batch_cache.pop(record.batch, None)
            self.endInsertRows()
            return
        if activity is None:
            if record.deleted_at is not None and not self._query.include_deleted:
                self.remove(local_id)
                return
            if self.thumbnails is not None and cards.files(old) != cards.files(record):
                self.thumbnails.forget(local_id)
            self._records[local_id] = record
            if cards.sort_key(self._query, old) != cards.sort_key(self._query, record):
                self._resort(local_id)  # e.g. its cost came in under "Highest cost"
                if local_id not in self._records:
                    return
        self._note_live(self._records[local_id])
        index = self.index_of(local_id)
        self.dataChanged.emit(index, index)

    # -- keeping the sort -----------------------------------------------------------------------

    def _goes_on_top(self, record: JobRecord) -> bool:
        """A live arrival sorts first: the default order (newest first) and newer than all."""
        if self._query.sort != "date" or not self._query.descending:
            return False
        return not self.rowCount() or cards.sort_key(self._query, record) > cards.sort_key(
            self._query, self._records[self.id_at(0)]
        )

    def _position(self, record: JobRecord) -> int:
        """Where ``record`` goes among the loaded pages (``_tail``) in the query's order."""
        key = cards.sort_key(self._query, record)
        down = self._query.descending
        for i, other in enumerate(self._tail):
            theirs = cards.sort_key(self._query, self._records[other])
            if (key > theirs) if down else (key < theirs):
                return i
        return len(self._tail)

    def _renumber(self, start: int, stop: int) -> None:
        for i in range(start, min(stop, len(self._tail))):
            self._slot[self._tail[i]] = i

    def _insert_sorted(self, record: JobRecord) -> None:
        """Show a new or restored record at its place in the order; one past the loaded
        pages comes with a later page (O(rows): a user action, not a stream)."""
        position = self._position(record)
        self._total += 1
        if position == len(self._tail) and not self._exhausted:
            return
        row = len(self._head) + position
        self.beginInsertRows(QModelIndex(), row, row)
        self._tail.insert(position, record.local_id)
        self._records[record.local_id] = record
        self._renumber(position, len(self._tail))
        self._note_live(record)
        if record.batch:
            self._batch_cache.pop(record.batch, None)
        self.endInsertRows()

    def _resort(self, local_id: int) -> None:
        """Move a loaded record whose sort key changed to its new place."""
        slot = self._slot[local_id]
        if slot < 0:
            return  # a live arrival in the newest-first order: its date does not change
        record = self._records[local_id]
        del self._tail[slot]
        position = self._position(record)
        self._tail.insert(slot, local_id)
        if position == slot:
            return
        if position == len(self._tail) - 1 and not self._exhausted:
            self.remove(local_id)  # past the loaded pages: a later page brings it
            self._total += 1
            return
        heads = len(self._head)
        dest = heads + (position if position < slot else position + 1)
        self.beginMoveRows(QModelIndex(), heads + slot, heads + slot, QModelIndex(), dest)
        del self._tail[slot]
        self._tail.insert(position, local_id)
        self._renumber(min(slot, position), max(slot, position) + 1)
        self.endMoveRows()

    def remove(self, local_id: int) -> None:
        """Take a job's card away (deleted). O(rows) to renumber: a user action, not a stream."""
        row = self.row_of(local_id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        slot = self._slot.pop(local_id)
        if slot < 0:
            del self._head[-slot - 1]
            self._slot.update({lid: -(i + 1) for i, lid in enumerate(self._head)})
        else:
            del self._tail[slot]
            self._slot.update({lid: i for i, lid in enumerate(self._tail[slot:], start=slot)})
        # The journal's list lost a row, likely before the read position: read on from one
        # earlier (a row read twice is dropped by id; a row skipped would be lost).
        self._offset = max(0, self._offset - 1)
        record = self._records.pop(local_id)
        self._activity.pop(local_id, None)
        self._live.discard(local_id)
        self._total = max(0, self._total - 1)
        if record.batch:
            self._batch_cache.pop(record.batch, None)
        self.endRemoveRows()

    def tick(self, local_ids: set[int]) -> None:
        """Repaint these cards (their countdowns and progress moved on)."""
        for local_id in local_ids:
            index = self.index_of(local_id)
            if index.isValid():
                self.dataChanged.emit(index, index, [CARD_ROLE])

    def _note_live(self, record: JobRecord) -> None:
        if cards.is_live(record, self._activity.get(record.local_id)):
            self._live.add(record.local_id)
        else:
            self._live.discard(record.local_id)

    # -- what a card shows ---------------------------------------------------------------------

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= self.rowCount():
            return None
        local_id = self.id_at(index.row())
        record = self._records[local_id]
        if role == CARD_ROLE:
            return self._card(record)
        if role == Qt.ItemDataRole.DecorationRole:
            path = cards.main_file(record)
            if path is None or self.thumbnails is None:
                return None
            return self.thumbnails.poster(local_id, path)
        if role == STRIP_ROLE:
            path = cards.main_file(record)
            if path is None or self.thumbnails is None:
                return None
            return self.thumbnails.strip(local_id, path)
        if role == Qt.ItemDataRole.DisplayRole:
            return record.prompt
        if role == Qt.ItemDataRole.ToolTipRole:
            return cards.tooltip_text(record)
        if role == RECORD_ROLE:
            return record
        if role == LOCAL_ID_ROLE:
            return local_id
        if role == FILES_ROLE:
            return cards.files(record)
        return None

    def _card(self, record: JobRecord) -> Card:
        now = self._clock()
        timed = self._activity.get(record.local_id)
        gone = self._gone.get(record.local_id)
        if gone is None:
            gone = self._gone[record.local_id] = file_missing(record)
        text, tone = cards.badge(record, timed, now, missing=gone)
        progress = timed.activity.fraction if timed is not None else None
        has_file = cards.main_file(record) is not None and not gone
        thumbs = self.thumbnails
        unreadable = has_file and thumbs is not None and thumbs.unreadable(record.local_id)
        parts = cards.meta_parts(record, now)
        return Card(
            record=record,
            badge=text,
            tone=tone,
            meta=join(parts),
            meta_parts=tuple(parts),
            progress=progress if record.state == DOWNLOADING else None,
            batch=self._batch_text(record) or lineage_text(record.source_job, record.operation),
            outputs=max(len(record.outputs), record.output_count or 1),
            has_file=has_file,
            unreadable=unreadable,
        )

    def _batch_text(self, record: JobRecord) -> str:
        if not record.batch:
            return ""
        places = self._batch_cache.get(record.batch)
        if places is None:
            ids = self._batches_source(record.batch)
            places = {lid: (i + 1, len(ids)) for i, lid in enumerate(ids)}
            self._batch_cache[record.batch] = places
        place = places.get(record.local_id)
        return f"batch · {place[0]} of {place[1]}" if place else "batch"

    def _batch_ids(self, batch: str) -> list[int]:
        query = LibraryQuery(batch=batch, sort="date", descending=False)
        return [r.local_id for r in self._pages(query, 0, 10_000)]

    # -- drag out ------------------------------------------------------------------------------

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and cards.main_file(self.record_at(index.row())) is not None:
            flags |= Qt.ItemFlag.ItemIsDragEnabled
        return flags

    def mimeTypes(self) -> list[str]:
        return ["text/uri-list"]

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        """Every saved output of the dragged cards, as file URLs (file managers, editors)."""
        urls = [
            QUrl.fromLocalFile(path)
            for index in indexes
            if index.isValid()
            for path in cards.files(self.record_at(index.row()))
        ]
        mime = QMimeData()
        mime.setUrls(urls)
        return mime

    # -- images arriving -----------------------------------------------------------------------

    def _on_thumbnails_poster_ready(self, local_id: int) -> None:
        index = self.index_of(local_id)
        if index.isValid():
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def _on_thumbnails_strip_ready(self, local_id: int) -> None:
        index = self.index_of(local_id)
        if index.isValid():
            self.dataChanged.emit(index, index, [STRIP_ROLE])
