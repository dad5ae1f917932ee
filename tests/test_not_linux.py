"""The CLI's generate and resume, the two-process tests (CLI and window) and the doorbell's
tests, run once more in a Python that lacks what only Linux has (tests/not_linux/
sitecustomize.py: no fcntl, no QtDBus, no abstract socket names, no os.O_NONBLOCK or
os.pwrite), as on macOS and Windows. Every process they start lacks it too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HIDING = ROOT / "tests" / "not_linux"
TESTS = (
    "tests/test_instance.py",
    "tests/test_doorbell.py",
    "tests/test_doorbell_other_user.py",
    "tests/ui/test_folder_owner.py",
    "tests/test_cli.py::test_generate_demo_writes_a_playable_clip",
)
PROBE = """
import os, socket, sys
for name in ("fcntl", "PySide6.QtDBus"):
    try:
        __import__(name)
    except ImportError:
        pass
    else:
        sys.exit(name + " is importable")
assert not hasattr(os, "O_NONBLOCK") and not hasattr(os, "pwrite")
try:
    socket.socket(socket.AF_UNIX).bind("\\0videostudio-probe")
except OSError:
    pass
else:
    sys.exit("an abstract name was bound")
from videostudio.platform import lock
print(lock.name())
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join((str(HIDING), str(ROOT)))}


def test_the_hiding_hides_what_only_linux_has() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=_env(), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "msvcrt.locking (LockFileEx)"  # the lock's Windows branch


def test_generate_resume_and_two_processes_pass_without_linux_only_facilities(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--basetemp",
            str(tmp_path / "inner"),
            *TESTS,
        ],
        env=_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout, done.stdout[-500:]
    if os.geteuid() == 0:  # the second user's tests run too
        assert " skipped" not in done.stdout, done.stdout[-500:]
