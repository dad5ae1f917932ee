"""The user's own files are never overwritten by a file the app did not write (issue 15 §3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Simulator

MINE = b"\x00\x00\x00\x18ftypisom the user's own boat film" + bytes(2000)
NOTES = b'{"my": "notes about the boat"}\n'


def _generate(server: SimulatorServer, *args: str) -> subprocess.CompletedProcess[str]:
    return _cli(server, "generate", "-p", "a boat", "--duration", "4", *args)


def _cli(server: SimulatorServer, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "OPENROUTER_API_KEY": "sk-or-v1-files",
        "OPENROUTER_BASE_URL": server.base_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "videostudio", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_an_existing_file_at_o_is_kept_and_the_clip_takes_a_free_name(
    server: SimulatorServer, sim: Simulator, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "boat.mp4").write_bytes(MINE)
    (outside / "boat.json").write_bytes(NOTES)
    done = _generate(server, "-o", str(outside / "boat.mp4"))
    assert done.returncode == 0, done.stderr
    assert "boat.mp4 exists and is kept" in done.stderr
    assert (outside / "boat.mp4").read_bytes() == MINE
    assert (outside / "boat.json").read_bytes() == NOTES
    assert done.stdout.split() == [str(outside / "boat-2.mp4")]
    side = json.loads((outside / "boat-2.json").read_text())
    assert side["videostudio_sidecar"] == 1 and side["file"] == "boat-2.mp4"
    assert sim.submit_count == 1


def test_overwrite_replaces_the_clip_but_never_a_json_the_app_did_not_write(
    server: SimulatorServer, tmp_path: Path
) -> None:
    (tmp_path / "boat.mp4").write_bytes(MINE)
    (tmp_path / "boat.json").write_bytes(NOTES)
    done = _generate(server, "-o", str(tmp_path / "boat.mp4"), "--overwrite")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(tmp_path / "boat.mp4")]
    assert (tmp_path / "boat.mp4").read_bytes() != MINE
    assert (tmp_path / "boat.json").read_bytes() == NOTES
    assert "sidecar was not written (boat.json is not a file videostudio wrote" in done.stderr
    again = _generate(server, "-o", str(tmp_path / "boat.mp4"), "--overwrite", "--seed", "9")
    assert again.returncode == 0, again.stderr  # the app's own clip may be replaced...
    assert (tmp_path / "boat.json").read_bytes() == NOTES  # ...the user's notes never


def test_save_copies_beside_an_existing_file_and_the_library_says_when_a_file_is_gone(
    server: SimulatorServer, tmp_path: Path, data_dir: Path
) -> None:
    done = _generate(server)
    assert done.returncode == 0, done.stderr
    (clip,) = done.stdout.split()
    (tmp_path / "copy.mp4").write_bytes(MINE)
    copied = _cli(server, "save", "1", "-o", str(tmp_path / "copy.mp4"))
    assert copied.returncode == 0, copied.stderr
    assert f"to {tmp_path / 'copy-2.mp4'}" in copied.stderr
    assert (tmp_path / "copy.mp4").read_bytes() == MINE
    assert (tmp_path / "copy-2.mp4").read_bytes() == Path(clip).read_bytes()
    Path(clip).unlink()  # the user deletes the clip in a file manager
    listed = _cli(server, "library")
    assert f"{clip}  (file missing: moved or deleted)" in listed.stdout
