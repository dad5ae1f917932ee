"""The reviewing player on real clips offscreen: seeking, speed, J/K/L, keys after a click on
the video (never while typing elsewhere), frames out to files or the next draft, outputs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from PySide6.QtMultimedia import QMediaPlayer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit, QStyle, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from videostudio.simulator.render import ClipSpec, render_clip
from videostudio.ui.review.compare import CompareGrid
from videostudio.ui.review.player import PlayerWidget
from videostudio.ui.review.transport import SPEEDS, ScrubBar, time_text, tinted_icon


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("player-clips")
    made = []
    for name, seconds in (("a", 3), ("b", 2)):
        out = folder / f"{name}.mp4"
        render_clip(ClipSpec(640, 360, seconds, f"clip {name}", "test/model"), out)
        made.append(out)
    return made[0], made[1]


@pytest.fixture
def rig(qtbot: QtBot, clips: tuple[Path, Path]) -> Iterator[tuple[PlayerWidget, QLineEdit]]:
    window = QWidget()
    prompt = QLineEdit(window)
    player = PlayerWidget(window)
    layout = QVBoxLayout(window)
    layout.addWidget(prompt)
    layout.addWidget(player)
    window.resize(800, 600)
    qtbot.addWidget(window)
    window.show()
    player.load(clips[0], autoplay=False, outputs=list(clips), local_id=7)
    qtbot.waitUntil(lambda: player.player.duration() > 0, timeout=10_000)
    player.player.play()
    qtbot.waitUntil(lambda: player.frame is not None, timeout=10_000)
    player.player.pause()
    yield player, prompt
    player.clear()


def _paused_at(player: PlayerWidget, ms: int, frames: float = 1.0) -> bool:
    return abs(player.player.position() - ms) <= player.frame_ms() * frames


def test_a_click_on_the_timeline_seeks_exactly_there(qtbot: QtBot, rig: tuple) -> None:
    player, _ = rig
    scrub = player.scrub
    x = round(scrub.x_of(2000))
    QTest.mouseClick(scrub, Qt.MouseButton.LeftButton, pos=QPoint(x, scrub.height() // 2))
    target = scrub.ms_at(x)
    assert abs(target - 2000) < 50
    qtbot.waitUntil(lambda: _paused_at(player, target), timeout=5000)


def test_keys_work_after_clicking_the_video_and_not_while_typing(qtbot: QtBot, rig: tuple) -> None:
    player, prompt = rig
    prompt.setFocus()
    qtbot.waitUntil(prompt.hasFocus)
    QTest.keyClick(prompt, Qt.Key.Key_Space)
    QTest.keyClick(prompt, Qt.Key.Key_L)
    assert prompt.text() == " l"
    assert player.player.playbackState() != QMediaPlayer.PlaybackState.PlayingState
    QTest.mouseClick(player.video, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(player.hasFocus)
    QTest.keyClick(player, Qt.Key.Key_Space)
    qtbot.waitUntil(
        lambda: player.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState
    )
    QTest.keyClick(player, Qt.Key.Key_K)
    assert player.player.playbackState() == QMediaPlayer.PlaybackState.PausedState
    QTest.keyClick(player, Qt.Key.Key_M)
    assert player.audio.isMuted()
    QTest.keyClick(player, Qt.Key.Key_L, Qt.KeyboardModifier.ShiftModifier)
    assert player.player.loops() == QMediaPlayer.Loops.Once


def test_frame_step_and_jkl(qtbot: QtBot, rig: tuple) -> None:
    player, _ = rig
    player.seek(1000)
    qtbot.waitUntil(lambda: _paused_at(player, 1000))
    player.setFocus()
    QTest.keyClick(player, Qt.Key.Key_Period)
    qtbot.waitUntil(lambda: _paused_at(player, 1000 + player.frame_ms(), 0.5))
    QTest.keyClick(player, Qt.Key.Key_Comma)
    QTest.keyClick(player, Qt.Key.Key_Comma)
    qtbot.waitUntil(lambda: _paused_at(player, 1000 - player.frame_ms(), 0.5))
    QTest.keyClick(player, Qt.Key.Key_L)  # play
    QTest.keyClick(player, Qt.Key.Key_L)  # faster
    assert player.player.playbackRate() == 1.5
    assert player.speed.currentText() == "1.5×"
    QTest.keyClick(player, Qt.Key.Key_L)
    assert player.player.playbackRate() == 2.0
    QTest.keyClick(player, Qt.Key.Key_K)
    player.seek(2500)
    qtbot.waitUntil(lambda: _paused_at(player, 2500))
    QTest.keyClick(player, Qt.Key.Key_J)  # backwards, frame by frame
    assert player.speed_badge.text() == "◀ 1×"
    qtbot.waitUntil(lambda: player.player.position() < 2000, timeout=5000)
    QTest.keyClick(player, Qt.Key.Key_K)
    assert player.reverse == 0
    assert player.player.playbackState() == QMediaPlayer.PlaybackState.PausedState


def test_slow_speeds(rig: tuple) -> None:
    player, _ = rig
    player.speed.setCurrentIndex(player.speed.findData(0.25))
    assert player.player.playbackRate() == 0.25
    assert player.speed_badge.text() == "▶ 0.25×"


def test_the_current_frame_goes_to_a_file_or_the_next_draft(qtbot: QtBot, rig: tuple) -> None:
    player, _ = rig
    drafts: list[tuple[QImage, str]] = []
    player.frame_for_draft.connect(lambda image, role: drafts.append((image, role)))
    player.last_frame_action.trigger()
    ((image, role),) = drafts
    assert (image.width(), image.height(), role) == (640, 360, "last_frame")
    assert player.frame_file_name().startswith("a_00m0")  # as the compare grid names it
    assert player.frame_file_name().endswith(".png")


def test_every_output_of_a_job_can_be_played(qtbot: QtBot, rig: tuple, clips: tuple) -> None:
    player, _ = rig
    assert player.output_picker.isVisibleTo(player)
    assert [player.output_picker.itemText(i) for i in range(2)] == [
        "Output 1 of 2",
        "Output 2 of 2",
    ]
    player.output_picker.setCurrentIndex(1)
    assert player.path == clips[1]
    qtbot.waitUntil(lambda: abs(player.player.duration() - 2000) <= 100, timeout=10_000)


def test_iterate_actions_carry_the_clip(rig: tuple) -> None:
    player, _ = rig
    seen: list[tuple[str, int]] = []
    player.use_settings_requested.connect(lambda i: seen.append(("use", i)))
    player.vary_requested.connect(lambda i: seen.append(("vary", i)))
    player.continue_requested.connect(lambda i: seen.append(("continue", i)))
    for action in (player.use_settings_action, player.vary_action, player.continue_action):
        action.trigger()
    assert seen == [("use", 7), ("vary", 7), ("continue", 7)]


def test_the_player_and_the_grid_share_one_transport(rig: tuple) -> None:
    player, _ = rig
    grid = CompareGrid()
    try:
        for box in (player.speed, grid.speed):
            assert [box.itemData(i) for i in range(box.count())] == list(SPEEDS)
        assert [player.speed.itemText(i) for i in range(player.speed.count())] == [
            grid.speed.itemText(i) for i in range(grid.speed.count())
        ]
        assert type(player.scrub) is type(grid.scrub) is ScrubBar
        assert player.time_label.text() == time_text(
            player.player.position(), player.player.duration(), player.frame_ms()
        )
    finally:
        grid.deleteLater()


def test_the_speed_badge_tells_the_truth(qtbot: QtBot, rig: tuple) -> None:
    player, _ = rig
    width = player.scrub.width()
    player.setFocus()
    QTest.keyClick(player, Qt.Key.Key_L)  # play
    QTest.keyClick(player, Qt.Key.Key_L)  # 1.5×
    qtbot.waitUntil(player.speed_badge.isVisible)
    assert player.speed_badge.text() == f"▶ {player.speed.currentText()}" == "▶ 1.5×"
    assert player.scrub.width() == width  # the timeline keeps its length
    QTest.keyClick(player, Qt.Key.Key_K)
    assert not player.speed_badge.isVisible()  # paused: nothing plays at any speed
    QTest.keyClick(player, Qt.Key.Key_J)
    QTest.keyClick(player, Qt.Key.Key_J)  # backwards, faster
    assert player.speed_badge.isVisible()
    assert player.speed_badge.text() == f"◀ {player.speed.currentText()}" == "◀ 1.5×"
    pause = tinted_icon(player, QStyle.StandardPixmap.SP_MediaPause).pixmap(16, 16).toImage()
    assert player.play_button.icon().pixmap(16, 16).toImage() == pause  # no ▶ while it plays
    QTest.keyClick(player, Qt.Key.Key_K)
    assert not player.speed_badge.isVisible()
    mute_before = player.mute_button.icon().pixmap(16, 16).toImage()
    QTest.keyClick(player, Qt.Key.Key_M)
    assert player.mute_button.icon().pixmap(16, 16).toImage() != mute_before
    player.clear()
    assert not player.speed_badge.isVisible()


def test_the_last_frame_stays_when_a_clip_ends_without_loop(qtbot: QtBot, rig: tuple) -> None:
    player, _ = rig
    player.loop_button.setChecked(False)
    player.seek(int(player.player.duration() - 300))
    player.player.play()
    qtbot.waitUntil(
        lambda: player.player.mediaStatus() == QMediaPlayer.MediaStatus.EndOfMedia, timeout=10_000
    )
    qtbot.waitUntil(
        lambda: player.player.playbackState() == QMediaPlayer.PlaybackState.StoppedState
    )
    qtbot.wait(0)  # let a queued clearing of the picture arrive, if it is coming
    shown = player.video.videoSink().videoFrame()
    assert shown.isValid()
    image = shown.toImage()
    centre = image.pixelColor(image.width() // 2, image.height() // 2)
    assert centre.lightness() > 10  # the clip's last picture, not black
