"""The simulator on real sockets: the API on one loopback port, signed storage on another.

Two ports make two origins, so tests can prove the key never reaches storage.
Stdlib ThreadingHTTPServer: HTTP/1.1 keep-alive, one thread per connection,
and full control of the bytes for fault injection (resets, truncation, stalls).
"""

from __future__ import annotations

import json
import logging
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from videostudio.simulator.service import Fault, Simulator, error_body

log = logging.getLogger("videostudio.simulator")
API_PREFIX = "/api/v1"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
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

    def _send_video(self, data: bytes) -> None:
        """200 with the whole clip, or 206 for a ``Range: bytes=N-`` request (resumed downloads).

        The SDK never sends Range, so it only ever sees the 200 it expects.
        """
        spec = self.headers.get("Range", "")
        first = spec.removeprefix("bytes=").partition("-")[0]
        if not spec.startswith("bytes=") or not first.isdigit():
            self._send(200, data, "video/mp4")
            return
        start = int(first)
        if start >= len(data):
            self._error(
                416, "Requested range not satisfiable", {"Content-Range": f"bytes */{len(data)}"}
            )
            return
        content_range = f"bytes {start}-{len(data) - 1}/{len(data)}"
        self._send(206, data[start:], "video/mp4", {"Content-Range": content_range})

    def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(obj).encode(), "application/json", headers)

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        self._json(status, error_body(status, message), headers)

    def _reset(self) -> None:
        """Abort the connection with a TCP RST, as a dropped network would."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def _apply(self, fault: Fault | None, full_body: bytes = b"") -> bool:
        """Carry out a fault; True when the request has been answered by it."""
        if fault is None:
            return False
        if fault.kind == "status":
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
        elif fault.kind == "malformed":
            self._send(200, b'{"id": "broken", "status": ', "application/json")
        elif fault.kind == "wrong_type":
            self._send(200, b"<html>Service temporarily unavailable</html>", "text/html")
        elif fault.kind == "stall":
            self.server.stop_event.wait(fault.stall_s)
            self._reset()
        elif fault.kind in ("reset", "truncate"):
            if not full_body:
                self._reset()
                return True
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(len(full_body)))
            self.end_headers()
            self.wfile.write(full_body[: len(full_body) // 2])
            self.wfile.flush()
            if fault.kind == "reset":
                self._reset()
            else:
                self.close_connection = True
        return True

    def _record(self, body: bytes) -> None:
        entry = {
            "method": self.command,
            "path": self.path,
            "headers": dict(self.headers.items()),
            "body": body,
            "port": self.server.server_address[1],
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
        if self.server.storage or urlsplit(self.path).path != f"{API_PREFIX}/videos":
            self._error(404, f"No route for POST {self.path}")
            return
        if self._unauthorised():
            return
        sim = self.server.sim
        fault = sim.take_fault("submit")
        if fault and fault.kind != "reset" and self._apply(fault):
            return
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            self._error(400, "The request body is not valid JSON.")
            return
        status, reply = sim.submit(body)
        if fault and fault.kind == "reset" and status == 202:
            self._reset()  # the job exists, but the client never hears of it
            return
        self._json(status, reply)

    def _unauthorised(self) -> bool:
        message = self.server.sim.check_auth(self.headers.get("Authorization"))
        if message:
            self._error(401, message)
            return True
        return False

    def _models(self) -> None:
        if self._apply(self.server.sim.take_fault("models")):
            return
        self._json(200, {"data": self.server.sim.catalogue})

    def _poll(self, job_id: str) -> None:
        sim = self.server.sim
        fault = sim.take_fault("poll", job_id)
        if fault and fault.kind == "odd_status":
            odd = {"id": job_id, "polling_url": f"/api/v1/videos/{job_id}", "status": "queued"}
            self._json(200, {**odd, "progress": 0.5})
            return
        if self._apply(fault):
            return
        job = sim.jobs.get(job_id)
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
        if int(index) != 0:
            self._error(400, f"This job has 1 output; index {index} does not exist.")
            return
        data = sim.clip_path(job).read_bytes()
        if self._apply(sim.take_fault("content", job_id), data):
            return
        self._send_video(data)

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
            or not sim.check_signature(job_id, int(index), expires, sig)
        ):
            self._error(403, "Signature does not match or has expired")
            return
        data = sim.clip_path(job).read_bytes()
        if self._apply(sim.take_fault("storage", job_id), data):
            return
        self._send_video(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sim: Simulator, *, storage: bool) -> None:
        super().__init__(address, _Handler)
        self.sim = sim
        self.storage = storage
        self.stop_event = threading.Event()
        self.api_base = ""

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
        self._threads: list[threading.Thread] = []

    @property
    def port(self) -> int:
        return int(self._api.server_address[1])

    def start(self) -> str:
        for server in (self._api, self._storage):
            thread = threading.Thread(
                target=server.serve_forever, args=(0.05,), daemon=True, name="simulator"
            )
            thread.start()
            self._threads.append(thread)
        return self.base_url

    def stop(self) -> None:
        for server in (self._api, self._storage):
            server.stop_event.set()
            server.shutdown()
            server.server_close()
        self.sim.close()

    def __enter__(self) -> SimulatorServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
