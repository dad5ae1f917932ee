"""``videostudio --self-check`` as a user (or the bundle build) runs it: a real child process."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _self_check(
    env: dict[str, str] | None = None, prefix: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "PYTHON_KEYRING_BACKEND"}
    return subprocess.run(
        [*(prefix or []), sys.executable, "-m", "videostudio", "--self-check"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, **(env or {})},
        check=False,
    )


def test_self_check_decodes_the_bundled_clip_and_passes_without_a_keychain() -> None:
    proc = _self_check({"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    frames = re.search(r"ok    playback: decoded (\d+) frames \(160x90\) of selfcheck\.mp4", out)
    assert frames and int(frames.group(1)) >= 1, out
    assert "ok    Qt: Qt 6." in out
    assert "ok    thumbnails: PyAV" in out
    assert "ok    network: TLS:" in out
    assert "ok    journal: SQLite" in out
    assert "ok    platform: lock fcntl.flock; doorbell loopback TCP" in out
    assert "reveal: org.freedesktop.FileManager1" in out and "trash: the freedesktop" in out
    assert "note  keychain: no system keychain found" in out
    assert "Not a failure" in out
    assert out.rstrip().endswith("All checks passed.")


def test_self_check_names_the_real_secret_service(tmp_path: Path) -> None:
    dbus = shutil.which("dbus-run-session")
    assert dbus, "dbus-run-session is missing: run scripts/bootstrap"
    assert shutil.which("gnome-keyring-daemon"), "gnome-keyring is missing: run scripts/bootstrap"
    unlock = "echo -n test | gnome-keyring-daemon --unlock --components=secrets >/dev/null"
    proc = _self_check(
        {"HOME": str(tmp_path)},
        prefix=[dbus, "--", "sh", "-c", f'{unlock}; exec "$@"', "sh"],
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok    keychain: keyring backend keyring.backends.SecretService.Keyring" in proc.stdout


def test_self_check_fails_with_a_reason_when_the_clip_cannot_be_decoded(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes((ROOT / "resources" / "selfcheck.mp4").read_bytes()[:300])
    proc = _self_check({"VIDEOSTUDIO_SELF_CHECK_CLIP": str(damaged)})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"FAIL  playback: QMediaPlayer decoded no frame of {damaged}" in proc.stdout
    assert "reinstall PySide6-Addons" in proc.stdout
    assert "check(s) failed: playback, thumbnails." in proc.stdout
