"""One blocking HTTP/1.1 GET on a connection the calling thread owns (stdlib http.client).

Downloads use this instead of httpx. Through httpx a body arrives in 64 KiB pieces,
each parsed by h11 and allocated anew; here, once http.client has read the status
line and headers, the body is read straight from the connection's buffered reader
with ``readinto1``: one recv per call, up to a MiB at a time, into one reused buffer.
On loopback that is faster than curl writing the same file.

What httpx gave for free is kept: the same CA bundle (``httpx.create_ssl_context``),
proxies from the environment (http:// proxies; CONNECT tunnels for https), timeouts.
Redirects and the key are the caller's (transfer.py) business, one hop at a time.

Every failure of the network or the peer comes out as one of two exceptions:
``WireDropped`` (the connection broke or timed out: worth another try) and
``WireGarbage`` (what came back is not HTTP). Local file errors never pass through
here, so the caller can tell a full disk from a lost network.
"""

from __future__ import annotations

import base64
import http.client
import socket
import ssl
import urllib.request
from collections.abc import Callable, Mapping
from urllib.parse import SplitResult, unquote, urlsplit

import httpx


class WireDropped(Exception):  # noqa: N818  (a condition, not a programming error)
    """The connection failed, broke or timed out (``timed_out`` tells which)."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


class WireGarbage(Exception):  # noqa: N818
    """The peer answered with something that is not an HTTP/1.x reply."""


def _translated(exc: BaseException) -> Exception:
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return WireDropped(f"timed out ({type(exc).__name__})", timed_out=True)
    if isinstance(exc, (http.client.IncompleteRead, http.client.RemoteDisconnected)):
        return WireDropped(f"the connection broke ({type(exc).__name__})")
    if isinstance(exc, (http.client.HTTPException, http.client.InvalidURL)):
        return WireGarbage(f"the reply is not HTTP ({type(exc).__name__})")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return WireDropped(f"the server's certificate is not trusted ({exc.verify_message})")
    return WireDropped(f"the connection broke ({type(exc).__name__})")


class Response:
    """The reply to one GET: status, headers, and its body read on demand."""

    def __init__(self, conn: http.client.HTTPConnection, resp: http.client.HTTPResponse) -> None:
        self._conn = conn
        self._resp = resp
        self.status = resp.status
        self.headers: dict[str, str] = {}  # lower-case names; the first of repeated ones
        for name, value in resp.headers.items():
            self.headers.setdefault(name.lower(), value)
        # Only a body with a plain Content-Length (or none, ended by closing) is read
        # from the buffered reader directly; chunked framing is left to http.client.
        self._direct = not resp.chunked
        length = resp.getheader("content-length", "")
        self._remaining: int | None = int(length) if length.isdigit() else None

    def readinto(self, buffer: memoryview) -> int:
        """Read up to ``len(buffer)`` body bytes with one receive; 0 at the end of the body."""
        try:
            if not self._direct:
                return self._resp.readinto(buffer)
            if self._remaining is not None:
                if self._remaining == 0:
                    return 0
                buffer = buffer[: self._remaining]
            if self._resp.fp is None:  # http.client has already seen the end
                return 0
            n = self._resp.fp.readinto1(buffer)
        except (OSError, http.client.HTTPException) as exc:
            raise _translated(exc) from None
        if self._remaining is not None:
            if n == 0:
                raise WireDropped(f"the connection closed {self._remaining:,} bytes early")
            self._remaining -= n
        return n

    def read(self, limit: int) -> bytes:
        """Up to ``limit`` bytes of the body (for small error replies)."""
        try:
            return self._resp.read(limit)
        except (OSError, http.client.HTTPException) as exc:
            raise _translated(exc) from None

    def close(self) -> None:
        self._resp.close()  # (which holds the socket when the server said "close")
        self._conn.close()  # never reused: one connection per GET


def get(
    url: str,
    headers: Mapping[str, str],
    *,
    connect_timeout: float,
    read_timeout: float,
    on_socket: Callable[[socket.socket], None],
) -> Response:
    """Connect (through a proxy if the environment names one), send the GET, read the headers.

    ``on_socket`` receives the connection's socket as soon as it exists, so another
    thread can shut it down to wake a read that would otherwise block.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WireGarbage(f"not an http(s) address: {url[:80]!r}")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    extra: dict[str, str] = {}
    proxy = _proxy_for(parts)
    host, port = parts.hostname, parts.port
    auth = _proxy_authorization(proxy) if proxy is not None else {}
    if proxy is not None:
        host, port = proxy.hostname or "", proxy.port or 80
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(
            host, port, timeout=connect_timeout, context=httpx.create_ssl_context()
        )
        if proxy is not None:
            conn.set_tunnel(parts.hostname, parts.port, headers=auth)
    else:
        conn = http.client.HTTPConnection(host, port, timeout=connect_timeout)
        if proxy is not None:
            target = parts.geturl()  # a plain-http proxy takes the absolute URL
            extra.update(auth)
    try:
        conn.connect()
        sock: socket.socket = conn.sock
        on_socket(sock)
        sock.settimeout(read_timeout)
        conn.putrequest("GET", target, skip_accept_encoding=True)
        for name, value in {**headers, **extra}.items():
            conn.putheader(name, value)
        conn.endheaders()
        return Response(conn, conn.getresponse())
    except (OSError, http.client.HTTPException, http.client.InvalidURL) as exc:
        conn.close()
        raise _translated(exc) from None
    except BaseException:
        conn.close()
        raise


def _proxy_for(parts: SplitResult) -> SplitResult | None:
    """The proxy the environment names for this URL (as httpx would use), or None."""
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(parts.netloc):
        return None
    found = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    if found.scheme != "http" or not found.hostname:
        raise WireDropped(f"the proxy {found.scheme}://{found.hostname} is not supported")
    return found


def _proxy_authorization(proxy: SplitResult) -> dict[str, str]:
    if proxy.username is None:
        return {}
    pair = f"{unquote(proxy.username)}:{unquote(proxy.password or '')}".encode()
    return {"Proxy-Authorization": "Basic " + base64.b64encode(pair).decode()}
