"""One data folder, one driver: an OS lock that dies with its process, and a doorbell.

Only the process holding a data folder's lock submits, polls and downloads its
jobs. The lock (platform/lock.py: flock, or LockFileEx on Windows) is dropped by the
kernel when the process ends, however it ends (kill -9 included), so it is never
stale. The lock file also says who holds it, to this user only (0600).

A second process hands its work over instead of driving it: it journals new jobs
as "queued" (never sent) and rings the owner's doorbell. The owner then adopts them.
The same doorbell brings an open window to the front when the app is launched again.

The doorbell is a loopback TCP listener on a port the OS picks, named with a random
token in an owner-only file of the data folder. Why TCP: it is the one channel that
asyncio serves alike on Linux, macOS and Windows (no abstract names there, and
multiprocessing's listener blocks a thread and unpickles); why a token: any local user
can connect to a loopback port, so the caller proves it could read the owner's file.
A caller without it gets no reply at all (no pid, no wake). Connections are capped and
each must speak within a few seconds, so a flood of them cannot use up the owner's
descriptors. A doorbell that cannot be opened never stops the owner: it drives without
one and logs why. Requests and replies are one line of JSON each.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import json
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from videostudio.platform import files, lock

log = logging.getLogger("videostudio.services.instance")

LOCK_NAME = ".videostudio.lock"
DOORBELL_NAME = ".videostudio.doorbell"
RING_TIMEOUT_S = 5.0
CALLER_IDLE_S = 3.0  # a caller has this long to say its line, then it is hung up on
MAX_CALLERS = 16  # callers heard at once; more are hung up on at once
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


@dataclass(frozen=True)
class Doorbell:
    """Where the owner answers (a loopback port) and the token a caller must bring."""

    port: int
    token: str

    @staticmethod
    def read(folder: Path) -> Doorbell | None:
        """The folder's doorbell as its owner wrote it; None when there is none, or the
        file is not this user's (then it is not our owner's)."""
        path = folder / DOORBELL_NAME
        try:
            if not files.owned_by_me(path):
                log.warning("%s belongs to another user: not ringing it", path)
                return None
            data = json.loads(path.read_bytes())
            return Doorbell(int(data["port"]), str(data["token"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None


class DataFolder:
    """The lock on one data folder, and its doorbell while held.

    ``try_acquire`` never blocks; when it fails, ``owner`` says who holds the folder.
    """

    def __init__(self, folder: Path, kind: str) -> None:
        self.folder = folder
        self.kind = kind
        self.lock_path = folder / LOCK_NAME
        self.doorbell_path = folder / DOORBELL_NAME
        self._fd: int | None = None
        self._server: asyncio.Server | None = None
        self._token = ""
        self._callers: set[asyncio.StreamWriter] = set()

    @property
    def held(self) -> bool:
        return self._fd is not None

    @property
    def answering(self) -> bool:
        """True while the doorbell is open (False when it could not be)."""
        return self._server is not None and self._server.is_serving()

    def try_acquire(self) -> bool:
        """Take the folder if no other process holds it; True when this process owns it."""
        if self._fd is not None:
            return True
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = files.open_for_writing(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        if not lock.try_lock(fd):
            os.close(fd)
            return False
        files.make_private(fd)  # a lock file made by an older version was 0644
        info = json.dumps({"pid": os.getpid(), "kind": self.kind, "started": time.time()})
        os.ftruncate(fd, 0)
        files.write_at(fd, info.encode(), 0)
        self._fd = fd
        self._forget_doorbell()  # a dead owner's: its port may be anyone's now
        return True

    def owner(self) -> Owner:
        """Who holds the folder, as its lock file says (after ``try_acquire`` said no)."""
        try:
            data = json.loads(self.lock_path.read_bytes() or b"{}")
            return Owner(int(data["pid"]), str(data["kind"]), float(data["started"]))
        except (OSError, ValueError, KeyError, TypeError):
            return Owner(0, "another videostudio", 0.0)  # caught mid-write: still an owner

    async def serve(self, handler: Handler) -> bool:
        """Answer the doorbell while this process owns the folder; False when it cannot
        be opened (the owner then drives its jobs without one, and the log says why)."""
        if self._fd is None or self._server is not None:
            return self.answering
        self._token = secrets.token_hex(32)
        try:
            # Kept before it starts serving: a caller cancelled in between must still close it.
            server = self._server = await asyncio.start_server(
                functools.partial(self._on_connect, handler),
                host="127.0.0.1",
                port=0,
                limit=_MAX_LINE,
                start_serving=False,
            )
            if self._fd is None:  # released while the socket was being made
                await self._close_server()
                return False
            port = server.sockets[0].getsockname()[1]
            self._publish(Doorbell(port, self._token))  # a small file: not worth a thread
            await server.start_serving()
        except OSError as exc:
            log.warning("the doorbell could not be opened (%s): driving without one", exc)
            await self._close_server()
            return False
        return True

    def _publish(self, bell: Doorbell) -> None:
        """Write the doorbell file owner-only, atomically (a reader sees all of it or none)."""
        tmp = self.folder / f"{DOORBELL_NAME}.{os.getpid()}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        fd = files.open_for_writing(tmp, flags, 0o600)
        try:
            files.make_private(fd)
            files.write_at(fd, json.dumps({"port": bell.port, "token": bell.token}).encode(), 0)
        finally:
            os.close(fd)
        try:
            os.replace(tmp, self.doorbell_path)
        except OSError:
            tmp.unlink(missing_ok=True)
            raise

    async def _on_connect(
        self, handler: Handler, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if len(self._callers) >= MAX_CALLERS:
            writer.close()  # the descriptor is given back at once; the caller hears nothing
            return
        self._callers.add(writer)
        try:
            await self._answer(handler, reader, writer)
        except asyncio.CancelledError:
            pass  # the loop is ending (Python 3.11 would log a cancelled caller as an error)
        finally:
            self._callers.discard(writer)
            writer.close()

    async def _answer(
        self, handler: Handler, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), CALLER_IDLE_S)
            request = json.loads(line[:_MAX_LINE] or b"{}")
        except (OSError, TimeoutError, ValueError):
            return  # silent, slow or garbled: hung up on, unheard
        token = request.pop("token", None) if isinstance(request, dict) else None
        if not isinstance(token, str) or not hmac.compare_digest(token, self._token):
            log.debug("doorbell: a caller without the token was hung up on")
            return
        try:
            reply = await handler(request)
        except Exception as exc:  # noqa: BLE001 (a bad request must not hurt the owner)
            log.warning("doorbell: %s", exc)
            reply = {"ok": False, "error": str(exc)}
        reply = {**reply, "pid": os.getpid(), "kind": self.kind}
        with contextlib.suppress(OSError):
            writer.write(json.dumps(reply).encode() + b"\n")
            await writer.drain()

    async def _close_server(self) -> None:
        server, self._server = self._server, None
        for caller in list(self._callers):
            caller.close()  # hung up on: its readline ends, and so does its task
        if server is not None:
            server.close()
            with contextlib.suppress(OSError):
                await server.wait_closed()
        self._forget_doorbell()

    def _forget_doorbell(self) -> None:
        with contextlib.suppress(OSError):
            self.doorbell_path.unlink(missing_ok=True)

    async def release(self) -> None:
        """Stop answering and give the folder up (the kernel also does it at exit)."""
        if self._server is not None:
            await self._close_server()
        self.unlock()

    def unlock(self) -> None:
        """Give the folder up (for a holder that never answered the doorbell)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


async def ring(folder: Path, request: dict[str, Any]) -> dict[str, Any] | None:
    """Ask the folder's owner something; its reply, or None when nobody answers."""
    bell = await asyncio.to_thread(Doorbell.read, folder)
    if bell is None:
        return None
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", bell.port, limit=_MAX_LINE), RING_TIMEOUT_S
        )
    except (OSError, TimeoutError):
        return None
    try:
        writer.write(json.dumps({**request, "token": bell.token}).encode() + b"\n")
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
