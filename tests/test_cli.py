"""The CLI end to end, as a user runs it: real processes, the built-in simulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.media import decode
from tests.test_simulator_clips import _png
from videostudio.simulator.server import SimulatorServer


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
