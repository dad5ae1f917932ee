"""The doorbell's socket never outlives the folder it answers for, however its start ends."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

from videostudio.services.instance import DataFolder, doorbell_address


async def _answer(request: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True}


def _address_is_free(folder: Path) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.bind(doorbell_address(folder))
    except OSError:
        return False
    finally:
        probe.close()
    return True


def test_a_start_cancelled_at_any_step_leaves_no_socket_behind(tmp_path: Path) -> None:
    async def main() -> None:
        for steps in range(6):  # cancel after 0, 1, ... loop turns, wherever serve() waits
            folder = DataFolder(tmp_path / f"f{steps}", "window")
            assert folder.try_acquire()
            task = asyncio.ensure_future(folder.serve(_answer))
            for _ in range(steps):
                await asyncio.sleep(0)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await folder.release()
            assert _address_is_free(folder.folder), f"socket left open after {steps} turns"

    asyncio.run(main())
