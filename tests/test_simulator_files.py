"""The simulator serves clips like a CDN (validators, ranges, several outputs, big files)
and stays light: TCP_NODELAY, constant memory per download, no wakeups when idle."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from videostudio.core.mp4 import check_file
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Simulator

AUTH = {"Authorization": "Bearer sk-or-v1-sim"}


# Three outputs of the cheapest clip to render (the same request in every test: cached).
TRIO = {
    "model": "x-ai/grok-imagine-video",
    "prompt": "[simulate:outputs=3]",
    "duration": 2,
    "resolution": "480p",
}


def _completed(server: SimulatorServer, body: dict | None = None) -> dict:
    body = body or {"model": "google/veo-3.1-fast", "prompt": "p", "duration": 4}
    job = httpx.post(f"{server.base_url}/videos", json=body, headers=AUTH).json()
    return httpx.get(f"{server.base_url}/videos/{job['id']}", headers=AUTH).json()


@pytest.mark.parametrize("where", ["unsigned_urls", "urls"])
def test_clips_carry_validators_and_honour_if_range(server: SimulatorServer, where: str) -> None:
    url = _completed(server)[where][0]
    whole = httpx.get(url, headers=AUTH)
    assert whole.status_code == 200
    data, etag, modified = whole.content, whole.headers["etag"], whole.headers["last-modified"]
    assert etag.startswith('"') and whole.headers["accept-ranges"] == "bytes"
    for validator in (etag, modified):
        part = httpx.get(url, headers={**AUTH, "Range": "bytes=100-", "If-Range": validator})
        assert part.status_code == 206
        assert part.headers["content-range"] == f"bytes 100-{len(data) - 1}/{len(data)}"
        assert part.headers["etag"] == etag
        assert part.content == data[100:]
    stale = httpx.get(url, headers={**AUTH, "Range": "bytes=100-", "If-Range": '"old"'})
    assert (stale.status_code, stale.content) == (200, data)  # a changed object: all of it
    beyond = httpx.get(url, headers={**AUTH, "Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(data)}"


def test_a_job_with_three_outputs_has_three_distinct_clips(
    server: SimulatorServer, tmp_path: Path
) -> None:
    done = _completed(server, TRIO)
    assert len(done["unsigned_urls"]) == len(done["urls"]) == 3
    seen = set()
    for i, (unsigned, signed) in enumerate(zip(done["unsigned_urls"], done["urls"], strict=True)):
        assert unsigned.endswith(f"/content?index={i}")
        data = httpx.get(unsigned, headers=AUTH).content
        assert httpx.get(signed).content == data
        (tmp_path / f"{i}.mp4").write_bytes(data)
        check_file(tmp_path / f"{i}.mp4")
        seen.add(data)
    assert len(seen) == 3
    missing = httpx.get(done["unsigned_urls"][0].replace("index=0", "index=3"), headers=AUTH)
    assert missing.status_code == 400
    assert "has 3 outputs; index 3 does not exist" in missing.json()["error"]["message"]


def test_large_json_is_gzipped_for_clients_that_ask(server: SimulatorServer) -> None:
    url = f"{server.base_url}/videos/models"
    zipped = httpx.get(url, headers={"Accept-Encoding": "gzip"})
    plain = httpx.get(url, headers={"Accept-Encoding": "identity"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert zipped.json() == plain.json()
    assert int(zipped.headers["content-length"]) < len(plain.content) / 3


def test_replies_are_not_held_back_by_nagle(server: SimulatorServer, sim: Simulator) -> None:
    httpx.get(f"{server.base_url}/videos/models")
    _completed(server)
    assert sim.requests and all(r["tcp_nodelay"] for r in sim.requests)


BIG_SERVER = r"""
import re, sys
from pathlib import Path
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Simulator, sparse_mp4

sim = Simulator(cache_dir=Path(sys.argv[1]))
job = sim.publish([sparse_mp4(Path(sys.argv[1]) / "big.mp4", 512 << 20)])
with SimulatorServer(sim) as server:
    rss = re.search(r"VmRSS:\s+(\d+)", open("/proc/self/status").read()).group(1)
    print(server.base_url, job.id, rss, flush=True)
    sys.stdin.read()  # until the test closes our stdin
"""


def test_a_big_clip_is_served_in_constant_memory(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", BIG_SERVER, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        base, job_id, rss_before = proc.stdout.readline().split()
        received = 0
        with httpx.stream("GET", f"{base}/videos/{job_id}/content", headers=AUTH) as resp:
            assert resp.status_code == 200
            for chunk in resp.iter_raw():
                received += len(chunk)
        assert received == 512 << 20
        status = Path(f"/proc/{proc.pid}/status").read_text()
        peak = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout:
            proc.stdout.close()
    assert peak - int(rss_before) < 64 * 1024  # KiB: it streamed 512 MiB


def _wakeups(tids: list[int]) -> int:
    total = 0
    for tid in tids:
        status = Path(f"/proc/self/task/{tid}/status").read_text()
        total += int(re.search(r"voluntary_ctxt_switches:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
    return total


def test_idle_servers_do_not_wake_up_and_still_stop_at_once(sim: Simulator) -> None:
    server = SimulatorServer(sim)
    server.start()
    httpx.get(f"{server.base_url}/videos/models")  # both loops have run at least once
    tids = [t.native_id for t in server.threads if t.native_id is not None]
    assert len(tids) == 2
    before = _wakeups(tids)
    # An observation window, not a timing assertion: a server polling every 50 ms
    # (socketserver's serve_forever) would wake about 20 times in it.
    time.sleep(0.5)
    woken = _wakeups(tids) - before
    server.stop()
    assert woken <= 1
    assert not any(t.is_alive() for t in server.threads)
