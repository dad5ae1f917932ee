"""Only the paid clip is called saved: proof in the journal, destinations checked and
fallen back from, a full disk explained, nothing at the destination trusted."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import VirtualTime
from tests.test_jobs import REQ, Harness, _harness
from videostudio.core.jobs import SAVED
from videostudio.services.clips import file_sha256, partial_path
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Simulator


@pytest.fixture
async def jobs(
    server: SimulatorServer, vtime: VirtualTime, tmp_path: Path
) -> AsyncIterator[Harness]:
    async for harness in _harness(server, vtime, tmp_path):
        yield harness


def _clip_of(sim: Simulator, job_id: str | None) -> bytes:
    return sim.clip_path(sim.jobs[job_id or ""]).read_bytes()


async def test_the_journal_records_size_and_hash_of_the_saved_file(
    jobs: Harness, sim: Simulator
) -> None:
    (record,) = await jobs.service.enqueue([REQ])
    await jobs.service.wait_idle()
    done = jobs.journal.get(record.local_id)
    (output,) = done.outputs
    clip = Path(done.path or "")
    assert (output.index, output.path) == (0, str(clip))
    assert output.size == clip.stat().st_size
    assert output.sha256 == file_sha256(clip)
    assert clip.read_bytes() == _clip_of(sim, done.job_id)


async def test_an_old_file_at_the_destination_is_never_taken_for_the_new_clip(
    server: SimulatorServer, sim: Simulator, vtime: VirtualTime, tmp_path: Path
) -> None:
    """Killed mid-download while -o held last week's clip, then resumed: the new clip is
    fetched beside it (boat-2.mp4); the old file is neither marked saved nor replaced."""
    dest = tmp_path / "boat.mp4"
    old = b"\x00\x00\x00\x18ftypisomold clip from last week" + bytes(5000)
    async for first in _harness(server, vtime, tmp_path):
        (record,) = await first.service.enqueue([REQ], dest=dest)
        while first.journal.get(record.local_id).state != "completed":
            await vtime.sleep(1)
        await first.service.aclose()  # the app dies here, before the download finished
        first.journal.update(record.local_id, state="downloading", path=str(dest))
    dest.write_bytes(old)  # whatever was there stays there until the new clip is checked
    async for second in _harness(server, vtime, tmp_path):
        await second.service.resume()
        await second.service.wait_idle()
        done = second.journal.get(record.local_id)
    assert done.state == SAVED
    assert dest.read_bytes() == old
    saved = tmp_path / "boat-2.mp4"
    assert done.path == str(saved)
    assert saved.read_bytes() == _clip_of(sim, done.job_id)
    assert done.outputs[0].sha256 == file_sha256(saved)


async def test_a_partial_file_of_another_job_is_never_continued(
    jobs: Harness, sim: Simulator, tmp_path: Path
) -> None:
    dest = tmp_path / "same-name.mp4"
    stale = partial_path(dest, "gen-vid-someone-else")
    stale.write_bytes(b"\x00\x00\x00\x18ftypisom" + b"another job's half" * 1000)
    (record,) = await jobs.service.enqueue([REQ], dest=dest)
    await jobs.service.wait_idle()
    done = jobs.journal.get(record.local_id)
    assert done.state == SAVED
    assert dest.read_bytes() == _clip_of(sim, done.job_id)
    ranges = [r["headers"].get("Range") for r in sim.requests if "/content" in r["path"]]
    assert ranges == [None]


async def test_a_folder_as_destination_saves_inside_it(jobs: Harness, tmp_path: Path) -> None:
    folder = tmp_path / "Videos"
    folder.mkdir()
    (record,) = await jobs.service.enqueue([REQ], dest=folder)
    await jobs.service.wait_idle()
    done = jobs.journal.get(record.local_id)
    assert done.state == SAVED
    assert Path(done.path or "").parent == folder
    assert Path(done.path or "").suffix == ".mp4"


async def test_a_destination_that_fails_falls_back_to_the_clips_folder_and_says_so(
    jobs: Harness, sim: Simulator, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    (record,) = await jobs.service.enqueue([REQ], dest=blocker / "clip.mp4")
    await jobs.service.wait_idle()
    done = jobs.journal.get(record.local_id)
    assert done.state == SAVED
    assert Path(done.path or "").parent == jobs.clips.resolve()
    assert "saved in the clips folder instead" in (done.note or "")
    assert str(blocker / "clip.mp4") in (done.note or "")
    assert Path(done.path or "").read_bytes() == _clip_of(sim, done.job_id)


def _cli(*args: str, base_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPENROUTER_API_KEY": "sk-or-v1-saving", "OPENROUTER_BASE_URL": base_url}
    return subprocess.run(
        [sys.executable, "-m", "videostudio", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_cli_checks_the_destination_before_paying(
    server: SimulatorServer, sim: Simulator, tmp_path: Path
) -> None:
    missing = _cli(
        "generate", "-p", "x", "-o", str(tmp_path / "nope" / "a.mp4"), base_url=server.base_url
    )
    assert missing.returncode == 2
    assert "does not exist. Nothing was sent." in missing.stderr
    blocker = tmp_path / "file"
    blocker.write_text("x")
    bad = _cli("generate", "-p", "x", "-o", str(blocker / "a.mp4"), base_url=server.base_url)
    assert bad.returncode == 2
    assert "Nothing was sent." in bad.stderr
    assert sim.submit_count == 0
    folder = tmp_path / "Videos"
    folder.mkdir()
    ok = _cli(
        "generate",
        "-p",
        "into a folder",
        "--duration",
        "4",
        "-o",
        str(folder),
        base_url=server.base_url,
    )
    assert ok.returncode == 0, ok.stderr
    (saved,) = ok.stdout.split()
    assert Path(saved).parent == folder


def test_the_cli_saves_a_paid_clip_elsewhere(
    server: SimulatorServer, sim: Simulator, data_dir: Path, tmp_path: Path
) -> None:
    first = _cli("generate", "-p", "keep me", "--duration", "4", base_url=server.base_url)
    assert first.returncode == 0, first.stderr
    other = tmp_path / "copy.mp4"
    copied = _cli("save", "1", "-o", str(other), base_url=server.base_url)
    assert copied.returncode == 0, copied.stderr
    assert other.read_bytes() == Path(first.stdout.strip()).read_bytes()
    nothing = _cli("save", "7", base_url=server.base_url)
    assert nothing.returncode == 2
    assert "There is no job 7" in nothing.stderr


def test_a_full_disk_is_a_clear_state_and_save_finishes_the_job(
    server: SimulatorServer, sim: Simulator, data_dir: Path
) -> None:
    """The clips folder is a 64 KiB tmpfs (in a private mount namespace): the kernel's own
    ENOSPC. The paid job ends "not saved" with what to do, and the disk is not left full."""
    clips = data_dir / "clips"
    clips.mkdir(parents=True)
    env = {
        **os.environ,
        "OPENROUTER_API_KEY": "sk-or-v1-disk",
        "OPENROUTER_BASE_URL": server.base_url,
    }
    script = (
        f'mount -t tmpfs -o size=64k tmpfs "{clips}" && '
        f'"{sys.executable}" -m videostudio generate -p "too big" --duration 8 --resolution 1080p; '
        f'echo "free=$(df -k --output=avail "{clips}" | tail -1)"'
    )
    unshare = shutil.which("unshare")
    assert unshare, "unshare (util-linux) is missing"
    full = subprocess.run(
        [unshare, "-rm", "sh", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Disk full: free" in full.stderr, full.stderr
    assert "then Retry." in full.stderr
    assert "videostudio save 1" in full.stderr
    assert int(full.stdout.split("free=")[1]) >= 56  # the partial file was removed
    assert sim.submit_count == 1
    again = _cli("save", "1", base_url=server.base_url)  # outside the namespace: room enough
    assert again.returncode == 0, again.stderr
    (saved,) = again.stdout.split()
    assert Path(saved).parent == clips
    assert sim.submit_count == 1
