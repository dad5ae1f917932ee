"""The simulator on real sockets: the API on one loopback port, signed storage on another.

Two ports make two origins, so tests can prove the key never reaches storage.
Stdlib ThreadingHTTPServer: HTTP/1.1 keep-alive, one thread per connection,
and full control of the bytes for fault injection (resets, truncation, stalls,
hostile replies). Clips are sent from their files with sendfile(), so a file of
gigabytes costs no memory; ETag / Last-Modified / If-Range / Content-Range work as
on a CDN, so resumed downloads are exercised for real. Idle servers sleep in
select() with no timeout and are woken by a socketpair to stop.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import selectors
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from videostudio.simulator.chat import ChatAnswer
from videostudio.simulator.service import (
    ClipFile,
    Fault,
    Simulator,
    clip_file,
    error_body,
    gzip_bomb,
)

log = logging.getLogger("videostudio.simulator")
API_PREFIX = "/api/v1"
GZIP_MIN = 1024  # JSON replies at least this long are gzipped for clients that accept it
_STREAM_BLOCK = 1 << 20
_CHAT_FAULTS = (
    "cut_stream",
    "refusal",
    "empty_answer",
    "stream_error",
    "endless",
)  # answered by sim.chat


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # small replies go out at once, not 40 ms later
    server: _Server

    # -- plumbing ------------------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (stdlib signature)
        log.debug("%s %s", self.address_string(), format % args)

    def _send(
        self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(obj).encode()
        if len(body) >= GZIP_MIN and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body, compresslevel=6)
            headers = {**(headers or {}), "Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
        self._send(status, body, "application/json", headers)

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        self._json(status, error_body(status, message), headers)

    def _reset(self) -> None:
        """Abort the connection with a TCP RST, as a dropped network would."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def _send_clip(self, clip: ClipFile) -> None:
        """200 with the whole clip, or 206 for ``Range: bytes=N-`` when If-Range still holds.

        If-Range carrying an old ETag or date gets the whole clip (200), as RFC 9110
        says, so a client continuing a stale part file starts over. The SDK never
        sends Range, so it only ever sees the 200 it expects.
        """
        spec = self.headers.get("Range", "")
        first = spec.removeprefix("bytes=").partition("-")[0]
        if_range = self.headers.get("If-Range")
        fresh = if_range is None or if_range in (clip.etag, clip.last_modified)
        if not spec.startswith("bytes=") or not first.isdigit() or not fresh:
            self._send_file_span(200, clip, 0, {})
            return
        start = int(first)
        if start >= clip.size:
            self._error(
                416, "Requested range not satisfiable", {"Content-Range": f"bytes */{clip.size}"}
            )
            return
        content_range = f"bytes {start}-{clip.size - 1}/{clip.size}"
        self._send_file_span(206, clip, start, {"Content-Range": content_range})

    def _send_file_span(
        self,
        status: int,
        clip: ClipFile,
        start: int,
        headers: dict[str, str],
        *,
        length: int | None = None,
        announce: str | None = None,
    ) -> None:
        """Send ``length`` bytes of the clip from ``start`` (default: to its end) by sendfile.

        ``announce`` replaces the Content-Length header ("" sends none and closes after).
        Every reply carries the clip's validators, as a CDN's would.
        """
        count = clip.size - start if length is None else length
        self.send_response(status)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", clip.etag)
        self.send_header("Last-Modified", clip.last_modified)
        if announce != "":
            self.send_header("Content-Length", announce or str(count))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        with clip.path.open("rb") as f:
            self.connection.sendfile(f, start, count)

    def _apply(self, fault: Fault | None, clip: ClipFile | None = None) -> bool:
        """Carry out a fault; True when the request has been answered by it."""
        if fault is None:
            return False
        kind = fault.kind
        if kind == "status":
            headers = {}
            if fault.retry_after is not None:
                if fault.retry_after == int(fault.retry_after):
                    headers["Retry-After"] = str(int(fault.retry_after))
                else:
                    headers["retry-after-ms"] = str(int(fault.retry_after * 1000))
            messages = {429: "Rate limit exceeded", 502: "Provider returned error"}
            message = fault.message or messages.get(fault.status, "Internal Server Error")
            metadata = {"field": fault.field} if fault.field else None
            self._json(fault.status, error_body(fault.status, message, metadata), headers)
        elif kind == "malformed":
            self._send(200, b'{"id": "broken", "status": ', "application/json")
        elif kind == "wrong_type":
            self._send(200, b"<html>Service temporarily unavailable</html>", "text/html")
        elif kind == "stall":
            self.server.stop_event.wait(fault.stall_s)
            self._reset()
        elif kind in ("reset", "truncate", "stall_body") and clip is not None:
            self._send_file_span(200, clip, 0, {}, length=clip.size // 2, announce=str(clip.size))
            if kind == "stall_body":
                self.server.stop_event.wait(fault.stall_s)
            if kind == "truncate":
                self.close_connection = True
            else:
                self._reset()
        elif kind in ("reset", "truncate", "stall_body"):
            self._reset()
        else:
            self._apply_hostile(fault, clip)
        return True

    def _apply_hostile(self, fault: Fault, clip: ClipFile | None) -> None:
        """The faults of a server that lies, floods or echoes (see Fault)."""
        kind = fault.kind
        if kind == "trickle":
            body = b'{"error": {"code": 503, "message": "slow"}}'
            head = (
                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            for i in range(len(head)):
                if self.server.stop_event.wait(fault.interval_s) or not self._write(
                    head[i : i + 1]
                ):
                    break
            self._write(body)
            self.close_connection = True
        elif kind == "huge":
            self._send_huge(fault)
        elif kind == "gzip_bomb":
            self._send(200, gzip_bomb(), "application/json", {"Content-Encoding": "gzip"})
        elif kind == "deep_json":
            self._send(200, b"[" * 100_000 + b"]" * 100_000, "application/json")
        elif kind == "bad_gzip":
            body = b"this is not gzip data, whatever the header says"
            self._send(200, body, "application/json", {"Content-Encoding": "gzip"})
        elif kind == "redirect":
            target = fault.redirect_to or self.path
            self.send_response(307)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif kind == "lying_length" and clip is not None:
            self._send_file_span(200, clip, 0, {}, announce=str(10_000_000_000))
            self.close_connection = True
        elif kind == "cut_body" and clip is not None:
            self._send_file_span(200, clip, 0, {}, length=clip.size * 2 // 5, announce="")
        elif kind == "ftyp_garbage" and clip is not None:
            with clip.path.open("rb") as f:
                ftyp = f.read(struct.unpack(">I", f.read(4))[0] - 4)
            ftyp = struct.pack(">I", len(ftyp) + 4) + ftyp  # the clip's own ftyp box
            self._send(200, ftyp + os.urandom(clip.size - len(ftyp)), "video/mp4")
        elif kind == "wrong_range" and clip is not None:
            content_range = f"bytes 0-{clip.size - 1}/{clip.size}"
            self._send_file_span(206, clip, 0, {"Content-Range": content_range})
        elif kind == "zeros":
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            zeros = bytes(_STREAM_BLOCK)
            for _ in range(fault.size_mb):
                if not self._write(zeros):
                    break
        else:
            self._reset()

    def _send_huge(self, fault: Fault) -> None:
        """A JSON reply of ``size_mb`` MB, made up as it is sent."""
        head = b'{"id": "huge", "polling_url": "/api/v1/videos/huge", "status": "pending", "pad": "'
        tail = b'"}'
        size = fault.size_mb << 20
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if fault.with_length:
            self.send_header("Content-Length", str(len(head) + size + len(tail)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        pad = b" " * _STREAM_BLOCK
        if not self._write(head):
            return
        for _ in range(fault.size_mb):
            if not self._write(pad):
                return
        self._write(tail)

    def _write(self, data: bytes) -> bool:
        """Write to the client; False once it has gone away (it gave up on the reply)."""
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True
            return False
        return True

    def _record(self, body: bytes) -> None:
        nodelay = self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        entry = {
            "method": self.command,
            "path": self.path,
            "headers": dict(self.headers.items()),
            "body": body,
            "port": self.server.server_address[1],
            "tcp_nodelay": bool(nodelay),
        }
        self.server.sim.record(entry)

    # -- routes ------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._record(b"")
        url = urlsplit(self.path)
        if self.server.storage:
            self._storage(url.path, parse_qs(url.query))
            return
        path = url.path.removeprefix(API_PREFIX)
        if path == "/videos/models":
            self._models()
            return
        parts = path.split("/")
        if len(parts) >= 3 and parts[1] == "videos" and parts[2]:
            if self._unauthorised():
                return
            job_id = parts[2]
            if len(parts) == 3:
                self._poll(job_id)
                return
            if len(parts) == 4 and parts[3] == "content":
                self._content(job_id, parse_qs(url.query))
                return
        self._error(404, f"No route for GET {url.path}")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        self._record(raw)
        if not self.server.storage and urlsplit(self.path).path == f"{API_PREFIX}/chat/completions":
            self._chat(raw)
            return
        if self.server.storage or urlsplit(self.path).path != f"{API_PREFIX}/videos":
            self._error(404, f"No route for POST {self.path}")
            return
        if self._unauthorised():
            return
        sim = self.server.sim
        fault = sim.take_fault("submit")
        after = ("reset", "hostile_id", "same_id")  # faults that come after the job is made
        if fault and fault.kind == "echo_key":
            self._echo_key_error(fault.status)
            return
        if fault and fault.kind not in after and self._apply(fault):
            return
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            self._error(400, "The request body is not valid JSON.")
            return
        previous = sim.last_job_id()
        status, reply = sim.submit(body, self._caller_key())
        if fault and status == 202:
            if fault.kind == "reset":
                self._reset()  # the job exists, but the client never hears of it
                return
            if fault.kind == "hostile_id":
                reply["id"] = fault.reply_id or ""
            if fault.kind == "same_id" and previous is not None:
                reply["id"] = previous
        self._json(status, reply)

    def _chat(self, raw: bytes) -> None:
        if self._unauthorised():
            return
        sim = self.server.sim
        fault = sim.take_fault("chat")
        if fault and fault.kind not in _CHAT_FAULTS and self._apply(fault):
            return
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            self._error(400, "The request body is not valid JSON.")
            return
        status, reply, stream = sim.chat(body, fault)
        if not isinstance(reply, ChatAnswer):
            self._json(status, reply)
            return
        kind = fault.kind if fault else None
        if stream:
            self._stream_answer(reply, kind)
        elif kind == "cut_stream":
            data = json.dumps(reply.completion()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self._write(data[: len(data) // 2])
            self._reset()
        else:
            self._json(200, reply.completion())

    def _stream_answer(self, reply: ChatAnswer, kind: str | None) -> None:
        """Server-sent events in chunked encoding, as OpenRouter streams an answer."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def send(data: bytes) -> bool:
            return self._write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

        events = reply.chunks()
        if kind in ("cut_stream", "stream_error"):
            events = events[: max(2, len(events) // 2)]
        if not send(b": OPENROUTER PROCESSING\n\n"):
            return
        if kind == "endless":  # a word every 50 ms, never an end (for 30 s at most)
            word = {**events[0], "choices": [{"index": 0, "delta": {"content": "and "}}]}
            deadline = time.monotonic() + 30.0
            while time.monotonic() < deadline and send(
                b"data: " + json.dumps(word).encode() + b"\n\n"
            ):
                time.sleep(0.05)
            self._reset()
            return
        for event in events:
            if not send(b"data: " + json.dumps(event).encode() + b"\n\n"):
                return
        if kind == "cut_stream":
            self._reset()
            return
        if kind == "stream_error":
            error = {
                **events[0],
                "error": {"code": 502, "message": "Provider returned error"},
                "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}],
            }
            send(b"data: " + json.dumps(error).encode() + b"\n\n")
        else:
            send(b"data: [DONE]\n\n")
        self._write(b"0\r\n\r\n")

    def _unauthorised(self) -> bool:
        message = self.server.sim.check_auth(self.headers.get("Authorization"))
        if message:
            self._error(401, message)
            return True
        return False

    def _caller_key(self) -> str:
        return self.headers.get("Authorization", "").removeprefix("Bearer ").strip()

    def _echo_key_error(self, status: int) -> None:
        """An error whose message spells the caller's key in \\u escapes."""
        escaped = "".join(f"\\u{ord(c):04x}" for c in self._caller_key())
        body = f'{{"error": {{"code": {status}, "message": "Invalid key {escaped}"}}}}'
        self._send(status, body.encode(), "application/json")

    def _models(self) -> None:
        sim = self.server.sim
        fault = sim.take_fault("models")
        if fault and fault.kind == "echo_key":
            entry = {**sim.catalogue[0], "description": f"Made for {self._caller_key()}"}
            self._json(200, {"data": [entry, *sim.catalogue[1:]]})
            return
        if self._apply(fault):
            return
        self._json(200, {"data": sim.catalogue})

    def _poll(self, job_id: str) -> None:
        sim = self.server.sim
        fault = sim.take_fault("poll", job_id)
        job = sim.jobs.get(job_id)
        if fault and fault.kind == "odd_status":
            odd = {"id": job_id, "polling_url": f"/api/v1/videos/{job_id}", "status": "queued"}
            self._json(200, {**odd, "progress": 0.5})
            return
        if fault and fault.kind in ("echo_key", "hostile_id") and job is not None:
            body = sim.job_body(job, self.server.api_base)
            if fault.kind == "echo_key":
                body = {**body, "status": "failed", "error": f"Rejected {self._caller_key()}"}
            else:
                body["id"] = fault.reply_id or ""
            self._json(200, body)
            return
        if self._apply(fault):
            return
        if job is None:
            self._error(404, "Video generation job not found")
            return
        self._json(200, sim.job_body(job, self.server.api_base))

    def _content(self, job_id: str, query: dict[str, list[str]]) -> None:
        sim = self.server.sim
        job = sim.jobs.get(job_id)
        if job is None:
            self._error(404, "Video generation job not found")
            return
        index = query.get("index", ["0"])[0]
        if not index.isdigit():
            self._error(400, "index must be a non-negative integer")
            return
        status = sim.status_of(job)
        if status == "expired":
            self._error(410, "The generated video has expired and is no longer available.")
            return
        if status != "completed":
            self._error(409, f"The video is not ready yet (status: {status}).")
            return
        if int(index) >= job.outputs:
            outputs = "1 output" if job.outputs == 1 else f"{job.outputs} outputs"
            self._error(400, f"This job has {outputs}; index {index} does not exist.")
            return
        clip = clip_file(sim.clip_path(job, int(index)))
        fault = sim.take_fault("content", job_id, int(index))
        if fault and fault.kind == "echo_key":
            self._echo_key_error(fault.status)
            return
        if self._apply(fault, clip):
            return
        self._send_clip(clip)

    def _storage(self, path: str, query: dict[str, list[str]]) -> None:
        sim = self.server.sim
        parts = path.split("/")  # /signed/<job>/<index>.mp4
        if len(parts) != 4 or parts[1] != "signed" or not parts[3].endswith(".mp4"):
            self._error(404, "Not found")
            return
        job_id, index = parts[2], parts[3].removesuffix(".mp4")
        job = sim.jobs.get(job_id)
        expires = query.get("expires", [""])[0]
        sig = query.get("sig", [""])[0]
        if (
            job is None
            or not index.isdigit()
            or int(index) >= job.outputs
            or not sim.check_signature(job_id, int(index), expires, sig)
        ):
            self._error(403, "Signature does not match or has expired")
            return
        clip = clip_file(sim.clip_path(job, int(index)))
        if self._apply(sim.take_fault("storage", job_id, int(index)), clip):
            return
        self._send_clip(clip)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    timeout = 0  # handle_request() is only called once select() saw a client waiting

    def __init__(self, address: tuple[str, int], sim: Simulator, *, storage: bool) -> None:
        super().__init__(address, _Handler)
        self.sim = sim
        self.storage = storage
        self.stop_event = threading.Event()
        self.api_base = ""
        self._wake_r, self._wake_w = socket.socketpair()

    def serve(self) -> None:
        """Accept connections until ``wake()``: blocks in select() without a timeout.

        socketserver's serve_forever polls every ``poll_interval`` to notice a
        shutdown, which wakes an idle server many times a second; here a byte on a
        socketpair ends the wait instead.
        """
        with selectors.DefaultSelector() as selector:
            selector.register(self.socket, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while True:
                ready = selector.select()
                if any(key.fileobj is self._wake_r for key, _ in ready):
                    return
                self.handle_request()

    def wake(self) -> None:
        self._wake_w.send(b"x")

    def server_close(self) -> None:
        super().server_close()
        self._wake_r.close()
        self._wake_w.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


class SimulatorServer:
    """Runs a Simulator on 127.0.0.1: ``start()`` returns the API base URL.

    ``port=0`` picks a free port. Use as a context manager or call ``stop()``.
    """

    def __init__(
        self, sim: Simulator | None = None, *, port: int = 0, storage_port: int = 0
    ) -> None:
        self.sim = sim or Simulator()
        self._api = _Server(("127.0.0.1", port), self.sim, storage=False)
        self._storage = _Server(("127.0.0.1", storage_port), self.sim, storage=True)
        self.base_url = f"http://127.0.0.1:{self._api.server_address[1]}{API_PREFIX}"
        self._api.api_base = self.base_url
        self.sim.storage_base = f"http://127.0.0.1:{self._storage.server_address[1]}"
        self.threads: list[threading.Thread] = []

    @property
    def port(self) -> int:
        return int(self._api.server_address[1])

    @property
    def storage_port(self) -> int:
        return int(self._storage.server_address[1])

    def start(self) -> str:
        for server in (self._api, self._storage):
            thread = threading.Thread(target=server.serve, daemon=True, name="simulator")
            thread.start()
            self.threads.append(thread)
        return self.base_url

    def stop(self) -> None:
        for server in (self._api, self._storage):
            server.stop_event.set()  # ends stalls and trickles in connection threads
            server.wake()
        for thread in self.threads:
            thread.join()
        for server in (self._api, self._storage):
            server.server_close()
        self.sim.close()

    def __enter__(self) -> SimulatorServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
