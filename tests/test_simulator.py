"""The simulator follows the official schema and behaviour: raw HTTP checks and the official SDK."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from openrouter import OpenRouter, errors
from openrouter.utils import BackoffStrategy, RetryConfig

from tests.conftest import Schemas
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Simulator

AUTH = {"Authorization": "Bearer sk-or-v1-sim"}


def _get(url: str, **kw: Any) -> httpx.Response:
    # A content request waits for the clip to render: give it time on a busy machine.
    return httpx.get(url, headers=kw.pop("headers", AUTH), timeout=60, **kw)


def _submit(
    server: SimulatorServer, body: dict[str, Any], headers: dict[str, str] = AUTH
) -> httpx.Response:
    return httpx.post(f"{server.base_url}/videos", json=body, headers=headers)


def test_catalogue_matches_the_official_schema(server: SimulatorServer, schemas: Schemas) -> None:
    resp = httpx.get(f"{server.base_url}/videos/models")  # public, like the real endpoint
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/json"
    assert schemas.errors("VideoModelsListResponse", resp.json()) == []
    assert len(resp.json()["data"]) >= 15


def test_job_replies_match_the_official_schema(
    server: SimulatorServer, sim: Simulator, schemas: Schemas
) -> None:
    now = [0.0]
    sim.clock = lambda: now[0]
    sim.pending_s, sim.running_s = 1, 1
    resp = _submit(server, {"model": "google/veo-3.1", "prompt": "x", "duration": 8})
    assert resp.status_code == 202
    job = resp.json()
    assert schemas.errors("VideoGenerationResponse", job) == []
    assert job["id"].startswith("gen-vid-") and job["status"] == "pending"
    statuses = []
    for t in (0.5, 1.5, 2.5):
        now[0] = t
        polled = _get(f"{server.base_url}/videos/{job['id']}").json()
        assert schemas.errors("VideoGenerationResponse", polled) == []
        statuses.append(polled["status"])
    assert statuses == ["pending", "in_progress", "completed"]
    assert polled["usage"] == {"cost": pytest.approx(3.2), "is_byok": False}
    content = _get(polled["unsigned_urls"][0])
    assert content.status_code == 200
    assert content.headers["content-type"] == "video/mp4"
    assert content.content[4:8] == b"ftyp"


@pytest.mark.parametrize(
    ("body", "status", "text"),
    [
        ({"model": "google/veo-3.1", "prompt": "x", "duration": 7}, 400, "4, 6, 8"),
        ({"model": "google/veo-3.1", "prompt": "x", "resolution": "480p"}, 400, "720p"),
        ({"model": "openai/sora-2-pro", "prompt": "x", "seed": 1}, 400, "seed"),
        ({"model": "minimax/hailuo-2.3", "prompt": "x", "generate_audio": True}, 400, "audio"),
        (
            {
                "model": "alibaba/wan-2.6",
                "prompt": "x",
                "frame_images": [
                    {
                        "type": "image_url",
                        "image_url": {"url": "https://x/y.png"},
                        "frame_type": "last_frame",
                    }
                ],
            },
            400,
            "last frame",
        ),
        ({"model": "google/veo-3.1", "prompt": "x", "size": "640x480"}, 400, "size"),
        ({"model": "runway/aleph-2", "prompt": "x"}, 400, "edits a source video"),
        ({"model": "nobody/nothing", "prompt": "x"}, 404, "nobody/nothing"),
        ({"model": "google/veo-3.1"}, 400, "prompt"),
        ({"model": "google/veo-3.1", "prompt": "x", "duration": "eight"}, 400, "duration"),
    ],
)
def test_values_outside_the_models_sets_are_400(
    server: SimulatorServer, schemas: Schemas, body: dict[str, Any], status: int, text: str
) -> None:
    resp = _submit(server, body)
    assert resp.status_code == status
    envelope = resp.json()
    assert schemas.errors("BadRequestResponse", envelope) == []
    assert text in envelope["error"]["message"]


def test_auth_rules(server: SimulatorServer, sim: Simulator) -> None:
    body = {"model": "google/veo-3.1", "prompt": "x"}
    missing = _submit(server, body, headers={})
    assert missing.status_code == 401
    assert missing.json() == {"error": {"code": 401, "message": "Missing Authentication header"}}
    assert _submit(server, body).status_code == 202  # any non-empty key by default
    sim.api_key = "sk-right"
    assert _submit(server, body).status_code == 401
    assert _submit(server, body, headers={"Authorization": "Bearer sk-right"}).status_code == 202
    assert _get(f"{server.base_url}/videos/x/content", headers={}).status_code == 401


def test_failed_expired_and_credit_outcomes(server: SimulatorServer, sim: Simulator) -> None:
    failed = _submit(server, {"model": "google/veo-3.1", "prompt": "a [simulate:failed]"}).json()
    polled = _get(f"{server.base_url}/videos/{failed['id']}").json()
    assert polled["status"] == "failed" and "simulated failure" in polled["error"]
    expired = _submit(server, {"model": "google/veo-3.1", "prompt": "b [simulate:expired]"}).json()
    assert _get(f"{server.base_url}/videos/{expired['id']}").json()["status"] == "expired"
    assert _get(f"{server.base_url}/videos/{expired['id']}/content").status_code == 410
    sim.credits_usd = 1.0
    poor = _submit(server, {"model": "google/veo-3.1", "prompt": "c", "duration": 8})
    assert poor.status_code == 402
    assert "openrouter.ai/credits" in poor.json()["error"]["message"]
    assert sim.submit_count == 2


def _sdk(server: SimulatorServer, **kw: Any) -> OpenRouter:
    return OpenRouter(
        api_key="sk-or-v1-sdk",
        server_url=server.base_url,
        retry_config=RetryConfig("none", BackoffStrategy(1, 1, 1, 1), False),
        **kw,
    )


def test_the_official_sdk_runs_a_whole_job(server: SimulatorServer, sim: Simulator) -> None:
    with _sdk(server) as sdk:
        models = sdk.video_generation.list_videos_models()
        assert "google/veo-3.1" in {m.id for m in models.data}
        job = sdk.video_generation.generate(
            model="google/veo-3.1",
            prompt="a fox",
            duration=4,
            resolution="720p",
            aspect_ratio="16:9",
            generate_audio=False,
            seed=3,
        )
        assert job.status == "pending"
        polled = sdk.video_generation.get_generation(job_id=job.id)
        assert polled.status == "completed"
        assert polled.usage is not None and polled.usage.cost == pytest.approx(0.8)
        content = sdk.video_generation.get_video_content(job_id=job.id)
        data = content.read()
        content.close()
    assert data[4:8] == b"ftyp"
    submit = next(r for r in sim.requests if r["method"] == "POST")
    assert json.loads(submit["body"])["seed"] == 3


async def test_the_official_sdk_reads_every_output_of_a_job(server: SimulatorServer) -> None:
    """Several outputs, validators and gzipped JSON: nothing the SDK does not understand."""
    async with _sdk(server) as sdk:
        job = await sdk.video_generation.generate_async(
            model="x-ai/grok-imagine-video",
            prompt="[simulate:outputs=3]",
            duration=2,
            resolution="480p",
        )
        polled = await sdk.video_generation.get_generation_async(job_id=job.id)
        assert polled.unsigned_urls is not None and len(polled.unsigned_urls) == 3
        clips = []
        for index in range(3):
            content = await sdk.video_generation.get_video_content_async(job_id=job.id, index=index)
            clips.append(b"".join([chunk async for chunk in content.aiter_bytes()]))
            await content.aclose()
        models = await sdk.video_generation.list_videos_models_async()
    assert len(set(clips)) == 3 and all(c[4:8] == b"ftyp" for c in clips)
    assert clips[2] == _get(polled.unsigned_urls[2]).content
    assert len(models.data) >= 15


def test_the_official_sdk_maps_the_simulators_errors(
    server: SimulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    with _sdk(server) as sdk:
        with pytest.raises(errors.BadRequestResponseError) as bad:
            sdk.video_generation.generate(model="google/veo-3.1", prompt="x", duration=7)
        assert "4, 6, 8" in bad.value.message
        with pytest.raises(errors.NotFoundResponseError):
            sdk.video_generation.get_generation(job_id="gen-vid-missing")
    with (
        OpenRouter(server_url=server.base_url) as anonymous,
        pytest.raises(errors.UnauthorizedResponseError),
    ):
        anonymous.video_generation.get_generation(job_id="x")


def test_standalone_server_process() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "videostudio.simulator",
            "--port",
            "0",
            "--pending",
            "0",
            "--running",
            "0",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("videostudio simulator listening on http://127.0.0.1:")
        base = line.split()[-1]
        deadline = time.monotonic() + 10
        while True:
            try:
                resp = httpx.get(f"{base}/videos/models")
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
        assert resp.status_code == 200
    finally:
        proc.terminate()
        code = proc.wait(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()
    assert code == 0  # SIGTERM is a clean stop


def test_jobs_keep_hashes_of_their_images_not_the_images(tmp_path: Path) -> None:
    """The demo simulator lives in the app's process: 50 jobs with a 15 MB image must not
    keep 50 copies in memory or in its jobs file."""
    image = b"\x89PNG\r\n\x1a\n" + bytes(2_000_000)
    url = "data:image/png;base64," + base64.b64encode(image).decode()
    sim = Simulator(cache_dir=tmp_path, jobs_file=tmp_path / "jobs.jsonl", record_requests=False)
    body = {
        "model": "google/veo-3.1-fast",
        "prompt": "x",
        "duration": 4,
        "frame_images": [
            {"type": "image_url", "image_url": {"url": url}, "frame_type": "first_frame"}
        ],
    }
    for _ in range(3):
        status, _ = sim.submit(body)
        assert status == 202
    for job in sim.jobs.values():
        (part,) = job.request.images
        assert part.url == "sim-image:" + hashlib.sha256(image).hexdigest()
        assert job.images["first_frame"].read_bytes() == image
    assert (tmp_path / "jobs.jsonl").stat().st_size < 3 * 2000
    assert sim.requests == []
    reloaded = Simulator(cache_dir=tmp_path, jobs_file=tmp_path / "jobs.jsonl")
    assert all(j.images["first_frame"].exists() for j in reloaded.jobs.values())
