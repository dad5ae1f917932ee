"""Batches, budgets, spend, the library and iterating from a job, through the real CLI
against the simulator over loopback (which counts what was really sent)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.test_simulator_clips import _png
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Simulator


def _cli(
    server: SimulatorServer, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "OPENROUTER_API_KEY": "sk-or-v1-batch",
        "OPENROUTER_BASE_URL": server.base_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "videostudio", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        input=stdin,
    )


def _bodies(sim: Simulator) -> list[dict[str, object]]:
    return [json.loads(r["body"]) for r in sim.requests if r["method"] == "POST"]


def test_seeds_times_models_make_one_job_each_grouped_as_a_batch(
    server: SimulatorServer, sim: Simulator
) -> None:
    proc = _cli(
        server,
        "generate",
        "-p",
        "a kite",
        "--duration",
        "4",
        "--seed",
        "1",
        "--seed",
        "2",
        "--model",
        "google/veo-3.1-fast",
        "--model",
        "alibaba/wan-2.7",
    )
    assert proc.returncode == 0, proc.stderr
    assert "4 jobs: estimated cost ≈ $1.60 in all" in proc.stderr  # 4 jobs x 4 s at $0.10/s
    sent = sorted((str(b["model"]), b["seed"]) for b in _bodies(sim))
    assert sent == [
        ("alibaba/wan-2.7", 1),
        ("alibaba/wan-2.7", 2),
        ("google/veo-3.1-fast", 1),
        ("google/veo-3.1-fast", 2),
    ]
    rows = json.loads(_cli(server, "jobs", "--json").stdout)
    assert len(rows) == 4 and all(r["state"] == "saved" for r in rows)


def test_seeds_n_gives_n_random_seeds(server: SimulatorServer, sim: Simulator) -> None:
    proc = _cli(server, "generate", "-p", "x", "--seeds", "8", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "8 jobs" in proc.stderr
    assert "Dry run: nothing was sent." in proc.stderr
    assert sim.submit_count == 0


def test_a_dry_run_prints_the_body_and_the_estimate(
    server: SimulatorServer, sim: Simulator, tmp_path: Path
) -> None:
    image = tmp_path / "first.png"
    image.write_bytes(__import__("base64").b64decode(_png("#ff0000").split(",", 1)[1]))
    proc = _cli(
        server,
        "generate",
        "-p",
        "dry",
        "--model",
        "google/veo-3.1-fast",
        "--duration",
        "4",
        "--size",
        "3840x2160",
        "--image",
        f"{image}:first",
        "--dry-run",
    )
    assert proc.returncode == 0, proc.stderr
    body = json.loads(proc.stdout)
    assert (body["model"], body["size"], body["duration"]) == (
        "google/veo-3.1-fast",
        "3840x2160",
        4,
    )
    assert body["frame_images"][0]["frame_type"] == "first_frame"
    assert "KB)" in body["frame_images"][0]["image_url"]["url"]  # described, not dumped
    assert "≈ $1.20" in proc.stderr  # 4K: $0.30/s with audio
    assert sim.submit_count == 0
    assert json.loads(_cli(server, "jobs", "--json").stdout) == []  # not even journaled


def test_provider_options_go_out_under_provider_options(
    server: SimulatorServer, sim: Simulator
) -> None:
    proc = _cli(
        server,
        "generate",
        "-p",
        "opts",
        "--duration",
        "4",
        "--option",
        "negativePrompt=blurry text",
        "--option",
        "enhancePrompt=false",
    )
    assert proc.returncode == 0, proc.stderr
    (body,) = _bodies(sim)
    assert body["provider"] == {
        "options": {
            "google-vertex": {
                "parameters": {"negativePrompt": "blurry text", "enhancePrompt": False}
            }
        }
    }
    job = next(iter(sim.jobs.values()))
    assert job.request.provider == body["provider"]  # kept on the simulated job
    refused = _cli(server, "generate", "-p", "x", "--option", "cfg_scale=0.5")
    assert refused.returncode == 2
    assert "does not take the option cfg_scale" in refused.stderr
    assert sim.submit_count == 1


def test_a_batch_that_a_cap_refuses_sends_nothing(server: SimulatorServer, sim: Simulator) -> None:
    assert _cli(server, "budget", "--daily", "1.00").returncode == 0
    proc = _cli(server, "generate", "-p", "x", "--duration", "4", "--seeds", "3", "--yes")
    assert proc.returncode == 2
    assert "over your daily cap of $1.00" in proc.stderr
    assert "Nothing was sent" in proc.stderr
    assert sim.submit_count == 0
    assert json.loads(_cli(server, "jobs", "--json").stdout) == []
    forced = _cli(
        server, "generate", "-p", "x", "--duration", "4", "--seeds", "3", "--yes", "--over-budget"
    )
    assert forced.returncode == 0, forced.stderr
    assert "sent anyway as asked" in forced.stderr
    assert sim.submit_count == 3


def test_big_batches_and_costly_jobs_ask_first(server: SimulatorServer, sim: Simulator) -> None:
    proc = _cli(server, "generate", "-p", "x", "--duration", "4", "--seeds", "5")
    assert proc.returncode == 2
    assert "This sends 5 paid jobs" in proc.stderr
    assert "add --yes" in proc.stderr
    assert _cli(server, "budget", "--ask-above", "0.50").returncode == 0
    costly = _cli(server, "generate", "-p", "x", "--model", "google/veo-3.1", "--duration", "8")
    assert costly.returncode == 2
    assert "cost more than $0.50 each" in costly.stderr
    assert sim.submit_count == 0


def test_spend_adds_up_actual_costs_and_marks_estimates(
    server: SimulatorServer, sim: Simulator
) -> None:
    assert _cli(server, "generate", "-p", "a", "--duration", "4").returncode == 0
    failed = _cli(server, "generate", "-p", "b [simulate:failed]", "--duration", "4")
    assert failed.returncode == 1
    spend = json.loads(_cli(server, "spend", "--json").stdout)
    assert spend["demo"] is False
    assert spend["today"] == {"actual_usd": 0.4, "estimated_usd": 0, "total_usd": 0.4, "jobs": 1}
    assert spend["by_model"]["google/veo-3.1-fast"]["jobs"] == 1
    listing = _cli(server, "jobs").stdout
    assert "not billed" in listing  # the failed job is never shown as a charge


def test_like_makes_a_new_job_from_a_jobs_settings(
    server: SimulatorServer, sim: Simulator, tmp_path: Path
) -> None:
    image = tmp_path / "first.png"
    image.write_bytes(__import__("base64").b64decode(_png("#0000ff").split(",", 1)[1]))
    first = _cli(
        server,
        "generate",
        "-p",
        "original",
        "--duration",
        "6",
        "--resolution",
        "1080p",
        "--seed",
        "41",
        "--image",
        f"{image}:first",
        "--option",
        "negativePrompt=rain",
    )
    assert first.returncode == 0, first.stderr
    again = _cli(server, "generate", "--like", "1", "--duration", "4")
    varied = _cli(server, "generate", "--like", "1", "--vary")
    assert again.returncode == 0 and varied.returncode == 0, again.stderr + varied.stderr
    one, two, three = _bodies(sim)
    assert two == {**one, "duration": 4}  # everything else, images and options included
    assert three["seed"] != 41
    assert {k: v for k, v in three.items() if k != "seed"} == {
        k: v for k, v in one.items() if k != "seed"
    }


def test_library_lists_clips_with_everything_they_were_made_with(
    server: SimulatorServer, sim: Simulator
) -> None:
    for prompt, seed in (("a red kite", "5"), ("a blue boat", "6")):
        assert (
            _cli(server, "generate", "-p", prompt, "--seed", seed, "--duration", "4").returncode
            == 0
        )
    clips = json.loads(_cli(server, "library", "--json", "--search", "kite").stdout)
    (clip,) = clips
    assert (clip["prompt"], clip["model"], clip["seed"]) == ("a red kite", "google/veo-3.1-fast", 5)
    assert clip["parameters"] == {"duration": 4, "seed": 5}
    assert clip["cost_usd"] == 0.4
    assert Path(clip["path"]).exists()
    by_seed = json.loads(_cli(server, "library", "--json", "--search", "6").stdout)
    assert [c["prompt"] for c in by_seed] == ["a blue boat"]
    assert json.loads(_cli(server, "library", "--json", "--favourites").stdout) == []
