"""Hostile inputs: names from server data, decompression bombs, files that lie about their type."""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from pathlib import Path

import httpx
import pytest

from tests.conftest import Sleeps, canned_client
from videostudio.core.images import ImageRejectedError, inspect_image
from videostudio.core.jobs import UNKNOWN
from videostudio.core.models import GenerationRequest
from videostudio.core.naming import clip_file_name, safe_component
from videostudio.services.jobs import JobService
from videostudio.services.journal import Journal


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(side: int = 12_000) -> bytes:
    """A real, valid grey PNG of side x side pixels: ~140 KB that decodes to ~144 MB+."""
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    packer = zlib.compressobj(9)
    row = b"\x00" * (side + 1)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    "text",
    ["../../etc/passwd", "..", ".", "a/b\\c", "C:\\Windows\\x", "con", "\x00nul\x00", "", "////"],
)
def test_names_from_outside_are_one_safe_component(text: str) -> None:
    name = safe_component(text)
    assert name
    assert name not in (".", "..", "con")
    assert "/" not in name
    assert "\\" not in name
    assert "\x00" not in name
    assert ":" not in name


def test_a_hostile_job_id_cannot_steer_the_clip_path(tmp_path: Path) -> None:
    name = clip_file_name("../../x", "../../../../tmp/evil", 0)
    assert "/" not in name
    assert name.endswith(".mp4")


async def test_a_server_sending_a_traversal_job_id_is_refused_and_nothing_is_saved(
    tmp_path: Path, sleeps: Sleeps
) -> None:
    evil = "../../../../evil"
    mp4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100

    def reply(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(202, json={"id": evil, "polling_url": "/x", "status": "pending"})
        if request.url.path.endswith("/content"):
            return httpx.Response(200, content=mp4, headers={"content-type": "video/mp4"})
        return httpx.Response(200, json={"id": evil, "polling_url": "/x", "status": "completed"})

    journal = Journal(tmp_path / "data" / "j.sqlite3")
    clips = tmp_path / "data" / "clips"
    async with canned_client(reply, sleeps) as client:
        service = JobService(client, journal, clips, sleep=sleeps)
        (record,) = await service.enqueue([GenerationRequest("m", prompt="../../p")])
        await service.wait_idle()
    done = journal.get(record.local_id)
    journal.close()
    # The id is a path, not an opaque token: the reply is refused at the door, and the
    # job is one that "may have been created" (it was never resent, nothing was saved).
    assert done.state == UNKNOWN
    assert "not an opaque token" in (done.error or "")
    assert done.job_id is None
    assert list(tmp_path.rglob("*.mp4")) == []


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    bomb = png_bomb()
    assert len(bomb) < 1_000_000
    with pytest.raises(ImageRejectedError, match="12000 x 12000 pixels, too large"):
        inspect_image(bomb, "bomb.png")


def test_a_jpeg_claiming_a_huge_frame_is_refused() -> None:
    # SOI, then a baseline SOF0 segment that claims 60000 x 60000 pixels.
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 60000, 60000, 1) + b"\x01\x11\x00"
    with pytest.raises(ImageRejectedError, match="too large"):
        inspect_image(b"\xff\xd8\xff\xe0" + struct.pack(">H", 2) + sof[:])


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"just some text, renamed to .png", "not a PNG, JPEG, WebP or GIF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "damaged"),
        (b"", "empty"),
    ],
)
def test_files_that_lie_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(ImageRejectedError, match=reason):
        inspect_image(data, "photo.png")


def test_the_cli_refuses_a_bomb(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_bomb())
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "videostudio",
            "generate",
            "--demo",
            "--prompt",
            "x",
            "--image",
            f"{bomb}:first",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "too large to open safely" in proc.stderr
