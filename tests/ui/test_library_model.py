"""The library model over a real journal and the real library queries (services.library)."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPalette
from pytestqt.qtbot import QtBot

from tests.ui.library_data import Library, make_library, rendered_clips
from videostudio.core import failures
from videostudio.core.failures import Failure
from videostudio.core.jobs import DOWNLOADING, SAVED, JobRecord
from videostudio.core.library import LibraryQuery
from videostudio.core.models import FAILED, IN_PROGRESS
from videostudio.services import library as service
from videostudio.services.activity import Activity
from videostudio.ui.library.cards import FAILED_STATES
from videostudio.ui.library.grid import LibraryGrid
from videostudio.ui.library.model import CARD_ROLE, LibraryModel
from videostudio.ui.library.thumbs import CardThumbnails
from videostudio.ui.media.thumbnails import FrameLoader
from videostudio.ui.widgets.fit import fit_line


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return rendered_clips(tmp_path_factory.getbasetemp() / "library-clips")


@pytest.fixture
def lib(tmp_path: Path) -> Iterator[Library]:
    library = make_library(tmp_path / "lib")
    yield library
    library.journal.close()


def model_for(lib: Library, **kwargs: Any) -> LibraryModel:
    model = LibraryModel(
        lib.sources.pages, lib.sources.count, batches=lib.sources.batch, clock=lib.clock, **kwargs
    )
    model.set_query(LibraryQuery())
    return model


def ids(model: LibraryModel) -> list[int]:
    return [model.id_at(row) for row in range(model.rowCount())]


def fetch_all(model: LibraryModel) -> None:
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())


def mixed(lib: Library, clips: list[Path]) -> list[JobRecord]:
    """30 jobs: four models, saved/failed/running, favourites, a few days apart."""
    records = lib.add(12, clip=clips[0], step=3600 * 9)
    records = [
        lib.save(r, cost_usd=0.1 * (i + 1), favourite=i % 4 == 0) for i, r in enumerate(records)
    ]
    failed = lib.add(8, first=12, step=3600 * 5)
    failed = [lib.journal.update(r.local_id, state=FAILED, error="refused") for r in failed]
    running = lib.add(10, first=20, state=IN_PROGRESS, step=600)
    return records + failed + running


def test_search_filters_and_sorts_are_sqlite_queries(lib: Library, clips: list[Path]) -> None:
    records = mixed(lib, clips)
    model = model_for(lib)
    fetch_all(model)
    assert sorted(ids(model)) == sorted(r.local_id for r in records)
    now = lib.clock.now
    queries = [
        LibraryQuery(text="fox"),
        LibraryQuery(text="NEON"),  # case does not matter
        LibraryQuery(text="1007"),  # a seed
        LibraryQuery(text="sora"),  # a model
        LibraryQuery(model="alibaba/wan-2.7"),
        LibraryQuery(states=FAILED_STATES),
        LibraryQuery(states=(SAVED,), favourites=True),
        LibraryQuery(since=now - 2 * 86400),
    ]
    for query in queries:
        model.set_query(query)
        fetch_all(model)
        wanted = [r.local_id for r in records if query.matches(lib.journal.get(r.local_id))]
        assert wanted, query  # each query finds something and leaves something out
        assert len(wanted) < len(records), query
        assert sorted(ids(model)) == sorted(wanted), query
        assert model.total == len(wanted)
    model.set_query(LibraryQuery(sort="cost", descending=True, states=(SAVED,)))
    costs = [model.record_at(r).cost_usd or 0 for r in range(model.rowCount())]
    assert costs == sorted(costs, reverse=True) and costs[0] > costs[-1]
    model.set_query(LibraryQuery(sort="model", descending=False))
    fetch_all(model)
    names = [model.record_at(r).model.lower() for r in range(model.rowCount())]
    assert names == sorted(names)
    model.set_query(LibraryQuery(sort="date", descending=True))
    fetch_all(model)
    stamps = [model.record_at(r).created_at for r in range(model.rowCount())]
    assert stamps == sorted(stamps, reverse=True)


def test_ten_thousand_clips_load_a_page_at_a_time(qtbot: QtBot, lib: Library) -> None:
    lib.add_bulk(10_000)
    model = model_for(lib, page_size=100)
    assert model.total == 10_000
    assert model.rowCount() == 100
    assert model.pages_loaded == 1
    fetched = 1
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
        fetched += 1
        assert model.rowCount() == min(fetched * 100, 10_000)
    assert fetched == 100
    assert len(set(ids(model))) == 10_000
    assert ids(model)[:3] == [r.local_id for r in service.find(lib.journal, LibraryQuery(limit=3))]


def test_a_shown_grid_loads_and_decodes_only_what_is_in_view(
    qtbot: QtBot, lib: Library, clips: list[Path], tmp_path: Path
) -> None:
    lib.add_bulk(9_700)
    newest = lib.add(300, clip=clips[0], step=1)
    for record in newest:
        lib.journal.update(record.local_id, state=SAVED)
    loader = FrameLoader(tmp_path / "cache", parallel=1)
    thumbs = CardThumbnails(loader)
    model = model_for(lib, page_size=100, thumbnails=thumbs)
    grid = LibraryGrid(model)
    qtbot.addWidget(grid)
    grid.resize(1280, 800)
    grid.show()
    qtbot.waitExposed(grid)
    qtbot.waitUntil(lambda: bool(loader.started))  # painted: posters asked for
    qtbot.waitUntil(lambda: not loader.busy(), timeout=30_000)
    first_row, last_row = grid.visible_rows()
    in_view = {model.id_at(r) for r in range(first_row, last_row + 1)}
    ahead = {model.id_at(r) for r in range(last_row + 1, last_row + 1 + grid.columns())}
    decoded = {int(key.rsplit("p", 1)[1]) for key in loader.started}
    assert in_view <= decoded <= in_view | ahead
    assert len(decoded) < 40
    assert model.rowCount() <= 200  # a page or two, not 10,000
    # Scrolling to the end reads more pages; what scrolled away is not decoded.
    loader.started.clear()
    for pages in (2, 3, 4):
        grid.scrollToBottom()
        qtbot.waitUntil(lambda n=pages: model.rowCount() == n * 100)
    qtbot.waitUntil(lambda: not loader.busy(), timeout=30_000)
    first_row, last_row = grid.visible_rows()
    now_in_view = {model.id_at(r) for r in range(first_row, last_row + 1)}
    decoded = {int(key.rsplit("p", 1)[1]) for key in loader.started}
    assert decoded <= now_in_view | {model.id_at(r) for r in range(last_row + 1, model.rowCount())}
    grid.close()
    loader.stop()


def _profile(calls: Iterator[None]) -> Counter[str]:
    """Python calls and C calls made while ``calls`` runs (after its first step), by name."""
    next(calls)
    counter: Counter[str] = Counter()

    def count(_frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            counter["python calls"] += 1
        elif event == "c_call":
            counter[getattr(arg, "__qualname__", repr(arg))] += 1

    sys.setprofile(count)
    try:
        for _ in calls:
            pass
    finally:
        sys.setprofile(None)
    return counter


def test_upserts_cost_the_same_at_a_hundred_rows_and_at_ten_thousand(lib: Library) -> None:
    lib.add_bulk(10_000)
    template = service.find(lib.journal, LibraryQuery(limit=1))[0]

    def upserts(model: LibraryModel, n: int) -> Iterator[None]:
        loaded = ids(model)  # the generator runs this before profiling starts
        yield
        for i in range(n):
            new = template.with_(local_id=1_000_000 + i, state=IN_PROGRESS)
            model.upsert(new)  # a new job: a card at the top
            yield
            old = model.record(loaded[(i * 7919) % len(loaded)])
            assert old is not None
            model.upsert(old.with_(state=DOWNLOADING), Activity(received=i, total=10**6))
            yield

    small = model_for(lib, page_size=100)
    big = model_for(lib, page_size=10_000)
    assert (small.rowCount(), big.rowCount()) == (100, 10_000)
    few = _profile(upserts(small, 1000))
    many = _profile(upserts(big, 1000))
    assert many == few  # the same operations, one by one: nothing grows with the rows
    assert not {"list.index", "list.insert", "list.remove"} & set(many)
    # 10,000 live jobs arrive at the top: all shown, newest first, in the right rows.
    for i in range(10_000):
        big.upsert(template.with_(local_id=2_000_000 + i, state=IN_PROGRESS))
    assert big.rowCount() == 10_000 + 1000 + 10_000
    assert big.id_at(0) == 2_000_000 + 9_999
    assert big.row_of(2_000_000) == 9_999
    assert big.row_of(ids(small)[5]) is not None


def test_live_jobs_respect_the_query_and_pages_do_not_repeat_them(lib: Library) -> None:
    lib.add_bulk(250)
    model = model_for(lib, page_size=100)
    (fresh,) = lib.add(1, first=300, state=IN_PROGRESS)
    model.upsert(fresh)
    assert model.id_at(0) == fresh.local_id
    fetch_all(model)
    assert model.rowCount() == 251
    assert len(set(ids(model))) == 251
    # Under the "failed" filter a running job is not listed; a failed one is.
    model.set_query(LibraryQuery(states=FAILED_STATES))
    (other,) = lib.add(1, first=301, state=IN_PROGRESS)
    model.upsert(other)
    assert model.rowCount() == 0
    model.upsert(lib.journal.update(other.local_id, state=FAILED, error="x"))
    assert ids(model) == [other.local_id]
    # Deleted (moved to the trash): the card goes.
    model.upsert(lib.journal.update(other.local_id, deleted_at=lib.clock.now))
    assert model.rowCount() == 0


def test_remove_keeps_rows_and_paging_consistent(lib: Library) -> None:
    lib.add_bulk(300)
    model = model_for(lib, page_size=100)
    (live,) = lib.add(1, first=400)
    model.upsert(live)
    victims = [model.id_at(0), model.id_at(50), model.id_at(100)]
    for local_id in victims:
        lib.journal.update(local_id, deleted_at=lib.clock.now)
        model.remove(local_id)
    assert all(model.row_of(v) is None for v in victims)
    assert [model.row_of(model.id_at(r)) for r in range(model.rowCount())] == list(
        range(model.rowCount())
    )
    fetch_all(model)
    expected = [r.local_id for r in service.find(lib.journal, LibraryQuery())]
    assert ids(model) == expected  # nothing skipped, nothing twice


def test_countdowns_count_down_with_the_clock_and_progress_shows(lib: Library) -> None:
    (running,) = lib.add(1, state=IN_PROGRESS)
    model = model_for(lib)
    wait = Failure(failures.SERVER, "HTTP 503", retry_in=12)
    model.upsert(running, Activity(failure=wait))
    index = model.index_of(running.local_id)
    assert index.data(CARD_ROLE).badge == "Retrying in 12 s"
    lib.clock.now += 5
    assert index.data(CARD_ROLE).badge == "Retrying in 7 s"
    lib.clock.now += 20
    assert index.data(CARD_ROLE).badge == "Retrying now"
    assert running.local_id in model.live_ids()
    downloading = lib.journal.update(running.local_id, state=DOWNLOADING)
    model.upsert(downloading)
    model.upsert(downloading, Activity(received=4, total=10))
    card = index.data(CARD_ROLE)
    assert (card.badge, card.progress) == ("Downloading 40 %", 0.4)
    model.upsert(lib.journal.update(running.local_id, state=SAVED))
    assert index.data(CARD_ROLE).badge == "Saved"
    assert model.live_ids() == set()


def test_cards_say_what_the_job_is(lib: Library, clips: list[Path]) -> None:
    records = lib.add(3, clip=clips[0], batch="b1")
    lib.save(records[1], cost_usd=0.8, copies=3)
    (refused,) = lib.add(1, first=5, estimate=0.3)
    lib.journal.update(refused.local_id, state=FAILED)
    model = model_for(lib)
    card = model.index_of(records[1].local_id).data(CARD_ROLE)
    assert card.batch == "batch · 2 of 3"
    assert card.outputs == 3
    assert card.meta == "sora-2-pro · 6 s · seed 1001 · $0.80 · " + card.meta.rsplit(" · ", 1)[1]
    assert model.index_of(refused.local_id).data(CARD_ROLE).meta.split(" · ")[3] == "not billed"
    tooltip = model.index_of(records[1].local_id).data(Qt.ItemDataRole.ToolTipRole)
    assert tooltip.startswith(records[1].prompt)


def test_drag_carries_every_saved_output_as_a_file_url(lib: Library, clips: list[Path]) -> None:
    records = lib.add(3, clip=clips[0])
    two = lib.save(records[0], copies=2)
    one = lib.save(records[1])
    model = model_for(lib)
    indexes = [model.index_of(r.local_id) for r in records]
    assert not model.flags(indexes[2]) & Qt.ItemFlag.ItemIsDragEnabled  # not saved: no file
    assert model.flags(indexes[0]) & Qt.ItemFlag.ItemIsDragEnabled
    mime = model.mimeData(indexes)
    files = [url.toLocalFile() for url in mime.urls()]
    assert files == [o.path for o in two.outputs] + [one.outputs[0].path]
    assert all(Path(f).exists() for f in files)
    assert mime.hasFormat("text/uri-list")


def test_palette_change_clears_the_cached_pixmaps(qtbot: QtBot, lib: Library) -> None:
    lib.add(6)
    model = model_for(lib)
    grid = LibraryGrid(model)
    qtbot.addWidget(grid)
    grid.resize(800, 600)
    grid.show()
    qtbot.waitExposed(grid)
    light = grid.viewport().grab().toImage()
    assert grid.card_delegate.cache_size() > 0
    rect = grid.card_delegate.rects(grid.visualRect(model.index(0, 0)), grid.font()).thumb
    dark = QPalette(grid.palette())
    dark.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#eeeeee"))
    grid.setPalette(dark)
    assert grid.card_delegate.cache_size() == 0
    after = grid.viewport().grab().toImage()
    # The placeholder followed the palette: a dark thumbnail area now, a light one before.
    spot = QPoint(rect.left() + rect.width() // 4, rect.top() + rect.height() * 3 // 4)
    assert QColor(light.pixel(spot)).lightnessF() > 0.6
    assert QColor(after.pixel(spot)).lightnessF() < 0.3


def test_set_query_ignores_paging_fields_from_the_caller(lib: Library) -> None:
    lib.add_bulk(30)
    model = model_for(lib, page_size=10)
    model.set_query(replace(LibraryQuery(), limit=3, offset=20))
    fetch_all(model)
    assert model.rowCount() == 30


def test_the_details_line_gives_up_the_words_and_keeps_the_figures(qtbot: QtBot) -> None:
    metrics = QFontMetrics(QFont())
    parts = [
        ("a-very-long-model-name-v3", False),
        ("8 s", True),
        ("seed 2147483647", True),
        ("$0.60", True),
        ("18:47", False),
    ]
    width = metrics.horizontalAdvance("a-very-lo · 8 s · seed 2147483647 · $0.60 · 18:47")
    fitted = fit_line(parts, metrics, width)
    assert fitted.endswith(" · 8 s · seed 2147483647 · $0.60 · 18:47")
    assert fitted.startswith("a-v") and "…" in fitted
    assert metrics.horizontalAdvance(fitted) <= width
    figures = "8 s · seed 2147483647 · $0.60"
    assert fit_line(parts, metrics, metrics.horizontalAdvance(figures)) == figures
    assert fit_line([("short", False)], metrics, width) == "short"


def test_a_clip_with_a_missing_output_or_file_says_so(lib: Library, clips: list[Path]) -> None:
    (record,) = lib.add(1, clip=clips[0])
    saved = lib.save(record, copies=3)
    partial = lib.journal.update(saved.local_id, outputs=(saved.outputs[0], saved.outputs[2]))
    model = model_for(lib)
    index = model.index_of(saved.local_id)
    assert index.data(CARD_ROLE).badge == "Saved, 1 of 3 missing"
    assert "Saved, 1 of 3 outputs missing" in index.data(Qt.ItemDataRole.ToolTipRole)
    for output in partial.outputs:
        Path(output.path).unlink()  # the user deleted the files in a file manager
    model.upsert(lib.journal.update(saved.local_id, favourite=True))
    card = index.data(CARD_ROLE)
    assert (card.badge, card.tone, card.has_file) == ("File missing", "bad", False)
