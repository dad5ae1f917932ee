"""Export speed and memory: the storyboard export against ffmpeg's own concat (run by hand).

    PYTHONPATH=$PWD /work/main/.venv/bin/python benchmarks/bench_export.py [--runs 3]

Needs Debian's ffmpeg (``apt-get install -y ffmpeg``) for the floors; the app does not.
Ten 8 s 1080p clips (H.264 + AAC, as providers return them) are made once; then each run
alternates floor and app so both see the same machine state:

- copy:     ``ffmpeg -f concat -safe 0 -i list.txt -c copy`` vs ``export()`` by stream copy;
- reencode: the same with ``-c:v libx264 -preset veryfast -crf 23 -c:a aac -b:a 128k``
  vs ``export(reencode=True)`` (the app's settings).

ffmpeg is timed as a process (its start-up is a few ms); the app is timed inside a child
process from the call to its return (the interpreter's start-up excluded, the probe of
every shot, fsync and the sidecar's SHA-256 included), and its peak RSS is the child's
VmHWM. Ratios are app time / floor time (medians); goals: copy <= 1.5x, re-encode
<= 1.3x, peak memory < 300 MB.
"""

from __future__ import annotations

import argparse
import json
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


def floor(clips: list[Path], out: Path, mode: str) -> float:
    listing = out.with_suffix(".txt")
    listing.write_text("".join(f"file '{c}'\n" for c in clips))
    codec = ["-c", "copy"]
    if mode == "reencode":
        codec = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23"]
        codec += ["-c:a", "aac", "-b:a", "128k"]
    command = [FFMPEG, "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing)]
    t0 = time.perf_counter()
    subprocess.run([*command, *codec, str(out)], check=True)  # noqa: S603
    return time.perf_counter() - t0


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
    parser.add_argument("--clips", type=Path, help="keep (and reuse) the clips in this folder")
    args = parser.parse_args()
    if not Path(FFMPEG).is_absolute():
        raise SystemExit("ffmpeg is needed for the floors: apt-get install -y ffmpeg")
    work = Path(tempfile.mkdtemp(prefix="bench-export-"))
    try:
        clips = make_clips(args.clips or work)
        print(f"# export of {CLIPS} clips of {SECONDS} s at 1080p, {args.runs} runs each")
        for mode, goal in (("copy", 1.5), ("reencode", 1.3)):
            floors, apps, ratios, peaks = [], [], [], []
            for run in range(args.runs):
                f = floor(clips, work / f"floor-{mode}-{run}.mp4", mode)
                a = app(clips, work / f"app-{mode}-{run}.mp4", mode)
                floors.append(f)
                apps.append(a["s"])
                ratios.append(a["s"] / f)
                peaks.append(a["peak_mib"])
                print(f"  {mode} run {run + 1}: ffmpeg {f:.2f} s, app {a['s']:.2f} s, "
                      f"ratio {a['s'] / f:.2f}x, peak {a['peak_mib']:.0f} MiB")  # fmt: skip
                for name in (f"floor-{mode}-{run}", f"app-{mode}-{run}"):
                    for leftover in work.glob(f"{name}.*"):
                        leftover.unlink()
            print(
                f"| {mode} | ffmpeg {statistics.median(floors):.2f} s | app "
                f"{statistics.median(apps):.2f} s | {statistics.median(ratios):.2f}x "
                f"(min {min(ratios):.2f}, max {max(ratios):.2f}) | goal <= {goal}x | "
                f"peak {max(peaks):.0f} MiB (goal < 300 MB) |"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
