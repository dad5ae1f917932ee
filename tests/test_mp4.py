"""The MP4 structure check on real H.264 clips from the simulator and on broken variants."""

from __future__ import annotations

import os
import random
import struct
from pathlib import Path

import pytest

from videostudio.core.mp4 import Mp4Error, Mp4Walker, check_file, is_complete_mp4
from videostudio.simulator.service import Simulator, sparse_mp4

REQUESTS = [
    {"model": "google/veo-3.1-fast", "prompt": "p", "duration": 4},
    {"model": "x-ai/grok-imagine-video", "prompt": "tall", "duration": 2, "aspect_ratio": "9:16"},
]


@pytest.fixture
def clips(sim: Simulator) -> list[bytes]:
    """Real clips, rendered by the simulator (PyAV, libx264) and cached across tests."""
    out = []
    for body in REQUESTS:
        status, reply = sim.submit(body)
        assert status == 202
        out.append(sim.clip_path(sim.jobs[reply["id"]]).read_bytes())
    return out


def _write(tmp_path: Path, data: bytes, name: str = "clip.mp4") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _feed_in_pieces(data: bytes, seed: int) -> None:
    rng = random.Random(seed)
    walker = Mp4Walker(expected_size=len(data))
    at = 0
    while at < len(data):
        step = rng.choice([1, 3, 7, 8, 16, 1000, 65536])
        walker.feed(data[at : at + step])
        at += step
    walker.finish()


def test_real_clips_are_complete(clips: list[bytes], tmp_path: Path) -> None:
    for i, data in enumerate(clips):
        check_file(_write(tmp_path, data, f"{i}.mp4"))
        _feed_in_pieces(data, seed=i)  # the streaming check agrees, however the bytes arrive
        Mp4Walker().feed(data)  # and without a known size


def test_a_64_bit_box_and_a_box_to_the_end_of_the_file(tmp_path: Path) -> None:
    big = sparse_mp4(tmp_path / "big.mp4", (5 << 30) + 123)  # past 4 GiB: needs largesize
    check_file(big)
    to_end = struct.pack(">I4s4sI", 16, b"ftyp", b"isom", 0) + struct.pack(">I4s", 8, b"moov")
    check_file(_write(tmp_path, to_end + struct.pack(">I4s", 0, b"mdat") + os.urandom(5000)))


@pytest.mark.parametrize(
    ("name", "damage", "why"),
    [
        ("cut at 40 %", lambda d: d[: len(d) * 2 // 5], "cut short|runs past"),
        ("cut inside a header", lambda d: d[:30], "stray bytes|cut short|runs past"),
        # Seeded: about 2 % of random bytes read as a box header of a printable type.
        (
            "ftyp + random bytes",
            lambda d: d[:32] + random.Random(8).randbytes(len(d) - 32),
            "no valid MP4 box",
        ),
        ("trailing garbage", lambda d: d + b"GARBAGE!" * 3, "no valid MP4 box|runs past"),
        ("three stray bytes", lambda d: d + b"\0\0\1", "stray bytes"),
        ("no ftyp first", lambda d: d[32:], "does not start with an ftyp"),
        ("empty", lambda d: b"", "has no ftyp"),
        ("ftyp only", lambda d: d[:32], "has no moov, mdat"),
        ("a second ftyp", lambda d: d[:32] + d, "misplaced or malformed ftyp"),
    ],
)
def test_broken_files_are_refused(
    clips: list[bytes], tmp_path: Path, name: str, damage: object, why: str
) -> None:
    data = damage(clips[0])  # type: ignore[operator]
    assert clips[0][4:8] == b"ftyp" and struct.unpack(">I", clips[0][:4])[0] == 32
    path = _write(tmp_path, data)
    with pytest.raises(Mp4Error, match=why):
        check_file(path)
    assert not is_complete_mp4(path)
    with pytest.raises(Mp4Error, match=why):
        _feed_in_pieces(data, seed=1)


def test_a_gibibyte_of_zeros_is_refused_after_eight_bytes(tmp_path: Path) -> None:
    zeros = tmp_path / "zeros.mp4"
    with zeros.open("wb") as f:
        f.truncate(1 << 30)  # sparse: no disk space
    with pytest.raises(Mp4Error, match="no valid MP4 box at byte 0"):
        check_file(zeros)
    walker = Mp4Walker()
    with pytest.raises(Mp4Error):
        walker.feed(bytes(8))
    assert walker.position == 8  # the stream is judged at its first header


def test_a_missing_file_is_not_complete(tmp_path: Path) -> None:
    assert not is_complete_mp4(tmp_path / "nothing.mp4")
