"""The CLI end to end, as a user runs it: real processes, the built-in simulator."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.media import decode
from tests.test_simulator_clips import _png
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Fault


def _run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, headless: bool = False
) -> subprocess.CompletedProcess[str]:
    """``videostudio ARGS`` in a child process, without the user's key (or display, if asked)."""
    drop = {"OPENROUTER_API_KEY", "OPENROUTER_BASE_URL"}
    if headless:
        drop |= {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}
    base = {k: v for k, v in os.environ.items() if k not in drop}
    return subprocess.run(
        [sys.executable, "-m", "videostudio", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, **(env or {})},
        cwd=cwd,
        check=False,
    )


def test_generate_demo_writes_a_playable_clip(qtbot: QtBot, tmp_path: Path) -> None:
    out = tmp_path / "clip.mp4"
    image = tmp_path / "start.png"
    image.write_bytes(__import__("base64").b64decode(_png("#00ff00").split(",", 1)[1]))
    proc = _run(
        "generate",
        "--demo",
        "--prompt",
        "a green field",
        "--model",
        "google/veo-3.1-fast",
        "--duration",
        "4",
        "--resolution",
        "720p",
        "--aspect-ratio",
        "9:16",
        "--seed",
        "9",
        "--no-audio",
        "--image",
        f"{image}:first",
        "-o",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(out)
    assert "estimated cost ≈ $0.32" in proc.stderr
    assert "Saved" in proc.stderr and "cost $0.32" in proc.stderr
    decoded = decode(qtbot, out)
    assert set(decoded.sizes) == {(720, 1280)}
    assert abs(decoded.duration_ms - 4000) <= 100


def test_models_json_and_table() -> None:
    proc = _run("models", "--demo", "--json")
    assert proc.returncode == 0, proc.stderr
    ids = [m["id"] for m in json.loads(proc.stdout)["data"]]
    assert "google/veo-3.1" in ids
    assert "runway/aleph-2" not in ids  # edit models are not for plain generation
    table = _run("models", "--demo").stdout.splitlines()
    assert table[0].split()[:2] == ["MODEL", "DURATIONS"]
    assert any(line.startswith("google/veo-3.1 ") and "≈ $3.20" in line for line in table)


def test_invalid_values_are_refused_before_submitting() -> None:
    proc = _run(
        "generate", "--demo", "--prompt", "x", "--model", "google/veo-3.1", "--duration", "7"
    )
    assert proc.returncode == 2
    assert "supports durations 4, 6, 8; got 7" in proc.stderr
    proc = _run("generate", "--demo", "--prompt", "x", "--model", "google/veo-9")
    assert proc.returncode == 2
    assert "Unknown model 'google/veo-9'" in proc.stderr


def test_bad_image_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "photo.png"
    fake.write_text("not an image at all")
    proc = _run("generate", "--demo", "--prompt", "x", "--image", str(fake))
    assert proc.returncode == 2
    assert "photo.png is not a PNG, JPEG, WebP or GIF image" in proc.stderr


def test_failed_job_exits_non_zero(tmp_path: Path) -> None:
    proc = _run(
        "generate", "--demo", "--prompt", "boom [simulate:failed]", "-o", str(tmp_path / "x.mp4")
    )
    assert proc.returncode == 1
    assert "Job 1 ended failed: The provider could not generate this video" in proc.stderr
    assert not list(tmp_path.iterdir())


def test_without_a_key_it_says_what_to_do() -> None:
    proc = _run("models", env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    assert proc.returncode == 2
    assert "No OpenRouter API key" in proc.stderr and "--demo" in proc.stderr


def test_key_and_base_url_from_environment(server: SimulatorServer) -> None:
    proc = _run(
        "models",
        "--json",
        env={"OPENROUTER_API_KEY": "sk-env", "OPENROUTER_BASE_URL": server.base_url},
    )
    assert proc.returncode == 0, proc.stderr
    assert server.sim.requests[-1]["headers"]["Authorization"] == "Bearer sk-env"


def test_plain_http_to_a_remote_host_is_refused() -> None:
    proc = _run(
        "models", "--base-url", "http://example.com/api/v1", env={"OPENROUTER_API_KEY": "k"}
    )
    assert proc.returncode == 2
    assert "Refusing to send the API key over plain http" in proc.stderr


def test_no_display_runs_the_cli_demo(tmp_path: Path) -> None:
    proc = _run(cwd=tmp_path, headless=True)
    assert proc.returncode == 0, proc.stderr
    assert "No display found" in proc.stderr
    assert (tmp_path / "videostudio-demo.mp4").read_bytes()[4:8] == b"ftyp"


def test_window_options_without_a_display_run_the_demo_in_that_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "elsewhere"
    proc = _run("--demo", "--data-dir", str(data), cwd=tmp_path, headless=True)
    assert proc.returncode == 0, proc.stderr
    assert (data / "demo" / "journal.sqlite3").exists()
    help_text = _run("--help").stdout
    assert "--data-dir" in help_text
    assert "resume" in help_text


def test_seeds_outside_the_api_range_are_refused_like_in_the_window() -> None:
    for seed in ("-1", str(2**64)):
        proc = _run("generate", "--demo", "--prompt", "x", "--seed", seed)
        assert proc.returncode == 2, proc.stderr
        assert "A seed is a whole number from 0 to 2147483647." in proc.stderr


def test_an_unfixed_seed_is_picked_sent_and_recorded(tmp_path: Path) -> None:
    proc = _run("generate", "--demo", "--prompt", "any seed", "-o", str(tmp_path / "a.mp4"))
    assert proc.returncode == 0, proc.stderr
    (row,) = json.loads(_run("jobs", "--demo", "--json").stdout)
    assert isinstance(row["seed"], int)
    assert row["parameters"]["seed"] == row["seed"]
    side = json.loads((tmp_path / "a.json").read_text())
    assert side["seed"] == row["seed"]


def test_special_files_are_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.png"
    zero.symlink_to("/dev/zero")
    for path in (fifo, zero):
        proc = _run("generate", "--demo", "--prompt", "x", "--image", str(path))
        assert proc.returncode == 2, proc.stderr
        assert f"{path.name} is not a regular file" in proc.stderr
        assert "Traceback" not in proc.stderr


def test_the_cli_and_the_window_refuse_the_same_truncated_png(tmp_path: Path) -> None:
    whole = __import__("base64").b64decode(_png("#336699", 640, 360).split(",", 1)[1])
    cut = tmp_path / "cut.png"
    cut.write_bytes(whole[: len(whole) // 2])
    proc = _run("generate", "--demo", "--prompt", "x", "--image", str(cut))
    assert proc.returncode == 2
    assert "cut.png is damaged and cannot be opened" in proc.stderr


def test_a_damaged_row_does_not_hide_the_other_jobs(tmp_path: Path, data_dir: Path) -> None:
    for prompt in ("first", "second"):
        assert _run("generate", "--demo", "--prompt", prompt).returncode == 0
    db = sqlite3.connect(data_dir / "demo" / "journal.sqlite3")
    db.execute("UPDATE jobs SET request='{' WHERE local_id=1")
    db.execute("UPDATE jobs SET state='completed' WHERE local_id=2")
    db.commit()
    db.close()
    listing = _run("jobs", "--demo")
    assert listing.returncode == 0, listing.stderr
    assert "second" in listing.stdout
    assert "1 job(s) in the journal cannot be read and were set aside (#1)" in listing.stderr
    resumed = _run("resume", "--demo")
    assert resumed.returncode == 0, resumed.stderr
    assert "Saved" in resumed.stderr
    assert "Traceback" not in resumed.stderr


def test_server_text_cannot_drive_the_terminal(server: SimulatorServer) -> None:
    server.sim.add_fault(
        Fault("submit", "status", status=400, message="\x1b]0;pwned\x07\x1b[2J bad \u202e")
    )
    env = {"OPENROUTER_API_KEY": "sk-or-v1-tty", "OPENROUTER_BASE_URL": server.base_url}
    proc = _run("generate", "--prompt", "\x1b[31mred", "--duration", "4", env=env)
    assert proc.returncode == 1
    assert "\x1b" not in proc.stderr + proc.stdout
    assert "\u202e" not in proc.stderr
    assert "\\x1b]0;pwned\\x07\\x1b[2J bad \\u202e" in proc.stderr
    listing = _run("jobs", env=env)
    assert "\x1b" not in listing.stdout
    assert "\\x1b[31mred" in listing.stdout


def test_listings_say_only_what_is_true(data_dir: Path) -> None:
    """No "seed None" for a model without seeds; no estimate legend when no row has one."""
    made = _run("generate", "--demo", "--prompt", "no seed here", "--model", "openai/sora-2-pro")
    assert made.returncode == 0, made.stderr
    library = _run("library", "--demo")
    assert library.returncode == 0, library.stderr
    assert "openai/sora-2-pro" in library.stdout
    assert "None" not in library.stdout
    assert "no seed" in library.stdout.splitlines()[0]
    listing = _run("jobs", "--demo")
    assert listing.returncode == 0, listing.stderr
    assert "≈" not in listing.stdout  # the job reported its cost
    assert "≈ estimate" not in listing.stderr + listing.stdout
