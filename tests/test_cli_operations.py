"""`videostudio generate --extend/--edit/--upscale/--avatar/--reference-*` through the real CLI
against the simulator over loopback: estimates, dry runs, caps, lineage and batches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli_batch import _bodies, _cli
from tests.test_simulator_operations import make_mp4, png_bytes, wav_bytes
from videostudio.services.clips import sidecar_path
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Simulator

SEEDANCE = "bytedance/seedance-2.5"


def _jobs(server: SimulatorServer) -> list[dict[str, object]]:
    return list(json.loads(_cli(server, "jobs", "--json").stdout))


def _source(server: SimulatorServer) -> None:
    """Job 1: a Seedance 2.5 clip, 854x480, 4 s."""
    proc = _cli(
        server,
        "generate",
        "-p",
        "a kite",
        "-m",
        SEEDANCE,
        "--duration",
        "4",
        "--resolution",
        "480p",
        "--aspect-ratio",
        "16:9",
    )
    assert proc.returncode == 0, proc.stderr


def test_extend_prices_then_sends_one_job_that_records_its_source(
    server: SimulatorServer, sim: Simulator
) -> None:
    _source(server)
    dry = _cli(
        server, "generate", "--extend", "1", "-p", "it climbs", "--duration", "4", "--dry-run"
    )
    assert dry.returncode == 0, dry.stderr
    # 854 x 480 (the source's frame) x 24 fps x 4 s / 1024 = 38,430 tokens x $0.0000064
    assert "estimated cost ≈ $0.246" in dry.stderr
    body = json.loads(dry.stdout)
    job_id = _jobs(server)[0]["job_id"]
    assert body == {
        "model": SEEDANCE,
        "duration": 4,
        "previous_job_id": job_id,
        "prompt": "it climbs",
        "seed": body["seed"],
    }
    assert sim.submit_count == 1
    proc = _cli(server, "generate", "--extend", "1", "-p", "it climbs", "--duration", "4")
    assert proc.returncode == 0, proc.stderr
    assert sim.submit_count == 2
    row = _jobs(server)[1]
    assert row["source_job"] == {"local_id": 1, "operation": "extend"}
    assert row["cost_usd"] == pytest.approx(854 * 480 * 24 * 4 / 1024 * 0.0000064)
    assert row["cost_usd"] == pytest.approx(row["estimate_usd"])
    saved = json.loads(sidecar_path(Path(str(row["path"]))).read_text())
    assert saved["source_job"] == {"local_id": 1, "operation": "extend"}


def test_upscale_and_edit_send_the_clip_as_a_video_reference(
    server: SimulatorServer, sim: Simulator
) -> None:
    _source(server)
    dry = _cli(
        server, "generate", "--upscale", "1", "--factor", "2", "--creativity", "1", "--dry-run"
    )
    assert dry.returncode == 0, dry.stderr
    # 1708 x 960 = 1.63968 MP x 4 s x 10.5 c (creative) = $0.6887
    assert "estimated cost ≈ $0.689" in dry.stderr
    body = json.loads(dry.stdout)
    assert body["model"] == "black-forest-labs/flux-video-upscale"
    assert body["upscale_factor"] == 2 and body["creativity"] == 1
    assert body["input_references"][0]["type"] == "video_url"
    assert "previous_job_id" not in body  # a Veo or Seedance job cannot be named to FLUX
    edit = _cli(server, "generate", "--edit", "1", "-p", "make it dusk", "-m", "runway/aleph-2")
    assert edit.returncode == 0, edit.stderr
    row = _jobs(server)[1]
    assert row["source_job"] == {"local_id": 1, "operation": "edit"}
    assert row["cost_usd"] == pytest.approx(4 * 0.28)
    wrong = _cli(server, "generate", "--extend", "1", "-m", "black-forest-labs/flux-3-video")
    assert wrong.returncode != 0 and "cannot extend a clip made by" in wrong.stderr
    assert "Traceback" not in wrong.stderr


def test_an_operation_is_held_to_the_caps(server: SimulatorServer, sim: Simulator) -> None:
    _source(server)
    assert _cli(server, "budget", "--daily", "0.30").returncode == 0
    proc = _cli(server, "generate", "--edit", "1", "-p", "dusk", "-m", "runway/aleph-2")
    assert proc.returncode != 0 and "Not sent" in proc.stderr
    assert sim.submit_count == 1


def test_avatar_and_references_are_checked_by_content(
    server: SimulatorServer, sim: Simulator, tmp_path: Path
) -> None:
    face = tmp_path / "face.png"
    face.write_bytes(png_bytes((20, 200, 40), side=64))
    voice = tmp_path / "voice.wav"
    voice.write_bytes(wav_bytes(2.0))
    dry = _cli(server, "generate", "--avatar", str(face), "--audio", str(voice), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "estimated cost ≈ $0.10" in dry.stderr  # 2 s of audio x $0.05
    fake = tmp_path / "song.mp3"
    fake.write_bytes(b"not audio at all" * 100)
    proc = _cli(server, "generate", "-p", "x", "-m", SEEDANCE, "--reference-audio", str(fake))
    assert proc.returncode != 0 and "is not an MP3, WAV or M4A" in proc.stderr
    proc = _cli(
        server, "generate", "-p", "x", "-m", "google/veo-3.1-fast", "--reference-audio", str(voice)
    )
    assert proc.returncode != 0
    assert 'model "google/veo-3.1-fast" does not accept audio input references' in proc.stderr
    clip = make_mp4(tmp_path / "ref.mp4", (64, 36), 1.0, (200, 20, 20))
    proc = _cli(
        server,
        "generate",
        "-p",
        "x",
        "-m",
        SEEDANCE,
        "--duration",
        "4",
        "--resolution",
        "480p",
        "--reference-video",
        str(clip),
        "--reference-audio",
        str(voice),
    )
    assert proc.returncode == 0, proc.stderr
    kinds = [p["type"] for p in _bodies(sim)[-1]["input_references"]]  # type: ignore[union-attr]
    assert kinds == ["video_url", "audio_url"]
    assert sim.submit_count == 1


def test_the_jobs_of_one_batch_share_a_session_id(server: SimulatorServer, sim: Simulator) -> None:
    proc = _cli(server, "generate", "-p", "x", "--duration", "4", "--seed", "1", "--seed", "2")
    assert proc.returncode == 0, proc.stderr
    sessions = {b.get("session_id") for b in _bodies(sim)}
    assert len(sessions) == 1 and str(next(iter(sessions))).startswith("videostudio-batch-")
