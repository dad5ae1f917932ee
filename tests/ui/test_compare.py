"""The compare grid with real clips and real QMediaPlayers: one clock, exact frames,
shorter clips holding their last frame, loop, saved frames, tile actions and keys.

The simulator's clips draw a bar that moves across the picture, its left edge at
``i / N * (width - width / 8)`` on frame i of N: which frame a tile shows, or a
saved PNG holds, is read off the picture itself.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QColor, QEnterEvent, QImage, QKeySequence, QPalette
from PySide6.QtMultimedia import QVideoFrame
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from videostudio.simulator.render import FPS, ClipSpec, render_clip
from videostudio.ui.review.compare import CompareGrid, CompareItem, CompareTile
from videostudio.ui.review.transport import ScrubBar, frame_file_name, frame_index, timecode

W, H = 640, 360
FRAME_MS = 1000 / FPS
WAIT = 20_000


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 2 s clip and two 4 s clips, 640x360 H.264 from the simulator's renderer."""
    folder = tmp_path_factory.mktemp("clips")
    short, long = folder / "short.mp4", folder / "long.mp4"
    render_clip(ClipSpec(W, H, 2, "two seconds", "x-ai/grok-imagine-video"), short)
    render_clip(ClipSpec(W, H, 4, "four seconds", "google/veo-3.1"), long)
    shutil.copy(long, folder / "long2.mp4")
    return {"short": short, "long": long, "long2": folder / "long2.mp4"}


def items(clips: dict[str, Path]) -> list[CompareItem]:
    return [
        CompareItem(11, clips["short"], "Grok Imagine", seed=7, cost="$0.14"),
        CompareItem(12, clips["long"], "Veo 3.1", seed=42, cost="≈ $1.60"),
        CompareItem(13, clips["long2"], "Veo 3.1", seed=43, cost="$1.60", favourite=True),
    ]


def bar_left(image: QImage) -> int:
    """Where the simulator's moving bar starts on this picture (-1 when not found)."""
    y = int(image.height() * 0.88)
    row = [image.pixelColor(x, y).lightness() for x in range(image.width())]
    if max(row) - min(row) < 40:
        return -1
    middle = (max(row) + min(row)) / 2  # greyed and dimmed pictures too
    return next(x for x, v in enumerate(row) if v > middle)


def expected_bar(frame: int, duration_s: int, width: int = W) -> float:
    return frame / (duration_s * FPS) * (width - width / 8)


def sink_image(tile: CompareTile) -> QImage:
    return QVideoFrame(tile.sink.videoFrame()).toImage()


def close(widget: QWidget, grid: CompareGrid) -> None:
    grid.clear()
    widget.close()
    widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def grid(qtbot: QtBot, clips: dict[str, Path]) -> Iterator[CompareGrid]:
    g = CompareGrid()
    g.resize(1024, 640)
    g.show()
    g.set_items(items(clips))
    qtbot.waitUntil(lambda: g.duration() == 4000, timeout=WAIT)
    qtbot.waitUntil(lambda: all(t.shown_ms() is not None for t in g.tiles), timeout=WAIT)
    yield g
    close(g, g)


def on_frame(grid: CompareGrid, frame: int) -> bool:
    return all(t.shown_frame() == min(frame, t.frame_count() - 1) for t in grid.tiles)


def test_the_longest_clip_leads_and_the_grid_runs_to_its_length(grid: CompareGrid) -> None:
    assert grid.leader() is grid.tile(12)  # the first of the two longest
    assert grid.duration() == 4000
    assert [t.duration() for t in grid.tiles] == [2000, 4000, 4000]
    assert grid.tile(11).caption.full_text() == "Grok Imagine · seed 7 · $0.14 · 2.0 s"
    assert grid.scrub._marks == [2000]  # a tick where the short clip ends


def test_captions_keep_seed_and_cost_in_view_at_1280x800(
    qtbot: QtBot, clips: dict[str, Path]
) -> None:
    # The compare area of a 1280x800 window is about 860 px wide: two tiles a row.
    g = CompareGrid()
    g.resize(860, 300)
    g.show()
    try:
        g.set_items(
            [
                CompareItem(n, clips["long"], "google/veo-3.1-fast", seed=1779244126, cost="$0.40")
                for n in (1, 2, 3)
            ]
        )
        caption = g.tile(1).caption
        qtbot.waitUntil(lambda: "4.0 s" in caption.full_text(), timeout=WAIT)
        assert caption.full_text() == "veo-3.1-fast · seed 1779244126 · $0.40 · 4.0 s"
        assert caption.toolTip().startswith("google/veo-3.1-fast · seed 1779244126")
        # Once laid out (the tiles get their width after the items), the figures are whole:
        # only the model's name may give way (ui/widgets/fit.py), as the fonts allow.
        figures = ("seed 1779244126", "$0.40", "4.0 s")
        qtbot.waitUntil(lambda: all(f in caption.text() for f in figures), timeout=WAIT)
    finally:
        close(g, g)  # a grid left playing would slow every test after it


def test_a_paused_seek_that_a_player_drops_is_asked_again(qtbot: QtBot, grid: CompareGrid) -> None:
    grid.seek(1500)
    qtbot.waitUntil(lambda: on_frame(grid, 36), timeout=WAIT)
    # One player shows another frame, as when QMediaPlayer drops a seek made while paused.
    grid.tile(13).player.setPosition(round(10.5 * FRAME_MS))
    qtbot.waitUntil(lambda: grid.tile(13).shown_frame() == 10, timeout=WAIT)
    grid.seek(1500)  # the same place again: the grid keeps watching until every tile is there
    grid.tile(13).player.setPosition(round(10.5 * FRAME_MS))  # ...and that seek is lost too
    qtbot.waitUntil(lambda: on_frame(grid, 36), timeout=WAIT)
    qtbot.waitUntil(lambda: not grid.sync_timer.isActive(), timeout=WAIT)  # then it rests


def test_seek_puts_every_tile_on_the_leaders_frame(qtbot: QtBot, grid: CompareGrid) -> None:
    grid.seek(1500)
    qtbot.waitUntil(lambda: on_frame(grid, 36), timeout=WAIT)  # 1.5 s x 24 fps
    lead = grid.leader()
    assert lead is not None
    for tile in grid.tiles:
        assert abs(tile.position() - lead.position()) <= FRAME_MS
        assert abs(bar_left(sink_image(tile)) - expected_bar(36, tile.duration() // 1000)) <= 3


def test_a_frame_step_moves_every_tile_by_the_same_frame(qtbot: QtBot, grid: CompareGrid) -> None:
    grid.seek(1000)
    qtbot.waitUntil(lambda: on_frame(grid, 24), timeout=WAIT)
    grid.step(1)
    qtbot.waitUntil(lambda: on_frame(grid, 25), timeout=WAIT)
    grid.step(-3)
    qtbot.waitUntil(lambda: on_frame(grid, 22), timeout=WAIT)
    for tile in grid.tiles:
        assert abs(bar_left(sink_image(tile)) - expected_bar(22, tile.duration() // 1000)) <= 3
    assert not grid.is_playing()


def test_play_then_pause_keeps_them_in_sync(qtbot: QtBot, grid: CompareGrid) -> None:
    grid.play()
    assert grid.is_playing()
    qtbot.waitUntil(lambda: grid.position() > 1000, timeout=WAIT)
    assert all(t.is_playing() for t in grid.tiles)
    grid.pause()
    assert not grid.is_playing()
    lead = grid.leader()
    assert lead is not None
    qtbot.waitUntil(lambda: not any(t.is_playing() for t in grid.tiles), timeout=WAIT)
    qtbot.waitUntil(lambda: on_frame(grid, lead.shown_frame()), timeout=WAIT)
    frame = lead.shown_frame()
    assert frame >= 24
    for tile in grid.tiles:
        assert abs(tile.position() - lead.position()) <= FRAME_MS


def test_the_shorter_clip_holds_its_last_frame_greyed(qtbot: QtBot, grid: CompareGrid) -> None:
    short, long = grid.tile(11), grid.tile(12)
    grid.seek(3000)
    qtbot.waitUntil(lambda: long.shown_frame() == 72 and short.shown_frame() == 47, timeout=WAIT)
    assert short.held and not long.held
    assert "ended" in short.caption.full_text()
    qtbot.waitUntil(lambda: sink_image(short).pixelColor(8, 8).saturation() == 0, timeout=WAIT)
    assert sink_image(long).pixelColor(8, 8).saturation() > 60  # still in colour
    assert abs(bar_left(short.grab_frame()) - expected_bar(47, 2)) <= 3  # its very last frame
    # Back inside its length it plays its own frames again.
    grid.seek(1000)
    qtbot.waitUntil(lambda: on_frame(grid, 24), timeout=WAIT)
    assert not short.held
    qtbot.waitUntil(lambda: sink_image(short).pixelColor(8, 8).saturation() > 60, timeout=WAIT)


def test_playing_past_the_short_clip_holds_it_while_the_others_run(
    qtbot: QtBot, grid: CompareGrid
) -> None:
    short = grid.tile(11)
    grid.seek(1700)
    grid.play()
    qtbot.waitUntil(lambda: grid.position() > 2600, timeout=WAIT)
    qtbot.waitUntil(lambda: short.held, timeout=WAIT)
    assert grid.tile(12).is_playing() and grid.tile(13).is_playing()
    # The player cleared its sink at its end; the tile shows its last frame, greyed.
    qtbot.waitUntil(lambda: QVideoFrame(short.sink.videoFrame()).isValid(), timeout=WAIT)
    assert sink_image(short).pixelColor(8, 8).saturation() == 0
    qtbot.waitUntil(short.at_end, timeout=WAIT)
    grid.pause()
    # Pausing leaves the held clip alone (a paused player at its end would rewind to 0).
    assert short.at_end()
    assert sink_image(short).pixelColor(8, 8).saturation() == 0


def test_a_tile_that_drifts_is_brought_back_to_the_leader(qtbot: QtBot, grid: CompareGrid) -> None:
    grid.play()
    qtbot.waitUntil(lambda: grid.position() > 300, timeout=WAIT)
    drifting = grid.tile(13)
    drifting.player.setPosition(grid.position() + 800)  # as a stalled or hurried player would
    qtbot.waitUntil(lambda: grid.resyncs > 0, timeout=WAIT)
    lead = grid.leader()
    assert lead is not None
    qtbot.waitUntil(
        lambda: abs(drifting.position() - lead.position()) <= FRAME_MS and drifting.is_playing(),
        timeout=WAIT,
    )
    grid.pause()


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_resync_waits_for_its_frame_and_then_aims_ahead(qtbot: QtBot, grid: CompareGrid) -> None:
    """Re-seeking a tile again before its last seek showed a frame only sets it back further
    (the decoder restarts from a keyframe each time): the grid waits, then aims ahead."""
    clock = FakeClock(100.0)
    grid.clock = clock
    for t in grid.tiles:
        t.clock = clock
    grid.play()
    qtbot.waitUntil(lambda: grid.position() > 300, timeout=WAIT)
    tile = grid.tile(13)
    tile.player.setPosition(grid.position() + 800)
    grid._on_sync_timer_timeout()
    assert tile.resyncs == 1
    clock.now += 0.25  # the seek takes a (fake) quarter second to show its frame
    tile.player.setPosition(grid.position() + 800)  # off again before that frame came
    grid._on_sync_timer_timeout()
    assert tile.resyncs == 1  # no second seek on top of the first
    qtbot.waitUntil(lambda: tile.seek_lead_ms == 250, timeout=WAIT)
    grid._on_sync_timer_timeout()
    assert tile.resyncs == 1  # within the cooldown
    clock.now += 1.0
    tile.player.setPosition(grid.position() + 800)
    lead = grid.leader()
    assert lead is not None
    before = lead.position()
    grid._on_sync_timer_timeout()
    assert tile.resyncs == 2
    assert before + 200 <= tile.player.position() <= lead.position() + 300  # aimed ahead
    grid.pause()


def test_loop_restarts_all_together(qtbot: QtBot, grid: CompareGrid) -> None:
    grid.set_loop(True)
    grid.seek(3600)
    grid.play()
    qtbot.waitUntil(lambda: grid.tile(11).held, timeout=WAIT)
    qtbot.waitUntil(lambda: 0 < grid.position() < 1500, timeout=WAIT)  # wrapped around
    assert grid.is_playing()
    assert not grid.tile(11).held
    qtbot.waitUntil(lambda: all(t.is_playing() for t in grid.tiles), timeout=WAIT)
    lead = grid.leader()
    assert lead is not None
    for tile in grid.tiles:
        assert abs(tile.position() - lead.position()) <= 3 * FRAME_MS


def test_without_loop_the_grid_stops_at_the_end(qtbot: QtBot, grid: CompareGrid) -> None:
    grid.set_loop(False)
    assert not grid.loop_button.isChecked()
    grid.seek(3700)
    with qtbot.waitSignal(grid.playing_changed, timeout=WAIT) as stopped:
        grid.play()
        qtbot.waitUntil(lambda: not grid.is_playing(), timeout=WAIT)
    assert stopped.args == [True]
    qtbot.waitUntil(lambda: grid.tile(12).at_end(), timeout=WAIT)
    # Every tile still shows a picture, not the black of a cleared sink.
    qtbot.waitUntil(
        lambda: all(QVideoFrame(t.sink.videoFrame()).isValid() for t in grid.tiles), timeout=WAIT
    )
    grid.step(-1)  # from the end, a frame back: the players leave their end state
    qtbot.waitUntil(lambda: on_frame(grid, 94), timeout=WAIT)
    assert grid.tile(11).held  # the 2 s clip still holds its last frame
    grid.step(1)
    qtbot.waitUntil(lambda: on_frame(grid, 95), timeout=WAIT)
    grid.play()  # from the last frame: all start again
    qtbot.waitUntil(lambda: 0 < grid.position() < 2000 and grid.is_playing(), timeout=WAIT)
    grid.pause()


def test_save_frame_writes_the_shown_frame_at_native_size(
    qtbot: QtBot, grid: CompareGrid, tmp_path: Path
) -> None:
    grid.resize(500, 320)  # tiles far smaller than the clips
    grid.seek(1500)
    qtbot.waitUntil(lambda: on_frame(grid, 36), timeout=WAIT)
    for local_id, seconds in ((11, 2), (12, 4)):
        dest = tmp_path / f"frame{local_id}.png"
        with qtbot.waitSignal(grid.frame_saved, timeout=WAIT) as saved:
            grid.save_frame(local_id, dest)
        assert saved.args == [local_id, str(dest)]
        image = QImage(str(dest))
        assert (image.width(), image.height()) == (W, H)
        assert abs(bar_left(image) - expected_bar(36, seconds)) <= 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frame11.png", "frame12.png"]


def test_save_frame_failure_says_what_to_do(
    qtbot: QtBot, grid: CompareGrid, tmp_path: Path
) -> None:
    dest = tmp_path / "no such folder" / "frame.png"
    with qtbot.waitSignal(grid.frame_save_failed, timeout=WAIT) as failed:
        grid.save_frame(12, dest)
    assert failed.args[0] == 12
    assert "Choose another folder" in failed.args[1]
    assert not dest.parent.exists()


def test_tile_actions_carry_the_tiles_id(qtbot: QtBot, grid: CompareGrid) -> None:
    with qtbot.waitSignal(grid.favourite_toggled) as fav:
        grid.tile(12).favourite.click()
    assert fav.args == [12, True]
    assert grid.tile(12).favourite.text() == "★"
    with qtbot.waitSignal(grid.favourite_toggled) as unfav:
        grid.tile(13).favourite.click()  # it came in as a favourite
    assert unfav.args == [13, False]
    with qtbot.waitSignal(grid.use_settings_requested) as use:
        grid.tile(11).use_settings.click()
    assert use.args == [11]
    grid.set_favourite(11, True)  # the view-model's word: shown, no signal back
    assert grid.tile(11).favourite.isChecked()


def test_sound_comes_from_the_hovered_tile_only(grid: CompareGrid) -> None:
    assert grid.audible_tile() is grid.tile(11)  # the first until another is hovered
    for tile in (grid.tile(13), grid.tile(12)):
        enter = QEnterEvent(QPointF(5, 5), QPointF(5, 5), QPointF(5, 5))
        QApplication.sendEvent(tile, enter)
        assert grid.audible_tile() is tile
        assert [t.audio.isMuted() for t in grid.tiles] == [t is not tile for t in grid.tiles]
        assert tile.speaker.isVisibleTo(tile)
    grid.set_muted(True)
    assert all(t.audio.isMuted() for t in grid.tiles)


def test_keys_work_after_clicking_a_tile_but_not_while_typing(
    qtbot: QtBot, clips: dict[str, Path]
) -> None:
    window = QWidget()
    layout = QVBoxLayout(window)
    prompt = QLineEdit(window)
    other = QWidget(window)  # a focusable panel that claims no keys
    other.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    grid = CompareGrid(window)
    layout.addWidget(prompt)
    layout.addWidget(other)
    layout.addWidget(grid, 1)
    # A window-wide single-key shortcut must not steal the grid's keys.
    stolen: list[bool] = []
    action = QAction(window)
    action.setShortcut(QKeySequence(Qt.Key.Key_Space))
    action.triggered.connect(lambda: stolen.append(True))
    window.addAction(action)
    window.resize(1024, 700)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    try:
        grid.set_items(items(clips)[1:])
        qtbot.waitUntil(lambda: grid.duration() == 4000, timeout=WAIT)
        prompt.setFocus()
        qtbot.waitUntil(prompt.hasFocus)
        QTest.keyClicks(prompt, " jkl,.")
        assert prompt.text() == " jkl,."
        assert not grid.is_playing()
        assert grid.rate() == 1.0
        # Click a tile's picture: the grid takes the keys.
        QTest.mouseClick(grid.tile(13).video, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(grid.hasFocus)

        def key(k: Qt.Key, mods: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
            focused = QApplication.focusWidget()
            assert focused is not None
            QTest.keyClick(focused, k, mods)

        key(Qt.Key.Key_Space)
        assert grid.is_playing()
        assert stolen == []
        key(Qt.Key.Key_K)
        assert not grid.is_playing()
        key(Qt.Key.Key_Home)
        qtbot.waitUntil(lambda: on_frame(grid, 0), timeout=WAIT)
        key(Qt.Key.Key_Period)
        qtbot.waitUntil(lambda: on_frame(grid, 1), timeout=WAIT)
        key(Qt.Key.Key_Period)
        key(Qt.Key.Key_Comma)
        key(Qt.Key.Key_Right)
        qtbot.waitUntil(lambda: on_frame(grid, 2), timeout=WAIT)
        key(Qt.Key.Key_J)  # paused: a frame back
        qtbot.waitUntil(lambda: on_frame(grid, 1), timeout=WAIT)
        key(Qt.Key.Key_L)
        assert grid.is_playing() and grid.rate() == 1.0
        key(Qt.Key.Key_L)  # again: faster
        assert grid.rate() == 1.5
        assert grid.speed.currentText() == "1.5×"  # as the player writes it
        key(Qt.Key.Key_J)  # playing: J pauses
        assert not grid.is_playing()
        key(Qt.Key.Key_L, Qt.KeyboardModifier.ShiftModifier)
        assert not grid.is_looping()
        key(Qt.Key.Key_M)
        assert all(t.audio.isMuted() for t in grid.tiles)
        # Back in the prompt, the same keys type.
        prompt.setFocus()
        qtbot.waitUntil(prompt.hasFocus)
        QTest.keyClick(prompt, Qt.Key.Key_Space)
        assert not grid.is_playing()
        assert prompt.text().endswith(" ")
        assert stolen == []
        other.setFocus()
        qtbot.waitUntil(other.hasFocus)
        QTest.keyClick(other, Qt.Key.Key_Space)
        assert stolen == [True]  # the window's shortcut works outside the grid (and QTest sends it)
    finally:
        close(window, grid)


def test_the_scrub_bar_jumps_to_the_clicked_frame_and_seeks_live_while_dragging(
    qtbot: QtBot, grid: CompareGrid
) -> None:
    bar = grid.scrub
    asked: list[int] = []
    bar.seek_requested.connect(asked.append)
    x_of_frame_60 = round(bar.x_of(60.5 * FRAME_MS))
    QTest.mouseClick(bar, Qt.MouseButton.LeftButton, pos=QPoint(x_of_frame_60, 10))
    assert asked == [round(60.5 * FRAME_MS)]
    qtbot.waitUntil(lambda: on_frame(grid, 60), timeout=WAIT)
    grid.play()
    QTest.mousePress(bar, Qt.MouseButton.LeftButton, pos=QPoint(round(bar.x_of(500)), 10))
    assert not grid.is_playing()  # paused while the user drags
    for ms in (800, 1200, 1600):
        QTest.mouseMove(bar, QPoint(round(bar.x_of(ms)), 10))
    QTest.mouseRelease(bar, Qt.MouseButton.LeftButton, pos=QPoint(round(bar.x_of(1600)), 10))
    assert len(asked) >= 4
    assert [frame_index(ms, FRAME_MS) for ms in asked[-1:]] == [38]
    assert grid.is_playing()  # playing again after the drag
    grid.pause()


def test_a_missing_clip_says_so_and_the_others_play(qtbot: QtBot, clips: dict[str, Path]) -> None:
    grid = CompareGrid()
    grid.show()
    try:
        grid.set_items(
            [
                CompareItem(1, clips["long"], "Veo 3.1"),
                CompareItem(2, clips["long"].with_name("gone.mp4"), "Kling"),
            ]
        )
        qtbot.waitUntil(lambda: bool(grid.tile(2).error), timeout=WAIT)
        assert "Cannot play: the file is missing" in grid.tile(2).caption.full_text()
        qtbot.waitUntil(lambda: grid.duration() == 4000, timeout=WAIT)
        grid.seek(1000)
        qtbot.waitUntil(lambda: grid.tile(1).shown_frame() == 24, timeout=WAIT)
    finally:
        close(grid, grid)


def test_the_grid_takes_one_to_four_clips(clips: dict[str, Path]) -> None:
    grid = CompareGrid()
    with pytest.raises(ValueError, match="1 to 4"):
        grid.set_items([])
    with pytest.raises(ValueError, match="1 to 4"):
        grid.set_items([CompareItem(i, clips["short"]) for i in range(5)])
    grid.deleteLater()


def test_timecodes_and_frame_names() -> None:
    assert timecode(61_527) == "1:01.53"
    assert timecode(2_666) == "0:02.67"
    assert frame_file_name(Path("/clips/boat.mp4"), 1520, 24) == "boat_00m01s12f.png"
    assert frame_index(208, FRAME_MS) == 5  # a truncated frame start
    assert frame_index(229, FRAME_MS) == 5  # a frame's middle
    bar = ScrubBar()
    bar.resize(412, 22)
    bar.set_duration(4000, FRAME_MS)
    assert bar.ms_at(bar.x_of(0)) == round(0.5 * FRAME_MS)
    assert bar.ms_at(10_000) == round(95.5 * FRAME_MS)  # clamped to the last frame
    bar.deleteLater()


def test_transport_icons_follow_the_palette(grid: CompareGrid) -> None:
    """The style's media icons are dark glyphs: on a dark palette they must be redrawn."""
    palette = grid.palette()
    palette.setColor(QPalette.ColorRole.ButtonText, QColor("#f0f0f0"))
    grid.setPalette(palette)
    for button in (grid.play_button, grid.back_button, grid.forward_button, grid.mute_button):
        image = button.icon().pixmap(16, 16).toImage()
        ink = [
            image.pixelColor(x, y)
            for x in range(image.width())
            for y in range(image.height())
            if image.pixelColor(x, y).alpha() > 200
        ]
        assert ink
        assert all(c.lightness() > 200 for c in ink)


def test_autoplay_starts_every_tile(qtbot: QtBot, clips: dict[str, Path]) -> None:
    grid = CompareGrid()
    grid.show()
    try:
        grid.set_items(items(clips), autoplay=True)
        assert grid.is_playing()
        qtbot.waitUntil(lambda: all(t.is_playing() for t in grid.tiles), timeout=WAIT)
        qtbot.waitUntil(lambda: grid.duration() == 4000 and grid.position() > 200, timeout=WAIT)
    finally:
        close(grid, grid)
