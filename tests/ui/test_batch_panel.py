"""The batch panel: N seeds x M models (x prompt lines) from one draft, the job count and
total estimate as they change, per-model problems, and the list of requests it hands over."""

from __future__ import annotations

import itertools

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from videostudio.core.budget import Budget
from videostudio.core.models import GenerationRequest, ImagePart, VideoModel
from videostudio.core.options import provider_field
from videostudio.core.pricing import estimate_for, format_usd, price_per_second
from videostudio.core.spend import Spend, Total
from videostudio.core.validation import validate_for_sending
from videostudio.simulator.service import load_catalogue
from videostudio.ui.compose.batch_panel import (
    ID_ROLE,
    MAX_JOBS,
    BatchPanel,
    confirmation_text,
    fit_to_model,
    parse_seeds,
    plan_batch,
)
from videostudio.ui.compose.model_picker import ModelPicker, price_text

MODELS = {m["id"]: VideoModel.from_json(m) for m in load_catalogue()}
VEO_FAST, KLING, HAILUO = "google/veo-3.1-fast", "kwaivgi/kling-v3.0-std", "minimax/hailuo-2.3"
DRAFT = GenerationRequest(
    model=VEO_FAST,
    prompt="a paper boat on a rainy street",
    duration=8,
    resolution="720p",
    aspect_ratio="16:9",
    generate_audio=True,
    provider=provider_field(VEO_FAST, {"negativePrompt": "text"}),
)


def price(request: GenerationRequest) -> float | None:
    return estimate_for(MODELS[request.model], request).usd


@pytest.fixture
def panel(qtbot: QtBot) -> BatchPanel:
    seeds = itertools.count(100)
    widget = BatchPanel(price, seed_source=lambda: next(seeds))
    qtbot.addWidget(widget)
    widget.set_models(list(MODELS.values()))
    widget.set_base(DRAFT)
    widget.show()
    return widget


def test_the_drafts_model_with_random_seeds_to_start(panel: BatchPanel) -> None:
    assert panel.checked_models() == [VEO_FAST]
    assert panel.seeds() == [100, 101, 102, 103]  # four random seeds by default
    requests = panel.requests()
    assert [r.seed for r in requests] == [100, 101, 102, 103]
    assert {(r.model, r.duration, r.resolution, r.generate_audio) for r in requests} == {
        (VEO_FAST, 8, "720p", True)
    }
    assert panel.summary.text() == "4 jobs, ≈ $3.20"  # 4 x 8 s x $0.10/s (720p, audio)
    assert panel.send_button.text() == "Send 4 jobs"
    assert panel.send_button.isEnabled()
    # Models without durations (upscalers, avatars) are not offered.
    ids = [
        panel.model_list.item(r).data(Qt.ItemDataRole.UserRole + 1)
        for r in range(panel.model_list.count())
    ]
    assert "black-forest-labs/flux-video-upscale" not in ids
    assert len(ids) == sum(m.generates_from_prompt for m in MODELS.values())


def test_n_seeds_by_m_models_counts_and_prices_every_job(qtbot: QtBot, panel: BatchPanel) -> None:
    panel.seed_count.setValue(3)
    with qtbot.waitSignal(panel.changed):
        panel.set_checked_models([VEO_FAST, KLING])
    requests = panel.requests()
    assert len(requests) == 6
    assert [(r.model, r.seed) for r in requests] == [
        (VEO_FAST, 104),
        (VEO_FAST, 105),
        (VEO_FAST, 106),
        (KLING, None),  # Kling takes no seed: its runs differ anyway
        (KLING, None),
        (KLING, None),
    ]
    for request in requests:
        assert validate_for_sending(request, MODELS[request.model]) == []
    # Veo 8 s at $0.10/s; Kling 8 s with audio at $0.126/s.
    assert panel.plan().estimates == [0.8] * 3 + [pytest.approx(1.008)] * 3
    assert panel.summary.text() == "6 jobs, ≈ $5.42"
    assert "no seed" in panel.details.text()
    # Veo's option does not go to Kling (which names it negative_prompt).
    assert requests[0].provider == DRAFT.provider
    assert requests[3].provider is None
    assert "without the options it does not take (negativePrompt)" in panel.details.text()
    veo_row = next(
        panel.model_list.item(r)
        for r in range(panel.model_list.count())
        if panel.model_list.item(r).data(Qt.ItemDataRole.UserRole + 1) == VEO_FAST
    )
    assert veo_row.text().endswith("3 jobs ≈ $2.40")


def test_a_model_that_cannot_take_the_draft_is_named_and_blocks_sending(
    panel: BatchPanel,
) -> None:
    panel.fit.setChecked(False)
    panel.set_checked_models([VEO_FAST, HAILUO])
    plan = panel.plan()
    assert set(plan.problems) == {HAILUO}
    problems = " ".join(plan.problems[HAILUO])
    assert "supports durations 6, 10; got 8" in problems
    assert "cannot generate audio" in problems
    assert "does not accept a seed" in problems
    assert not panel.send_button.isEnabled()
    assert panel.requests() == []
    assert "MiniMax: Hailuo 2.3 cannot take this draft" in panel.details.text()
    assert "Uncheck those models" in panel.details.text()
    # Fitting moves each setting to the nearest one Hailuo offers, and says so.
    panel.fit.setChecked(True)
    assert panel.plan().problems == {}
    hailuo = [r for r in panel.requests() if r.model == HAILUO]
    assert len(hailuo) == 4
    assert {(r.duration, r.resolution, r.generate_audio, r.seed) for r in hailuo} == {
        (6, "1080p", None, None)
    }
    for text in ("6 s instead of 8 s", "1080p instead of 720p", "silent", "no seed"):
        assert text in panel.details.text()


def test_what_fitting_cannot_fix_is_still_a_problem() -> None:
    draft = GenerationRequest(
        model=VEO_FAST, prompt="x", duration=6, images=(ImagePart("https://e/x.png", "last_frame"),)
    )
    plan = plan_batch(draft, [MODELS[VEO_FAST], MODELS[HAILUO]], [None], price)
    assert list(plan.problems) == [HAILUO]
    assert "does not take a last frame image" in plan.problems[HAILUO][0]
    assert not plan.sendable


def test_each_prompt_line_is_a_job(panel: BatchPanel) -> None:
    assert not panel.prompt_lines.isEnabled()
    panel.set_base(GenerationRequest(**{**DRAFT.__dict__, "prompt": "a boat\n\n  a car \na kite"}))
    assert panel.prompt_lines.isEnabled()
    assert "(3 lines)" in panel.prompt_lines.text()
    panel.draft_seed.setChecked(True)
    panel.prompt_lines.setChecked(True)
    panel.set_checked_models([VEO_FAST, KLING])
    assert [(r.prompt, r.model) for r in panel.requests()] == [
        ("a boat", VEO_FAST),
        ("a boat", KLING),
        ("a car", VEO_FAST),
        ("a car", KLING),
        ("a kite", VEO_FAST),
        ("a kite", KLING),
    ]
    panel.prompt_lines.setChecked(False)
    assert [r.prompt for r in panel.requests()] == ["a boat\n\n  a car \na kite"] * 2


def test_typed_seeds(qtbot: QtBot, panel: BatchPanel) -> None:
    panel.listed_seeds.setChecked(True)
    QTest.keyClicks(panel.seed_list, "7, 42 7;9")
    assert panel.seeds() == [7, 42, 9]  # the same seed twice would be the same clip twice
    assert [r.seed for r in panel.requests()] == [7, 42, 9]
    QTest.keyClicks(panel.seed_list, " -3")
    assert panel.requests() == []
    assert "'-3' is not a seed" in panel.details.text()
    assert not panel.send_button.isEnabled()
    with pytest.raises(ValueError, match="whole numbers"):
        parse_seeds("1, 99999999999")


def test_the_search_filters_the_list_and_keeps_the_checks(panel: BatchPanel) -> None:
    panel.set_checked_models([VEO_FAST, KLING])
    QTest.keyClicks(panel.search, "kling")
    shown = [
        panel.model_list.item(r).data(Qt.ItemDataRole.UserRole + 1)
        for r in range(panel.model_list.count())
        if not panel.model_list.item(r).isHidden()
    ]
    assert shown == ["kwaivgi/kling-video-o1", "kwaivgi/kling-v3.0-pro", KLING]
    assert panel.checked_models() == [VEO_FAST, KLING]  # hidden rows stay checked
    assert len(panel.requests()) == 8


def test_send_hands_over_the_requests(qtbot: QtBot, panel: BatchPanel) -> None:
    panel.seed_count.setValue(2)
    with qtbot.waitSignal(panel.send_requested) as sent:
        panel.send_button.click()
    assert sent.args[0] == panel.requests()
    assert [r.seed for r in sent.args[0]] == [104, 105]
    panel.reroll.click()
    assert [r.seed for r in panel.requests()] == [106, 107]


def test_a_batch_has_a_ceiling(panel: BatchPanel) -> None:
    panel.seed_count.setValue(MAX_JOBS)
    panel.set_checked_models([VEO_FAST, KLING])
    assert panel.requests() == []
    assert f"a batch is at most {MAX_JOBS}" in panel.details.text()


def test_fit_keeps_what_the_model_offers() -> None:
    fitted, notes = fit_to_model(DRAFT, MODELS["google/veo-3.1"])
    assert notes == []
    assert fitted.model == "google/veo-3.1"
    assert fitted.duration == 8 and fitted.provider == DRAFT.provider


def test_confirmation_text_asks_when_the_budget_says_so() -> None:
    budget = Budget(daily=2.0, confirm_jobs=4)
    spend = Spend(today=Total(actual=1.5))
    assert confirmation_text(budget, spend, [0.1, 0.1]) is None
    big = confirmation_text(budget, spend, [0.1] * 5)
    assert big == "This sends 5 paid jobs (≈ $0.50 in all). Send?"
    over = confirmation_text(budget, spend, [0.4, 0.4], demo=True)
    assert over is not None
    assert over.startswith("This goes over your budget: it would take today's spend to $2.30")
    assert "not real money" in over
    assert over.endswith("Send anyway?")


def test_the_batch_list_and_the_model_picker_write_prices_alike(panel: BatchPanel) -> None:
    picker = ModelPicker()
    picker.set_models(list(MODELS.values()))
    for row in range(panel.model_list.count()):
        item = panel.model_list.item(row)
        model = MODELS[str(item.data(ID_ROLE))]
        rate = price_per_second(model)
        if rate is None:
            continue
        assert f"{format_usd(rate)}/s" in item.text()
        assert price_text(model) == f"{format_usd(rate)}/s"
