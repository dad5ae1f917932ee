"""The asynchronous OpenRouter video client (httpx, no Qt).

Four operations: submit (POST /videos), poll (GET /videos/{id}), download
(GET /videos/{id}/content?index=N) and the model catalogue (GET /videos/models).

Money and keys shape the rules here:
- the submit is resent only when it provably never left this machine (connect
  failures) or the server refused it outright (429); anything else may have
  created a billed job, so the caller gets SubmitOutcomeUnknownError instead;
  a redirect of the submit is never followed (it would re-post the prompt elsewhere);
- GETs retry with backoff on connection errors, 429 and 5xx, and follow redirects
  by hand, each hop deciding afresh whether it may carry the key;
- the key is attached only to requests for the configured API origin, so signed
  storage URLs and off-origin redirects never see it, and it is scrubbed from
  every decoded reply, so a server echoing it cannot put it in an exception.

Replies are untrusted: each call has an overall deadline, bodies are read up to a
cap of decoded bytes (bodies.py), and nothing from httpx or json reaches callers.
Downloads run on a worker thread (transfer.py) and are checked as MP4 files.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import errno
import ipaddress
import logging
import os
import shutil
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, urlsplit

import httpx

from videostudio import __version__
from videostudio.api.bodies import (
    ERROR_CAP,
    JSON_CAP,
    BoundedBody,
    parse_json,
    quote_header,
)
from videostudio.api.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ResponseFormatError,
    SubmitOutcomeUnknownError,
    SubmitRedirectedError,
)
from videostudio.api.request_body import JsonBody
from videostudio.api.retry import RetryPolicy
from videostudio.api.transfer import (
    MAX_CLIP_BYTES,
    MAX_REDIRECTS,
    FetchedOutput,
    Origin,
    Transfer,
    discard,
    meta_path,
    redirect_target,
    status_error,
    url_origin,
)
from videostudio.core.models import (
    GenerationRequest,
    ParseError,
    VideoJob,
    VideoModel,
    parse_model_list,
)
from videostudio.platform import files

__all__ = [
    "MAX_CLIP_BYTES",
    "Attribution",
    "FetchedOutput",
    "RetryNotice",
    "SubmitProgress",
    "Timeouts",
    "VideoClient",
    "check_base_url",
    "move_into_place",
    "partial_path",
]

log = logging.getLogger("videostudio.api")

DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"
KeyProvider = Callable[[], str | None]
ProgressCallback = Callable[[int, int | None], None]
RetryCallback = Callable[["RetryNotice"], None]
DiskFree = Callable[[Path], int]
# A download that moves less than this per ``Timeouts.download`` window is stalled.
STALL_MIN_BYTES = 16 << 10


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
    """Seconds each call may take.

    ``poll``, ``models`` and ``submit`` are overall deadlines for one attempt (connect,
    headers and body together), so a server trickling bytes cannot hold a call open.
    ``download`` is the wait for a download's reply headers and its stall watchdog:
    a body that moves less than 16 KiB in that time is given up (and continued later).
    """

    poll: float = 30.0
    models: float = 30.0
    submit: float = 120.0
    chat: float = 120.0
    download: float = 60.0
    connect: float = 10.0

    def of(self, call: str) -> httpx.Timeout:
        return httpx.Timeout(getattr(self, call), connect=self.connect)


@dataclass(frozen=True)
class RetryNotice:
    """Told to the caller before each retry, so a UI can say "retrying in N s"."""

    attempt: int
    delay: float
    error: Exception


@dataclass
class SubmitProgress:
    """Whether a submit may have left this machine: False until an attempt starts writing
    its request (httpcore's trace says when), False again once an attempt proved to have
    created nothing (a refused connection, a 429). A caller cancelled while it is False
    knows the job was certainly not sent. Without httpx's own transport (whose trace this
    reads) it is True for the whole of every attempt."""

    may_have_sent: bool = False


@dataclass(frozen=True)
class _Reply:
    """A JSON call's reply, its body read in full (bounded)."""

    status: int
    headers: httpx.Headers
    body: bytes
    secret: str | None  # the key the request carried: scrubbed from whatever is built from it


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

    def __init__(self, api_origin: Origin, key: KeyProvider) -> None:
        self._origin = api_origin
        self._key = key

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]  # httpx's generator protocol
        if url_origin(str(request.url)) == self._origin:
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


def _disk_free(path: Path) -> int:
    return shutil.disk_usage(path).free


class VideoClient:
    """OpenRouter's video API over one shared httpx.AsyncClient (connection reuse).

    ``api_key`` is a string or a callable asked before every request (so a key
    replaced in the keychain takes effect at once). ``sleep`` is injectable so
    tests run retry sequences without waiting; ``clock`` paces progress reports;
    ``disk_free`` tells the free bytes of a folder's filesystem.
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
        clock: Callable[[], float] = time.monotonic,
        disk_free: DiskFree = _disk_free,
    ) -> None:
        self.base_url = check_base_url(
            base_url or os.environ.get("OPENROUTER_BASE_URL") or DEFAULT_BASE_URL
        )
        key: KeyProvider = api_key if callable(api_key) else (lambda: api_key)
        self._key = key
        self.retry = retry or RetryPolicy()
        self.timeouts = timeouts or Timeouts()
        self._sleep = sleep
        self._clock = clock
        self._disk_free = disk_free
        self._origin = url_origin(self.base_url)
        self._headers = {
            "User-Agent": f"videostudio/{__version__} httpx/{httpx.__version__}",
            **(attribution or Attribution()).headers(),
        }
        self._http = httpx.AsyncClient(
            headers=self._headers,  # the key is added per request, see _exchange
            follow_redirects=False,  # followed by hand, see _exchange
            transport=transport,
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        )
        self._submitted: set[str] = set()  # ids this client got back from submits
        self._traced = transport is None  # httpx's own (httpcore) transport reports its steps

    async def __aenter__(self) -> VideoClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every connection. Shielded: a caller cancelled while closing (a window
        shutting down) must not leave sockets open behind it."""
        await asyncio.shield(self._http.aclose())

    def job_url(self, job_id: str) -> str:
        """Poll URL built from the id (polling_url may be relative or absolute; ignore it)."""
        return f"{self.base_url}/videos/{quote(job_id, safe='')}"

    def content_url(self, job_id: str, index: int = 0) -> str:
        return f"{self.job_url(job_id)}/content?index={index}"

    # -- operations --------------------------------------------------------------------

    async def generate(
        self,
        request: GenerationRequest,
        *,
        on_retry: RetryCallback | None = None,
        progress: SubmitProgress | None = None,
    ) -> VideoJob:
        """Submit a job. Resent only when it provably did not reach the server, or on 429.
        ``progress`` tells, at any moment, whether the request may have left."""
        body = JsonBody(request.to_json())
        url = f"{self.base_url}/videos"
        progress = progress or SubmitProgress()

        async def trace(event: str, info: dict[str, Any]) -> None:
            if event.endswith(".send_request_headers.started"):
                progress.may_have_sent = True

        attempt = 0
        while True:
            attempt += 1
            retry_after = None
            progress.may_have_sent = not self._traced
            try:
                reply = await self._exchange("POST", url, "submit", body, trace)
            except httpx.TransportError as exc:
                if not _never_sent(exc):
                    raise SubmitOutcomeUnknownError(
                        "The request was sent but no reply came back "
                        f"({type(exc).__name__}); the job may have been created."
                    ) from None
                error: Exception = _transport_error(exc, "Submitting the job")
            except TimeoutError:
                raise SubmitOutcomeUnknownError(
                    f"The server did not answer within {self.timeouts.submit:g} s; "
                    "the job may have been created."
                ) from None
            else:
                if 200 <= reply.status < 300:
                    job = self._parse_job(reply)
                    if job.id in self._submitted:
                        raise ResponseFormatError(
                            f"The server gave the new job the id of an earlier one ({job.id})."
                        )
                    self._submitted.add(job.id)
                    return job
                error = self._status_error(reply)
                if reply.status != 429:
                    raise error
                retry_after = error.retry_after
            if attempt >= self.retry.max_attempts:
                raise error
            progress.may_have_sent = False  # refused at connect, or a 429: nothing was made
            await self._backoff(attempt, retry_after, error, on_retry)

    async def get_generation(
        self, job_id: str, *, on_retry: RetryCallback | None = None
    ) -> VideoJob:
        """Poll one job. A reply about another job is a bad reply."""
        reply = await self._get(self.job_url(job_id), "poll", on_retry)
        job = self._parse_job(reply)
        if job.id != job_id:
            raise ResponseFormatError(
                f"The server answered a poll of job {job_id} about job {job.id}."
            )
        return job

    async def list_models(self, *, on_retry: RetryCallback | None = None) -> list[VideoModel]:
        """The video model catalogue; entries that do not parse are skipped and logged."""
        reply = await self._get(f"{self.base_url}/videos/models", "models", on_retry)
        data = self._json(reply)
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise ResponseFormatError("The model list reply has no 'data' array.")
        models, skipped = parse_model_list(items)
        for why in skipped:
            log.warning("skipping a model entry that does not parse: %s", why)
        return models

    async def fetch_output(
        self,
        job_id: str,
        index: int,
        part: Path,
        *,
        progress: ProgressCallback | None = None,
        on_retry: RetryCallback | None = None,
    ) -> FetchedOutput:
        """Download output ``index`` of a job into ``part``, complete and checked.

        ``part`` must be unique per job and output. It is continued only when its
        ``.meta`` proves it holds the start of this same output (Range + If-Range),
        else written afresh. On return the file is whole, an MP4, fsynced, and its
        size and SHA-256 are known; the caller records them, then calls
        ``move_into_place``. A network drop or timeout keeps ``part`` for the next
        call (so does cancelling); a bad reply, a wrong file or a full disk drops it.
        Raises InsufficientSpaceError (an OSError) when the clip does not fit.
        """
        return await self._fetch(self.content_url(job_id, index), part, progress, on_retry)

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
        return await self._download_to(
            self.content_url(job_id, index), dest, progress, on_retry, keep_partial
        )

    async def download_url(
        self,
        url: str,
        dest: Path,
        *,
        progress: ProgressCallback | None = None,
        on_retry: RetryCallback | None = None,
        keep_partial: bool = False,
    ) -> int:
        """Download ``url`` to ``dest`` via ``dest.part``; returns the byte count.

        ``url`` may be the API's content URL (sent with the key) or a signed
        storage URL (sent without it). Nothing is ever left at ``dest`` by a
        failure; the ``.part`` is removed too unless ``keep_partial`` (a later call,
        even after a restart, then continues it where that is provably right).
        """
        return await self._download_to(url, dest, progress, on_retry, keep_partial)

    @contextlib.asynccontextmanager
    async def open_post(
        self, path: str, value: Any, *, accept: str, call: str
    ) -> AsyncIterator[tuple[httpx.Response, str | None]]:
        """POST JSON to ``{base_url}{path}``; yield the reply unread and the key it carried.

        For calls that read their reply as it comes (chat). The key goes to the API
        origin only, a redirect is not followed, nothing is retried; the caller bounds
        the reading and scrubs the key from it. ``identity`` encoding: a compressed
        stream could not be read piece by piece within a bound.
        """
        body = JsonBody(value)
        key = self._key()
        headers = {
            "Accept": accept,
            "Accept-Encoding": "identity",
            "Content-Type": "application/json",
            "Content-Length": str(body.length),
        }
        async with self._http.stream(
            "POST",
            f"{self.base_url}{path}",
            content=body.pieces(),
            headers=headers,
            timeout=self.timeouts.of(call),
            auth=_OriginBearer(self._origin, lambda: key),
        ) as resp:
            yield resp, key

    # -- downloads -------------------------------------------------------------------------

    async def _download_to(
        self,
        url: str,
        dest: Path,
        progress: ProgressCallback | None,
        on_retry: RetryCallback | None,
        keep_partial: bool,
    ) -> int:
        part = partial_path(dest)
        try:
            fetched = await self._fetch(url, part, progress, on_retry)
            await asyncio.to_thread(move_into_place, part, dest)
        except BaseException:
            if not keep_partial:
                discard(part)
            raise
        return fetched.size

    async def _fetch(
        self,
        url: str,
        part: Path,
        progress: ProgressCallback | None,
        on_retry: RetryCallback | None,
    ) -> FetchedOutput:
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._transfer(url, part, progress)
            except (APIConnectionError, APIStatusError) as exc:
                retryable = isinstance(exc, APIConnectionError) or _is_retryable_status(
                    exc.status_code
                )
                if not retryable or attempt >= self.retry.max_attempts:
                    raise
                retry_after = exc.retry_after if isinstance(exc, APIStatusError) else None
                await self._backoff(attempt, retry_after, exc, on_retry)

    async def _transfer(
        self, url: str, part: Path, progress: ProgressCallback | None
    ) -> FetchedOutput:
        """One attempt on a worker thread, watched from the loop (deadline, stall, cancel)."""
        loop = asyncio.get_running_loop()
        active = True

        def deliver(received: int, total: int | None) -> None:
            if active and progress is not None:
                progress(received, total)

        def notify(received: int, total: int | None) -> None:  # on the worker thread
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody is listening
                loop.call_soon_threadsafe(deliver, received, total)

        transfer = Transfer(
            url=url,
            source=self._source_of(url),
            part=part,
            headers=self._headers,
            api_origin=self._origin,
            key=self._key(),  # asked here, on the caller's thread, not on the worker
            connect_timeout=self.timeouts.connect,
            read_timeout=self.timeouts.download,
            disk_free=self._disk_free,
            clock=self._clock,
            notify=notify if progress is not None else None,
        )
        result: concurrent.futures.Future[FetchedOutput] = concurrent.futures.Future()

        def work() -> None:
            try:
                result.set_result(transfer.run())
            except BaseException as exc:  # noqa: BLE001  (handed to the awaiting task)
                result.set_exception(exc)

        worker = threading.Thread(target=work, name="videostudio-download", daemon=True)
        worker.start()
        done = asyncio.wrap_future(result)
        try:
            await self._watch(transfer, done)
            return done.result()
        except BaseException:
            if not done.done():  # cancelled: stop the worker before the part is touched again
                transfer.abort(APIConnectionError("The download was stopped."))
                await asyncio.wait({done})
                done.exception()  # retrieved: its error is not the caller's concern
            raise
        finally:
            active = False
            if done.done():
                worker.join()  # it has handed over its result: only its exit is left

    async def _watch(self, transfer: Transfer, done: asyncio.Future[FetchedOutput]) -> None:
        """Wait for the worker; abort it when headers or body data stop coming."""
        window = self.timeouts.download
        seen = 0
        while not done.done():
            await asyncio.wait({done}, timeout=window)
            if done.done():
                return
            if not transfer.headers_received:
                transfer.abort(
                    APITimeoutError(f"The download's server did not answer within {window:g} s.")
                )
            elif transfer.new_bytes - seen < STALL_MIN_BYTES:
                transfer.abort(
                    APITimeoutError(f"The download stalled: almost no data for {window:g} s.")
                )
            seen = transfer.new_bytes

    # -- JSON calls --------------------------------------------------------------------------

    async def _get(self, url: str, call: str, on_retry: RetryCallback | None) -> _Reply:
        attempt = 0
        while True:
            attempt += 1
            retry_after = None
            try:
                reply = await self._exchange("GET", url, call)
            except httpx.TransportError as exc:
                error: Exception = _transport_error(exc, "Contacting the server")
            except TimeoutError:
                deadline = getattr(self.timeouts, call)
                error = APITimeoutError(
                    f"The server did not send a whole reply within {deadline:g} s."
                )
            else:
                if 200 <= reply.status < 300:
                    return reply
                error = self._status_error(reply)
                if not _is_retryable_status(reply.status):
                    raise error
                retry_after = error.retry_after
            if attempt >= self.retry.max_attempts:
                raise error
            await self._backoff(attempt, retry_after, error, on_retry)

    async def _exchange(
        self,
        method: str,
        url: str,
        call: str,
        content: JsonBody | None = None,
        trace: Callable[[str, dict[str, Any]], Awaitable[None]] | None = None,
    ) -> _Reply:
        """One request and its whole reply (bounded), within the call's overall deadline.

        Raises httpx.TransportError and TimeoutError for the caller to judge (a submit
        must know whether it may have been sent); every other failure of reading the
        reply becomes ResponseFormatError.
        """
        headers = {"Accept": "application/json", "Accept-Encoding": "gzip, deflate"}
        if content is not None:
            headers["Content-Type"] = "application/json"
            headers["Content-Length"] = str(content.length)
        target = httpx.URL(url)
        key = self._key()  # asked once per call: sent (to the API origin only) and scrubbed
        auth = _OriginBearer(self._origin, lambda: key)
        try:
            async with asyncio.timeout(getattr(self.timeouts, call)):
                for _ in range(MAX_REDIRECTS + 1):
                    async with self._http.stream(
                        method,
                        target,
                        # A stream, not bytes: httpx's request and response form
                        # reference cycles that would keep a body (one per job of a
                        # batch) until the cyclic collector ran; a finished stream
                        # holds nothing.
                        content=None if content is None else content.pieces(),
                        headers=headers,
                        timeout=self.timeouts.of(call),
                        auth=auth,
                        extensions={"trace": trace} if trace is not None else None,
                    ) as resp:
                        if resp.has_redirect_location:
                            if method != "GET":
                                location = quote_header(resp.headers["location"], key)
                                raise SubmitRedirectedError(resp.status_code, location)
                            location = resp.headers["location"]
                            target = httpx.URL(redirect_target(str(resp.url), location, key))
                            continue
                        body = await self._read_body(resp)
                        return _Reply(resp.status_code, resp.headers, body, key)
        except (httpx.TransportError, ResponseFormatError, APIStatusError):
            raise
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
            raise ResponseFormatError(
                f"The server's reply could not be read ({type(exc).__name__})."
            ) from None
        raise ResponseFormatError(
            f"The server redirected more than {MAX_REDIRECTS} times (a redirect loop)."
        )

    async def _read_body(self, resp: httpx.Response) -> bytes:
        """Read a reply's body: JSON up to JSON_CAP (else refused), errors up to ERROR_CAP."""
        if 200 <= resp.status_code < 300:
            length = resp.headers.get("content-length", "")
            if length.isdigit() and int(length) > JSON_CAP:
                raise ResponseFormatError(
                    f"The reply announces {int(length):,} bytes, larger than any the API "
                    "sends; it was not read."
                )
            return await _read_bounded(resp, JSON_CAP, truncate=False)
        try:
            return await _read_bounded(resp, ERROR_CAP, truncate=True)
        except ResponseFormatError:
            return b""  # an unreadable error body: the status alone must do

    # -- plumbing ------------------------------------------------------------------------

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

    def _source_of(self, url: str) -> str:
        """What a URL names, for matching a part file to its output.

        An API content URL names the output by its path and ``?index``; a signed
        storage URL's query changes with every poll, its path names the object.
        """
        parsed = httpx.URL(url)
        same = url_origin(url) == self._origin
        return url if same else str(parsed.copy_with(query=None))

    @staticmethod
    def _status_error(reply: _Reply) -> APIStatusError:
        return status_error(reply.status, reply.body, reply.headers, reply.secret)

    @staticmethod
    def _json(reply: _Reply) -> Any:
        ctype = reply.headers.get("content-type", "")
        if "json" not in ctype:
            shown = quote_header(ctype, reply.secret) if ctype else "no type"
            raise ResponseFormatError(f"The server replied with {shown} instead of JSON.")
        return parse_json(reply.body, reply.secret)

    def _parse_job(self, reply: _Reply) -> VideoJob:
        try:
            return VideoJob.from_json(self._json(reply))
        except (ParseError, TypeError) as exc:
            raise ResponseFormatError(
                f"The job reply does not have the documented shape: {exc}"
            ) from None


@contextlib.asynccontextmanager
async def raw_pieces(resp: httpx.Response) -> AsyncIterator[AsyncGenerator[bytes]]:
    """The reply's raw pieces, for a reader that may stop early (a cap, an error, a cancel).

    The reply is closed before its iterator is let go: dropped first, httpcore's inner
    generators would close the connection at garbage collection, and on a loop without
    async-generator hooks (qasync's) that is an "unraisable exception".
    """
    pieces = cast(AsyncGenerator[bytes], resp.aiter_raw())  # annotated as an iterator
    try:
        yield pieces
    finally:
        await resp.aclose()
        await pieces.aclose()


async def _read_bounded(resp: httpx.Response, cap: int, *, truncate: bool) -> bytes:
    """The decoded body, at most ``cap`` bytes, read off the wire piece by piece."""
    if resp.is_stream_consumed:  # an in-memory transport (tests) has read it already
        body = BoundedBody(None, cap, truncate=truncate)
        body.feed(resp.content)
        return body.value()
    body = BoundedBody(resp.headers.get("content-encoding"), cap, truncate=truncate)
    async with raw_pieces(resp) as pieces:
        async for raw in pieces:
            if not body.feed(raw):
                break
    return body.value()


def partial_path(dest: Path) -> Path:
    """Where a download of ``dest`` is written until it is complete and checked."""
    return dest.with_name(dest.name + ".part")


def move_into_place(part: Path, dest: Path, *, replace: bool = True) -> None:
    """Atomically move a checked part file to ``dest`` and make the rename durable.

    ``replace=False`` never replaces a file at ``dest`` (FileExistsError instead): a hard
    link fails when the name is taken, where a rename would silently replace it."""
    if replace:
        os.replace(part, dest)
    else:
        try:
            os.link(part, dest)
        except FileExistsError:
            raise
        except OSError:  # no hard links here (e.g. FAT): check, then rename
            if os.path.lexists(dest):
                raise FileExistsError(errno.EEXIST, "File exists", str(dest)) from None
            os.rename(part, dest)
        else:
            os.unlink(part)
    meta_path(part).unlink(missing_ok=True)
    files.fsync_folder(dest.parent)  # where folders can be synced (not on Windows)
