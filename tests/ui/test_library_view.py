"""The library panel in a real window offscreen: keys, hover scrub and buttons, menu
intents, filters, undo, timers and layout, over a real journal with real clips."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.ui.library_data import Library, make_library, rendered_clips
from videostudio.core.jobs import SAVED, JobRecord
from videostudio.core.library import LibraryQuery
from videostudio.core.models import FAILED, IN_PROGRESS
from videostudio.services import library as service
from videostudio.ui.library.cards import FAILED_STATES
from videostudio.ui.library.delegate import MAX_CARD_WIDTH, MIN_CARD_WIDTH
from videostudio.ui.library.view import LibraryPanel
from videostudio.ui.media.thumbnails import FrameLoader


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return rendered_clips(tmp_path_factory.getbasetemp() / "library-clips")


@pytest.fixture
def lib(tmp_path: Path, clips: list[Path]) -> Iterator[Library]:
    library = make_library(tmp_path / "lib")
    yield library
    library.journal.close()


@pytest.fixture
def loader(tmp_path: Path) -> Iterator[FrameLoader]:
    loader = FrameLoader(tmp_path / "cache", parallel=2)
    yield loader
    loader.stop()


def saved_jobs(lib: Library, clips: list[Path], n: int, **kwargs: object) -> list[JobRecord]:
    return [lib.save(r) for r in lib.add(n, clip=clips[0], **kwargs)]  # type: ignore[arg-type]


def open_panel(
    qtbot: QtBot, lib: Library, loader: FrameLoader | None, size: tuple[int, int] = (1280, 800)
) -> LibraryPanel:
    s = lib.sources
    panel = LibraryPanel(s.pages, s.count, s.models, loader, batches=s.batch, clock=lib.clock)
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def row_ids(panel: LibraryPanel) -> list[int]:
    return [panel.model.id_at(r) for r in range(panel.model.rowCount())]


def test_keys_move_play_delete_favourite_and_select_all(
    qtbot: QtBot, lib: Library, clips: list[Path]
) -> None:
    records = saved_jobs(lib, clips, 8)
    panel = open_panel(qtbot, lib, None)
    grid = panel.grid
    grid.setFocus()
    first = panel.model.id_at(0)
    grid.select(first)
    QTest.keyClick(grid, Qt.Key.Key_Right)
    second = panel.model.id_at(1)
    assert grid.currentIndex().row() == 1
    with qtbot.waitSignal(panel.play_requested) as played:
        QTest.keyClick(grid, Qt.Key.Key_Return)
    path = next(r.outputs[0].path for r in records if r.local_id == second)
    assert played.args == [second, path]
    QTest.keyClick(grid, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    third = panel.model.id_at(2)
    with qtbot.waitSignal(panel.delete_requested) as deleted:
        QTest.keyClick(grid, Qt.Key.Key_Delete)
    assert deleted.args == [[second, third]]
    with qtbot.waitSignal(panel.favourite_requested) as favourite:
        QTest.keyClick(grid, Qt.Key.Key_Space)
    assert favourite.args == [[second, third], True]
    QTest.keyClick(grid, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert sorted(panel.selected_ids()) == sorted(r.local_id for r in records)
    # Dragging the selection out carries every card's file.
    assert grid.dragEnabled()
    mime = panel.model.mimeData(grid.selectedIndexes())
    assert sorted(u.toLocalFile() for u in mime.urls()) == sorted(r.path or "" for r in records)
    QTest.keyClick(grid, Qt.Key.Key_Down)  # down one grid row: as many cards as columns
    assert grid.currentIndex().row() == 2 + grid.columns()


def test_double_click_plays_output_zero(qtbot: QtBot, lib: Library, clips: list[Path]) -> None:
    (record,) = saved_jobs(lib, clips, 1)
    record = lib.save(record, copies=3)
    panel = open_panel(qtbot, lib, None)
    rect = panel.grid.visualRect(panel.model.index(0, 0))
    viewport = panel.grid.viewport()
    QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(panel.play_requested) as played:
        QTest.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
    assert played.args == [record.local_id, record.outputs[0].path]


def test_hovering_a_thumbnail_scrubs_through_the_clip(
    qtbot: QtBot, lib: Library, clips: list[Path], loader: FrameLoader
) -> None:
    saved_jobs(lib, clips, 3)
    panel = open_panel(qtbot, lib, loader)
    grid = panel.grid
    local_id = panel.model.id_at(1)
    rects = grid.card_delegate.rects(grid.visualRect(panel.model.index(1, 0)), grid.font())
    thumb = rects.thumb

    def at(fraction: float) -> QPoint:
        return QPoint(thumb.left() + int(thumb.width() * fraction), thumb.bottom() - 20)

    def hover(fraction: float) -> None:
        QTest.mouseMove(grid.viewport(), at(fraction))
        grid.viewport().repaint()

    assert panel.thumbnails is not None
    with qtbot.waitSignal(panel.thumbnails.strip_ready, timeout=20_000) as ready:
        QTest.mouseMove(grid.viewport(), at(0.1))  # first hover: the strip is extracted
    assert ready.args == [local_id]
    hover(0.1)
    assert grid.scrub_tile(local_id) == 1  # 16 tiles: 10 % is the second
    early = grid.viewport().grab(thumb).toImage()
    hover(0.9)
    assert grid.scrub_tile(local_id) == 14
    late = grid.viewport().grab(thumb).toImage()
    assert early != late
    # Leaving the card brings the poster back.
    hover_point = at(0.9)
    QTest.mouseMove(grid.viewport(), QPoint(hover_point.x(), grid.viewport().height() - 2))
    assert grid.card_delegate.hover is None or grid.card_delegate.hover.local_id != local_id
    grid.card_delegate.scrubbed.clear()
    grid.viewport().repaint()
    assert grid.scrub_tile(local_id) is None
    # Off: no strip is asked for.
    panel.set_hover_scrub(False)
    started = len(loader.started)
    other = panel.model.id_at(2)
    rects = grid.card_delegate.rects(grid.visualRect(panel.model.index(2, 0)), grid.font())
    QTest.mouseMove(grid.viewport(), rects.thumb.center())
    grid.viewport().repaint()
    assert not [k for k in loader.started[started:] if k.endswith(f"s{other}")]
    assert grid.scrub_tile(other) is None


def test_hover_buttons_are_painted_and_clicked_without_selecting(
    qtbot: QtBot, lib: Library, clips: list[Path]
) -> None:
    saved_jobs(lib, clips, 4)
    panel = open_panel(qtbot, lib, None)
    grid = panel.grid
    local_id = panel.model.id_at(2)
    rects = grid.card_delegate.rects(grid.visualRect(panel.model.index(2, 0)), grid.font())
    star = rects.buttons["favourite"].center()
    QTest.mouseMove(grid.viewport(), star)
    with qtbot.waitSignal(panel.favourite_requested) as favourite:
        QTest.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=star)
    assert favourite.args == [[local_id], True]
    assert panel.selected_ids() == []  # the click did not select the card
    grid.select(panel.model.id_at(0))
    grid.selectionModel().select(
        panel.model.index(2, 0), grid.selectionModel().SelectionFlag.Select
    )
    compare = rects.buttons["compare"].center()
    QTest.mouseMove(grid.viewport(), compare)
    with qtbot.waitSignal(panel.compare_requested) as compared:
        QTest.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=compare)
    assert compared.args == [[panel.model.id_at(0), local_id]]


def test_context_menu_actions_emit_intents(qtbot: QtBot, lib: Library, clips: list[Path]) -> None:
    batch = saved_jobs(lib, clips, 3, batch="b-7")
    (failed,) = lib.add(1, first=10, batch="b-7")
    lib.journal.update(failed.local_id, state=FAILED, error="refused")
    (not_saved,) = lib.add(1, first=11)
    lib.journal.update(not_saved.local_id, state="not_saved", error="Disk full.")
    (running,) = lib.add(1, first=12, state=IN_PROGRESS)
    panel = open_panel(qtbot, lib, None)
    grid = panel.grid
    one = batch[0]

    def trigger(ids: list[int], name: str, signal: object) -> list[object]:
        menu = grid.menu_for(ids)
        action = next(a for a in menu.actions() if a.objectName() == name)
        assert action.isEnabled(), name
        with qtbot.waitSignal(signal) as got:
            action.trigger()
        menu.deleteLater()
        return list(got.args)

    path = one.outputs[0].path
    assert trigger([one.local_id], "play", panel.play_requested) == [one.local_id, path]
    assert trigger([one.local_id], "settings", panel.settings_requested) == [one.local_id]
    assert trigger([one.local_id], "vary", panel.vary_requested) == [[one.local_id]]
    assert trigger([one.local_id], "continue", panel.continue_requested) == [one.local_id, path]
    assert trigger([one.local_id], "reveal", panel.reveal_requested) == [path]
    assert trigger([one.local_id], "favourite", panel.favourite_requested) == [
        [one.local_id],
        True,
    ]
    two = [batch[0].local_id, batch[1].local_id]
    assert trigger(two, "compare", panel.compare_requested) == [two]
    assert trigger(two, "trash", panel.delete_requested) == [two]
    assert trigger([failed.local_id], "retry_batch", panel.retry_batch_requested) == ["b-7"]
    assert trigger([failed.local_id], "resubmit", panel.resubmit_requested) == [failed.local_id]
    assert trigger([not_saved.local_id], "save", panel.save_requested) == [not_saved.local_id]
    assert trigger([running.local_id], "stop", panel.stop_requested) == [[running.local_id]]
    # Compare needs two to four saved clips; Save to… only for a paid clip not saved.
    menu = grid.menu_for([one.local_id])
    enabled = {a.objectName(): a.isEnabled() for a in menu.actions() if a.objectName()}
    assert enabled["compare"] is False
    assert "save" not in enabled
    menu.deleteLater()
    # Copy path puts every saved file on the clipboard.
    menu = grid.menu_for(two)
    next(a for a in menu.actions() if a.objectName() == "copy").trigger()
    assert QGuiApplication.clipboard().text().splitlines() == [
        batch[0].outputs[0].path,
        batch[1].outputs[0].path,
    ]
    menu.deleteLater()
    # Open this batch: only its jobs are listed; the chip takes the filter off again.
    with qtbot.waitSignal(panel.batch_opened) as opened:
        trigger([one.local_id], "open_batch", panel.batch_opened)
    assert opened.args == ["b-7"]
    assert sorted(row_ids(panel)) == sorted([r.local_id for r in batch] + [failed.local_id])
    assert panel.batch_chip.isVisible()
    panel.batch_chip.click()
    assert panel.model.rowCount() == 6
    assert not panel.batch_chip.isVisible()


def test_search_waits_for_a_pause_and_filters_run_in_sqlite(
    qtbot: QtBot, lib: Library, clips: list[Path]
) -> None:
    saved = saved_jobs(lib, clips, 10)
    lib.journal.update(saved[3].local_id, favourite=True)
    failed = lib.add(5, first=20)
    for record in failed:
        lib.journal.update(record.local_id, state=FAILED)
    panel = open_panel(qtbot, lib, None)
    assert panel.count_label.text() == "15 clips"
    QTest.keyClicks(panel.search, "fox")
    assert panel.search_timer.isActive()
    assert panel.model.query.text == ""  # not yet: the user is typing
    with qtbot.waitSignal(panel.search_timer.timeout, timeout=2000):
        pass
    assert panel.model.query.text == "fox"
    expected = service.count(lib.journal, LibraryQuery(text="fox"))
    assert 0 < panel.model.rowCount() == expected < 15
    panel.search.clear()
    panel.apply_filters()
    chip = next(b for b in panel.chips.buttons() if b.property("group") == "failed")
    chip.click()
    assert sorted(row_ids(panel)) == sorted(r.local_id for r in failed)
    assert panel.model.query.states == FAILED_STATES
    next(b for b in panel.chips.buttons() if b.property("group") == "all").click()
    panel.favourites.click()
    assert row_ids(panel) == [saved[3].local_id]
    panel.favourites.click()
    panel.model_filter.setCurrentIndex(panel.model_filter.findData("openai/sora-2-pro"))
    assert {panel.model.record_at(r).model for r in range(panel.model.rowCount())} == {
        "openai/sora-2-pro"
    }
    panel.model_filter.setCurrentIndex(0)
    panel.sort.setCurrentIndex(panel.sort.findText("Oldest first"))
    assert row_ids(panel)[0] == saved[0].local_id
    lib.clock.now += 3 * 86400
    panel.date_filter.setCurrentIndex(panel.date_filter.findData("today"))
    assert panel.model.rowCount() == 0
    assert panel.stack.currentWidget() is panel.empty
    assert "Clear the search or the filters" in panel.empty.text()


@pytest.mark.parametrize("text", ["x" * 50_001, "€" * 17_000])
def test_a_huge_search_gives_a_result_and_a_true_count(
    qtbot: QtBot, lib: Library, clips: list[Path], text: str
) -> None:
    saved_jobs(lib, clips, 3)
    panel = open_panel(qtbot, lib, None)
    assert panel.count_label.text() == "3 clips"
    panel.search.setText(text)
    panel.apply_filters()
    assert (panel.model.rowCount(), panel.model.total) == (0, 0)
    assert panel.count_label.text() == "0 clips"
    assert panel.stack.currentWidget() is panel.empty
    panel.search.clear()
    panel.apply_filters()
    assert panel.count_label.text() == "3 clips"


def test_a_new_job_appears_at_the_top_and_the_ticker_runs_only_while_needed(
    qtbot: QtBot, lib: Library, clips: list[Path], loader: FrameLoader
) -> None:
    saved_jobs(lib, clips, 6)
    panel = open_panel(qtbot, lib, loader)
    qtbot.waitUntil(lambda: bool(loader.started))
    qtbot.waitUntil(lambda: not loader.busy(), timeout=20_000)
    QApplication.processEvents()

    def active_timers() -> list[QTimer]:
        return [t for t in panel.findChildren(QTimer) if t.isActive()]

    assert active_timers() == []  # an idle library runs no timer
    (job,) = lib.add(1, first=50, state=IN_PROGRESS)
    panel.upsert(job)
    assert panel.model.id_at(0) == job.local_id
    qtbot.waitUntil(lambda: panel.grid.ticker.isActive())
    assert panel.count_label.text() == "7 clips"
    panel.upsert(lib.journal.update(job.local_id, state=SAVED))
    qtbot.waitUntil(lambda: not panel.grid.ticker.isActive())
    # A running job scrolled out of view does not keep the ticker going.
    saved_jobs(lib, clips, 20, first=100)
    panel.reload()
    panel.resize(600, 400)
    (other,) = lib.add(1, first=200, state=IN_PROGRESS)
    panel.upsert(other)
    qtbot.waitUntil(lambda: panel.grid.ticker.isActive())
    panel.grid.scrollToBottom()
    qtbot.waitUntil(lambda: not panel.grid.ticker.isActive())
    first, _last = panel.grid.visible_rows()
    assert first > 0 == panel.model.row_of(other.local_id)
    panel.grid.scrollToTop()
    qtbot.waitUntil(lambda: panel.grid.ticker.isActive())


def test_undo_bar(qtbot: QtBot, lib: Library) -> None:
    panel = open_panel(qtbot, lib, None)
    assert "No clips yet" in panel.empty.text()
    panel.show_undo("2 clips moved to the trash.")
    assert panel.undo_bar.isVisible()
    assert panel.undo_label.text() == "2 clips moved to the trash."
    with qtbot.waitSignal(panel.undo_requested):
        panel.undo_button.click()
    assert not panel.undo_bar.isVisible()
    assert not panel.undo_timer.isActive()


@pytest.mark.parametrize("size", [(1024, 640), (1280, 800)])
def test_cards_reflow_to_fill_the_width(
    qtbot: QtBot, lib: Library, clips: list[Path], size: tuple[int, int]
) -> None:
    saved_jobs(lib, clips, 12)
    panel = open_panel(qtbot, lib, None, size)
    grid = panel.grid
    width = grid.gridSize().width()
    assert MIN_CARD_WIDTH <= width <= MAX_CARD_WIDTH
    columns = grid.columns()
    assert columns == grid.viewport().width() // width >= 4
    tops = [grid.visualRect(panel.model.index(r, 0)).top() for r in range(columns + 1)]
    assert len(set(tops[:columns])) == 1 and tops[columns] > tops[0]  # one full row, then wrap
    assert not grid.horizontalScrollBar().isVisible()
    first, last = grid.visible_rows()
    assert first == 0 and last >= columns
    assert panel.search.isVisible() and panel.sort.isVisible()
    assert panel.count_label.geometry().right() <= panel.width()
    assert QModelIndex() != panel.model.index(0, 0)


def choose_sort(panel: LibraryPanel, data: tuple[str, bool]) -> None:
    sort = panel.sort
    sort.setCurrentIndex(next(i for i in range(sort.count()) if sort.itemData(i) == data))
    assert panel.query().sort == data[0]


def test_the_sort_is_kept_for_new_restored_and_updated_clips(
    qtbot: QtBot, lib: Library, clips: list[Path]
) -> None:
    cheap, mid, dear = (
        lib.save(r, cost_usd=usd)
        for r, usd in zip(lib.add(3, clip=clips[0]), (0.2, 0.5, 0.9), strict=True)
    )
    (failed,) = lib.add(1, first=3, estimate=2.0)
    failed = lib.journal.update(failed.local_id, state=FAILED)  # not billed: $0
    panel = open_panel(qtbot, lib, None)
    choose_sort(panel, ("cost", True))
    order = [dear.local_id, mid.local_id, cheap.local_id, failed.local_id]
    assert row_ids(panel) == order
    # A new job (≈ $0.30 while it runs) goes to its place, not to the top.
    (new,) = lib.add(1, first=4, estimate=0.3)
    panel.upsert(new)
    order.insert(2, new.local_id)
    assert row_ids(panel) == order
    # Its reported cost moves it; a failure makes it $0.
    panel.upsert(lib.journal.update(new.local_id, state=SAVED, cost_usd=1.5))
    order.remove(new.local_id)
    order.insert(0, new.local_id)
    assert row_ids(panel) == order
    # Trashed and restored (Undo): back where it was.
    panel.upsert(lib.journal.update(mid.local_id, deleted_at=lib.clock.now))
    assert mid.local_id not in row_ids(panel)
    panel.upsert(lib.journal.update(mid.local_id, deleted_at=None))
    assert row_ids(panel) == order
    assert row_ids(panel) == [r.local_id for r in service.find(lib.journal, panel.query())]
    # Newest first: a restored old clip goes back to its date, not to the top.
    choose_sort(panel, ("date", True))
    by_date = row_ids(panel)
    panel.upsert(lib.journal.update(cheap.local_id, deleted_at=lib.clock.now))
    panel.upsert(lib.journal.update(cheap.local_id, deleted_at=None))
    assert row_ids(panel) == by_date


def test_a_card_that_cannot_play_shows_no_play_mark(qtbot: QtBot, lib: Library) -> None:
    running, failed = lib.add(2)
    lib.journal.update(failed.local_id, state=FAILED)
    panel = open_panel(qtbot, lib, None)
    grid = panel.grid
    picture = grid.viewport().grab().toImage()
    centres = {}
    for local_id in (running.local_id, failed.local_id):
        rect = grid.visualRect(panel.model.index_of(local_id))
        thumb = grid.card_delegate.rects(rect, grid.font()).thumb
        centres[local_id] = (
            picture.pixelColor(thumb.center()),
            picture.pixelColor(thumb.topLeft() + QPoint(thumb.width() // 5, thumb.height() // 2)),
        )
    mark, ground = centres[running.local_id]
    assert mark != ground  # a job still running will play: ▶ on its stand-in
    mark, ground = centres[failed.local_id]
    assert mark == ground  # a failed job never will: no ▶
