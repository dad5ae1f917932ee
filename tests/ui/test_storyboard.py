"""The storyboard in the real window: clips added, reordered by keyboard, trimmed with I and O
in the player, exported off the GUI thread with progress; planned shots generated as one
batch (a "continue" shot starts from the shot before); the sequence plays without a gap."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.export_media import level, make_clip, read_film
from tests.ui.conftest import Studio, answer, until
from tests.ui.test_iterate import make_clip as make_job
from tests.ui.test_iterate import posts
from videostudio.core.jobs import SAVED
from videostudio.services.storyboards import Storyboards
from videostudio.ui.review.storyboard import SequencePlayer


def _shots(studio: Studio) -> list[object]:
    backend = studio.controller.backend
    assert backend is not None
    boards = Storyboards(backend.journal).all()
    return list(boards[-1].shots) if boards else []


async def test_a_storyboard_is_built_trimmed_and_exported(studio: Studio, tmp_path: Path) -> None:
    w = studio.window
    first = await make_job(studio, "a red kite")
    second = await make_job(studio, "a paper boat")
    panel = w.storyboard.panel
    w.storyboard.add_clips([first.local_id, second.local_id])
    await until(lambda: panel.strip.count() == 2, what="two shots")
    assert [s.clip for s in _shots(studio)] == [first.local_id, second.local_id]

    panel.strip.setFocus()
    panel.strip.setCurrentRow(0)
    QTest.keyClick(panel.strip, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    await until(
        lambda: [s.clip for s in _shots(studio)] == [second.local_id, first.local_id],
        what="the shots swapped",
    )
    await until(lambda: panel.strip.currentRow() == 1, what="the moved shot still selected")

    panel.strip.setCurrentRow(0)  # the paper boat: it plays in the player
    await until(lambda: w.player.local_id == second.local_id, what="the shot in the player")
    await until(lambda: w.player.player.duration() > 0, what="the clip loaded")
    w.player.player.pause()
    w.player.seek(1000)
    await until(lambda: w.player.player.position() == 1000, what="the seek")
    QTest.keyClick(w.player, Qt.Key.Key_I)
    await until(lambda: _shots(studio)[0].trim_in == pytest.approx(1.0), what="the in point")
    w.player.seek(2000)
    await until(lambda: w.player.player.position() == 2000, what="the seek")
    QTest.keyClick(w.player, Qt.Key.Key_O)
    await until(lambda: _shots(studio)[0].trim_out is not None, what="the out point")
    assert _shots(studio)[0].trim_out == pytest.approx(49 / 24)  # the frame shown is kept
    await until(lambda: "in 1.00 · out 2.04" in panel.strip.item(0).text(), what="the card")

    seen: list[bool] = []
    threads: set[int] = set()
    w.storyboard.session.exporting.connect(seen.append)
    w.storyboard.session.export_progress.connect(lambda *_: threads.add(threading.get_ident()))
    film = tmp_path / "film.mp4"
    w.storyboard.session.export(str(film))
    await until(lambda: seen == [True, False], within=60, what="the export")
    assert film.exists(), w.statusBar().currentMessage()
    assert threads == {threading.get_ident()}  # progress reaches the panel on the GUI thread
    decoded = read_film(film)
    length = round(first.request["duration"] * 24)
    assert decoded.frames == 25 + length
    assert decoded.duration_s == pytest.approx((25 + length) / 24, abs=1 / 24)
    side = json.loads(film.with_suffix(".json").read_text())
    assert [s["prompt"] for s in side["shots"]] == ["a paper boat", "a red kite"]
    assert side["shots"][0]["in_s"] == pytest.approx(1.0)


async def test_planned_shots_are_generated_as_one_batch(studio: Studio) -> None:
    w = studio.window
    first = await make_job(studio, "a lighthouse at dusk")
    panel = w.storyboard.panel
    w.storyboard.add_clips([first.local_id])
    await until(lambda: panel.strip.count() == 1, what="the shot")
    w.compose.prompt.set_text("the beam sweeps the sea")
    panel.plan_button.click()
    await until(lambda: panel.strip.count() == 2, what="the planned shot")
    panel.strip.setCurrentRow(1)
    panel.continue_button.click()
    await until(lambda: _shots(studio)[1].continues, what="the continue link")
    w.compose.prompt.set_text("gulls over the rocks")
    panel.plan_button.click()
    await until(lambda: panel.strip.count() == 3, what="the second planned shot")
    assert panel.generate_button.text() == "Generate 2 missing…"
    before = len(posts(studio))

    panel.generate_button.click()
    panel.generate_button.click()  # a second press while the first is asking: ignored
    details = await answer("Generate", "Generate the planned shots?", "Cancel")
    assert "2 job(s) with google/veo-3.1-fast" in details
    await until(lambda: len(posts(studio)) == before + 2, what="the two jobs sent")
    await until(lambda: all(s.clip is not None for s in _shots(studio)), what="shots linked")
    sent = posts(studio)[before:]
    assert [p["prompt"] for p in sent] == ["the beam sweeps the sea", "gulls over the rocks"]
    assert [i["frame_type"] for i in sent[0].get("frame_images", [])] == ["first_frame"]
    assert "frame_images" not in sent[1]
    linked = _shots(studio)[1].clip
    await until(
        lambda: studio.controller.record_for(linked).state == SAVED,  # type: ignore[union-attr]
        what="the generated shot saved",
    )
    await until(lambda: "planned" not in panel.total.text(), what="nothing planned any more")
    assert len(posts(studio)) == before + 2  # one gesture, one batch


async def test_the_sequence_plays_shot_after_shot_without_loading_between(
    studio: Studio, tmp_path: Path
) -> None:
    a = make_clip(tmp_path / "a.mp4", frames=24, audio=False)
    b = make_clip(tmp_path / "b.mp4", frames=36, audio=False)
    player = SequencePlayer()
    started: list[tuple[int, int]] = []

    def on_started(index: int) -> None:
        image = player.image
        grey = image.pixelColor(image.width() // 2, image.height() // 2).red() if image else -1
        started.append((index, grey))

    player.shot_started.connect(on_started)
    done: list[bool] = []
    player.finished.connect(lambda: done.append(True))
    player.play([(a, 0, 1000), (b, 500, 1500)])
    await until(lambda: done, within=30, what="the sequence to end")
    assert [i for i, _ in player.switches] == [0, 1]
    assert player.switches[1][1]  # the next shot was loaded and on its frame before its turn
    index, grey = started[1]
    assert index == 1
    # The first picture of shot 2 is its in point (frame 12), shown at the cut.
    assert abs(grey - round((level(12) - 16) * 255 / 219)) <= 8
    player.stop()
    player.deleteLater()


async def test_cancel_stops_an_export_and_leaves_no_file(studio: Studio, tmp_path: Path) -> None:
    w = studio.window
    clip = await make_job(studio, "a long road")
    panel = w.storyboard.panel
    w.storyboard.add_clips([clip.local_id])
    await until(lambda: panel.strip.count() == 1, what="the shot")
    seen: list[bool] = []

    def on_exporting(exporting: bool) -> None:
        seen.append(exporting)
        if exporting:  # before the export's thread starts: the click is the user's Cancel
            assert panel.cancel_button.isVisible()
            panel.cancel_button.click()

    w.storyboard.session.exporting.connect(on_exporting)
    out = tmp_path / "films"
    w.storyboard.session.export(str(out / "film.mp4"))
    await until(lambda: seen == [True, False], within=60, what="the export to stop")
    assert list(out.iterdir()) == []  # the folder was made; nothing is left in it
    assert "cancelled" in w.statusBar().currentMessage()
    assert not panel.cancel_button.isVisible()
    assert panel.export_button.isEnabled()
