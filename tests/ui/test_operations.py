"""Extend, edit and upscale a saved clip in the real window: the dialog offers only the models
that can, shows the estimate, sends one job through the one submit path; the result is
linked to its source (card, chain, compare) and "use these settings" keeps its operation."""

from __future__ import annotations

from tests.ui.conftest import Studio, until
from tests.ui.test_iterate import jobs, make_clip, posts
from videostudio.core.jobs import SAVED, JobRecord
from videostudio.core.operations import Operation
from videostudio.ui.library.model import CARD_ROLE
from videostudio.ui.session.operation_dialog import OperationDialog

SEEDANCE = "bytedance/seedance-2.5"


async def _seedance_clip(studio: Studio) -> JobRecord:
    assert studio.window.compose.model_picker.select(SEEDANCE)
    return await make_clip(studio, "a kite over a hill", duration=4, resolution="480p")


async def _dialog(studio: Studio, local_id: int, operation: str) -> OperationDialog:
    w = studio.window
    w.operation_dialog = None
    w.library.operation_requested.emit(local_id, operation)
    await until(lambda: w.operation_dialog is not None, what=f"the {operation} dialog")
    dialog = w.operation_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


async def _accepted(studio: Studio, dialog: OperationDialog) -> JobRecord:
    count = len(jobs(studio))
    dialog.ok_button.click()
    await until(lambda: len(jobs(studio)) > count, what="the new job")
    local_id = jobs(studio)[-1].local_id

    def saved() -> bool:
        record = studio.controller.record_for(local_id)
        return record is not None and record.state == SAVED

    await until(saved, within=120, what="the result saved")
    record = studio.controller.record_for(local_id)
    assert record is not None
    return record


def _models(dialog: OperationDialog) -> list[str]:
    return [dialog.model_combo.itemData(i) for i in range(dialog.model_combo.count())]


async def test_extend_is_one_job_linked_to_its_source(studio: Studio) -> None:
    w = studio.window
    source = await _seedance_clip(studio)
    dialog = await _dialog(studio, source.local_id, "extend")
    assert _models(dialog) == [SEEDANCE]  # FLUX.3 extends only its own jobs
    # 854 x 480 x 24 fps x 4 s / 1024 = 38,430 tokens x $0.0000064 (video input) = $0.246
    assert "≈ $0.246" in dialog.estimate_label.text()
    assert "8 s: the clip, then 4 s more" in dialog.result_label.text()
    dialog.prompt_edit.setText("the kite climbs into the clouds")
    posted = len(posts(studio))
    result = await _accepted(studio, dialog)
    assert len(posts(studio)) == posted + 1  # one gesture, one job
    body = posts(studio)[-1]
    assert body["previous_job_id"] == source.job_id and body["duration"] == 4
    assert (result.source_job, result.operation) == (source.local_id, "extend")
    assert result.cost_usd == result.estimate_usd
    # Linked in the library, in the chain under the player, and one click compares.
    index = w.library.model.index_of(result.local_id)
    card = w.library.model.data(index, CARD_ROLE)
    assert card.batch == f"extended from job {source.local_id}"
    assert "+4 s" in card.meta
    w.library.select(result.local_id)
    await until(lambda: w.lineage.isVisible(), what="the chain")
    assert f"job {source.local_id}" in w.lineage.text() and "extended" in w.lineage.text()
    w.lineage.linkActivated.emit(f"compare:{result.local_id}")
    await until(lambda: w.stage.currentWidget() is w.compare, what="the compare grid")
    assert [t.item.local_id for t in w.compare.tiles] == [source.local_id, result.local_id]
    # "Use these settings" on the result offers the extension again, set up the same way.
    w.operation_dialog = None
    w.library.settings_requested.emit(result.local_id)
    await until(lambda: w.operation_dialog is not None, what="the extend dialog again")
    again = w.operation_dialog
    assert again is not None and again.offer.operation is Operation.EXTEND
    assert again.offer.record.local_id == source.local_id
    assert again.prompt_edit.text() == "the kite climbs into the clouds"
    again.reject()


async def test_upscale_offers_the_upscaler_and_sends_the_clip(studio: Studio) -> None:
    source = await _seedance_clip(studio)
    dialog = await _dialog(studio, source.local_id, "upscale")
    assert _models(dialog) == ["black-forest-labs/flux-video-upscale"]
    dialog.factor_spin.setValue(2.0)
    dialog.creativity_combo.setCurrentIndex(1)
    # 1708 x 960 = 1.63968 MP x 4 s x 10.5 c = $0.689
    assert "≈ $0.689" in dialog.estimate_label.text()
    assert "1708×960, 4 s" in dialog.result_label.text()
    result = await _accepted(studio, dialog)
    body = posts(studio)[-1]
    assert body["upscale_factor"] == 2.0 and body["creativity"] == 1
    assert [p["type"] for p in body["input_references"]] == ["video_url"]  # type: ignore[union-attr]
    assert (result.source_job, result.operation) == (source.local_id, "upscale")
    assert result.cost_usd == result.estimate_usd


async def test_an_edit_needs_an_instruction_and_offers_only_editors(studio: Studio) -> None:
    source = await make_clip(studio, "a street at noon", duration=4)  # Veo 3.1 Fast
    dialog = await _dialog(studio, source.local_id, "edit")
    assert set(_models(dialog)) == {"runway/aleph-2", SEEDANCE}  # editors that take a video
    assert not dialog.ok_button.isEnabled()
    assert "needs an instruction" in dialog.estimate_label.text()
    dialog.prompt_edit.setText("make it dusk")
    assert dialog.ok_button.isEnabled()
    dialog.reject()
    w = studio.window
    w.operation_dialog = None
    w.library.operation_requested.emit(source.local_id, "extend")
    await until(
        lambda: "can be extended" in w.statusBar().currentMessage(), what="why it cannot be"
    )
    assert w.operation_dialog is None
