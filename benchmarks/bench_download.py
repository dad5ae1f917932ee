"""Download speed and memory: the app's fetch_output against curl and the official SDK.

Run by hand (not in the tests), from a worktree with the shared venv:

    PYTHONPATH=$PWD /work/main/.venv/bin/python benchmarks/bench_download.py --runs 5

It writes a 1 GiB MP4-shaped file of random bytes (ftyp, moov, a 64-bit mdat), serves
it from the simulator in a separate process (sendfile over loopback), then downloads
it in rounds with each tool to a fresh file in the same folder:

- curl:  ``curl -o FILE`` (the floor for "writing a file");
- curl+fsync: the same, then fsync of the file (the app's file is durable on return);
- sdk:   openrouter 1.3.84, ``get_video_content_async`` + ``aiter_bytes`` to a file;
- app:   ``VideoClient.fetch_output`` (hashes, checks the MP4 structure, fsyncs).

Each Python client runs in its own process; its time is measured inside it from the
request to the last byte written (interpreter start-up excluded), with its CPU time
and its peak RSS growth over that span (VmHWM after /proc/self/clear_refs). Ratios are
speed ratios (floor time / app time, medians); goals: >= 0.9 x curl, >= 1.0 x the SDK,
RSS growth < 32 MB. ``--app-path DIR`` runs the app client from another checkout (for
"before" figures; it falls back to ``download()`` when ``fetch_output`` is missing).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEY = "sk-or-v1-benchmark-key"

SERVE = r"""
import sys
from pathlib import Path
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Simulator

sim = Simulator(cache_dir=Path(sys.argv[2]))
job = sim.publish([Path(sys.argv[1])])
with SimulatorServer(sim) as server:
    print(server.base_url, job.id, flush=True)
    sys.stdin.read()
"""

MEASURE = r"""
import json, re, resource, time

def kib(field):
    return int(re.search(field + r":\s+(\d+)", open("/proc/self/status").read()).group(1))

def start():
    open("/proc/self/clear_refs", "w").write("5")
    return kib("VmRSS"), time.perf_counter(), time.process_time()

def report(mark, **extra):
    rss, wall, cpu = mark
    print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                      "rss_mb": (kib("VmHWM") - rss) / 1024, **extra}))
"""

APP = (
    MEASURE
    + r"""
import asyncio, sys
from pathlib import Path
from videostudio.api.client import VideoClient

async def main(base, job_id, out):
    events = []
    async with VideoClient(api_key=sys.argv[4], base_url=base) as client:
        mark = start()
        if hasattr(client, "fetch_output"):
            got = await client.fetch_output(job_id, 0, Path(out),
                                            progress=lambda r, t: events.append(r))
            size = got.size
        else:  # an older checkout
            size = await client.download(job_id, Path(out), progress=lambda r, t: events.append(r))
        report(mark, size=size, events=len(events))

asyncio.run(main(*sys.argv[1:4]))
"""
)

SDK = (
    MEASURE
    + r"""
import asyncio, sys
from openrouter import OpenRouter

async def main(base, job_id, out):
    async with OpenRouter(api_key=sys.argv[4], server_url=base) as sdk:
        mark = start()
        resp = await sdk.video_generation.get_video_content_async(job_id=job_id)
        size = 0
        with open(out, "wb") as f:
            async for chunk in resp.aiter_bytes():
                f.write(chunk)
                size += len(chunk)
        await resp.aclose()
        report(mark, size=size)

asyncio.run(main(*sys.argv[1:4]))
"""
)


def make_clip(path: Path, size: int) -> None:
    """An MP4-shaped file of random (incompressible) bytes, as a real clip's mdat is."""
    ftyp = struct.pack(">I4s4sI4s4s", 24, b"ftyp", b"isom", 512, b"isom", b"mp41")
    moov = struct.pack(">I4s", 16, b"moov") + b"\0" * 8
    header = ftyp + moov + struct.pack(">I4sQ", 1, b"mdat", size - len(ftyp) - len(moov))
    with path.open("wb") as f:
        f.write(header)
        left = size - len(header)
        while left:
            block = os.urandom(min(left, 16 << 20))
            f.write(block)
            left -= len(block)


def run_curl(url: str, out: Path, *, fsync: bool = False) -> dict[str, float]:
    curl = shutil.which("curl") or "curl"
    start = time.perf_counter()
    subprocess.run(  # noqa: S603  (our own arguments)
        [curl, "-sS", "-o", str(out), "-H", f"Authorization: Bearer {KEY}", url], check=True
    )
    if fsync:
        fd = os.open(out, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)
    return {"wall": time.perf_counter() - start}


def run_python(script: str, base: str, job_id: str, out: Path, path: str) -> dict[str, float]:
    # cwd too: "python -c" puts the working folder ahead of PYTHONPATH on sys.path.
    proc = subprocess.run(  # noqa: S603  (our own arguments)
        [sys.executable, "-c", script, base, job_id, str(out), KEY],
        env=dict(os.environ, PYTHONPATH=path),
        cwd=path,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    result: dict[str, float] = json.loads(proc.stdout)
    return result


def summary(name: str, runs: list[dict[str, float]]) -> str:
    walls = sorted(r["wall"] for r in runs)
    line = (
        f"{name:<10} wall s min {walls[0]:.3f}  median {statistics.median(walls):.3f}  "
        f"max {walls[-1]:.3f}"
    )
    if "cpu" in runs[0]:
        cpu = statistics.median(r["cpu"] for r in runs)
        rss = max(r["rss_mb"] for r in runs)
        line += f"  | CPU s median {cpu:.3f}  | RSS growth max {rss:.1f} MB"
    return line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument("--app-path", default=os.getcwd(), help="checkout the app runs from")
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="bench-download-"))
    work.mkdir(parents=True, exist_ok=True)
    clip = work / "served.mp4"
    size = args.size_mib << 20
    if not clip.exists() or clip.stat().st_size != size:
        print(f"writing {args.size_mib} MiB of random MP4-shaped data to {clip} ...", flush=True)
        make_clip(clip, size)
    server = subprocess.Popen(  # noqa: S603  (our own arguments)
        [sys.executable, "-c", SERVE, str(clip), str(work / "cache")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=os.getcwd()),
    )
    try:
        if server.stdout is None:
            raise SystemExit("the simulator did not start")
        base, job_id = server.stdout.readline().split()
        url = f"{base}/videos/{job_id}/content?index=0"
        results: dict[str, list[dict[str, float]]] = {
            "curl": [],
            "curl+fsync": [],
            "sdk": [],
            "app": [],
        }
        for round_ in range(args.runs):
            for name in results:  # interleaved, so drift in the machine hits all alike
                out = work / f"out-{name.replace('+', '-')}.mp4"
                out.unlink(missing_ok=True)
                if name.startswith("curl"):
                    result = run_curl(url, out, fsync=name == "curl+fsync")
                else:
                    script = APP if name == "app" else SDK
                    path = args.app_path if name == "app" else os.getcwd()
                    result = run_python(script, base, job_id, out, path)
                if out.stat().st_size != size:
                    raise SystemExit(f"{name} wrote {out.stat().st_size} bytes, not {size}")
                out.unlink()
                results[name].append(result)
                print(f"round {round_ + 1} {name}: {result}", flush=True)
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(timeout=30)
        if server.stdout:
            server.stdout.close()
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\n{args.size_mib} MiB over loopback, {args.runs} runs each, app from {args.app_path}")
    for name, runs in results.items():
        print(summary(name, runs))
    app = statistics.median(r["wall"] for r in results["app"])
    for floor, goal in (("curl", 0.9), ("curl+fsync", 0.9), ("sdk", 1.0)):
        ratio = statistics.median(r["wall"] for r in results[floor]) / app
        print(f"app vs {floor}: {ratio:.2f} x (goal >= {goal})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
