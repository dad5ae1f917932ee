"""The studio loop in the real window: make a clip, look, reuse its settings, vary, continue
from its last frame, mark it, trash it and undo, compare takes, send a batch, keep to a
budget; and the draft survives a restart."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QColor, QDragMoveEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication

from tests.ui.conftest import Studio, answer, close_studio, make_studio, png_file, until
from videostudio.core.budget import Budget
from videostudio.core.jobs import SAVED, JobRecord


def jobs(studio: Studio) -> list[JobRecord]:
    backend = studio.controller.backend
    return backend.journal.find() if backend is not None else []


def posts(studio: Studio) -> list[dict[str, object]]:
    return [json.loads(r["body"]) for r in studio.sim.requests if r["method"] == "POST"]


async def make_clip(studio: Studio, prompt: str, **params: object) -> JobRecord:
    w = studio.window
    w.compose.prompt.set_text(prompt)
    for name, value in params.items():
        combo = getattr(w.compose.params, name)
        combo.setCurrentIndex(combo.findData(value))
    count = len(jobs(studio))
    w.compose.generate_button.click()
    await until(lambda: len(jobs(studio)) > count, what="the job")
    local_id = jobs(studio)[-1].local_id
    await until(
        lambda: studio.controller.record_for(local_id).state == SAVED,  # type: ignore[union-attr]
        what="the saved clip",
    )
    record = studio.controller.record_for(local_id)
    assert record is not None
    return record


async def test_every_clip_is_reproducible(studio: Studio) -> None:
    record = await make_clip(studio, "a lighthouse")
    assert not studio.window.compose.params.seed_fixed.isChecked()  # the user fixed no seed
    (body,) = posts(studio)
    assert isinstance(body["seed"], int)
    assert record.seed == body["seed"]
    side = json.loads(Path(record.path or "").with_suffix(".json").read_text())
    assert side["seed"] == body["seed"]


async def test_use_these_settings_loads_everything_back(studio: Studio, tmp_path: Path) -> None:
    w = studio.window
    w.compose.model_picker.select("google/veo-3.1")
    w.compose.images.files_added.emit([str(png_file(tmp_path / "start.png", "#ff0000"))])
    await until(lambda: len(w.compose.images.tile_ids()) == 1, what="the image")
    w.compose.advanced.apply({"negativePrompt": "rain"})
    record = await make_clip(studio, "a red kite", duration=6, aspect="9:16")
    # The user moves on: another model, another prompt, no images.
    w.compose.model_picker.select("alibaba/wan-2.7")
    w.compose.prompt.set_text("something else")
    studio.controller.images.clear()
    await until(lambda: not w.compose.images.tile_ids(), what="no images")
    w.library.settings_requested.emit(record.local_id)
    await until(lambda: w.compose.prompt.text() == "a red kite", what="the prompt back")
    assert w.compose.model_picker.current_id() == "google/veo-3.1"
    assert w.compose.params.duration.currentData() == 6
    assert w.compose.params.aspect.currentData() == "9:16"
    assert w.compose.params.seed_fixed.isChecked()
    assert w.compose.params.seed.value() == record.seed
    assert w.compose.advanced.values() == {"negativePrompt": "rain"}
    await until(lambda: len(w.compose.images.tile_ids()) == 1, what="the image back")
    (part,) = studio.controller.images.parts()
    assert part.role == "first_frame"
    # Sending it again is the same request: the same body went out.
    w.compose.generate_button.click()
    await answer("Send again")
    await until(lambda: len(posts(studio)) == 2, what="the second submit")
    first, second = posts(studio)
    assert first == second


async def test_vary_keeps_the_settings_with_a_new_seed(studio: Studio) -> None:
    w = studio.window
    record = await make_clip(studio, "a paper boat", duration=6)
    w.library.vary_requested.emit([record.local_id])
    await until(lambda: w.compose.prompt.text() == "a paper boat", what="the settings")
    assert w.compose.params.duration.currentData() == 6
    assert w.compose.params.seed.value() != record.seed


async def test_continue_from_the_last_frame(studio: Studio) -> None:
    w = studio.window
    record = await make_clip(studio, "a train leaving", duration=4)
    w.compose.prompt.set_text("")
    w.library.continue_requested.emit(record.local_id, record.path or "")
    await until(lambda: w.compose.prompt.text() == "a train leaving", what="the settings")
    await until(lambda: len(studio.controller.images.parts()) == 1, what="the last frame")
    (part,) = studio.controller.images.parts()
    assert part.role == "first_frame"
    assert part.url.startswith("data:image/")


async def test_a_frame_from_the_player_starts_the_next_clip(studio: Studio) -> None:
    w = studio.window
    await make_clip(studio, "a garden")
    frame = QImage(320, 180, QImage.Format.Format_RGB32)
    frame.fill(QColor("#00ff00"))
    w.player.frame_for_draft.emit(frame, "last_frame")
    await until(lambda: studio.controller.images.parts(), what="the frame in the draft")
    (part,) = studio.controller.images.parts()
    assert part.role == "last_frame"


async def test_favourite_trash_and_undo(studio: Studio, data_dir: Path) -> None:
    w = studio.window
    record = await make_clip(studio, "keep or bin")
    clip = Path(record.path or "")
    w.library.favourite_requested.emit([record.local_id], True)
    await until(lambda: studio.controller.record_for(record.local_id).favourite)  # type: ignore[union-attr]
    w.library.delete_requested.emit([record.local_id])
    await until(lambda: not clip.exists(), what="the clip in the trash")
    trash = data_dir / "xdg" / "Trash" / "files"  # the test's own trash (XDG_DATA_HOME)
    assert (trash / clip.name).exists()
    assert (trash / clip.with_suffix(".json").name).exists()
    # The journal keeps a record (written once the files have moved: wait for it).
    await until(
        lambda: studio.controller.record_for(record.local_id).deleted_at is not None,  # type: ignore[union-attr]
        what="the deletion journaled",
    )
    await until(lambda: w.library.model.row_of(record.local_id) is None, what="the card gone")
    assert w.library.undo_bar.isVisible()
    w.library.undo_requested.emit()
    await until(clip.exists, what="the clip back")
    assert not (trash / clip.name).exists()
    await until(lambda: w.library.model.row_of(record.local_id) is not None, what="the card back")


async def test_compare_two_takes(studio: Studio) -> None:
    w = studio.window
    a = await make_clip(studio, "take one")
    b = await make_clip(studio, "take two")
    w.library.compare_requested.emit([a.local_id, b.local_id])
    await until(lambda: w.stage.currentWidget() is w.compare, what="the compare grid")
    assert sorted(t.item.local_id for t in w.compare.tiles) == [a.local_id, b.local_id]
    await until(w.compare.is_playing, what="the grid playing")


async def test_a_batch_of_seeds_goes_out_as_one_group(studio: Studio) -> None:
    w = studio.window
    w.compose.prompt.set_text("variations of a fox")
    w.open_variations()
    panel = w.batch
    panel.random_seeds.setChecked(True)
    panel.seed_count.setValue(3)
    await until(lambda: len(panel.requests()) == 3, what="three jobs planned")
    panel.send_button.click()
    await until(lambda: len(jobs(studio)) == 3, what="three jobs")
    batches = {r.batch for r in jobs(studio)}
    assert len(batches) == 1 and None not in batches
    assert len({r.seed for r in jobs(studio)}) == 3


async def test_a_cap_refuses_and_nothing_is_sent(studio: Studio) -> None:
    w = studio.window
    studio.controller.set_budget(Budget(daily=0.10))
    await until(lambda: "$0.10" in w.spend_badge.text(), what="the cap in the badge")
    w.compose.prompt.set_text("too dear")
    w.compose.generate_button.click()
    details = await answer("Don't send", "Over your budget", "Don't send")
    assert "over your daily cap of $0.10" in details
    assert posts(studio) == []
    assert jobs(studio) == []
    await until(w.compose.generate_button.isEnabled, what="Generate ready again")
    w.compose.generate_button.click()
    await answer("Send anyway, this once", "Over your budget", "Don't send")
    await until(lambda: len(posts(studio)) == 1, what="the deliberate override")


async def test_spend_is_always_in_view(studio: Studio) -> None:
    await make_clip(studio, "what did it cost", duration=4)
    w = studio.window
    await until(lambda: "$0.40" in w.spend_badge.text(), what="today's spend")
    assert w.spend_badge.isVisible()


async def test_the_draft_survives_a_restart(studio: Studio, tmp_path: Path) -> None:
    w = studio.window
    w.compose.model_picker.select("google/veo-3.1")
    w.compose.prompt.set_text("half written idea")
    w.compose.params.duration.setCurrentIndex(w.compose.params.duration.findData(6))
    w.compose.images.files_added.emit([str(png_file(tmp_path / "ref.png", "#00ffff"))])
    await until(lambda: len(w.compose.images.tile_ids()) == 1, what="the image")
    await until(lambda: studio.settings.value("draft/images"), what="the draft kept")
    # Kept on disk a moment after the edits, before any close: a crash now loses nothing.
    on_disk = QSettings(str(studio.data / "settings.ini"), QSettings.Format.IniFormat)
    assert on_disk.value("draft/prompt") == "half written idea"
    assert on_disk.value("draft/model") == "google/veo-3.1"
    await close_studio(studio)
    again = make_studio(studio.server, studio.data)
    again.window.show()
    await again.controller.start()
    try:
        w2 = again.window
        await until(
            lambda: w2.compose.model_picker.current_id() == "google/veo-3.1", what="the model"
        )
        assert w2.compose.prompt.text() == "half written idea"
        assert w2.compose.params.duration.currentData() == 6
        await until(lambda: len(w2.compose.images.tile_ids()) == 1, what="the image back")
    finally:
        await close_studio(again)


async def test_an_image_dropped_on_the_prompt_joins_the_draft(
    studio: Studio, tmp_path: Path
) -> None:
    w = studio.window
    w.compose.prompt.set_text("keep this text")
    image = png_file(tmp_path / "dropped.png", "#ffaa00")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(image))])
    target = w.compose.prompt.editor.viewport()
    at = QPointF(target.width() / 2, target.height() / 2)
    for kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
        QApplication.sendEvent(
            target,
            QDragMoveEvent(
                at.toPoint(),
                Qt.DropAction.CopyAction,
                mime,
                Qt.MouseButton.NoButton,
                Qt.KeyboardModifier.NoModifier,
                kind,
            ),
        )
    drop = QDropEvent(
        at, Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(target, drop)
    await until(
        lambda: len(w.compose.images.tile_ids()) == 1, what="the dropped image in the draft"
    )
    assert w.compose.prompt.text() == "keep this text"  # not the file's path pasted as text


async def test_the_default_resolution_is_the_one_the_prices_assume(studio: Studio) -> None:
    w = studio.window
    w.compose.model_picker.select("bytedance/seedance-1-5-pro")
    assert w.compose.params.resolution.currentData() == "720p"  # offered 480p, 720p, 1080p
    assert "$0.052/s" in w.compose.model_picker.currentText()
