"""The key goes only to the configured API origin: never to storage, never across a redirect."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from videostudio.api.client import VideoClient, check_base_url
from videostudio.core.models import GenerationRequest
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Simulator

KEY = "sk-or-v1-ORIGIN-TEST-KEY"
REQ = GenerationRequest(model="google/veo-3.1-fast", prompt="p", duration=4)


def _auth_by_port(sim: Simulator) -> dict[int, set[str | None]]:
    seen: dict[int, set[str | None]] = {}
    for r in sim.requests:
        seen.setdefault(r["port"], set()).add(r["headers"].get("Authorization"))
    return seen


async def test_signed_url_download_carries_no_key(
    server: SimulatorServer, sim: Simulator, tmp_path: Path
) -> None:
    async with VideoClient(api_key=KEY, base_url=server.base_url) as c:
        job = await c.generate(REQ)
        done = await c.get_generation(job.id)
        await c.download_url(done.urls[0], tmp_path / "signed.mp4")
    assert (tmp_path / "signed.mp4").read_bytes()[4:8] == b"ftyp"
    seen = _auth_by_port(sim)
    storage_port = int(done.urls[0].split(":")[2].split("/")[0])
    assert seen[storage_port] == {None}
    assert seen[server.port] == {f"Bearer {KEY}"}


async def test_off_origin_redirect_drops_the_key(
    server: SimulatorServer, sim: Simulator, tmp_path: Path
) -> None:
    # Make a finished job on the simulator and learn its signed storage URL.
    async with VideoClient(api_key="other", base_url=server.base_url) as c:
        job = await c.generate(REQ)
        signed = (await c.get_generation(job.id)).urls[0]

    seen: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("Authorization"))
            self.send_response(302)
            self.send_header("Location", signed)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    try:
        api = f"http://127.0.0.1:{httpd.server_address[1]}/api/v1"
        sim.requests.clear()
        async with VideoClient(api_key=KEY, base_url=api) as c:
            await c.download(job.id, tmp_path / "via-redirect.mp4")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert seen == [f"Bearer {KEY}"]  # the API origin gets the key...
    assert [r["headers"].get("Authorization") for r in sim.requests] == [None]  # ...storage never
    assert (tmp_path / "via-redirect.mp4").stat().st_size > 1000


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://openrouter.ai/api/v1", True),
        ("http://127.0.0.1:8787/api/v1", True),
        ("http://localhost:8787/api/v1", True),
        ("http://[::1]:8787/api/v1", True),
        ("http://openrouter.ai/api/v1", False),
        ("http://192.168.1.5/api/v1", False),
        ("ftp://openrouter.ai/api/v1", False),
    ],
)
def test_plain_http_is_refused_unless_loopback(url: str, ok: bool) -> None:
    if ok:
        assert check_base_url(url + "/") == url
    else:
        with pytest.raises(ValueError, match=r"https|http\(s\)"):
            check_base_url(url)
