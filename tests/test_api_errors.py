"""Error classes, retries and the never-resubmit rule, against real faults on real TCP."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.conftest import Sleeps, canned_client
from videostudio.api import errors
from videostudio.api.client import Timeouts, VideoClient
from videostudio.api.retry import RetryPolicy, retry_after_seconds
from videostudio.core.models import GenerationRequest
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Fault, Simulator

REQ = GenerationRequest(model="google/veo-3.1-fast", prompt="p", duration=4)

STATUS_CLASSES = [
    (400, errors.BadRequestError),
    (401, errors.AuthenticationError),
    (402, errors.PaymentRequiredError),
    (403, errors.PermissionDeniedError),
    (404, errors.NotFoundError),
    (409, errors.ConflictError),
    (410, errors.GoneError),
    (413, errors.PayloadTooLargeError),
    (429, errors.RateLimitError),
    (500, errors.InternalServerError),
    (502, errors.BadGatewayError),
    (503, errors.ServiceUnavailableError),
    (418, errors.APIStatusError),
]


@pytest.mark.parametrize(("status", "cls"), STATUS_CLASSES)
async def test_each_status_maps_to_its_class(status: int, cls: type, sleeps: Sleeps) -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            status,
            json={
                "error": {"code": status, "message": f"message {status}", "metadata": {"why": "x"}},
                "user_id": "u",
            },
        )

    async with canned_client(reply, sleeps) as c:
        with pytest.raises(cls) as info:
            await c.generate(REQ)
    assert type(info.value) is cls
    assert info.value.message == f"message {status}"
    assert info.value.status_code == status
    assert info.value.metadata == {"why": "x"}
    assert "k" not in str(info.value).split()


async def test_error_without_envelope_still_explains(sleeps: Sleeps) -> None:
    async with canned_client(lambda r: httpx.Response(400, text="<html>bad</html>"), sleeps) as c:
        with pytest.raises(errors.BadRequestError, match="<html>bad</html>"):
            await c.generate(REQ)


async def test_out_of_set_value_gives_the_servers_400(client: VideoClient) -> None:
    bad = GenerationRequest(model="google/veo-3.1", prompt="p", duration=7)
    with pytest.raises(errors.BadRequestError) as info:
        await client.generate(bad)
    assert "4, 6, 8" in info.value.message
    assert info.value.metadata == {"field": "duration"}


async def test_poll_retries_5xx_with_exponential_backoff(
    client: VideoClient, sim: Simulator, sleeps: Sleeps
) -> None:
    job = await client.generate(REQ)
    sim.add_fault(Fault("poll", "status", status=503, times=3))
    polled = await client.get_generation(job.id)
    assert polled.status == "completed"
    assert sleeps.delays == [0.5, 1.0, 2.0]


async def test_retry_after_is_honoured_and_capped(
    client: VideoClient, sim: Simulator, sleeps: Sleeps
) -> None:
    sim.add_fault(Fault("models", "status", status=429, retry_after=7))
    sim.add_fault(Fault("models", "status", status=503, retry_after=1.5))
    sim.add_fault(Fault("models", "status", status=429, retry_after=9999))
    await client.list_models()
    assert sleeps.delays == [7, 1.5, RetryPolicy().max_retry_after]


async def test_poll_gives_up_after_max_attempts(
    client: VideoClient, sim: Simulator, sleeps: Sleeps
) -> None:
    sim.add_fault(Fault("poll", "status", status=500, times=99))
    with pytest.raises(errors.InternalServerError):
        await client.get_generation("anything")
    assert len(sleeps.delays) == RetryPolicy().max_attempts - 1


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_submit_is_never_retried_after_a_5xx(
    client: VideoClient, sim: Simulator, sleeps: Sleeps, status: int
) -> None:
    sim.add_fault(Fault("submit", "status", status=status))
    with pytest.raises(errors.APIStatusError):
        await client.generate(REQ)
    assert sum(r["method"] == "POST" for r in sim.requests) == 1
    assert sleeps.delays == []


async def test_submit_reset_after_acceptance_is_reported_not_resent(
    client: VideoClient, sim: Simulator, sleeps: Sleeps
) -> None:
    sim.add_fault(Fault("submit", "reset"))
    with pytest.raises(errors.SubmitOutcomeUnknownError, match="may have been created"):
        await client.generate(REQ)
    assert sim.submit_count == 1  # the server did create the job
    assert sum(r["method"] == "POST" for r in sim.requests) == 1
    assert sleeps.delays == []


async def test_submit_429_is_retried_because_nothing_was_created(
    client: VideoClient, sim: Simulator, sleeps: Sleeps
) -> None:
    sim.add_fault(Fault("submit", "status", status=429, retry_after=3))
    job = await client.generate(REQ)
    assert job.status == "pending"
    assert sim.submit_count == 1
    assert sleeps.delays == [3]


async def test_submit_retries_only_when_the_connection_never_opened(sleeps: Sleeps) -> None:
    calls: list[str] = []

    def reply(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if len(calls) == 1:
            raise httpx.ConnectError("refused", request=request)
        if len(calls) == 2:
            raise httpx.ReadError("reset after sending", request=request)
        return httpx.Response(
            202, json={"id": "J", "polling_url": "/api/v1/videos/J", "status": "pending"}
        )

    async with canned_client(reply, sleeps) as c:
        with pytest.raises(errors.SubmitOutcomeUnknownError):
            await c.generate(REQ)
    assert calls == ["POST", "POST"]  # resent once after ConnectError, never after ReadError
    assert len(sleeps.delays) == 1


async def test_unreachable_server_is_a_connection_error(sleeps: Sleeps) -> None:
    async with VideoClient(api_key="k", base_url="http://127.0.0.1:9/api/v1", sleep=sleeps) as c:
        with pytest.raises(errors.APIConnectionError, match="could not reach"):
            await c.list_models()
    assert len(sleeps.delays) == RetryPolicy().max_attempts - 1


async def test_garbage_replies_are_format_errors(client: VideoClient, sim: Simulator) -> None:
    job = await client.generate(REQ)
    sim.add_fault(Fault("poll", "malformed"))
    with pytest.raises(errors.ResponseFormatError, match="not valid JSON"):
        await client.get_generation(job.id)
    sim.add_fault(Fault("poll", "wrong_type"))
    with pytest.raises(errors.ResponseFormatError, match="text/html"):
        await client.get_generation(job.id)
    assert (await client.get_generation(job.id)).status == "completed"


@pytest.mark.parametrize("kind", ["truncate", "reset", "status"])
async def test_download_recovers_from_a_broken_transfer(
    client: VideoClient, sim: Simulator, sleeps: Sleeps, tmp_path: Path, kind: str
) -> None:
    job = await client.generate(REQ)
    await client.get_generation(job.id)
    sim.add_fault(Fault("content", kind, status=502))
    dest = tmp_path / "clip.mp4"
    await client.download(job.id, dest)
    assert dest.read_bytes()[4:8] == b"ftyp"
    assert sleeps.delays == [0.5]
    assert list(tmp_path.iterdir()) == [dest]


async def test_stalled_download_times_out_instead_of_hanging(
    server: SimulatorServer, sim: Simulator, sleeps: Sleeps, tmp_path: Path
) -> None:
    async with VideoClient(
        api_key="k",
        base_url=server.base_url,
        sleep=sleeps,
        timeouts=Timeouts(download=0.3),
        retry=RetryPolicy(max_attempts=2, rng=lambda: 0.0),
    ) as c:
        job = await c.generate(REQ)
        await c.get_generation(job.id)
        sim.add_fault(Fault("content", "stall", stall_s=5, times=2))
        with pytest.raises(errors.APITimeoutError):
            await c.download(job.id, tmp_path / "clip.mp4")
    assert not list(tmp_path.iterdir())  # no partial file, no file at the final path


@pytest.mark.parametrize(
    ("kind", "why"),
    [
        ("wrong_type", "not a video"),
        ("ftyp_garbage", "not an MP4"),
        ("cut_body", "not an MP4"),
        ("zeros", "not an MP4"),
    ],
)
async def test_download_refuses_a_non_video(
    client: VideoClient, sim: Simulator, sleeps: Sleeps, tmp_path: Path, kind: str, why: str
) -> None:
    job = await client.generate(REQ)
    await client.get_generation(job.id)
    sim.add_fault(Fault("content", kind))
    with pytest.raises(errors.ResponseFormatError, match=why):
        await client.download(job.id, tmp_path / "x.mp4")
    assert sleeps.delays == []  # a wrong file is not an outage: not retried
    assert not list(tmp_path.iterdir())


def test_retry_after_parsing() -> None:
    assert retry_after_seconds({"retry-after": "3"}) == 3
    assert retry_after_seconds({"retry-after-ms": "250"}) == 0.25
    assert retry_after_seconds({"retry-after": "0"}) is None
    assert (
        retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, lambda: 1445412470)
        == 10
    )
    assert retry_after_seconds({"retry-after": "soon"}) is None


def test_backoff_grows_and_caps() -> None:
    policy = RetryPolicy(initial=0.5, factor=2, max_interval=5, jitter=1, rng=lambda: 0.5)
    assert [policy.delay(n) for n in range(5)] == [1.0, 1.5, 2.5, 4.5, 5.0]


async def test_error_messages_never_contain_the_key(
    sim: Simulator, server: SimulatorServer
) -> None:
    sim.api_key = "sk-or-v1-REQUIRED"
    key = "sk-or-v1-WRONG-SECRET"
    async with VideoClient(api_key=key, base_url=server.base_url) as c:
        with pytest.raises(errors.AuthenticationError) as info:
            await c.generate(REQ)
    assert key not in repr(info.value) and key not in info.value.body
    assert json.loads(info.value.body)["error"]["message"] == "Invalid API key"
