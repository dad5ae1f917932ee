"""One download attempt of one output, on a worker thread with a blocking read loop.

Why a thread: streaming a clip through the event loop in re-chunked pieces cost
4-5 s of CPU per GiB on the GUI's loop. Here a connection owned by the worker
(wire.py) reads the body in large pieces into one buffer, and the worker writes,
hashes and checks it off the loop; the loop hears about progress a few times a second.

What makes a part file trustworthy: the validators of the reply that started it
(ETag / Last-Modified and the total length) are kept beside it in ``<part>.meta``.
A later attempt continues it only with ``Range`` + ``If-Range`` and only when the
206 says it carries exactly the missing bytes of that same object; otherwise the
part is started over. The SHA-256 covers the bytes already on disk plus the new ones.

Redirects are followed one hop at a time, and each hop decides afresh whether it may
carry the key (only the API origin does). ``abort()`` may be called from any thread:
it records why and shuts the socket down, which wakes a read blocked in the worker.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import queue
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from videostudio.api import wire
from videostudio.api.bodies import ERROR_CAP, BoundedBody, parse_json, quote_header, scrub_cut
from videostudio.api.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    InsufficientSpaceError,
    ResponseFormatError,
    error_for_status,
)
from videostudio.api.retry import retry_after_seconds
from videostudio.core.mp4 import Mp4Error, Mp4Walker
from videostudio.platform import files

MAX_CLIP_BYTES = 2 << 30  # no provider's clip comes near 2 GiB; a bigger claim is a lie
MAX_REDIRECTS = 10
PROGRESS_INTERVAL = 0.25  # seconds between progress reports (plus the first and the last)
BLOCK = 1 << 20  # the most one read takes; on loopback a read often fills it
REDIRECTS = (301, 302, 303, 307, 308)

Notify = Callable[[int, int | None], None]
Origin = tuple[str, str, int | None]


def url_origin(url: str) -> Origin:
    """(scheme, host, port) with the scheme's default port made explicit as None."""
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    port = None if parts.port == default else parts.port
    return (parts.scheme, (parts.hostname or "").lower(), port)


@dataclass(frozen=True)
class FetchedOutput:
    """A downloaded output: complete, checked and fsynced in its part file."""

    size: int
    sha256: str  # hex SHA-256 of the whole file


@dataclass(frozen=True)
class PartMeta:
    """What a part file holds: the start of ``source`` as served with these validators."""

    source: str
    total: int
    etag: str | None = None
    last_modified: str | None = None

    @property
    def validator(self) -> str | None:
        """The If-Range value: a strong ETag, else the Last-Modified date."""
        if self.etag and not self.etag.startswith("W/"):
            return self.etag
        return self.last_modified


def meta_path(part: Path) -> Path:
    return part.with_name(part.name + ".meta")


def load_meta(part: Path) -> PartMeta | None:
    try:
        data = json.loads(meta_path(part).read_text(encoding="utf-8"))
        meta = PartMeta(**data)
    except (OSError, ValueError, TypeError):
        return None
    ok = isinstance(meta.source, str) and isinstance(meta.total, int) and meta.total > 0
    return meta if ok and meta.validator else None


def save_meta(part: Path, meta: PartMeta) -> None:
    """Write the meta atomically (a torn meta would be read as none: harmless)."""
    path = meta_path(part)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(asdict(meta)), encoding="utf-8")
    os.replace(tmp, path)


def discard(part: Path) -> None:
    """Delete a part file and its meta."""
    part.unlink(missing_ok=True)
    meta_path(part).unlink(missing_ok=True)


class _StartOverError(Exception):
    """The part cannot be continued from this reply; download the output from byte 0."""


class Transfer:
    """One GET of ``url`` into ``part``; ``run()`` on a worker thread, ``abort()`` from any.

    ``source`` names the output (stable across signed-URL refreshes). ``key`` is sent
    as a Bearer token to ``api_origin`` only, and scrubbed from error messages.
    ``notify`` receives (bytes so far, total or None) and must be thread-safe.
    """

    def __init__(
        self,
        *,
        url: str,
        source: str,
        part: Path,
        headers: Mapping[str, str],
        api_origin: Origin,
        key: str | None,
        connect_timeout: float,
        read_timeout: float,
        disk_free: Callable[[Path], int],
        clock: Callable[[], float],
        notify: Notify | None = None,
    ) -> None:
        self.url = url
        self.source = source
        self.part = part
        self._headers = dict(headers)
        self._api_origin = api_origin
        self._key = key
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._disk_free = disk_free
        self._clock = clock
        self._notify = notify
        self.headers_received = False
        self.new_bytes = 0  # bytes received by this attempt (the watchdog reads it)
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._abort: BaseException | None = None
        self._last_notice = float("-inf")

    # -- control from other threads ---------------------------------------------------------

    def abort(self, error: BaseException) -> None:
        """Stop the transfer as soon as possible; ``run()`` then raises ``error``."""
        with self._lock:
            if self._abort is None:
                self._abort = error
            self._shutdown_socket()

    def _shutdown_socket(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                # The plain socket method: SSLSocket.shutdown would also drop its TLS state
                # under the reading thread's feet. This only wakes the blocked read.
                socket.socket.shutdown(self._sock, socket.SHUT_RDWR)

    def _on_socket(self, sock: socket.socket) -> None:
        with self._lock:
            self._sock = sock
            if self._abort is not None:
                self._shutdown_socket()

    # -- the worker ----------------------------------------------------------------------------

    def run(self) -> FetchedOutput:
        """Download, check and fsync the part; keeps it only where continuing makes sense."""
        try:
            try:
                return self._attempt(*self._resume_state())
            except _StartOverError:
                discard(self.part)
                return self._attempt(0, None)
        except BaseException as exc:  # noqa: BLE001  (every failure is classified, then raised)
            if self._abort is not None:
                raise self._abort from None  # cancelled or timed out: the part stays
            raise _classified(exc, self.part) from None
        finally:
            with self._lock:
                self._sock = None

    def _resume_state(self) -> tuple[int, PartMeta | None]:
        meta = load_meta(self.part)
        try:
            size = self.part.stat().st_size
        except FileNotFoundError:
            size = 0
        if meta is None or meta.source != self.source or not 0 < size <= meta.total:
            if size or meta is not None:  # (an empty part holds nothing to distrust)
                discard(self.part)
            return 0, None
        # Ask for at least the last byte, so the server confirms the validators even
        # when a previous run got everything but was stopped before its checks.
        return min(size, meta.total - 1), meta

    def _attempt(self, offset: int, meta: PartMeta | None) -> FetchedOutput:
        headers = {"Accept": "video/mp4", "Accept-Encoding": "identity"}
        if offset and meta is not None and meta.validator:
            headers["Range"] = f"bytes={offset}-"
            headers["If-Range"] = meta.validator
        resp = self._open(headers)
        try:
            self.headers_received = True
            status = resp.status
            if status == 416:  # the part does not fit the server's object
                raise _StartOverError
            if status >= 400:
                raise self._status_error(resp)
            if status not in (200, 206) or (status == 206 and not offset):
                raise ResponseFormatError(
                    f"The download answered HTTP {status} instead of 200 with the video."
                )
            ctype = resp.headers.get("content-type", "")
            if not ctype.startswith("video/"):
                shown = quote_header(ctype, self._key) if ctype else "no type"
                raise ResponseFormatError(f"The download is not a video (type {shown}).")
            if resp.headers.get("content-encoding", "identity").lower() != "identity":
                raise ResponseFormatError("The video was sent compressed; it was asked for as is.")
            total: int | None
            if status == 206 and meta is not None:
                start, total = self._continued_range(resp, offset, meta)
            else:
                start, total = 0, _content_length(resp)
            if total is not None and total > MAX_CLIP_BYTES:
                raise ResponseFormatError(
                    f"The server announced {total:,} bytes, larger than any clip "
                    f"(max {MAX_CLIP_BYTES >> 30} GiB); the download was refused."
                )
            if total is not None:
                self._check_space(total - start)
            return self._write(resp, start, total)
        finally:
            resp.close()

    def _open(self, headers: dict[str, str]) -> wire.Response:
        """Send the GET, following redirects by hand (each hop re-checks where the key goes)."""
        url = self.url
        for _ in range(MAX_REDIRECTS + 1):
            hop = {**self._headers, **headers}
            if self._key and url_origin(url) == self._api_origin:
                hop["Authorization"] = f"Bearer {self._key}"
            resp = wire.get(
                url,
                hop,
                connect_timeout=self._connect_timeout,
                read_timeout=self._read_timeout,
                on_socket=self._on_socket,
            )
            location = resp.headers.get("location")
            if resp.status not in REDIRECTS or not location:
                return resp
            resp.close()
            url = redirect_target(url, location, self._key)
        raise ResponseFormatError(
            f"The download was redirected more than {MAX_REDIRECTS} times (a redirect loop)."
        )

    def _status_error(self, resp: wire.Response) -> APIStatusError:
        body = BoundedBody(None, ERROR_CAP, truncate=True)
        with contextlib.suppress(wire.WireDropped, wire.WireGarbage, ResponseFormatError):
            raw = resp.read(ERROR_CAP + 1024)
            body = BoundedBody(resp.headers.get("content-encoding"), ERROR_CAP, truncate=True)
            body.feed(raw)
        return status_error(resp.status, body.value(), resp.headers, self._key)

    def _continued_range(self, resp: wire.Response, offset: int, meta: PartMeta) -> tuple[int, int]:
        """(start, total) of a 206 that continues the part exactly, else _StartOverError."""
        unit, _, spec = resp.headers.get("content-range", "").partition(" ")
        span, _, total_text = spec.partition("/")
        first, _, last = span.partition("-")
        numbers = (first, last, total_text)
        if unit != "bytes" or not all(n.isdigit() for n in numbers):
            raise _StartOverError
        start, end, total = (int(n) for n in numbers)
        etag = resp.headers.get("etag")
        same_object = etag is None or meta.etag is None or etag == meta.etag
        if start != offset or total != meta.total or end != total - 1 or not same_object:
            raise _StartOverError
        length = _content_length(resp)
        if length is not None and length != total - start:
            raise ResponseFormatError("The partial reply's length does not match its range.")
        return start, total

    def _check_space(self, needed: int) -> None:
        free = self._disk_free(self.part.parent)
        if needed > free:
            raise InsufficientSpaceError(needed, free)

    def _start_meta(self, resp: wire.Response, total: int | None) -> None:
        """Record what a fresh part will hold, or that it cannot be continued."""
        meta = PartMeta(
            self.source,
            total or 0,
            resp.headers.get("etag"),
            resp.headers.get("last-modified"),
        )
        if total and meta.validator:
            save_meta(self.part, meta)
        else:
            meta_path(self.part).unlink(missing_ok=True)

    def _write(self, resp: wire.Response, start: int, total: int | None) -> FetchedOutput:
        sha = hashlib.sha256()
        walker = Mp4Walker(expected_size=total)
        flags = os.O_RDWR | os.O_CREAT | (0 if start else os.O_TRUNC)
        fd = files.open_for_writing(self.part, flags)
        try:
            if start:
                self._read_prefix(fd, start, sha, walker)
                os.ftruncate(fd, start)
            else:
                self._start_meta(resp, total)  # only once the old bytes are gone
            with _HashPipe(sha) as hasher:
                received = self._stream(resp, fd, start, total, walker, hasher)
            if self._abort is not None:
                raise self._abort  # the socket was shut: this is not the end of the body
            _checked(walker.finish)
            files.durable_fsync(fd)  # a finished clip: F_FULLFSYNC on macOS
        finally:
            os.close(fd)
        self._report(received, total, force=True)
        return FetchedOutput(received, sha.hexdigest())

    def _stream(
        self,
        resp: wire.Response,
        fd: int,
        start: int,
        total: int | None,
        walker: Mp4Walker,
        hasher: _HashPipe,
    ) -> int:
        """Read, check and write the body; the hasher works on each block meanwhile."""
        received = start
        limit = total if total is not None else MAX_CLIP_BYTES
        self._report(received, total, force=True)
        while True:
            buffer = hasher.buffer()
            n = resp.readinto(buffer)
            if not n:
                hasher.recycle(buffer)
                return received
            chunk = buffer[:n]
            _checked(walker.feed, chunk)
            received += n
            if received > limit:
                raise ResponseFormatError("The server sent more bytes than any clip has.")
            self._write_all(fd, chunk, received, total)
            hasher.add(buffer, n)
            self.new_bytes += n
            self._report(received, total)

    def _read_prefix(self, fd: int, length: int, sha: Any, walker: Mp4Walker) -> None:
        """Hash and check the bytes already in the part (they count toward the whole)."""
        os.lseek(fd, 0, os.SEEK_SET)
        done = 0
        while done < length:
            block = os.read(fd, min(BLOCK, length - done))
            if not block:
                raise _StartOverError
            _checked(walker.feed, block)
            sha.update(block)
            done += len(block)

    def _write_all(self, fd: int, chunk: memoryview, received: int, total: int | None) -> None:
        view = chunk
        try:
            while view:
                view = view[os.write(fd, view) :]
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
            discard(self.part)  # a part that cannot be finished must not keep the disk full
            needed = (total if total is not None else received) - received + len(view)
            raise InsufficientSpaceError(needed, self._disk_free(self.part.parent)) from None

    def _report(self, received: int, total: int | None, *, force: bool = False) -> None:
        if self._notify is None:
            return
        now = self._clock()
        if force or now - self._last_notice >= PROGRESS_INTERVAL:
            self._last_notice = now
            self._notify(received, total)


class _HashPipe:
    """SHA-256 on a thread of its own, over the blocks the reader has just written.

    Hashing a GiB takes about as long as receiving and writing it; side by side on
    two cores the download takes the longer of the two instead of their sum. A few
    reused buffers circulate between reader and hasher, so memory stays constant.
    """

    def __init__(self, sha: Any, buffers: int = 4) -> None:
        self._sha = sha
        self._free: queue.SimpleQueue[memoryview] = queue.SimpleQueue()
        self._full: queue.SimpleQueue[tuple[memoryview, int] | None] = queue.SimpleQueue()
        for _ in range(buffers):
            self._free.put(memoryview(bytearray(BLOCK)))
        self._thread = threading.Thread(target=self._run, name="videostudio-hash", daemon=True)

    def __enter__(self) -> _HashPipe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._full.put(None)
        self._thread.join()

    def buffer(self) -> memoryview:
        """A free buffer to read into (waits while the hasher is behind by all of them)."""
        return self._free.get()

    def add(self, buffer: memoryview, length: int) -> None:
        self._full.put((buffer, length))

    def recycle(self, buffer: memoryview) -> None:
        self._free.put(buffer)

    def _run(self) -> None:
        while (item := self._full.get()) is not None:
            buffer, length = item
            self._sha.update(buffer[:length])
            self._free.put(buffer)


def _checked(step: Callable[..., None], *args: Any) -> None:
    """Run an Mp4Walker step, turning its verdict into ResponseFormatError."""
    try:
        step(*args)
    except Mp4Error as exc:
        raise ResponseFormatError(f"The downloaded file is not an MP4 video: {exc}.") from None


def _content_length(resp: wire.Response) -> int | None:
    value = resp.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


def redirect_target(base: str, location: str, secret: str | None) -> str:
    """Where a redirect points; only http(s) targets are followed."""
    try:
        url = urljoin(base, location.strip())
        parts = urlsplit(url)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        ok = False
    if not ok:
        shown = quote_header(location, secret)
        raise ResponseFormatError(f"The server redirected to a non-http(s) address: {shown}.")
    return url


def status_error(
    status: int, body: bytes, headers: Mapping[str, str], secret: str | None
) -> APIStatusError:
    """The error for an error reply, built from its decoded body with the key scrubbed."""
    try:
        envelope = parse_json(body, secret)
    except ResponseFormatError:
        envelope = None
    if envelope is not None:
        text = json.dumps(envelope, ensure_ascii=False)
    else:
        text = scrub_cut(body.decode("utf-8", "replace"), secret)  # cut at a cap: maybe mid-key
    return error_for_status(status, text, envelope, retry_after_seconds(headers))


def _classified(exc: BaseException, part: Path) -> BaseException:
    """The client's own error for what ended a transfer; drops the part unless resumable."""
    if isinstance(exc, wire.WireDropped):
        if exc.timed_out:
            return APITimeoutError(f"Downloading the video timed out: {exc}.")
        return APIConnectionError(f"Downloading the video failed: {exc}.")
    if isinstance(exc, (APIConnectionError, InsufficientSpaceError)):
        return exc  # a drop keeps the part; a full disk has already dropped it if needed
    if isinstance(exc, APIStatusError) and (exc.status_code == 429 or exc.status_code >= 500):
        return exc  # the server is busy; what is on disk is still good
    with contextlib.suppress(OSError):
        discard(part)
    if isinstance(exc, wire.WireGarbage):
        return ResponseFormatError(f"The download's reply could not be read: {exc}.")
    if isinstance(exc, _StartOverError):  # refused a range even when none was asked for
        return ResponseFormatError("The server refused to send the video from its start.")
    return exc
