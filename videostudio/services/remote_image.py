"""Fetching a dropped image address, to check it and show it before it is sent.

The fetch is a stranger's server: it never gets the API key or any
Authorization (a fresh client, no auth, addresses with a user name refused),
only https (each redirect too), bounded in size and in time. It never reaches
this machine or its network: every connection (each redirect's too) is checked
on the address the name resolved to, and only public addresses are connected.
Plain http to, and connections to, loopback are allowed only when the caller
that builds the fetcher says so (``allow_http_loopback``: the tests' web server).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from videostudio import __version__

if TYPE_CHECKING:
    import httpcore
    import httpx
from videostudio.api.bodies import BoundedBody
from videostudio.api.errors import ResponseFormatError
from videostudio.core.images import MAX_IMAGE_BYTES

MAX_REDIRECTS = 5
TIMEOUT_S = 20.0


class RemoteImageError(Exception):
    """The address could not be used; the message says why, for the user."""


def image_name(url: str) -> str:
    """A short name for messages: the last part of the path, else the host."""
    parts = urlsplit(url)
    return parts.path.rstrip("/").rsplit("/", 1)[-1] or parts.hostname or url


class _BlockedAddressError(Exception):
    """A connection to a loopback, private or link-local address was refused."""


def _check(url: str, allow_http_loopback: bool) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises for a port outside 0-65535)
    except ValueError:
        raise RemoteImageError(
            f"{image_name(url)[:80]} is not a valid web address (its port or host is wrong); "
            "check the address."
        ) from None
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


def _public(address: str, allow_loopback: bool) -> bool:
    """True for an address on the internet (or loopback, when allowed)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if allow_loopback and ip.is_loopback:
        return True
    return ip.is_global and not ip.is_multicast


def _network(allow_loopback: bool) -> httpcore.AsyncNetworkBackend:
    """httpcore's own network, connecting only to public addresses: the name is resolved
    here, every address it has is checked, and the checked address is what is connected
    to (so a name cannot resolve to one address for the check and another for the
    connection). TLS still checks the certificate against the name."""
    import httpcore

    class PublicOnly(httpcore.AsyncNetworkBackend):
        def __init__(self) -> None:
            self._inner = httpcore.AnyIOBackend()

        async def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
            local_address: str | None = None,
            socket_options: Any = None,
        ) -> httpcore.AsyncNetworkStream:
            loop = asyncio.get_running_loop()
            try:
                found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except OSError as exc:
                raise httpcore.ConnectError(str(exc)) from None
            addresses = [str(info[4][0]) for info in found]
            if not addresses or not all(_public(a, allow_loopback) for a in addresses):
                raise _BlockedAddressError(host)
            return await self._inner.connect_tcp(
                addresses[0], port, timeout, local_address, socket_options
            )

        async def connect_unix_socket(
            self,
            path: str,
            timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
            socket_options: Any = None,
        ) -> httpcore.AsyncNetworkStream:
            raise _BlockedAddressError(path)

        async def sleep(self, seconds: float) -> None:
            await self._inner.sleep(seconds)

    return PublicOnly()


def _transport(allow_loopback: bool) -> httpx.AsyncHTTPTransport:
    import httpcore
    import httpx

    transport = httpx.AsyncHTTPTransport(retries=0)
    # httpx takes no network backend; its pool does. The same pool httpx would make
    # (its TLS context, no proxy: trust_env is off), on the checked network.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        network_backend=_network(allow_loopback),
    )
    return transport


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
        headers=headers,
        follow_redirects=False,
        timeout=time_limit,
        trust_env=False,
        transport=_transport(allow_http_loopback),
    ) as client:
        try:
            async with asyncio.timeout(time_limit):
                return await _follow(client, url, name, max_bytes, allow_http_loopback)
        except (TimeoutError, httpx.TimeoutException):
            raise RemoteImageError(
                f"{name} did not arrive within {time_limit:g} s; try again, or save the "
                "image and drop the file instead."
            ) from None
        except _BlockedAddressError as exc:
            raise RemoteImageError(
                f"{name}: {str(exc)[:80]} is on this computer or a private network, and image "
                "addresses are only fetched from the internet; save the image and drop the "
                "file instead."
            ) from None
        except httpx.TransportError:
            host = urlsplit(url).hostname or url
            raise RemoteImageError(
                f"{host} could not be reached for {name}; check the address, or save the "
                "image and drop the file instead."
            ) from None
        except (httpx.HTTPError, httpx.InvalidURL, ValueError):
            raise RemoteImageError(
                f"{name}: the server's answer could not be used; check the address, or save "
                "the image and drop the file instead."
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
    """The body, decoded by the API's bounded decoder (a gzip bomb stops at the cap)."""
    import httpx

    too_big = RemoteImageError(
        f"{name} is larger than {_size(max_bytes)}; save it and drop the file "
        "instead (it will be scaled down)."
    )
    declared = resp.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_big
    corrupt = RemoteImageError(
        f"{name}: the server sent data that cannot be decoded (corrupt compression); "
        "save the image and drop the file instead."
    )
    try:
        body = BoundedBody(resp.headers.get("content-encoding"), max_bytes, truncate=True)
    except ResponseFormatError:
        raise corrupt from None
    stopped: Exception | None = None
    try:
        async for raw in resp.aiter_raw():
            if stopped is not None:
                continue
            try:
                more = body.feed(raw)
            except ResponseFormatError:
                stopped, more = corrupt, False
            if not more:
                stopped = stopped or too_big
                # Close the response and let the iteration end from inside: breaking out of
                # httpx's nested async generators would leave them to a loop-less finalizer.
                await resp.aclose()
    except (httpx.StreamClosed, httpx.TransportError):
        if stopped is None:
            raise  # not our own closing: the network failed
    if stopped is not None:
        raise stopped
    try:
        return body.value()
    except ResponseFormatError:
        raise corrupt from None
