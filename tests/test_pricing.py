"""Estimates from the real catalogue's pricing SKUs: what the user sees before paying."""

from __future__ import annotations

import pytest

from videostudio.core.models import GenerationRequest, VideoModel
from videostudio.core.pricing import default_resolution, estimate_for, format_usd, price_per_second
from videostudio.simulator.service import load_catalogue

MODELS = {m["id"]: VideoModel.from_json(m) for m in load_catalogue()}


def _usd(model: str, **fields: object) -> float | None:
    return estimate_for(MODELS[model], GenerationRequest(model, **fields)).usd  # type: ignore[arg-type]


def test_an_exact_size_is_priced_at_its_real_resolution() -> None:
    # Veo 3.1 Fast, 4 s with audio: 720p $0.10/s, 4K $0.30/s.
    assert _usd("google/veo-3.1-fast", duration=4, generate_audio=True, size="3840x2160") == (
        pytest.approx(1.20)
    )
    assert _usd("google/veo-3.1-fast", duration=4, generate_audio=True, resolution="4K") == (
        pytest.approx(1.20)
    )
    assert _usd("google/veo-3.1-fast", duration=4, generate_audio=True, size="1280x720") == (
        pytest.approx(0.40)
    )


def test_sora_sizes_find_their_own_sku() -> None:
    assert _usd("openai/sora-2-pro", duration=4, size="1792x1024") == pytest.approx(2.00)
    assert _usd("openai/sora-2-pro", duration=4, resolution="720p") == pytest.approx(1.20)


def test_token_priced_models_use_the_real_frame_size() -> None:
    # Seedance 2.0 at 1080p 16:9: 1920 x 1080 x 24 fps x 5 s / 1024 tokens x $0.0000077.
    tokens = 1920 * 1080 * 24 * 5 / 1024
    assert _usd("bytedance/seedance-2.0", duration=5, resolution="1080p") == pytest.approx(
        tokens * 0.0000077
    )


def test_the_per_second_price_in_the_list_is_at_the_default_resolution() -> None:
    seedance = MODELS["bytedance/seedance-1-5-pro"]
    assert default_resolution(seedance) == "720p"  # offered 480p, 720p, 1080p
    at_720p = 1280 * 720 * 24 / 1024 * 0.0000024
    assert price_per_second(seedance) == pytest.approx(at_720p)
    assert default_resolution(MODELS["minimax/hailuo-2.3"]) == "1080p"  # 720p not offered
    assert format_usd(at_720p) == "$0.052"  # not cut to $0.05
    assert format_usd(0.4) == "$0.40"


def test_one_money_format_with_the_decimals_each_amount_needs() -> None:
    assert [format_usd(x) for x in (0, 0.08, 0.1, 0.126, 0.4, 0.30000000000000004)] == [
        "$0.00",
        "$0.08",
        "$0.10",
        "$0.126",
        "$0.40",
        "$0.30",
    ]
    assert [format_usd(x) for x in (3.2, 5.494, 0.9996, 0.0024, 0.0000077)] == [
        "$3.20",
        "$5.49",
        "$1.00",
        "$0.0024",
        "$0.0000077",
    ]
