"""The asynchronous OpenRouter video client (httpx, no Qt).

Four operations: submit (POST /videos), poll (GET /videos/{id}), download
(GET /videos/{id}/content?index=N) and the model catalogue (GET /videos/models).

Money and keys shape the rules here:
- the submit is resent only when it provably never left this machine (connect
  failures) or the server refused it outright (429); anything else may have
  created a billed job, so the caller gets SubmitOutcomeUnknownError instead;
- GETs retry with backoff on connection errors, 429 and 5xx;
- the key is attached only to requests for the configured API origin, so signed
  storage URLs and off-origin redirects never see it.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import ipaddress
import json
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from videostudio import __version__
from videostudio.api.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ResponseFormatError,
    SubmitOutcomeUnknownError,
    error_for_status,
)
from videostudio.api.retry import RetryPolicy, retry_after_seconds
from videostudio.core.models import (
    GenerationRequest,
    ParseError,
    VideoJob,
    VideoModel,
    parse_model_list,
)

log = logging.getLogger("videostudio.api")

DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"
KeyProvider = Callable[[], str | None]
ProgressCallback = Callable[[int, int | None], None]
RetryCallback = Callable[["RetryNotice"], None]
CHUNK = 1 << 16


@dataclass(frozen=True)
class Attribution:
    """The app-attribution headers OpenRouter uses for its app rankings."""

    referer: str = "https://github.com/videostudio/videostudio"
    title: str = "videostudio"
    categories: str = "desktop-app,video-gen"

    def headers(self) -> dict[str, str]:
        pairs = {
            "HTTP-Referer": self.referer,
            "X-OpenRouter-Title": self.title,
            "X-OpenRouter-Categories": self.categories,
        }
        return {k: v for k, v in pairs.items() if v}


@dataclass(frozen=True)
class Timeouts:
    """Per-call timeouts: a poll is small; a data-URL submit and a download need long reads.

    The download read timeout is what turns a stalled body into an error instead of a hang.
    """

    poll: float = 30.0
    models: float = 30.0
    submit: float = 120.0
    download: float = 60.0
    connect: float = 10.0

    def of(self, call: str) -> httpx.Timeout:
        return httpx.Timeout(getattr(self, call), connect=self.connect)


@dataclass(frozen=True)
class FetchedOutput:
    """A downloaded output, checked: its size and the SHA-256 of the whole file."""

    size: int
    sha256: str


@dataclass(frozen=True)
class RetryNotice:
    """Told to the caller before each retry, so a UI can say "retrying in N s"."""

    attempt: int
    delay: float
    error: Exception


def origin(url: str | httpx.URL) -> tuple[str, str, int | None]:
    u = httpx.URL(str(url))
    return (u.scheme, u.host, u.port)


def check_base_url(url: str) -> str:
    """Return the base URL without a trailing slash; refuse plain http except on loopback."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"The API address must be an http(s) URL, got {url!r}.")
    if parts.scheme == "http":
        host = parts.hostname
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise ValueError(
                f"Refusing to send the API key over plain http to {host}; use an https URL."
            )
    return url.strip().rstrip("/")


class _OriginBearer(httpx.Auth):
    """Adds ``Authorization: Bearer`` only for the API origin (never storage hosts)."""

    def __init__(self, api_origin: tuple[str, str, int | None], key: KeyProvider) -> None:
        self._origin = api_origin
        self._key = key

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]  # httpx's generator protocol
        if origin(request.url) == self._origin:
            key = self._key()
            if key:
                request.headers["Authorization"] = f"Bearer {key}"
        yield request


def _is_retryable_status(status: int) -> bool:
    return status == 429 or status >= 500


def _transport_error(exc: httpx.TransportError, what: str) -> APIConnectionError:
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"{what} timed out ({type(exc).__name__}).")
    return APIConnectionError(f"{what} failed: could not reach the server ({type(exc).__name__}).")


def _never_sent(exc: httpx.TransportError) -> bool:
    """True when the request cannot have reached the server (no connection was made)."""
    return isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


def _is_mp4(head: bytes) -> bool:
    return len(head) >= 8 and head[4:8] == b"ftyp"


class VideoClient:
    """OpenRouter's video API over one shared httpx.AsyncClient (connection reuse).

    ``api_key`` is a string or a callable asked before every request (so a key
    replaced in the keychain takes effect at once). ``sleep`` is injectable so
    tests run retry sequences without waiting.
    """

    def __init__(
        self,
        *,
        api_key: str | KeyProvider | None = None,
        base_url: str | None = None,
        attribution: Attribution | None = None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = check_base_url(
            base_url or os.environ.get("OPENROUTER_BASE_URL") or DEFAULT_BASE_URL
        )
        key: KeyProvider = api_key if callable(api_key) else (lambda: api_key)
        self._key = key
        self.retry = retry or RetryPolicy()
        self.timeouts = timeouts or Timeouts()
        self._sleep = sleep
        headers = {
            "User-Agent": f"videostudio/{__version__} httpx/{httpx.__version__}",
            **(attribution or Attribution()).headers(),
        }
        self._http = httpx.AsyncClient(
            auth=_OriginBearer(origin(self.base_url), key),
            headers=headers,
            follow_redirects=True,
            transport=transport,
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        )

    async def __aenter__(self) -> VideoClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def job_url(self, job_id: str) -> str:
        """Poll URL built from the id (polling_url may be relative or absolute; ignore it)."""
        return f"{self.base_url}/videos/{quote(job_id, safe='')}"

    def content_url(self, job_id: str, index: int = 0) -> str:
        return f"{self.job_url(job_id)}/content?index={index}"

    # -- operations --------------------------------------------------------------------

    async def generate(
        self, request: GenerationRequest, *, on_retry: RetryCallback | None = None
    ) -> VideoJob:
        """Submit a job. Resent only when it provably did not reach the server, or on 429."""
        body = json.dumps(request.to_json()).encode()
        url = f"{self.base_url}/videos"
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        attempt = 0
        while True:
            attempt += 1
            try:
                resp = await self._http.post(
                    url, content=body, headers=headers, timeout=self.timeouts.of("submit")
                )
            except httpx.TransportError as exc:
                if not _never_sent(exc):
                    raise SubmitOutcomeUnknownError(
                        "The request was sent but no reply came back "
                        f"({type(exc).__name__}); the job may have been created."
                    ) from None
                error: Exception = _transport_error(exc, "Submitting the job")
                retry_after = None
            else:
                if resp.is_success:
                    return self._parse_job(resp)
                error = self._status_error(resp.status_code, resp.content, resp.headers)
                if resp.status_code != 429:
                    raise error
                retry_after = error.retry_after
            if attempt >= self.retry.max_attempts:
                raise error
            await self._backoff(attempt, retry_after, error, on_retry)

    async def get_generation(
        self, job_id: str, *, on_retry: RetryCallback | None = None
    ) -> VideoJob:
        """Poll one job."""
        resp = await self._get(self.job_url(job_id), self.timeouts.of("poll"), on_retry)
        return self._parse_job(resp)

    async def list_models(self, *, on_retry: RetryCallback | None = None) -> list[VideoModel]:
        """The video model catalogue; entries that do not parse are skipped and logged."""
        resp = await self._get(
            f"{self.base_url}/videos/models", self.timeouts.of("models"), on_retry
        )
        data = self._json(resp)
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise ResponseFormatError("The model list reply has no 'data' array.")
        models, skipped = parse_model_list(items)
        for why in skipped:
            log.warning("skipping a model entry that does not parse: %s", why)
        return models

    async def download(
        self,
        job_id: str,
        dest: Path,
        *,
        index: int = 0,
        progress: ProgressCallback | None = None,
        on_retry: RetryCallback | None = None,
        keep_partial: bool = False,
    ) -> int:
        """Download output ``index`` of a job to ``dest``; returns the byte count."""
        return await self.download_url(
            self.content_url(job_id, index),
            dest,
            progress=progress,
            on_retry=on_retry,
            keep_partial=keep_partial,
        )

    async def fetch_output(
        self,
        job_id: str,
        index: int,
        part: Path,
        *,
        progress: ProgressCallback | None = None,
        on_retry: RetryCallback | None = None,
    ) -> FetchedOutput:
        """Download output ``index`` into ``part``, checked; the caller records it, moves it."""
        size = await self._fetch(self.content_url(job_id, index), part, progress, on_retry, True)
        digest = await asyncio.to_thread(_sha256_of, part)
        return FetchedOutput(size, digest)

    async def download_url(
        self,
        url: str,
        dest: Path,
        *,
        progress: ProgressCallback | None = None,
        on_retry: RetryCallback | None = None,
        keep_partial: bool = False,
    ) -> int:
        """Stream ``url`` to ``dest.part``, check it, fsync it and rename it to ``dest``.

        ``url`` may be the API's content URL (sent with the key) or a signed
        storage URL (sent without it).
        """
        part = partial_path(dest)
        size = await self._fetch(url, part, progress, on_retry, keep_partial)
        await asyncio.to_thread(move_into_place, part, dest)
        return size

    async def _fetch(
        self,
        url: str,
        part: Path,
        progress: ProgressCallback | None,
        on_retry: RetryCallback | None,
        keep_partial: bool,
    ) -> int:
        """Stream ``url`` into ``part``, continuing it with Range where the server allows.

        A broken transfer is continued with a Range request where the server answers
        206, else restarted. On failure the part is removed unless ``keep_partial``.
        """
        attempt = 0
        try:
            while True:
                attempt += 1
                try:
                    return await self._stream_to(url, part, progress)
                except (APIConnectionError, APIStatusError) as exc:
                    retryable = isinstance(exc, APIConnectionError) or _is_retryable_status(
                        exc.status_code
                    )
                    if not isinstance(exc, APIConnectionError):
                        _discard(part)  # an error reply: start over next time
                    if not retryable or attempt >= self.retry.max_attempts:
                        raise
                    retry_after = exc.retry_after if isinstance(exc, APIStatusError) else None
                    await self._backoff(attempt, retry_after, exc, on_retry)
        except ResponseFormatError:
            _discard(part)  # not the video: nothing worth continuing
            raise
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                _discard(part)  # a partial file must not keep the disk full
            raise
        except BaseException:
            if not keep_partial:
                _discard(part)
            raise

    # -- plumbing ------------------------------------------------------------------------

    async def _stream_to(self, url: str, part: Path, progress: ProgressCallback | None) -> int:
        """One attempt: continue ``part`` from its size (Range) or write it afresh."""
        offset = await asyncio.to_thread(_size_or_zero, part)
        headers = {"Accept": "video/mp4", "Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        try:
            async with self._http.stream(
                "GET", url, headers=headers, timeout=self.timeouts.of("download")
            ) as resp:
                if resp.status_code == 416:  # our partial file does not fit the server's
                    await asyncio.to_thread(part.unlink, missing_ok=True)
                    raise APIConnectionError("The partial download did not match; restarting.")
                if resp.status_code >= 400:
                    body = await resp.aread()
                    raise self._status_error(resp.status_code, body, resp.headers)
                start = _range_start(resp) if resp.status_code == 206 else 0
                if resp.status_code not in (200, 206) or start not in (0, offset):
                    raise ResponseFormatError(
                        f"The download answered HTTP {resp.status_code} instead of 200."
                    )
                ctype = resp.headers.get("content-type", "")
                if not ctype.startswith("video/"):
                    raise ResponseFormatError(f"The download is not a video (type {ctype!r}).")
                length = resp.headers.get("content-length")
                total = start + int(length) if length and length.isdigit() else None
                if resp.headers.get("content-encoding", "identity") != "identity":
                    total = None  # the length counts encoded bytes, not the file's
                received = start
                with part.open("r+b" if start else "wb") as f:
                    f.seek(start)
                    f.truncate()
                    async for chunk in resp.aiter_bytes(CHUNK):
                        f.write(chunk)
                        received += len(chunk)
                        if progress:
                            progress(received, total)
                    await asyncio.to_thread(_fsync, f)
        except httpx.TransportError as exc:
            raise _transport_error(exc, "Downloading the video") from None
        if total is not None and received != total:
            raise APIConnectionError(f"The download stopped at {received} of {total} bytes.")
        with part.open("rb") as f:
            head = f.read(12)
        if not _is_mp4(head):
            raise ResponseFormatError("The downloaded file is not an MP4 video.")
        return received

    async def _get(
        self, url: str, call_timeout: httpx.Timeout, on_retry: RetryCallback | None
    ) -> httpx.Response:
        attempt = 0
        while True:
            attempt += 1
            retry_after = None
            try:
                resp = await self._http.get(
                    url, headers={"Accept": "application/json"}, timeout=call_timeout
                )
            except httpx.TransportError as exc:
                error: Exception = _transport_error(exc, "Contacting the server")
            else:
                if resp.is_success:
                    return resp
                error = self._status_error(resp.status_code, resp.content, resp.headers)
                if not _is_retryable_status(resp.status_code):
                    raise error
                retry_after = error.retry_after
            if attempt >= self.retry.max_attempts:
                raise error
            await self._backoff(attempt, retry_after, error, on_retry)

    async def _backoff(
        self,
        attempt: int,
        retry_after: float | None,
        error: Exception,
        on_retry: RetryCallback | None,
    ) -> None:
        delay = self.retry.delay(attempt - 1, retry_after)
        log.info("retry %d in %.2f s after %s", attempt, delay, type(error).__name__)
        if on_retry:
            on_retry(RetryNotice(attempt, delay, error))
        await self._sleep(delay)

    def _status_error(self, status: int, body: bytes, headers: httpx.Headers) -> APIStatusError:
        """The error for a reply, with the key scrubbed should the server echo it back."""
        key = self._key()
        if key and len(key) >= 8:
            body = body.replace(key.encode(), b"[redacted]")
        return error_for_status(status, body, retry_after_seconds(headers))

    @staticmethod
    def _json(resp: httpx.Response) -> Any:
        ctype = resp.headers.get("content-type", "")
        if "json" not in ctype:
            raise ResponseFormatError(
                f"The server replied with {ctype or 'no type'} instead of JSON."
            )
        try:
            return resp.json()
        except ValueError:
            raise ResponseFormatError("The server's reply is not valid JSON.") from None

    def _parse_job(self, resp: httpx.Response) -> VideoJob:
        try:
            return VideoJob.from_json(self._json(resp))
        except (ParseError, TypeError) as exc:
            raise ResponseFormatError(
                f"The job reply does not have the documented shape: {exc}"
            ) from None


def partial_path(dest: Path) -> Path:
    """Where a download of ``dest`` is written until it is complete and checked."""
    return dest.with_name(dest.name + ".part")


def _range_start(resp: httpx.Response) -> int:
    """The first byte a 206 reply carries (``Content-Range: bytes START-END/TOTAL``)."""
    unit, _, spec = resp.headers.get("content-range", "").partition(" ")
    first = spec.partition("-")[0]
    return int(first) if unit == "bytes" and first.isdigit() else -1


def _size_or_zero(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _fsync(f: Any) -> None:
    f.flush()
    os.fsync(f.fileno())


def _discard(path: Path) -> None:
    path.unlink(missing_ok=True)


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def move_into_place(part: Path, dest: Path) -> None:
    """Atomically move a checked .part file into place and make the rename durable."""
    os.replace(part, dest)
    fd = os.open(dest.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
