"""Dropped image addresses are fetched (bounded, https only, never with a key), checked and
shown; or the window says why not. A small http.server on loopback plays the web."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtGui import QColor

from tests.test_simulator_clips import _png
from tests.ui.conftest import Studio, until
from videostudio.services.remote_image import RemoteImageError, fetch_image

SUNSET = base64.b64decode(_png("#ff7e5f", 320, 180).split(",", 1)[1])


class Web:
    """Pages by path: (status, headers, body); every request's headers are kept."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.seen: list[dict[str, str]] = []
        self.hold = threading.Event()  # "/slow" waits on it
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        web = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                web.seen.append(dict(self.headers.items()))
                if self.path == "/slow":
                    web.hold.wait(10)
                    return
                status, headers, body = web.pages.get(self.path, (404, {}, b"not found"))
                self.send_response(status)
                for key, value in {"Content-Length": str(len(body)), **headers}.items():
                    if value:  # an empty value leaves the header out
                        self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

        return Handler


@pytest.fixture
def web() -> Iterator[Web]:
    w = Web()
    thread = threading.Thread(target=w.server.serve_forever, daemon=True)
    thread.start()
    w.pages["/sunset.png"] = (200, {"Content-Type": "image/png"}, SUNSET)
    w.pages["/notes.png"] = (200, {"Content-Type": "image/png"}, b"this is not a picture")
    yield w
    w.hold.set()
    w.server.shutdown()
    w.server.server_close()


def drop_urls(studio: Studio, *urls: str) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl(u) for u in urls])
    assert studio.window.compose.images.accept_mime(mime)


async def test_a_dropped_image_address_is_fetched_and_shown(studio: Studio, web: Web) -> None:
    zone = studio.window.compose.images
    drop_urls(studio, f"{web.base}/sunset.png")
    await until(zone.tile_ids, what="the tile")
    assert zone.messages() == [("sunset.png: web address, 320 x 180.", "info")]
    tile = zone._tiles[zone.tile_ids()[0]]
    thumb = tile.thumbnail.pixmap().toImage()
    centre = QColor(thumb.pixel(thumb.width() // 2, thumb.height() // 2))
    assert abs(centre.red() - 0xFF) < 8 and abs(centre.green() - 0x7E) < 8  # the real picture
    # The address itself is sent: the provider fetches it.
    request = studio.controller.build_request("x", "google/veo-3.1-fast", {})
    assert request.images[0].url == f"{web.base}/sunset.png"
    # A stranger's server never sees the key.
    assert web.seen
    for headers in web.seen:
        assert "Authorization" not in headers
        assert "sk-or-v1-ui" not in str(headers)


async def test_an_address_that_is_no_image_says_why(studio: Studio, web: Web) -> None:
    zone = studio.window.compose.images
    drop_urls(studio, f"{web.base}/notes.png", f"{web.base}/gone.png")
    await until(
        lambda: [kind for _text, kind in zone.messages()] == ["error", "error"],
        what="both refusals",
    )
    (notes, notes_kind), (gone, gone_kind) = zone.messages()
    assert notes.startswith("notes.png is not a PNG, JPEG, WebP or GIF")
    assert gone == "gone.png: the server answered HTTP 404 instead of the image; check the address."
    assert notes_kind == gone_kind == "error"
    assert zone.tile_ids() == []


async def test_only_https_is_fetched_in_production(web: Web) -> None:
    with pytest.raises(RemoteImageError, match=r"Only https:// image addresses"):
        await fetch_image(f"{web.base}/sunset.png")  # the app's default: no http at all
    assert web.seen == []


async def test_a_redirect_may_not_leave_https(web: Web) -> None:
    web.pages["/moved.png"] = (302, {"Location": "http://images.example/sunset.png"}, b"")
    with pytest.raises(RemoteImageError, match=r"Only https://.*sunset.png is not one"):
        await fetch_image(f"{web.base}/moved.png", allow_http_loopback=True)
    web.pages["/here.png"] = (302, {"Location": "/sunset.png"}, b"")
    assert await fetch_image(f"{web.base}/here.png", allow_http_loopback=True) == SUNSET


async def test_addresses_with_credentials_are_not_fetched(web: Web) -> None:
    url = web.base.replace("http://", "http://user:secret@") + "/sunset.png"
    with pytest.raises(RemoteImageError, match="user name or password"):
        await fetch_image(url, allow_http_loopback=True)
    assert web.seen == []


async def test_size_is_bounded_declared_or_not(web: Web) -> None:
    assert len(SUNSET) > 256
    with pytest.raises(RemoteImageError, match=r"sunset.png is larger than 0.25 KB"):
        await fetch_image(f"{web.base}/sunset.png", max_bytes=256, allow_http_loopback=True)
    # A server that does not say the length is cut off at the bound too.
    web.pages["/liar.png"] = (200, {"Content-Length": ""}, SUNSET + b"\0" * 8192)
    with pytest.raises(RemoteImageError, match="larger than 4 KB"):
        await fetch_image(f"{web.base}/liar.png", max_bytes=4096, allow_http_loopback=True)


async def test_time_is_bounded(web: Web) -> None:
    with pytest.raises(RemoteImageError, match=r"slow did not arrive within 0.3 s"):
        await fetch_image(f"{web.base}/slow", time_limit=0.3, allow_http_loopback=True)


async def test_an_unreachable_host_says_so() -> None:
    with pytest.raises(RemoteImageError, match=r"127.0.0.1 could not be reached for x.png"):
        await fetch_image("http://127.0.0.1:9/x.png", allow_http_loopback=True)
