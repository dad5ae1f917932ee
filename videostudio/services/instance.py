"""One data folder, one driver: an OS lock that dies with its process, and a doorbell.

Only the process holding a data folder's lock submits, polls and downloads its
jobs. The lock is ``flock`` on a file in the folder: the kernel drops it when the
process ends, however it ends (kill -9 included), so it is never stale. The file
also says who holds it, so a second process can name the owner.

A second process hands its work over instead of driving it: it journals new jobs
as "queued" (never sent) and rings the owner's doorbell, a Unix socket in the
abstract namespace (nothing left on disk). The owner then adopts them. The same
doorbell brings an open window to the front when the app is launched again.
Requests and replies are one line of JSON each.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("videostudio.services.instance")

LOCK_NAME = ".videostudio.lock"
RING_TIMEOUT_S = 5.0
_MAX_LINE = 64 * 1024

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Owner:
    """Who holds a data folder: enough to name it to the user."""

    pid: int
    kind: str  # "window", "videostudio generate", ...
    started: float

    def describe(self) -> str:
        return f"{self.kind} (pid {self.pid})"


def doorbell_address(folder: Path) -> str:
    """The owner's socket, in Linux's abstract namespace (a name, no file)."""
    digest = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:20]
    return f"\0videostudio-{digest}"


class DataFolder:
    """The lock on one data folder, and its doorbell while held.

    ``try_acquire`` never blocks; when it fails, ``owner`` says who holds the folder.
    """

    def __init__(self, folder: Path, kind: str) -> None:
        self.folder = folder
        self.kind = kind
        self.lock_path = folder / LOCK_NAME
        self._fd: int | None = None
        self._server: asyncio.Server | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> bool:
        """Take the folder if no other process holds it; True when this process owns it."""
        if self._fd is not None:
            return True
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        info = json.dumps({"pid": os.getpid(), "kind": self.kind, "started": time.time()})
        os.ftruncate(fd, 0)
        os.pwrite(fd, info.encode(), 0)
        self._fd = fd
        return True

    def owner(self) -> Owner:
        """Who holds the folder, as its lock file says (after ``try_acquire`` said no)."""
        try:
            data = json.loads(self.lock_path.read_bytes() or b"{}")
            return Owner(int(data["pid"]), str(data["kind"]), float(data["started"]))
        except (OSError, ValueError, KeyError, TypeError):
            return Owner(0, "another videostudio", 0.0)  # caught mid-write: still an owner

    async def serve(self, handler: Handler) -> None:
        """Answer the doorbell while this process owns the folder."""
        if self._fd is None or self._server is not None:
            return

        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                line = await asyncio.wait_for(reader.readline(), RING_TIMEOUT_S)
                request = json.loads(line[:_MAX_LINE] or b"{}")
                if not isinstance(request, dict):
                    raise TypeError("not an object")
                reply = await handler(request)
            except Exception as exc:  # noqa: BLE001 (a bad caller must not hurt the owner)
                log.warning("doorbell: %s", exc)
                reply = {"ok": False, "error": str(exc)}
            reply = {**reply, "pid": os.getpid(), "kind": self.kind}
            with contextlib.suppress(OSError):
                writer.write(json.dumps(reply).encode() + b"\n")
                await writer.drain()
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

        # Kept before it starts serving: a caller cancelled in between must still close it.
        server = self._server = await asyncio.start_unix_server(
            on_connect, path=doorbell_address(self.folder), limit=_MAX_LINE, start_serving=False
        )
        if self._fd is None:  # released while the socket was being made
            self._server = None
            server.close()
            return
        await server.start_serving()

    async def release(self) -> None:
        """Stop answering and give the folder up (the kernel also does it at exit)."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        self.unlock()

    def unlock(self) -> None:
        """Give the folder up (for a holder that never answered the doorbell)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


async def ring(folder: Path, request: dict[str, Any]) -> dict[str, Any] | None:
    """Ask the folder's owner something; its reply, or None when nobody answers."""
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_unix_connection(doorbell_address(folder), limit=_MAX_LINE),
            RING_TIMEOUT_S,
        )
    except (OSError, TimeoutError):
        return None
    try:
        writer.write(json.dumps(request).encode() + b"\n")
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), RING_TIMEOUT_S)
        reply = json.loads(line or b"null")
        return reply if isinstance(reply, dict) else None
    except (OSError, TimeoutError, ValueError):
        return None
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
