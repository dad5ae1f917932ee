"""The journal with big input images: 50 jobs, each with a ~15 MB first-frame image.

Runs the real CLI against the standalone simulator (a process of its own, as OpenRouter
would be) in a fresh data folder, and measures what issue 8 measured:
the journal's size (plus the image store), bytes written to disk by the run, the run's
peak RSS, and `videostudio jobs` (median time of 5, peak RSS). The floor for `jobs` is
a bare `python -c pass` in the same run.

    .venv/bin/python benchmarks/bench_journal_images.py [--jobs 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _noise_png(path: Path, width: int = 2048, height: int = 1900) -> int:
    from PySide6.QtGui import QImage

    raw = os.urandom(width * height * 4)
    image = QImage(raw, width, height, width * 4, QImage.Format.Format_RGBA8888)
    image.save(str(path), "PNG")
    return path.stat().st_size


# Runs the CLI in a child and reports the child's own peak RSS and bytes written.
_WRAPPER = """
import resource, sys
from pathlib import Path
from videostudio.__main__ import main
code = main(sys.argv[1:])
io = Path("/proc/self/io").read_text()
written = int(io.split("write_bytes: ")[1].split()[0])
print(f"VS_STATS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss} {written}", file=sys.stderr)
sys.exit(code)
"""


def _measure(args: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    """Seconds, peak RSS (KiB) and bytes written to disk by ``videostudio ARGS``."""
    start = time.perf_counter()
    proc = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-c", _WRAPPER, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    stats = [line for line in proc.stderr.splitlines() if line.startswith("VS_STATS ")]
    if proc.returncode or not stats:
        raise SystemExit(f"videostudio {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    _, rss, written = stats[-1].split()
    return elapsed, int(rss), int(written)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=50)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        image = root / "big.png"
        size = _noise_png(image)
        sim = subprocess.Popen(
            [sys.executable, "-m", "videostudio.simulator", "--port", "0", "--pending", "1",
             "--running", "2"],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "TMPDIR": str(root)},
        )  # fmt: skip
        assert sim.stdout is not None
        base_url = sim.stdout.readline().split()[-1]
        env = {
            **os.environ,
            "VIDEOSTUDIO_DATA_DIR": str(root / "data"),
            "QT_QPA_PLATFORM": "offscreen",
            "OPENROUTER_API_KEY": "sk-or-v1-bench",
            "OPENROUTER_BASE_URL": base_url,
        }
        try:
            generate = [
                "generate", "--prompt", "big image", "--duration", "4",
                "--image", f"{image}:first", "--seeds", str(opts.jobs), "--yes",
            ]  # fmt: skip
            elapsed, peak, written = _measure(generate, env)
            data = root / "data"
            journal = sum(p.stat().st_size for p in data.glob("journal.sqlite3*"))
            images = sum(p.stat().st_size for p in (data / "images").iterdir())
            runs = [_measure(["jobs"], env) for _ in range(5)]
            floor = [_floor(env) for _ in range(5)]
        finally:
            sim.terminate()
            sim.wait()
    mib = 2**20
    times = [r[0] for r in runs]
    print(f"jobs: {opts.jobs}, image: {size / mib:.1f} MiB (PNG, first frame)")
    print(
        f"generate: {elapsed:.1f} s, peak RSS {peak / 1024:.0f} MiB, wrote {written / mib:.0f} MiB"
    )
    print(f"journal (with WAL): {journal / mib:.2f} MiB; image store: {images / mib:.1f} MiB")
    print(
        f"`jobs`: median {statistics.median(times):.3f} s (min {min(times):.3f}, max "
        f"{max(times):.3f}), peak RSS {max(r[1] for r in runs) / 1024:.0f} MiB; floor "
        f"`python -c pass` {statistics.median(floor):.3f} s, ratio "
        f"{statistics.median(times) / statistics.median(floor):.1f}x"
    )


def _floor(env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
