"""Export speed and memory: the storyboard export against ffmpeg's own concat (run by hand).

    PYTHONPATH=$PWD /work/main/.venv/bin/python benchmarks/bench_export.py [--runs 3]

Needs Debian's ffmpeg (``apt-get install -y ffmpeg``) for the floors; the app does not.
Ten 8 s 1080p clips (H.264 + AAC, as providers return them) are made once; then each run
alternates floor and app so both see the same machine state:

- copy:     ``ffmpeg -f concat -safe 0 -i list.txt -c copy`` vs ``export()`` by stream copy;
  ffmpeg is also timed with an fsync of its film, as the app's export is durable on return;
- reencode: the same with ``-c:v libx264 -preset veryfast -crf 23 -c:a aac -b:a 128k``
  vs ``export(reencode=True)`` (the app's settings).

ffmpeg is timed as a process (its start-up is a few ms); the app is timed inside a child
process from the call to its return (the interpreter's start-up excluded, the probe of
every shot, fsync and the sidecar's SHA-256 included), and its peak RSS is the child's
VmHWM. Ratios are app time / floor time (medians); goals: copy <= 1.5x, re-encode
<= 1.3x, peak memory < 300 MB. Last, a 1 ms heartbeat on a Qt thread records its
longest gap while three of the clips are re-encoded on a worker thread, as the window
runs an export, against the same heartbeat idle for as long (goal: no gap > 50 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLIPS, SECONDS = 10, 8
FFMPEG = shutil.which("ffmpeg") or "ffmpeg"

CHILD = r"""
import json, re, sys, time
from pathlib import Path
from videostudio.services.export import ExportShot, export

def kib(field):
    return int(re.search(field + r":\s+(\d+)", open("/proc/self/status").read()).group(1))

shots = [ExportShot(Path(p)) for p in json.loads(sys.argv[1])]
t0 = time.perf_counter()
result = export(shots, Path(sys.argv[2]), reencode=sys.argv[3] == "reencode")
took = time.perf_counter() - t0
print(json.dumps({"s": took, "mode": result.mode, "peak_mib": kib("VmHWM") / 1024}))
"""


STALL_CHILD = r"""
import json, sys, threading, time
from pathlib import Path
from PySide6.QtCore import QCoreApplication, QMetaObject, Qt, QTimer
from videostudio.services.export import ExportShot, export

app = QCoreApplication([])
gaps, last = [], [time.perf_counter()]
def beat():
    now = time.perf_counter()
    gaps.append(now - last[0])
    last[0] = now
timer = QTimer()
timer.setInterval(1)
timer.timeout.connect(beat)
timer.start()
shots = [ExportShot(Path(p)) for p in json.loads(sys.argv[1])]
with_export = sys.argv[3] == "export"
def work():
    if with_export:
        export(shots, Path(sys.argv[2]), reencode=True)
    else:
        time.sleep(float(sys.argv[4]))
    QMetaObject.invokeMethod(app, "quit", Qt.ConnectionType.QueuedConnection)
started = time.perf_counter()
worker = threading.Thread(target=work)
QTimer.singleShot(0, worker.start)
app.exec()
worker.join()
gaps.sort()
print(json.dumps({"s": time.perf_counter() - started, "p99": gaps[int(len(gaps) * 0.99)],
                  "max": gaps[-1]}))
"""


def stall(clips: list[Path], out: Path, seconds: float | None) -> dict[str, float]:
    """The GUI-like thread's longest heartbeat gap while an export runs on a worker."""
    kind = "export" if seconds is None else "idle"
    proc = subprocess.run(  # noqa: S603 (our own interpreter)
        [sys.executable, "-c", STALL_CHILD, json.dumps([str(c) for c in clips]), str(out), kind,
         str(seconds or 0)],
        capture_output=True, text=True, check=True,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
    )  # fmt: skip
    result: dict[str, float] = json.loads(proc.stdout)
    return result


def make_clips(folder: Path) -> list[Path]:
    """Ten different 8 s 1080p24 clips (a moving test pattern and a tone each)."""
    clips = []
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(CLIPS):
        path = folder / f"clip-{i}.mp4"
        clips.append(path)
        if path.exists():
            continue
        subprocess.run(  # noqa: S603 (a fixed command)
            [
                FFMPEG, "-v", "error", "-y",
                "-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=24:duration={SECONDS}",
                "-f", "lavfi", "-i", f"sine=frequency={300 + 40 * i}:duration={SECONDS}",
                "-c:v", "libx264", "-preset", "veryfast", "-g", "48", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-ac", "2", "-ar", "48000", "-shortest", str(path),
            ],
            check=True,
        )  # fmt: skip
    return clips


def floor(clips: list[Path], out: Path, mode: str) -> tuple[float, float]:
    """ffmpeg's time, and its time with an fsync of the film (the app's is durable)."""
    listing = out.with_suffix(".txt")
    listing.write_text("".join(f"file '{c}'\n" for c in clips))
    codec = ["-c", "copy"]
    if mode == "reencode":
        codec = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23"]
        codec += ["-c:a", "aac", "-b:a", "128k"]
    command = [FFMPEG, "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing)]
    t0 = time.perf_counter()
    subprocess.run([*command, *codec, str(out)], check=True)  # noqa: S603
    took = time.perf_counter() - t0
    with out.open("rb") as f:
        os.fsync(f.fileno())
    return took, time.perf_counter() - t0


def app(clips: list[Path], out: Path, mode: str) -> dict[str, float]:
    proc = subprocess.run(  # noqa: S603 (our own interpreter)
        [sys.executable, "-c", CHILD, json.dumps([str(c) for c in clips]), str(out), mode],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(proc.stdout)
    if result["mode"] != mode:
        raise RuntimeError(f"the app exported by {result['mode']}, not {mode}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--only", choices=("copy", "reencode", "stall"), help="run one part of the benchmark"
    )
    parser.add_argument("--clips", type=Path, help="keep (and reuse) the clips in this folder")
    args = parser.parse_args()
    if not Path(FFMPEG).is_absolute():
        raise SystemExit("ffmpeg is needed for the floors: apt-get install -y ffmpeg")
    work = Path(tempfile.mkdtemp(prefix="bench-export-"))
    try:
        clips = make_clips(args.clips or work)
        print(f"# export of {CLIPS} clips of {SECONDS} s at 1080p, {args.runs} runs each")
        for mode, goal in (("copy", 1.5), ("reencode", 1.3)):
            if args.only not in (None, mode):
                continue
            floors, synced, apps, peaks = [], [], [], []
            for run in range(args.runs):
                f, fs = floor(clips, work / f"floor-{mode}-{run}.mp4", mode)
                a = app(clips, work / f"app-{mode}-{run}.mp4", mode)
                floors.append(f)
                synced.append(fs)
                apps.append(a["s"])
                peaks.append(a["peak_mib"])
                print(f"  {mode} run {run + 1}: ffmpeg {f:.2f} s (+fsync {fs:.2f} s), "
                      f"app {a['s']:.2f} s, ratio {a['s'] / f:.2f}x "
                      f"({a['s'] / fs:.2f}x with fsync), peak {a['peak_mib']:.0f} MiB")  # fmt: skip
                for name in (f"floor-{mode}-{run}", f"app-{mode}-{run}"):
                    for leftover in work.glob(f"{name}.*"):
                        leftover.unlink()
            ratios = [a / f for a, f in zip(apps, floors, strict=True)]
            ratios_synced = [a / f for a, f in zip(apps, synced, strict=True)]
            print(
                f"| {mode} | ffmpeg {statistics.median(floors):.2f} s "
                f"(+fsync {statistics.median(synced):.2f} s) | app "
                f"{statistics.median(apps):.2f} s | {statistics.median(ratios):.2f}x "
                f"(min {min(ratios):.2f}, max {max(ratios):.2f}); with fsync "
                f"{statistics.median(ratios_synced):.2f}x | goal <= {goal}x | "
                f"peak {max(peaks):.0f} MiB (goal < 300 MB) |"
            )
        # The GUI thread while a re-encode runs on a worker (the window's way), vs idle.
        for run in range(args.runs if args.only in (None, "stall") else 0):
            busy = stall(clips[:3], work / f"stall-{run}.mp4", None)
            idle = stall(clips[:3], work / "idle.mp4", busy["s"])
            print(
                f"  stall run {run + 1}: export {busy['s']:.1f} s, heartbeat p99 "
                f"{busy['p99'] * 1000:.1f} ms, max {busy['max'] * 1000:.1f} ms; idle p99 "
                f"{idle['p99'] * 1000:.1f} ms, max {idle['max'] * 1000:.1f} ms (goal < 50 ms)"
            )
            for leftover in work.glob(f"stall-{run}.*"):
                leftover.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
