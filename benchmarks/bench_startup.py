"""Start to first paint and start to usable: the demo window on an empty data folder.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_startup.py [--runs 7]

First paint: the window's first Paint event. Usable: painted, then 0.5 s with no
GUI-thread gap over 50 ms (probe.py). Floor: benchmarks/bare_window.py, same probe.
"""

from __future__ import annotations

import argparse
import shutil

import harness


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    opts = parser.parse_args()
    harness.header("start-up, demo, empty data folder", opts.runs)
    floor: dict[str, list[float]] = {"first_paint": [], "usable": []}
    app: dict[str, list[float]] = {"first_paint": [], "usable": []}
    freezes: list[float] = []
    for _ in range(opts.runs):
        bare = harness.probe("bare", None)
        data = harness.fresh_data_dir()
        try:
            real = harness.probe("app", data)
        finally:
            shutil.rmtree(data, ignore_errors=True)
        for key in floor:
            floor[key].append(bare[key])
            app[key].append(real[key])
        freezes += real.get("freezes_ms", [])
    print("| measure | floor | app | ratio | goal |")
    print("|---|---|---|---|---|")
    for key, name, goal in (
        ("first_paint", "start to first paint (demo, empty data folder)", "<= 1.25x"),
        ("usable", "start to usable (no freeze > 50 ms for 0.5 s)", "<= 1.5x"),
    ):
        ratios = [a / f for a, f in zip(app[key], floor[key], strict=True)]
        print(
            harness.row(
                name,
                harness.fmt(floor[key]),
                harness.fmt(app[key]),
                harness.fmt_ratio(ratios),
                goal,
            )
        )
    print(f"# app freezes over 50 ms after the first paint (all runs): {freezes}")


if __name__ == "__main__":
    main()
