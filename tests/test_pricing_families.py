"""One worked example per SKU family, from the catalogue's own numbers (catalogue-2026-08.md)."""

from __future__ import annotations

import dataclasses

import pytest

from videostudio.core.models import GenerationRequest, ImagePart, VideoModel
from videostudio.core.operations import Operation, SourceClip, operation_of
from videostudio.core.pricing import estimate_for
from videostudio.simulator.service import load_catalogue

MODELS = {m["id"]: VideoModel.from_json(m) for m in load_catalogue()}
FLUX = "black-forest-labs/flux-3-video"
UPSCALER = "black-forest-labs/flux-video-upscale"


def test_the_snapshot_is_the_newest_known_copy() -> None:
    """27 models (TanStack copy of 2026-08-27), with the prices issue 18 found wrong."""
    assert len(MODELS) == 27
    assert MODELS["runway/aleph-2"].pricing_skus == {
        "cents_per_second_output": "28",
        "minimum_cents_per_generation": "56",
    }
    assert MODELS["heygen/avatar-iv"].pricing_skus == {"duration_seconds": "0.05"}
    assert MODELS[UPSCALER].upscale_factor == (1.5, 3.0)
    assert MODELS[UPSCALER].creativity == (0, 1)
    no_sizes = [m.id for m in MODELS.values() if m.supported_sizes is None]
    assert "bytedance/seedance-2.0" not in no_sizes and "alibaba/wan-2.7" not in no_sizes


def test_a_plain_job_never_takes_a_continuation_sku_whatever_the_json_order() -> None:
    """FLUX.3 720p 5 s: plain 17 c/s x 5 s = 85 c = $0.85; continuation 41 c/s x 5 s = $2.05.

    With the continuation SKUs first in the JSON the old parser charged $2.05 for a plain job.
    """
    flux = MODELS[FLUX]
    skus = dict(flux.pricing_skus or {})
    swapped = {k: skus[k] for k in sorted(skus, key=lambda k: "continuation" not in k)}
    assert next(iter(swapped)).startswith("cents_per_second_video_continuation")
    for model in (flux, dataclasses.replace(flux, pricing_skus=swapped)):
        plain = GenerationRequest(FLUX, prompt="x", duration=5, resolution="720p")
        assert estimate_for(model, plain).usd == pytest.approx(0.85)
        extension = dataclasses.replace(plain, previous_job_id="gen-vid-1-a")
        assert operation_of(model, extension) is Operation.EXTEND
        assert estimate_for(model, extension).usd == pytest.approx(2.05)


def test_an_upscale_is_priced_per_megapixel_second_of_its_output() -> None:
    """A 1280x720 5 s source at 2x: 2560 x 1440 = 3.6864 MP, x 5 s = 18.432 MP·s.

    Precise: 18.432 x 7.5 c = 138.24 c = $1.3824; creative: 18.432 x 10.5 c = $1.93536.
    """
    source = SourceClip(1280, 720, 5.0)
    precise = GenerationRequest(UPSCALER, upscale_factor=2.0, creativity=0)
    assert estimate_for(MODELS[UPSCALER], precise, source).usd == pytest.approx(1.3824)
    creative = dataclasses.replace(precise, creativity=1)
    assert estimate_for(MODELS[UPSCALER], creative, source).usd == pytest.approx(1.93536)
    # Not per second: the same 5 s from a 640x360 source costs a quarter.
    small = SourceClip(640, 360, 5.0)
    assert estimate_for(MODELS[UPSCALER], precise, small).usd == pytest.approx(1.3824 / 4)
    assert not estimate_for(MODELS[UPSCALER], precise).known  # no source: no guess


def test_reference_images_are_charged_per_image() -> None:
    """H3 (hailuo-3) 5 s with 2 reference images: 5 x $0.13 + 2 x $0.04 = $0.65 + $0.08 = $0.73."""
    refs = (ImagePart("https://example.com/a.png"), ImagePart("https://example.com/b.png"))
    request = GenerationRequest("minimax/hailuo-3", prompt="x", duration=5, images=refs)
    assert estimate_for(MODELS["minimax/hailuo-3"], request).usd == pytest.approx(0.73)


def test_the_minimum_per_generation_is_a_floor() -> None:
    """Aleph 2 edits at 28 c/s with a 56 c minimum.

    A 1.5 s source: 1.5 x 28 c = 42 c, below the minimum: $0.56. A 5 s source: 5 x 28 c = $1.40.
    """
    aleph = MODELS["runway/aleph-2"]
    edit = GenerationRequest("runway/aleph-2", prompt="make it snow", previous_job_id="gen-vid-1")
    assert operation_of(aleph, edit) is Operation.EDIT
    assert estimate_for(aleph, edit, SourceClip(1280, 720, 1.5)).usd == pytest.approx(0.56)
    assert estimate_for(aleph, edit, SourceClip(1280, 720, 5.0)).usd == pytest.approx(1.40)


def test_an_avatar_is_priced_per_second_of_its_audio() -> None:
    """Avatar IV: $0.05/s of audio; a 12 s voice track: 12 x $0.05 = $0.60."""
    avatar = MODELS["heygen/avatar-iv"]
    request = GenerationRequest("heygen/avatar-iv", prompt="hello")
    assert estimate_for(avatar, request, SourceClip(0, 0, 12.0)).usd == pytest.approx(0.60)


def test_video_input_takes_the_with_video_input_token_price() -> None:
    """Seedance 2.5, 720p 16:9 (1280x720), 5 s: 1280 x 720 x 24 fps x 5 s / 1024 = 108,000 tokens.

    Plain: 108,000 x $0.0000107 = $1.1556. Extending a clip (video input):
    108,000 x $0.0000064 = $0.6912.
    """
    seedance = MODELS["bytedance/seedance-2.5"]
    plain = GenerationRequest("bytedance/seedance-2.5", prompt="x", duration=5, resolution="720p")
    assert estimate_for(seedance, plain).usd == pytest.approx(1.1556)
    extension = dataclasses.replace(plain, previous_job_id="gen-vid-1")
    assert estimate_for(seedance, extension).usd == pytest.approx(0.6912)
    with_video = dataclasses.replace(
        plain, images=(ImagePart("https://example.com/v.mp4", kind="video_url"),)
    )
    assert estimate_for(seedance, with_video).usd == pytest.approx(0.6912)


def test_an_audio_sku_is_not_hidden_by_a_resolution_sku() -> None:
    """Kling v3.0 Std, 8 s with audio: 8 x $0.126 = $1.008 (not text_to_video_720p's 8 x $0.084)."""
    kling = MODELS["kwaivgi/kling-v3.0-std"]
    request = GenerationRequest(kling.id, prompt="x", duration=8, generate_audio=True)
    assert estimate_for(kling, request).usd == pytest.approx(1.008)
    silent = dataclasses.replace(request, generate_audio=False)
    assert estimate_for(kling, silent).usd == pytest.approx(0.672)


def test_per_image_input_is_added() -> None:
    """Grok Imagine 1.5, 720p 6 s with a first frame: 6 x 14 c + 1 x 1 c = 85 c = $0.85."""
    frame = (ImagePart("https://example.com/a.png", "first_frame"),)
    request = GenerationRequest(
        "x-ai/grok-imagine-video-1.5", prompt="x", duration=6, resolution="720p", images=frame
    )
    assert estimate_for(MODELS[request.model], request).usd == pytest.approx(0.85)
