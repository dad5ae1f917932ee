"""The doorbell: it never outlives the folder it answers for, however its start ends, and
it answers only a caller that brings the token from the owner's own file."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
from pathlib import Path
from typing import Any

import pytest

from videostudio.services import instance
from videostudio.services.instance import DataFolder, Doorbell, ring


async def _answer(request: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "heard": request}


def _refused(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_a_start_cancelled_at_any_step_leaves_no_listener_behind(tmp_path: Path) -> None:
    async def main() -> None:
        ports: list[int] = []
        for steps in range(8):  # cancel after 0, 1, ... loop turns, wherever serve() waits
            folder = DataFolder(tmp_path / f"f{steps}", "window")
            assert folder.try_acquire()
            task = asyncio.ensure_future(folder.serve(_answer))
            for _ in range(steps):
                await asyncio.sleep(0)
                bell = Doorbell.read(folder.folder)
                if bell is not None:
                    ports.append(bell.port)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await folder.release()
            assert not folder.doorbell_path.exists(), f"doorbell file left after {steps} turns"
            assert await ring(folder.folder, {"op": "wake"}) is None
        assert ports, "no step reached a published doorbell: the test tests nothing"
        assert all(_refused(p) for p in ports), "a listener was left open"

    asyncio.run(main())


def test_only_a_caller_with_the_token_is_answered(tmp_path: Path) -> None:
    async def main() -> None:
        folder = DataFolder(tmp_path / "data", "window")
        assert folder.try_acquire()
        assert await folder.serve(_answer)
        try:
            reply = await ring(folder.folder, {"op": "wake"})
            assert reply is not None and reply["heard"] == {"op": "wake"}
            assert reply["pid"] == os.getpid()
            bell = Doorbell.read(folder.folder)
            assert bell is not None
            for line in (b'{"op": "wake"}\n', b'{"op": "wake", "token": "00"}\n', b"junk\n"):
                reader, writer = await asyncio.open_connection("127.0.0.1", bell.port)
                writer.write(line)
                await writer.drain()
                assert await reader.read() == b"", line  # hung up on: no pid, no wake
                writer.close()
        finally:
            await folder.release()

    asyncio.run(main())


def test_the_lock_and_doorbell_files_are_the_owners_only(tmp_path: Path) -> None:
    async def main() -> None:
        folder = DataFolder(tmp_path / "data", "window")
        folder.folder.mkdir()
        folder.lock_path.write_text("{}")  # as an older version left it
        folder.lock_path.chmod(0o644)
        assert folder.try_acquire()
        assert await folder.serve(_answer)
        try:
            for path in (folder.lock_path, folder.doorbell_path):
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
            assert set(json.loads(folder.doorbell_path.read_text())) == {"port", "token"}
        finally:
            await folder.release()

    asyncio.run(main())


def test_a_doorbell_that_cannot_open_leaves_the_owner_driving(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A folder where the doorbell file cannot be written (a folder in its place): serve()
    says False and logs why; the lock is still held."""

    async def main() -> None:
        folder = DataFolder(tmp_path / "data", "window")
        assert folder.try_acquire()
        folder.doorbell_path.mkdir()
        (folder.doorbell_path / "x").touch()  # not removable as a file, not replaceable
        assert not await folder.serve(_answer)
        assert folder.held and not folder.answering
        await folder.release()

    asyncio.run(main())
    assert "driving without one" in caplog.text


def test_a_flood_of_silent_callers_is_bounded_and_hung_up_on(tmp_path: Path) -> None:
    """Callers beyond the cap are hung up on at once and the silent ones after a while; the
    owner answers its own ring once the flood has been hung up on."""

    async def main() -> None:
        folder = DataFolder(tmp_path / "data", "window")
        assert folder.try_acquire()
        assert await folder.serve(_answer)
        try:
            bell = Doorbell.read(folder.folder)
            assert bell is not None
            flood = [
                await asyncio.open_connection("127.0.0.1", bell.port)
                for _ in range(instance.MAX_CALLERS * 4)
            ]
            ends = await asyncio.gather(*(reader.read() for reader, _ in flood))
            assert ends == [b""] * len(flood)  # every one hung up on, none answered
            for _, writer in flood:
                writer.close()
            reply = await ring(folder.folder, {"op": "wake"})
            assert reply is not None and reply["ok"]
        finally:
            await folder.release()

    asyncio.run(main())
