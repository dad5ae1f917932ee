"""What every benchmark shares: starting the probed app or floor, statistics, data folders.

Runs alternate floor and app so both see the same machine state; each figure is
printed with min/median/max over the runs, and the ratio app/floor per pair.
"""

from __future__ import annotations

import compileall
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PROBE = HERE / "probe.py"
sys.path.insert(0, str(ROOT))  # the benchmarks build data folders with this checkout's services


def child_env(**extra: str) -> dict[str, str]:
    """The child's environment: offscreen, this checkout first on the path, no keychain.

    No D-Bus session keeps a developer's own key (and Secret Service) out, so the window
    runs its demo like on a fresh machine, while keyring still looks for its backends
    as it does on every start (that search is part of the cost being measured).
    """
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("PYTHON_KEYRING_BACKEND", None)
    env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent/videostudio-bench-bus"
    env.update(extra)
    return env


def _quit_without_asking(data_dir: Path) -> None:
    """The window asks before quitting with jobs running; the probe's close must not wait."""
    settings = data_dir / "settings.ini"
    if not settings.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        settings.write_text("[window]\nask_before_quit=false\n")


def probe(
    target: str,
    data_dir: Path | None,
    *,
    options: Sequence[str] = (),
    env: dict[str, str] | None = None,
    timeout: float = 90,
    on_started: Callable[[subprocess.Popen[bytes], Path], Any] | None = None,
) -> dict[str, Any]:
    """Start one probed process; return its result with times relative to its start (s)."""
    # An installed app has its bytecode (pip and the bundle compile it); a checkout run
    # with PYTHONDONTWRITEBYTECODE would compile every module at each start instead.
    compileall.compile_dir(ROOT / "videostudio", quiet=1)
    with tempfile.TemporaryDirectory(prefix="vs-bench-") as tmp:
        out = Path(tmp) / "result.json"
        args = [sys.executable, str(PROBE), "--out", str(out), *options, target]
        if target == "app":
            args += ["--", "--demo", "--data-dir", str(data_dir)]
            _quit_without_asking(Path(str(data_dir)))
        log = (Path(tmp) / "stderr.log").open("wb")
        t0 = time.monotonic()
        proc = subprocess.Popen(  # noqa: S603 (our own interpreter and script)
            args, env=env or child_env(), stdout=log, stderr=subprocess.STDOUT
        )
        extra = None
        try:
            if on_started is not None:
                extra = on_started(proc, out)
            proc.wait(timeout=timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()
        if not out.exists():
            tail = (Path(tmp) / "stderr.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{target} wrote no result (exit {proc.returncode}):\n{tail}")
        result: dict[str, Any] = json.loads(out.read_text())
    for key in ("shown", "first_paint", "rows_painted", "usable", "load_start"):
        if key in result:
            result[key] -= t0
    if extra is not None:
        result["extra"] = extra
    return result


def wait_for_file(path: Path, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    """Wait until ``path`` exists (the probe wrote it) or the process ended."""
    end = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None or time.monotonic() > end:
            raise RuntimeError(f"the probed process ended or stalled (exit {proc.returncode})")
        time.sleep(0.05)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stats(values: Sequence[float]) -> tuple[float, float, float]:
    return min(values), statistics.median(values), max(values)


def fmt(values: Sequence[float], unit: str = "ms", scale: float = 1000.0, digits: int = 0) -> str:
    lo, mid, hi = (v * scale for v in stats(values))
    return f"{mid:.{digits}f} {unit} (min {lo:.{digits}f}, max {hi:.{digits}f})"


def fmt_ratio(values: Sequence[float]) -> str:
    lo, mid, hi = stats(values)
    return f"{mid:.2f}x (min {lo:.2f}, max {hi:.2f})"


def row(measure: str, floor: str, app: str, ratio: str, goal: str) -> str:
    """One line of docs/performance.md's table: measure | floor | app | ratio | goal."""
    return f"| {measure} | {floor} | {app} | {ratio} | {goal} |"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from PySide6 import __version__ as pyside

    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}, PySide6 {pyside}, "
        f"QT_QPA_PLATFORM={os.environ.get('QT_QPA_PLATFORM', 'offscreen')}"
    )


def fresh_data_dir(template: Path | None = None) -> Path:
    """An empty data folder, or a copy of ``template``'s journal (clips stay where they are)."""
    folder = Path(tempfile.mkdtemp(prefix="vs-bench-data-"))
    if template is not None:
        for src in template.rglob("journal.sqlite3*"):
            dest = folder / src.relative_to(template)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
    return folder


def header(title: str, runs: int) -> None:
    print(f"# {title}: {runs} runs each, floor = benchmarks/bare_window.py")
    print(f"# {machine()}")
