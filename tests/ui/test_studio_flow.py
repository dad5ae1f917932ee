"""The whole flow in the real window against the simulator: pick, constrain, drop, generate,
watch the row move, get the file and its sidecar, play it, save a copy."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QImage
from PySide6.QtMultimedia import QMediaPlayer, QVideoFrame
from PySide6.QtTest import QTest

from tests.ui.conftest import Studio, png_file, until
from videostudio.core.jobs import SAVED
from videostudio.ui.library.model import CARD_ROLE


def _combo_values(combo: object) -> list[object]:
    return [combo.itemData(i) for i in range(combo.count())]  # type: ignore[attr-defined]


async def test_first_clip_is_a_prompt_and_ctrl_enter(studio: Studio) -> None:
    w = studio.window
    assert w.compose.prompt.editor.hasFocus() or w.focusWidget() is w.compose.prompt.editor
    assert w.compose.model_picker.current_id() == "google/veo-3.1-fast"  # preselected
    assert w.compose.estimate.text() == "Estimated ≈ $0.40"
    QTest.keyClicks(w.compose.prompt.editor, "a paper boat on a rainy street")
    QTest.keyClick(w.compose.prompt.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    await until(lambda: studio.events, what="the job to appear")
    local_id = studio.events[0][0].local_id
    await until(lambda: studio.states(local_id)[-1:] == [SAVED], what="the clip to be saved")
    assert studio.states(local_id) == [
        "queued",
        "submitting",
        "pending",
        "in_progress",
        "completed",
        "downloading",
        SAVED,
    ]


async def test_the_whole_flow(studio: Studio, tmp_path: Path) -> None:
    w = studio.window
    # A model without audio, seed or last frame: the controls say so.
    assert w.compose.model_picker.select("minimax/hailuo-2.3")
    assert _combo_values(w.compose.params.duration) == [6, 10]
    assert not w.compose.params.audio.isEnabled()
    assert "silent" in w.compose.params.audio.toolTip()
    assert not w.compose.params.seed_fixed.isEnabled()
    assert "does not accept a seed" in w.compose.params.seed_fixed.toolTip()
    # Veo 3.1: its own sets, first and last frames.
    assert w.compose.model_picker.select("google/veo-3.1")
    assert _combo_values(w.compose.params.duration) == [4, 6, 8]
    assert _combo_values(w.compose.params.resolution) == ["720p", "1080p", "4K"]
    assert _combo_values(w.compose.params.aspect) == ["16:9", "9:16"]
    assert w.compose.params.audio.isEnabled()
    w.compose.params.duration.setCurrentIndex(w.compose.params.duration.findData(4))
    w.compose.params.resolution.setCurrentIndex(w.compose.params.resolution.findData("1080p"))
    w.compose.params.aspect.setCurrentIndex(w.compose.params.aspect.findData("9:16"))
    w.compose.params.seed_fixed.setChecked(True)
    w.compose.params.seed.setValue(42)
    w.compose.params.audio.setChecked(False)
    assert w.compose.estimate.text() == "Estimated ≈ $0.80"  # 4 s x $0.20 without audio
    # Drop an image: it becomes the first frame, offered roles follow the model.
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(png_file(tmp_path / "start.png", "#ff0000")))])
    assert w.compose.images.accept_mime(mime)
    await until(lambda: w.compose.images.tile_ids(), what="the image tile")
    tile = w.compose.images._tiles[w.compose.images.tile_ids()[0]]
    assert [tile.role.itemData(i) for i in range(tile.role.count())] == [
        "reference",
        "first_frame",
        "last_frame",
    ]
    assert tile.role.currentData() == "first_frame"
    w.compose.prompt.set_text("a lighthouse in a storm")
    w.compose.generate_button.click()
    await until(lambda: studio.events, what="the job")
    local_id = studio.events[0][0].local_id
    await until(lambda: studio.states(local_id)[-1:] == [SAVED], what="the saved clip")
    record = studio.controller.record_for(local_id)
    assert record is not None
    clip = Path(record.path or "")
    assert clip.exists()
    side = json.loads(clip.with_suffix(".json").read_text())
    assert side["prompt"] == "a lighthouse in a storm"
    assert side["model"] == "google/veo-3.1"
    assert side["parameters"] == {
        "aspect_ratio": "9:16",
        "duration": 4,
        "generate_audio": False,
        "resolution": "1080p",
        "seed": 42,
    }
    assert side["images"][0]["role"] == "first_frame"
    assert side["cost_usd"] == 0.8
    # Its card shows it; the newest job plays in the player as soon as it is saved.
    model = w.library.model
    index = model.index_of(local_id)
    card = index.data(CARD_ROLE)
    assert card.badge == "Saved"
    assert "$0.80" in card.meta
    assert model.status_of(local_id) == "Saved"
    frames: list[tuple[int, int]] = []
    sink = w.player.video.videoSink()
    sink.videoFrameChanged.connect(
        lambda f: frames.append((f.width(), f.height())) if QVideoFrame(f).isValid() else None
    )
    await until(lambda: w.player.path == clip, what="the player to load the clip")
    await until(lambda: len(frames) >= 10, what="decoded frames")
    assert w.player.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState
    assert frames[-1][1] > frames[-1][0]  # portrait 9:16
    await until(
        lambda: (
            isinstance(model.index_of(local_id).data(Qt.ItemDataRole.DecorationRole), QImage)
            and not model.index_of(local_id).data(Qt.ItemDataRole.DecorationRole).isNull()
        ),
        what="the thumbnail",
    )
    # Frame step pauses and moves by one frame.
    w.player.step(1)
    assert w.player.player.playbackState() == QMediaPlayer.PlaybackState.PausedState
    # Save as… writes a copy (the dialog's answer is the signal's payload).
    copy = tmp_path / "copy.mp4"
    w.player.save_requested.emit(str(clip), str(copy))
    await until(copy.exists, what="the copy")
    assert copy.read_bytes() == clip.read_bytes()


async def test_settings_come_back_on_the_next_start(studio: Studio, tmp_path: Path) -> None:
    from tests.ui.conftest import close_studio, make_studio

    w = studio.window
    w.compose.model_picker.select("alibaba/wan-2.7")
    w.compose.params.duration.setCurrentIndex(w.compose.params.duration.findData(7))
    w.compose.params.aspect.setCurrentIndex(w.compose.params.aspect.findData("1:1"))
    w.main.setSizes([420, 540])
    await close_studio(studio)
    again = make_studio(studio.server, studio.data)
    again.window.resize(1280, 800)  # as the first one (the offscreen screen is smaller)
    again.window.show()
    await again.controller.start()
    await until(lambda: again.window.compose.model_picker.count() > 0)
    try:
        w2 = again.window
        assert w2.compose.model_picker.current_id() == "alibaba/wan-2.7"
        assert w2.compose.params.duration.currentData() == 7
        assert w2.compose.params.aspect.currentData() == "1:1"
        assert abs(w2.main.sizes()[0] - 420) <= 10, (
            w2.size(),
            w2.main.sizes(),
            w2.right.minimumSizeHint(),
        )
        assert "sk-or-v1-ui" not in (studio.data / "settings.ini").read_text()
    finally:
        await close_studio(again)


async def test_a_catalogue_refresh_keeps_what_the_user_set(studio: Studio) -> None:
    w = studio.window
    w.compose.model_picker.select("alibaba/wan-2.7")
    w.compose.params.duration.setCurrentIndex(w.compose.params.duration.findData(9))
    await studio.controller.retry_models()  # the background refresh arriving
    assert w.compose.model_picker.current_id() == "alibaba/wan-2.7"
    assert w.compose.params.duration.currentData() == 9
    # Switching away and back brings this model's settings back.
    w.compose.model_picker.select("google/veo-3.1")
    w.compose.model_picker.select("alibaba/wan-2.7")
    assert w.compose.params.duration.currentData() == 9


async def test_the_model_picker_searches_by_name_or_id(studio: Studio) -> None:
    picker = studio.window.compose.model_picker
    studio.window.activateWindow()
    search = picker.lineEdit()
    assert search is not None
    search.setFocus()
    await until(search.hasFocus, what="focus in the search")
    await until(lambda: search.selectedText() == search.text(), what="the text selected")
    QTest.keyClicks(search, "seedance")
    completer = picker.completer()
    assert completer.completionCount() == 5  # Seedance 1.5 Pro, 2.0, 2.0 Fast, 2.0 Mini, 2.5
    assert completer.popup().isVisible()
    QTest.keyClicks(search, " 2.0 fast")
    assert completer.completionCount() == 1
    search.selectAll()
    QTest.keyClicks(search, "bytedance/seedance-2.0-f")  # by id too
    assert completer.completionCount() == 1
    QTest.keyClick(completer.popup(), Qt.Key.Key_Down)
    QTest.keyClick(completer.popup(), Qt.Key.Key_Return)
    assert picker.current_id() == "bytedance/seedance-2.0-fast"
    assert [studio.window.compose.params.duration.itemData(i) for i in range(3)] == [4, 5, 6]
