"""fetch_output: only the paid clip is called good; a part is continued only when provably right.

Real clips and real sparse MP4 files, served by the simulator over loopback with its
validators (ETag / Last-Modified / If-Range) and faults; real disk-full errors from
/dev/full.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import http.client
import json
import os
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from videostudio.api import errors
from videostudio.api.client import (
    FetchedOutput,
    Timeouts,
    VideoClient,
    move_into_place,
)
from videostudio.api.retry import RetryPolicy
from videostudio.api.transfer import BLOCK, meta_path
from videostudio.core.models import GenerationRequest
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Fault, Simulator, sparse_mp4

REQ = GenerationRequest(model="google/veo-3.1-fast", prompt="p", duration=4)
OTHER = GenerationRequest(model="google/veo-3.1-fast", prompt="another clip", duration=4)
# Three outputs of the cheapest clip to render (the same request in every test: cached).
TRIO = GenerationRequest(
    model="x-ai/grok-imagine-video", prompt="[simulate:outputs=3]", duration=2, resolution="480p"
)


def _clip(sim: Simulator, request: GenerationRequest = REQ) -> tuple[str, bytes]:
    status, reply = sim.submit(request.to_json())
    assert status == 202
    job_id = str(reply["id"])
    return job_id, sim.clip_path(sim.jobs[job_id]).read_bytes()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _content_requests(sim: Simulator) -> list[dict[str, str]]:
    return [r["headers"] for r in sim.requests if "/content" in r["path"]]


def _once(server: SimulatorServer, **kw: object) -> VideoClient:
    """A client that tries each call once (a broken transfer surfaces at once)."""
    return VideoClient(
        api_key="sk-or-v1-download",
        base_url=server.base_url,
        retry=RetryPolicy(max_attempts=1),
        **kw,  # type: ignore[arg-type]
    )


async def _drop_halfway(server: SimulatorServer, sim: Simulator, job_id: str, part: Path) -> None:
    """A download whose connection ends halfway: the part and its meta stay. (A clean close
    after half the body: a reset would also drop what the client had not read yet.)"""
    sim.add_fault(Fault("content", "truncate", job_id=job_id))
    async with _once(server) as c:
        with pytest.raises(errors.APIConnectionError):
            await c.fetch_output(job_id, 0, part)
    assert part.exists() and meta_path(part).exists()


# -- the contract ---------------------------------------------------------------------------


async def test_fetch_output_leaves_a_checked_part_with_its_size_and_hash(
    client: VideoClient, sim: Simulator, tmp_path: Path
) -> None:
    job_id, whole = _clip(sim)
    part = tmp_path / "job-0.part"
    fetched = await client.fetch_output(job_id, 0, part)
    assert fetched == FetchedOutput(size=len(whole), sha256=_sha(whole))
    assert part.read_bytes() == whole
    dest = tmp_path / "clip.mp4"
    move_into_place(part, dest)
    assert dest.read_bytes() == whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]  # no part, no meta


async def test_a_dropped_download_continues_with_range_and_if_range(
    server: SimulatorServer, sim: Simulator, tmp_path: Path
) -> None:
    job_id, whole = _clip(sim)
    part = tmp_path / "job-0.part"
    await _drop_halfway(server, sim, job_id, part)
    assert part.stat().st_size == len(whole) // 2
    async with _once(server) as c:
        fetched = await c.fetch_output(job_id, 0, part)
    assert fetched.sha256 == _sha(whole)  # the bytes already on disk were hashed too
    assert part.read_bytes() == whole
    resumed = _content_requests(sim)[-1]
    assert resumed["Range"] == f"bytes={len(whole) // 2}-"
    assert resumed["If-Range"] == json.loads(meta_path(part).read_text())["etag"]


async def test_a_clip_changed_on_the_server_is_downloaded_again_from_the_start(
    server: SimulatorServer, sim: Simulator, tmp_path: Path
) -> None:
    _, first = _clip(sim)
    _, second = _clip(sim, OTHER)
    served = tmp_path / "served.mp4"
    served.write_bytes(first)
    job = sim.publish([served])
    part = tmp_path / "job-0.part"
    await _drop_halfway(server, sim, job.id, part)
    served.write_bytes(second)  # new bytes, new ETag: If-Range no longer holds
    os.utime(served, ns=(1, 1))
    async with _once(server) as c:
        fetched = await c.fetch_output(job.id, 0, part)
    assert fetched.sha256 == _sha(second)
    assert part.read_bytes() == second  # not half of one clip and half of another


async def test_a_206_that_does_not_continue_the_part_starts_over(
    server: SimulatorServer, sim: Simulator, tmp_path: Path
) -> None:
    job_id, whole = _clip(sim)
    part = tmp_path / "job-0.part"
    await _drop_halfway(server, sim, job_id, part)
    sim.add_fault(Fault("content", "wrong_range"))  # a 206 from byte 0, whatever was asked
    async with _once(server) as c:
        fetched = await c.fetch_output(job_id, 0, part)
    assert fetched.sha256 == _sha(whole)
    asked = [h.get("Range") for h in _content_requests(sim)[-2:]]
    assert asked == [f"bytes={len(whole) // 2}-", None]  # refused, then from the start


async def test_a_206_with_another_total_starts_over(
    server: SimulatorServer, sim: Simulator, tmp_path: Path
) -> None:
    job_id, whole = _clip(sim)
    part = tmp_path / "job-0.part"
    await _drop_halfway(server, sim, job_id, part)
    meta = json.loads(meta_path(part).read_text())
    meta_path(part).write_text(json.dumps({**meta, "total": meta["total"] + 1}))
    async with _once(server) as c:
        fetched = await c.fetch_output(job_id, 0, part)
    assert fetched.sha256 == _sha(whole)
    assert [h.get("Range") for h in _content_requests(sim)[-2:]][1] is None


async def test_a_part_without_its_meta_is_not_trusted(
    client: VideoClient, sim: Simulator, tmp_path: Path
) -> None:
    job_id, whole = _clip(sim)
    part = tmp_path / "job-0.part"
    part.write_bytes(b"\0" * (len(whole) // 2))  # something, but nothing proves what
    fetched = await client.fetch_output(job_id, 0, part)
    assert fetched.sha256 == _sha(whole)
    assert "Range" not in _content_requests(sim)[-1]


async def test_a_part_of_another_output_is_not_continued(
    server: SimulatorServer, sim: Simulator, tmp_path: Path
) -> None:
    job_id, _ = _clip(sim, TRIO)
    job = sim.jobs[job_id]
    second = sim.clip_path(job, 1).read_bytes()
    part = tmp_path / "shared.part"
    await _drop_halfway(server, sim, job_id, part)  # half of output 0
    async with _once(server) as c:
        fetched = await c.fetch_output(job_id, 1, part)
    assert fetched.sha256 == _sha(second)
    assert "Range" not in _content_requests(sim)[-1]


@pytest.mark.parametrize("kind", ["wrong_type", "ftyp_garbage", "lying_length"])
async def test_a_bad_reply_deletes_the_part_and_its_meta(
    server: SimulatorServer, sim: Simulator, tmp_path: Path, kind: str
) -> None:
    job_id, _ = _clip(sim)
    part = tmp_path / "job-0.part"
    await _drop_halfway(server, sim, job_id, part)
    # The resumed request is answered with a bad reply (a 200: If-Range is not checked).
    sim.add_fault(Fault("content", kind))
    async with _once(server) as c:
        with pytest.raises(errors.ResponseFormatError):
            await c.fetch_output(job_id, 0, part)
    assert list(tmp_path.iterdir()) == []


async def test_signed_urls_of_several_outputs(
    client: VideoClient, sim: Simulator, server: SimulatorServer, tmp_path: Path
) -> None:
    job = await client.generate(TRIO)
    done = await client.get_generation(job.id)
    assert len(done.urls) == len(done.unsigned_urls) == 3
    files = []
    for i, url in enumerate(done.urls):
        dest = tmp_path / f"{i}.mp4"
        await client.download_url(url, dest)
        assert dest.read_bytes() == sim.clip_path(sim.jobs[job.id], i).read_bytes()
        files.append(_sha(dest.read_bytes()))
    assert len(set(files)) == 3  # three distinct clips
    storage = [r for r in sim.requests if r["port"] == server.storage_port]
    assert len(storage) == 3 and all("Authorization" not in r["headers"] for r in storage)


# -- disk space -------------------------------------------------------------------------------


async def test_a_clip_that_does_not_fit_is_refused_before_writing(
    server: SimulatorServer, sim: Simulator, tmp_path: Path
) -> None:
    job_id, whole = _clip(sim)
    asked: list[Path] = []

    def disk_free(path: Path) -> int:
        asked.append(path)
        return 5 << 10

    part = tmp_path / "job-0.part"
    async with _once(server, disk_free=disk_free) as c:
        with pytest.raises(errors.InsufficientSpaceError) as info:
            await c.fetch_output(job_id, 0, part)
    error = info.value
    assert isinstance(error, OSError) and error.errno == errno.ENOSPC
    assert (error.needed, error.free) == (len(whole), 5 << 10)
    assert str(error) == "Not enough disk space: need 1 MB, 0 MB free."
    assert asked == [tmp_path]
    assert list(tmp_path.iterdir()) == []


async def test_a_disk_filling_up_mid_download_drops_the_part(
    client: VideoClient, sim: Simulator, tmp_path: Path
) -> None:
    job_id, _ = _clip(sim)
    part = tmp_path / "job-0.part"
    part.symlink_to("/dev/full")  # every write there fails with the kernel's ENOSPC
    with pytest.raises(OSError, match="Not enough disk space") as info:
        await client.fetch_output(job_id, 0, part)
    assert info.value.errno == errno.ENOSPC
    assert isinstance(info.value, errors.InsufficientSpaceError)
    assert not part.is_symlink() and list(tmp_path.iterdir()) == []
    assert Path("/dev/full").exists()


# -- off the event loop: progress, cancellation ---------------------------------------------


@pytest.fixture
def big_job(sim: Simulator, tmp_path: Path) -> tuple[str, Path]:
    """A completed job whose output is a 64 MiB MP4-shaped (sparse) file."""
    path = sparse_mp4(tmp_path / "big.mp4", 64 << 20)
    return sim.publish([path]).id, path


def _file_sha(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


async def test_progress_is_throttled_and_delivered_on_the_loop(
    server: SimulatorServer, big_job: tuple[str, Path], tmp_path: Path
) -> None:
    job_id, path = big_job
    size = path.stat().st_size
    loop_thread = threading.get_ident()
    events: list[tuple[int, int | None]] = []
    threads: set[int] = set()
    workers: set[str] = set()

    def progress(received: int, total: int | None) -> None:
        events.append((received, total))
        threads.add(threading.get_ident())
        workers.update(t.name for t in threading.enumerate())

    # A clock that stands still: only the first and the last report get through.
    async with _once(server, clock=lambda: 0.0) as c:
        fetched = await c.fetch_output(job_id, 0, tmp_path / "a.part", progress=progress)
    assert events == [(0, size), (size, size)]
    assert fetched.sha256 == _file_sha(path)
    # A clock racing ahead: every piece read is reported, in order, on the loop's thread.
    ticks = iter(range(10**9))
    events.clear()
    async with _once(server, clock=lambda: float(next(ticks))) as c:
        await c.fetch_output(job_id, 0, tmp_path / "b.part", progress=progress)
    assert len(events) >= size // BLOCK + 2  # a read takes at most BLOCK bytes
    assert [r for r, _ in events] == sorted(r for r, _ in events)
    assert threads == {loop_thread}
    assert "videostudio-download" in workers  # the bytes moved on a worker thread...
    assert "videostudio-download" not in {t.name for t in threading.enumerate()}  # ...now gone


async def test_cancelling_stops_the_transfer_and_keeps_the_part(
    server: SimulatorServer, sim: Simulator, big_job: tuple[str, Path], tmp_path: Path
) -> None:
    job_id, path = big_job
    size = path.stat().st_size
    sim.add_fault(Fault("content", "stall_body", stall_s=120))  # half, then silence
    halfway = asyncio.Event()

    def progress(received: int, total: int | None) -> None:
        if received >= size // 2:
            halfway.set()

    part = tmp_path / "job-0.part"
    ticks = iter(range(10**9))
    async with _once(
        server, clock=lambda: float(next(ticks)), timeouts=Timeouts(download=600)
    ) as c:
        task = asyncio.create_task(c.fetch_output(job_id, 0, part, progress=progress))
        async with asyncio.timeout(60):  # a hang guard, not a measurement
            await halfway.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        assert "videostudio-download" not in {t.name for t in threading.enumerate()}
        assert part.stat().st_size == size // 2 and meta_path(part).exists()
        fetched = await c.fetch_output(job_id, 0, part)
    assert fetched.sha256 == _file_sha(path)
    assert _content_requests(sim)[-1]["Range"] == f"bytes={size // 2}-"


async def test_download_keeps_working_for_simple_callers(
    client: VideoClient, sim: Simulator, tmp_path: Path
) -> None:
    job_id, whole = _clip(sim)
    dest = tmp_path / "out" / "clip.mp4"
    dest.parent.mkdir()
    assert await client.download(job_id, dest) == len(whole)
    assert dest.read_bytes() == whole
    assert [p.name for p in dest.parent.iterdir()] == ["clip.mp4"]
    shutil.rmtree(dest.parent)


async def test_a_proxy_from_the_environment_is_used(
    server: SimulatorServer, sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, str | None]] = []

    class Proxy(BaseHTTPRequestHandler):
        """A plain-http forwarding proxy: absolute-form requests, relayed as they come."""

        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            seen.append((self.path, self.headers.get("Authorization")))
            target = urlsplit(self.path)
            upstream = http.client.HTTPConnection(target.hostname or "", target.port)
            wanted = ("Authorization", "Range", "If-Range", "Accept")
            headers = {k: v for k, v in self.headers.items() if k in wanted}
            upstream.request("GET", f"{target.path}?{target.query}", headers=headers)
            reply = upstream.getresponse()
            self.send_response(reply.status)
            for name, value in reply.getheaders():
                if name.lower() not in ("connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.end_headers()
            shutil.copyfileobj(reply, self.wfile)
            upstream.close()

        def log_message(self, *args: object) -> None:
            pass

    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{proxy.server_address[1]}")
        for name in ("no_proxy", "NO_PROXY", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
            monkeypatch.delenv(name, raising=False)
        job_id, whole = _clip(sim)
        async with _once(server) as c:
            fetched = await c.fetch_output(job_id, 0, tmp_path / "job-0.part")
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert fetched.sha256 == _sha(whole)
    assert seen == [
        (f"{server.base_url}/videos/{job_id}/content?index=0", "Bearer sk-or-v1-download")
    ]
