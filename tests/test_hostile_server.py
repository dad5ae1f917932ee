"""A hostile or broken server never crashes the client, exhausts its memory or hangs it.

Every case runs against the simulator over loopback TCP with a scripted fault; where
memory is the point, the client runs in a child process that reports its own peak RSS.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import Sleeps, canned_client
from videostudio.api import errors
from videostudio.api.client import Timeouts, VideoClient, partial_path
from videostudio.api.retry import RetryPolicy
from videostudio.api.transfer import MAX_REDIRECTS
from videostudio.core.models import GenerationRequest, ParseError, check_job_id
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Fault, Simulator

REQ = GenerationRequest(model="google/veo-3.1-fast", prompt="p", duration=4)
KEY = "sk-or-v1-test-key"  # the client fixture's key


def _job(sim: Simulator) -> str:
    status, reply = sim.submit(REQ.to_json())
    assert status == 202
    return str(reply["id"])


def _quick(server: SimulatorServer, sleeps: Sleeps, **timeouts: float) -> VideoClient:
    """A client that tries once, with short deadlines."""
    return VideoClient(
        api_key=KEY,
        base_url=server.base_url,
        sleep=sleeps,
        timeouts=Timeouts(**timeouts),
        retry=RetryPolicy(max_attempts=1),
    )


def _foreign(exc: BaseException) -> list[str]:
    """Exceptions of other libraries in what a traceback of ``exc`` would show."""
    found = []
    seen: BaseException | None = exc
    while seen is not None:
        module = type(seen).__module__.split(".")[0]
        if module in ("httpx", "httpcore", "h11", "json", "zlib") or isinstance(
            seen, RecursionError
        ):
            found.append(f"{type(seen).__module__}.{type(seen).__name__}")
        seen = seen.__cause__ or (None if seen.__suppress_context__ else seen.__context__)
    return found


# -- 1. bodies are capped by decoded size ------------------------------------------------

RSS_CHILD = r"""
import asyncio, json, re, sys
from videostudio.api.client import VideoClient
from videostudio.api.retry import RetryPolicy
from videostudio.api.transfer import MAX_REDIRECTS

def status(field):
    return int(re.search(field + r":\s+(\d+)", open("/proc/self/status").read()).group(1))

async def main(base, warm_up_job, job_id, call):
    async with VideoClient(api_key="sk-or-v1-rss", base_url=base,
                           retry=RetryPolicy(max_attempts=1)) as client:
        await client.get_generation(warm_up_job)  # imports, the connection, caches
        open("/proc/self/clear_refs", "w").write("5")  # peak RSS := current RSS
        before = status("VmRSS")
        try:
            await (client.get_generation(job_id) if call == "poll" else client.list_models())
            outcome = "no error"
        except Exception as exc:
            outcome = f"{type(exc).__name__}: {exc}"
        print(json.dumps({"growth_kb": status("VmHWM") - before, "outcome": outcome}))

asyncio.run(main(*sys.argv[1:]))
"""


@pytest.mark.parametrize(
    ("endpoint", "fault"),
    [
        ("poll", Fault("poll", "huge", size_mb=500, with_length=True)),
        ("poll", Fault("poll", "huge", size_mb=500, with_length=False)),
        ("poll", Fault("poll", "gzip_bomb")),
        ("models", Fault("models", "huge", size_mb=500, with_length=False)),
        ("models", Fault("models", "gzip_bomb")),
    ],
    ids=["poll-500MB", "poll-500MB-no-length", "poll-gzip-bomb", "models-500MB", "models-bomb"],
)
def test_huge_and_bomb_replies_keep_memory_bounded(
    server: SimulatorServer, sim: Simulator, endpoint: str, fault: Fault
) -> None:
    warm_up_job, job_id = _job(sim), _job(sim)
    sim.add_fault(dataclasses.replace(fault, job_id=job_id if endpoint == "poll" else None))
    proc = subprocess.run(
        [sys.executable, "-c", RSS_CHILD, server.base_url, warm_up_job, job_id, endpoint],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    print(f"\n{endpoint} {fault.kind}: peak RSS growth {report['growth_kb']} KiB")
    assert report["outcome"].startswith("ResponseFormatError: The reply"), report
    assert "larger than any" in report["outcome"]
    # The cap is 4 MiB of decoded JSON; the reply was 500 MB, or 1 GiB once inflated.
    assert report["growth_kb"] < 24 * 1024, report


@pytest.mark.parametrize(
    "fault",
    [
        Fault("poll", "huge", size_mb=64, with_length=False),
        Fault("poll", "gzip_bomb"),
        Fault("poll", "deep_json"),
        Fault("poll", "bad_gzip"),
        Fault("poll", "redirect", times=MAX_REDIRECTS + 1),  # to itself: a loop
        Fault("poll", "redirect", redirect_to="ftp://127.0.0.1/x"),
    ],
    ids=["huge", "gzip-bomb", "nested-100k", "bad-gzip", "redirect-loop", "redirect-to-ftp"],
)
async def test_unreadable_replies_are_format_errors_not_crashes(
    client: VideoClient, sim: Simulator, sleeps: Sleeps, fault: Fault
) -> None:
    job_id = _job(sim)
    sim.add_fault(fault)
    with pytest.raises(errors.ResponseFormatError) as info:
        await client.get_generation(job_id)
    assert _foreign(info.value) == []
    assert sleeps.delays == []  # a bad reply is not an outage
    assert (await client.get_generation(job_id)).status == "completed"


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (httpx.DecodingError("bad gzip"), errors.ResponseFormatError),
        (httpx.TooManyRedirects("loop"), errors.ResponseFormatError),
        (httpx.UnsupportedProtocol("ftp"), errors.APIConnectionError),
        (httpx.RemoteProtocolError("garbage status line"), errors.APIConnectionError),
        (httpx.ProxyError("proxy said no"), errors.APIConnectionError),
        (httpx.ReadTimeout("slow"), errors.APITimeoutError),
        (httpx.StreamError("odd"), errors.ResponseFormatError),
        (httpx.InvalidURL("bad url"), errors.ResponseFormatError),
    ],
)
async def test_no_httpx_exception_escapes(
    sleeps: Sleeps, raised: Exception, expected: type[Exception]
) -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        raise raised

    async with canned_client(reply, sleeps) as c:
        with pytest.raises(expected) as info:
            await c.get_generation("J")
        assert _foreign(info.value) == []
        with pytest.raises(expected):
            await c.list_models()


# -- 2. overall deadlines ------------------------------------------------------------------


async def test_a_trickled_poll_reply_ends_at_the_deadline(
    server: SimulatorServer, sim: Simulator, sleeps: Sleeps
) -> None:
    job_id = _job(sim)
    sim.add_fault(Fault("poll", "trickle", interval_s=0.2))  # ~20 s for the headers
    async with _quick(server, sleeps, poll=0.5) as c:
        with pytest.raises(errors.APITimeoutError, match=r"within 0\.5 s"):
            await c.get_generation(job_id)


async def test_a_trickled_submit_reply_is_an_unknown_outcome(
    server: SimulatorServer, sim: Simulator, sleeps: Sleeps
) -> None:
    sim.add_fault(Fault("submit", "trickle", interval_s=0.2))
    async with _quick(server, sleeps, submit=0.5) as c:
        with pytest.raises(errors.SubmitOutcomeUnknownError, match="may have been created"):
            await c.generate(REQ)
    assert sum(r["method"] == "POST" for r in sim.requests) == 1


async def test_a_trickled_download_reply_ends_at_the_headers_deadline(
    server: SimulatorServer, sim: Simulator, sleeps: Sleeps, tmp_path: Path
) -> None:
    job_id = _job(sim)
    sim.add_fault(Fault("content", "trickle", interval_s=0.2))
    async with _quick(server, sleeps, download=0.5) as c:
        with pytest.raises(errors.APITimeoutError, match=r"did not answer within 0\.5 s"):
            await c.fetch_output(job_id, 0, tmp_path / "clip.part")


async def test_a_stalled_body_is_given_up_and_kept_for_continuing(
    server: SimulatorServer, sim: Simulator, sleeps: Sleeps, tmp_path: Path
) -> None:
    job_id = _job(sim)
    whole = sim.clip_path(sim.jobs[job_id]).read_bytes()
    sim.add_fault(Fault("content", "stall_body", stall_s=60))
    part = tmp_path / "clip.part"
    async with _quick(server, sleeps, download=2) as c:
        with pytest.raises(errors.APITimeoutError, match=r"stalled|timed out"):
            await c.fetch_output(job_id, 0, part)
        assert part.read_bytes() == whole[: len(whole) // 2]
        fetched = await c.fetch_output(job_id, 0, part)  # continues with Range
    assert fetched.size == len(whole)
    assert part.read_bytes() == whole
    assert sim.requests[-1]["headers"]["Range"] == f"bytes={len(whole) // 2}-"


# -- 3. a lying server is a bad reply, not an outage ---------------------------------------


async def test_a_clip_announced_as_10_gb_is_refused_at_once(
    client: VideoClient, sim: Simulator, sleeps: Sleeps, tmp_path: Path
) -> None:
    job_id = _job(sim)
    sim.add_fault(Fault("content", "lying_length"))
    with pytest.raises(errors.ResponseFormatError, match=r"larger than any clip \(max 2 GiB\)"):
        await client.download(job_id, tmp_path / "clip.mp4")
    assert sleeps.delays == []
    assert list(tmp_path.iterdir()) == []


# -- 5. a submit is never redirected ----------------------------------------------------------


async def test_a_submit_redirected_to_another_origin_is_not_followed(
    server: SimulatorServer, sim: Simulator, sleeps: Sleeps
) -> None:
    elsewhere = f"http://127.0.0.1:{server.storage_port}/api/v1/videos"
    sim.add_fault(Fault("submit", "redirect", redirect_to=elsewhere))
    async with _quick(server, sleeps) as c:
        with pytest.raises(errors.VideoAPIError) as info:
            await c.generate(REQ)
    assert [r["port"] for r in sim.requests] == [server.port]  # nothing went elsewhere
    assert sim.submit_count == 0
    assert isinstance(info.value, errors.SubmitRedirectedError)
    assert info.value.status_code == 307
    assert f"redirected the job submission to '{elsewhere}'" in str(info.value)
    assert "not followed, so no job was created" in str(info.value)


async def test_a_poll_redirected_off_origin_is_followed_without_the_key(
    client: VideoClient, server: SimulatorServer, sim: Simulator
) -> None:
    job_id = _job(sim)
    elsewhere = f"http://127.0.0.1:{server.storage_port}/api/v1/videos/{job_id}"
    sim.add_fault(Fault("poll", "redirect", redirect_to=elsewhere))
    with pytest.raises(errors.NotFoundError):  # storage knows no such path
        await client.get_generation(job_id)
    hops = [(r["port"], r["headers"].get("Authorization")) for r in sim.requests]
    assert hops == [(server.port, f"Bearer {KEY}"), (server.storage_port, None)]


# -- 6. an echoed key is scrubbed wherever server text comes in ---------------------------


def _all_text(exc: BaseException) -> str:
    parts = []
    seen: BaseException | None = exc
    while seen is not None:
        parts += [str(seen), repr(seen), repr(vars(seen))]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


@pytest.mark.parametrize(
    ("fault", "cls"),
    [
        (Fault("submit", "echo_key", status=401), errors.AuthenticationError),
        (Fault("content", "echo_key", status=403), errors.PermissionDeniedError),
    ],
)
async def test_a_key_echoed_in_an_escaped_error_message_is_scrubbed(
    client: VideoClient, sim: Simulator, tmp_path: Path, fault: Fault, cls: type[Exception]
) -> None:
    job_id = _job(sim)
    sim.add_fault(fault)
    call = (
        client.generate(REQ)
        if fault.endpoint == "submit"
        else client.download(job_id, tmp_path / "clip.mp4")
    )
    with pytest.raises(cls) as info:
        await call
    assert "[redacted]" in info.value.message  # type: ignore[attr-defined]
    assert KEY not in _all_text(info.value)
    assert "\\u0073\\u006b" not in _all_text(info.value)  # nor its escaped spelling


async def test_a_key_echoed_in_a_failed_job_is_scrubbed(
    client: VideoClient, sim: Simulator
) -> None:
    job_id = _job(sim)
    sim.add_fault(Fault("poll", "echo_key"))
    job = await client.get_generation(job_id)
    assert job.status == "failed"
    assert job.error == "Rejected [redacted]"
    assert KEY not in json.dumps(job.raw) + repr(job)


async def test_a_key_echoed_in_a_model_description_is_scrubbed(
    client: VideoClient, sim: Simulator
) -> None:
    sim.add_fault(Fault("models", "echo_key"))
    models = await client.list_models()
    assert models[0].description == "Made for [redacted]"
    assert all(KEY not in json.dumps(dict(m.raw)) for m in models)


# -- 7. job ids are opaque tokens, and the one asked about -----------------------------------


@pytest.mark.parametrize(
    ("reply_id", "why"),
    [("", "missing or empty"), ("..", "not an opaque token"), ("a/b", "not an opaque token")],
)
async def test_a_submit_reply_with_a_hostile_id_is_refused(
    client: VideoClient, sim: Simulator, reply_id: str, why: str
) -> None:
    sim.add_fault(Fault("submit", "hostile_id", reply_id=reply_id))
    with pytest.raises(errors.ResponseFormatError, match=why):
        await client.generate(REQ)


async def test_the_same_id_for_two_submits_is_refused(client: VideoClient, sim: Simulator) -> None:
    first = await client.generate(REQ)
    sim.add_fault(Fault("submit", "same_id"))
    with pytest.raises(errors.ResponseFormatError, match="id of an earlier one"):
        await client.generate(REQ)
    assert first.id in sim.jobs and sim.submit_count == 2


async def test_a_poll_reply_about_another_job_is_refused(
    client: VideoClient, sim: Simulator
) -> None:
    job_id = _job(sim)
    sim.add_fault(Fault("poll", "hostile_id", reply_id="gen-vid-1-someoneelse00000000"))
    with pytest.raises(errors.ResponseFormatError, match="about job gen-vid-1-someoneelse"):
        await client.get_generation(job_id)


@pytest.mark.parametrize(
    "job_id",
    [
        "gen-vid-1767225600-abcdefghijklmnopqrst",
        "abcdefghijklmnopqrst",
        "job_1.2:3-x",
        "a" * 256,
    ],
)
def test_documented_and_opaque_ids_are_accepted(job_id: str) -> None:
    assert check_job_id(job_id) == job_id


@pytest.mark.parametrize(
    "job_id",
    ["", ".", "..", "...", "../x", "a/b", "a b", "a\tb", "a\nb", "a\x00b", "é", "a" * 257, None, 7],
)
def test_hostile_ids_are_refused(job_id: object) -> None:
    with pytest.raises(ParseError):
        check_job_id(job_id)


def test_partial_path_is_beside_the_destination(tmp_path: Path) -> None:
    assert partial_path(tmp_path / "a.mp4") == tmp_path / "a.mp4.part"
