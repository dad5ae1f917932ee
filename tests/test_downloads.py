"""Downloads: each output of a job stands alone; a paid job not saved is finished at the
next start, once (issue 15 §5)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import VirtualTime
from tests.test_jobs import Harness, _harness
from videostudio.core.jobs import REJECTED, SAVED, JobRecord
from videostudio.core.models import EXPIRED, GenerationRequest
from videostudio.services.clips import file_sha256, sidecar_path, write_sidecar
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Fault, Simulator

THREE = GenerationRequest(
    model="x-ai/grok-imagine-video", prompt="[simulate:outputs=3]", duration=2, resolution="480p"
)
REQ_ONE = GenerationRequest(model="google/veo-3.1-fast", prompt="a boat", duration=4, seed=3)


@pytest.fixture
async def jobs(
    server: SimulatorServer, vtime: VirtualTime, tmp_path: Path
) -> AsyncIterator[Harness]:
    async for harness in _harness(server, vtime, tmp_path):
        yield harness


async def test_a_missing_output_is_reported_by_its_number_and_the_others_are_saved(
    jobs: Harness, sim: Simulator
) -> None:
    sim.add_fault(Fault("content", "status", status=404, index=1, times=100))
    (record,) = await jobs.service.enqueue([THREE])
    await jobs.service.wait_idle()
    done = jobs.journal.get(record.local_id)
    assert done.state == SAVED
    assert done.label == "Saved, 1 of 3 outputs missing"
    assert [o.index for o in done.outputs] == [0, 2]
    for output in done.outputs:
        assert file_sha256(Path(output.path)) == output.sha256
    assert done.note is not None and "1 of 3 outputs missing (output 2:" in done.note
    side = json.loads(sidecar_path(Path(done.path or "")).read_text())
    assert [o["index"] for o in side["outputs"]] == [0, 2]


async def test_a_job_whose_every_output_is_gone_is_expired(jobs: Harness, sim: Simulator) -> None:
    sim.add_fault(Fault("content", "status", status=404, times=100))
    (record,) = await jobs.service.enqueue([THREE])
    await jobs.service.wait_idle()
    done = jobs.journal.get(record.local_id)
    assert (done.state, done.outputs) == (EXPIRED, ())


def test_after_a_full_disk_is_freed_resume_finishes_the_paid_job_and_says_so(
    server: SimulatorServer, sim: Simulator, data_dir: Path
) -> None:
    """The clips folder is a 64 KiB tmpfs in a private mount namespace (the kernel's own
    ENOSPC); outside it there is room: `resume` saves the job, sending nothing again."""
    clips = data_dir / "clips"
    clips.mkdir(parents=True)
    env = {
        **os.environ,
        "OPENROUTER_API_KEY": "sk-or-v1-disk",
        "OPENROUTER_BASE_URL": server.base_url,
    }
    script = (
        f'mount -t tmpfs -o size=64k tmpfs "{clips}" && '
        f'"{sys.executable}" -m videostudio generate -p "too big" --duration 8 --resolution 1080p'
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
    resumed = subprocess.run(
        [sys.executable, "-m", "videostudio", "resume"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "Saving job 1 again: it was paid for but not saved." in resumed.stderr
    (saved,) = resumed.stdout.split()
    assert Path(saved).parent == clips
    assert sim.submit_count == 1
    again = subprocess.run(
        [sys.executable, "-m", "videostudio", "resume"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Nothing to resume." in again.stderr


async def test_a_sidecar_that_cannot_be_written_never_blocks_saved(
    jobs: Harness, tmp_path: Path
) -> None:
    dest = tmp_path / "out" / "boat.mp4"
    (tmp_path / "out" / "boat.json").mkdir(parents=True)  # something the app cannot replace
    (record,) = await jobs.service.enqueue([REQ_ONE], dest=dest, replace=True)
    await jobs.service.wait_idle()
    done = jobs.journal.get(record.local_id)
    assert (done.state, done.path) == (SAVED, str(dest))
    assert done.note is not None and "Its sidecar was not written (boat.json is not" in done.note
    assert (tmp_path / "out" / "boat.json").is_dir()


async def test_a_body_that_is_not_strict_json_is_refused_not_sent(
    jobs: Harness, sim: Simulator
) -> None:
    """What got past the form (an old journal, a script): refused, never "may have been sent"."""
    bad = GenerationRequest(
        model="kwaivgi/kling-v3.0-pro",
        prompt="x",
        provider={"options": {"atlas-cloud": {"parameters": {"cfg_scale": float("nan")}}}},
    )
    (record,) = await jobs.service.enqueue([bad])
    await jobs.service.wait_idle()
    done = jobs.journal.get(record.local_id)
    assert done.state == REJECTED
    assert done.error == (
        "Not sent: The request has a number that is not finite (NaN or infinity); it was not sent."
    )
    assert sim.submit_count == 0


def test_a_sidecar_keeps_text_that_is_not_utf8_as_an_escape(tmp_path: Path) -> None:
    record = JobRecord(
        local_id=1, state=SAVED, model="m", prompt="caf\udce9", request={"prompt": "caf\udce9"}
    )
    path = write_sidecar(record, tmp_path / "clip.mp4")
    assert json.loads(path.read_text("utf-8"))["prompt"] == "caf\udce9"
    assert oct(path.stat().st_mode & 0o777) == "0o600"


async def test_a_file_that_appears_at_the_destination_mid_download_is_kept(
    jobs: Harness, tmp_path: Path
) -> None:
    """The user saves their own boat.mp4 while the clip downloads: it is not replaced; the
    clip takes the next free name and the journal says where."""
    dest = tmp_path / "boat.mp4"
    theirs = b"the user's file, saved during the download"

    def on_event(record: JobRecord, activity: object) -> None:
        if activity is not None and getattr(activity, "received", 0) and not dest.exists():
            dest.write_bytes(theirs)

    jobs.service.subscribe(on_event)
    (record,) = await jobs.service.enqueue([REQ_ONE], dest=dest)
    await jobs.service.wait_idle()
    done = jobs.journal.get(record.local_id)
    assert dest.read_bytes() == theirs
    assert (done.state, done.path) == (SAVED, str(tmp_path / "boat-2.mp4"))
    (output,) = done.outputs
    assert output.path == done.path and file_sha256(Path(output.path)) == output.sha256
    assert json.loads((tmp_path / "boat-2.json").read_text())["file"] == "boat-2.mp4"
