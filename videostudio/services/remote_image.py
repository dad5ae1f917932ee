"""Fetching a dropped image address, to check it and show it before it is sent.

The fetch is a stranger's server: it never gets the API key or any
Authorization (a fresh client, no auth, addresses with a user name refused),
only https (each redirect too), bounded in size and in time. Plain http is
allowed for 127.0.0.1 only when a test asks for it.
"""

from __future__ import annotations

import asyncio
import ipaddress
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from videostudio import __version__

if TYPE_CHECKING:
    import httpx
from videostudio.core.images import MAX_IMAGE_BYTES

MAX_REDIRECTS = 5
TIMEOUT_S = 20.0


class RemoteImageError(Exception):
    """The address could not be used; the message says why, for the user."""


def image_name(url: str) -> str:
    """A short name for messages: the last part of the path, else the host."""
    parts = urlsplit(url)
    return parts.path.rstrip("/").rsplit("/", 1)[-1] or parts.hostname or url


def _check(url: str, allow_http_loopback: bool) -> None:
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise RemoteImageError(
            "Image addresses with a user name or password are not fetched; "
            "save the image and drop the file instead."
        )
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and allow_http_loopback and _is_loopback(parts.hostname):
        return
    raise RemoteImageError(
        f"Only https:// image addresses can be used ({image_name(url)} is not one); "
        "save the image and drop the file instead."
    )


def _is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def fetch_image(
    url: str,
    *,
    max_bytes: int = MAX_IMAGE_BYTES,
    time_limit: float = TIMEOUT_S,
    allow_http_loopback: bool = False,
) -> bytes:
    """The bytes at ``url`` (at most ``max_bytes``, within ``time_limit`` seconds in all).

    Raises RemoteImageError with a sentence for the user.
    """
    name = image_name(url)
    _check(url, allow_http_loopback)
    headers = {"User-Agent": f"videostudio/{__version__}", "Accept": "image/*"}
    import httpx  # only when an image address is dropped: not before the first paint

    # trust_env off: no proxy credentials or netrc from the environment reach a stranger.
    async with httpx.AsyncClient(
        headers=headers, follow_redirects=False, timeout=time_limit, trust_env=False
    ) as client:
        try:
            async with asyncio.timeout(time_limit):
                return await _follow(client, url, name, max_bytes, allow_http_loopback)
        except (TimeoutError, httpx.TimeoutException):
            raise RemoteImageError(
                f"{name} did not arrive within {time_limit:g} s; try again, or save the "
                "image and drop the file instead."
            ) from None
        except httpx.TransportError as exc:
            host = urlsplit(url).hostname or url
            raise RemoteImageError(
                f"{host} could not be reached for {name} ({type(exc).__name__}); check the "
                "address, or save the image and drop the file instead."
            ) from None


async def _follow(
    client: httpx.AsyncClient, url: str, name: str, max_bytes: int, allow_http_loopback: bool
) -> bytes:
    for _ in range(MAX_REDIRECTS + 1):
        async with client.stream("GET", url) as resp:
            if resp.is_redirect and "location" in resp.headers:
                url = urljoin(url, resp.headers["location"])
                _check(url, allow_http_loopback)  # a redirect may not leave https
                continue
            if resp.status_code != 200:
                raise RemoteImageError(
                    f"{name}: the server answered HTTP {resp.status_code} instead of the "
                    "image; check the address."
                )
            return await _read_bounded(resp, name, max_bytes)
    raise RemoteImageError(f"{name}: too many redirects; check the address.")


def _size(n: int) -> str:
    return f"{n / 2**20:g} MB" if n >= 2**20 else f"{n / 2**10:g} KB"


async def _read_bounded(resp: httpx.Response, name: str, max_bytes: int) -> bytes:
    import httpx

    too_big = RemoteImageError(
        f"{name} is larger than {_size(max_bytes)}; save it and drop the file "
        "instead (it will be scaled down)."
    )
    declared = resp.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_big
    chunks: list[bytes] = []
    total = 0
    try:
        async for chunk in resp.aiter_bytes():
            total += len(chunk)
            if total > max_bytes:
                # Close the response and let the iteration end from inside: breaking out of
                # httpx's nested async generators would leave them to a loop-less finalizer.
                await resp.aclose()
                continue
            chunks.append(chunk)
    except (httpx.StreamClosed, httpx.TransportError):
        if total <= max_bytes:
            raise  # not our own closing: the network failed
    if total > max_bytes:
        raise too_big
    return b"".join(chunks)
