"""The video client against the simulator over real TCP on 127.0.0.1."""

from __future__ import annotations

import base64
import gc
import json
import os
import sys
import tracemalloc
from pathlib import Path

import httpx
import pytest

from tests.conftest import Sleeps, canned_client
from videostudio.api.client import Attribution, VideoClient
from videostudio.api.errors import BadRequestError, ConflictError, NotFoundError
from videostudio.core.models import GenerationRequest, ImagePart
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Simulator

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
)


def _posts(sim: Simulator) -> list[dict]:
    return [json.loads(r["body"]) for r in sim.requests if r["method"] == "POST"]


async def test_list_models_returns_the_catalogue(client: VideoClient) -> None:
    models = await client.list_models()
    ids = {m.id for m in models}
    assert {"google/veo-3.1", "openai/sora-2-pro", "bytedance/seedance-2.0"} <= ids
    veo = next(m for m in models if m.id == "google/veo-3.1")
    assert veo.supported_durations == (4, 6, 8)
    assert veo.supported_frame_images == ("first_frame", "last_frame")
    assert veo.pricing_skus and veo.pricing_skus["duration_seconds_with_audio"] == "0.40"
    upscaler = next(m for m in models if m.id == "black-forest-labs/flux-video-upscale")
    assert not upscaler.generates_from_prompt


async def test_generate_sends_every_parameter(client: VideoClient, sim: Simulator) -> None:
    data = "data:image/png;base64," + base64.b64encode(PNG_1PX).decode()
    request = GenerationRequest(
        model="google/veo-3.1",
        prompt="A lighthouse in a storm",
        aspect_ratio="16:9",
        duration=8,
        resolution="1080p",
        seed=42,
        generate_audio=True,
        images=(ImagePart(data, "first_frame"), ImagePart(data, "last_frame")),
        provider={"options": {"google-vertex": {"parameters": {"personGeneration": "allow"}}}},
        callback_url="https://example.invalid/hook",
        session_id="session-1",
        trace={"trace_id": "t1", "custom": "x"},
        user="user-7",
    )
    job = await client.generate(request)
    assert job.status == "pending"
    assert job.polling_url == f"/api/v1/videos/{job.id}"
    body = _posts(sim)[-1]
    assert next(iter(body)) == "model"
    assert list(body)[1:] == sorted(list(body)[1:])
    assert body["frame_images"][0] == {
        "type": "image_url",
        "image_url": {"url": data},
        "frame_type": "first_frame",
    }
    assert body["provider"]["options"]["google-vertex"]["parameters"] == {
        "personGeneration": "allow"
    }
    assert {k: body[k] for k in ("duration", "resolution", "seed", "generate_audio", "user")} == {
        "duration": 8,
        "resolution": "1080p",
        "seed": 42,
        "generate_audio": True,
        "user": "user-7",
    }
    assert body["callback_url"] == "https://example.invalid/hook"
    assert body["trace"] == {"trace_id": "t1", "custom": "x"}


async def test_generate_with_size_and_references(client: VideoClient, sim: Simulator) -> None:
    data = "data:image/png;base64," + base64.b64encode(PNG_1PX).decode()
    request = GenerationRequest(
        model="openai/sora-2-pro",
        prompt="x",
        duration=4,
        size="1280x720",
        images=(ImagePart(data),),
    )
    await client.generate(request)
    body = _posts(sim)[-1]
    assert body["size"] == "1280x720"
    assert body["input_references"] == [{"type": "image_url", "image_url": {"url": data}}]
    assert "frame_images" not in body


async def test_previous_job_id_is_sent(client: VideoClient, sim: Simulator) -> None:
    # Seedance 2.5 extends its own jobs (the simulator refuses the field on other models).
    first = await client.generate(
        GenerationRequest(model="bytedance/seedance-2.5", prompt="a", duration=4)
    )
    await client.generate(
        GenerationRequest(
            model="bytedance/seedance-2.5", prompt="extend", duration=4, previous_job_id=first.id
        )
    )
    assert _posts(sim)[-1]["previous_job_id"] == first.id


async def test_poll_follows_the_clock(server: SimulatorServer, sim: Simulator) -> None:
    now = [0.0]
    sim.clock = lambda: now[0]
    sim.pending_s, sim.running_s = 5, 10
    async with VideoClient(api_key="k", base_url=server.base_url) as c:
        job = await c.generate(
            GenerationRequest(model="google/veo-3.1-lite", prompt="p", duration=4)
        )
        assert (await c.get_generation(job.id)).status == "pending"
        now[0] = 6
        assert (await c.get_generation(job.id)).status == "in_progress"
        now[0] = 16
        done = await c.get_generation(job.id)
    assert done.status == "completed"
    assert done.cost == pytest.approx(0.20)  # 4 s x $0.05/s: audio on, 720p (the defaults)
    assert done.unsigned_urls == (f"{server.base_url}/videos/{job.id}/content?index=0",)
    assert done.urls and done.expires_at


async def test_download_streams_to_part_then_renames(client: VideoClient, tmp_path: Path) -> None:
    job = await client.generate(
        GenerationRequest(model="google/veo-3.1-fast", prompt="p", duration=4)
    )
    await client.get_generation(job.id)
    seen: list[tuple[int, int | None]] = []
    dest = tmp_path / "clip.mp4"
    size = await client.download(job.id, dest, progress=lambda r, t: seen.append((r, t)))
    assert dest.read_bytes()[4:8] == b"ftyp"
    assert size == dest.stat().st_size
    assert seen[-1] == (size, size)
    assert len(seen) > 1
    assert list(tmp_path.iterdir()) == [dest]


async def test_content_index_and_readiness_errors(
    server: SimulatorServer, sim: Simulator, tmp_path: Path
) -> None:
    sim.pending_s = 1000
    async with VideoClient(api_key="k", base_url=server.base_url) as c:
        job = await c.generate(
            GenerationRequest(model="google/veo-3.1-fast", prompt="p", duration=4)
        )
        with pytest.raises(ConflictError, match="not ready"):
            await c.download(job.id, tmp_path / "a.mp4")
        sim.pending_s = 0
        with pytest.raises(BadRequestError, match="index 1 does not exist"):
            await c.download(job.id, tmp_path / "b.mp4", index=1)
        with pytest.raises(NotFoundError):
            await c.get_generation("gen-vid-unknown")
    assert not list(tmp_path.iterdir())


async def test_job_ids_are_escaped_in_urls(client: VideoClient, sim: Simulator) -> None:
    with pytest.raises(NotFoundError):
        await client.get_generation("../models")
    assert sim.requests[-1]["path"] == "/api/v1/videos/..%2Fmodels"


async def test_attribution_headers(server: SimulatorServer, sim: Simulator) -> None:
    async with VideoClient(api_key="k", base_url=server.base_url) as c:
        await c.list_models()
    headers = sim.requests[-1]["headers"]
    assert headers["X-OpenRouter-Title"] == "videostudio"
    assert headers["HTTP-Referer"].startswith("https://")
    assert headers["X-OpenRouter-Categories"] == "desktop-app,video-gen"
    custom = Attribution(referer="https://my.example", title="Mine", categories="")
    async with VideoClient(api_key="k", base_url=server.base_url, attribution=custom) as c:
        await c.list_models()
    headers = sim.requests[-1]["headers"]
    assert (headers["HTTP-Referer"], headers["X-OpenRouter-Title"]) == (
        "https://my.example",
        "Mine",
    )
    assert "X-OpenRouter-Categories" not in headers


async def test_key_provider_is_asked_per_request(server: SimulatorServer, sim: Simulator) -> None:
    keys = iter(["first-key", "second-key"])
    async with VideoClient(api_key=lambda: next(keys), base_url=server.base_url) as c:
        await c.list_models()
        await c.list_models()
    assert [r["headers"]["Authorization"] for r in sim.requests] == [
        "Bearer first-key",
        "Bearer second-key",
    ]


async def test_base_url_from_environment(
    server: SimulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENROUTER_BASE_URL", server.base_url + "/")
    async with VideoClient(api_key="k") as c:
        assert c.base_url == server.base_url
        assert len(await c.list_models()) > 10


async def test_unknown_fields_and_statuses_are_tolerated(sleeps: Sleeps) -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "id": "J",
                "polling_url": "https://openrouter.ai/api/v1/videos/J",
                "status": "queued",
                "progress": 0.4,
                "usage": {"cost": None},
            },
        )

    async with canned_client(reply, sleeps) as c:
        job = await c.get_generation("J")
    assert job.status == "queued"
    assert not job.is_terminal
    assert job.cost is None
    assert job.raw["progress"] == 0.4


async def test_a_sent_body_is_freed_when_the_submit_returns(
    client: VideoClient, sim: Simulator
) -> None:
    # A batch of jobs with a big image each must not keep one encoded body per job: httpx's
    # request and response form reference cycles that only the cyclic collector frees.
    data = "data:image/png;base64," + base64.b64encode(PNG_1PX + os.urandom(6 << 20)).decode()
    request = GenerationRequest(
        model="openai/sora-2-pro", prompt="x", duration=4, images=(ImagePart(data),)
    )
    await client.generate(request)  # connections and imports settle first
    gc.collect()
    gc.disable()
    holders = sys.getrefcount(data)
    tracemalloc.start(40)
    try:
        for _ in range(3):
            await client.generate(request)
        assert sys.getrefcount(data) == holders  # nothing kept the image's text either
        held = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(True, "*/videostudio/api/*", all_frames=True)]
        )
    finally:
        tracemalloc.stop()
        gc.enable()
    assert sum(stat.size for stat in held.statistics("filename")) < 1 << 20
    assert len(_posts(sim)) == 4
