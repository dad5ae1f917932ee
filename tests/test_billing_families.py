"""One job of every SKU family through the simulator over loopback: what it bills is what the
app estimated before sending (the same price rules on both sides)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.test_simulator_operations import Api, data_url, make_mp4, part, png_bytes, wav_bytes
from videostudio.core.models import GenerationRequest
from videostudio.core.operations import SourceClip
from videostudio.core.pricing import estimate_for
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Simulator


@dataclass(frozen=True)
class Case:
    family: str
    body: dict[str, Any]
    source: SourceClip | None = None  # what the app measured of the source
    previous: dict[str, Any] | None = None  # a job to extend first (its id fills the body)


def cases(tmp: Path) -> list[Case]:
    small = make_mp4(tmp / "small.mp4", (320, 180), 2.0, (40, 90, 160))
    video = part("video_url", data_url("video/mp4", small.read_bytes()))
    red = part("image_url", data_url("image/png", png_bytes((230, 20, 20))))
    voice = part("audio_url", data_url("audio/wav", wav_bytes(3.0)))
    measured = SourceClip(320, 180, 2.0)
    one_second = make_mp4(tmp / "short.mp4", (320, 180), 1.0, (40, 90, 160))
    short = part("video_url", data_url("video/mp4", one_second.read_bytes()))
    return [
        Case(
            "duration_seconds (audio)",
            {"model": "google/veo-3.1-fast", "prompt": "x", "duration": 4, "generate_audio": True},
        ),
        Case(
            "duration_seconds_<res>",
            {"model": "alibaba/wan-3.0-prime", "prompt": "x", "duration": 2, "resolution": "480p"},
        ),
        Case(
            "cents_per_second_output_<res>",
            {"model": "black-forest-labs/flux-3-video", "prompt": "x", "duration": 5},
        ),
        Case(
            "cents_per_second_video_continuation_<res>",
            {"model": "black-forest-labs/flux-3-video", "prompt": "y", "duration": 5},
            SourceClip(1280, 720, 5.0),
            previous={"model": "black-forest-labs/flux-3-video", "prompt": "x", "duration": 5},
        ),
        Case(
            "video_tokens_<res>",
            {
                "model": "bytedance/seedance-2.0",
                "prompt": "x",
                "duration": 4,
                "resolution": "1080p",
            },
        ),
        Case(
            "video_tokens_with_video_input",
            {
                "model": "bytedance/seedance-2.0-mini",
                "prompt": "x",
                "duration": 4,
                "resolution": "480p",
                "input_references": [video],
            },
        ),
        Case(
            "cents_per_megapixel_second_precise",
            {
                "model": "black-forest-labs/flux-video-upscale",
                "upscale_factor": 2,
                "input_references": [video],
            },
            measured,
        ),
        Case(
            "cents_per_megapixel_second_creative",
            {
                "model": "black-forest-labs/flux-video-upscale",
                "upscale_factor": 3,
                "creativity": 1,
                "input_references": [video],
            },
            measured,
        ),
        Case(
            "reference_images",
            {
                "model": "minimax/hailuo-3",
                "prompt": "x",
                "duration": 5,
                "input_references": [red, red],
            },
        ),
        Case(
            "cents_per_image_input",
            {
                "model": "x-ai/grok-imagine-video-1.5",
                "prompt": "x",
                "duration": 2,
                "resolution": "480p",
                "frame_images": [{**red, "frame_type": "first_frame"}],
            },
        ),
        Case(
            "minimum_cents_per_generation",
            {"model": "runway/aleph-2", "prompt": "make it dusk", "input_references": [short]},
            SourceClip(320, 180, 1.0),  # 1 s x 28 c = 28 c: the 56 c minimum
        ),
        Case(
            "duration_seconds (avatar: per second of audio)",
            {"model": "heygen/avatar-iv", "prompt": "hello", "input_references": [red, voice]},
            SourceClip(0, 0, 3.0),
        ),
    ]


def run(case: Case, api: Api, sim: Simulator, tmp: Path) -> tuple[float | None, float]:
    """(estimate, billed) for one case."""
    body = dict(case.body)
    if case.previous is not None:
        body["previous_job_id"] = api.made(case.previous)
    request = GenerationRequest.from_json(body)
    estimate = estimate_for(sim.models[request.model], request, case.source).usd
    _, billed = api.finish(body, tmp)
    return estimate, billed


@pytest.mark.parametrize("index", range(12))
def test_what_is_billed_is_what_was_estimated(
    server: SimulatorServer, sim: Simulator, tmp_path: Path, index: int
) -> None:
    every = cases(tmp_path)
    assert len(every) == 12  # one parameter per case
    case = every[index]
    estimate, billed = run(case, Api(server), sim, tmp_path)
    assert estimate is not None, case.family
    assert billed == pytest.approx(estimate), case.family
