"""Entry point: ``videostudio [--demo] [--data-dir DIR]`` opens the window;
``videostudio --self-check`` checks an install or bundle; ``videostudio COMMAND ...``
runs the command line (see ``videostudio --help``).

Start-up is timed from here: the window path imports no command line (asyncio,
httpx, keyring), only what its first paint needs; the rest comes after it.
"""

from __future__ import annotations

import argparse
import os
import sys

from videostudio.platform.memory import return_big_blocks_to_the_os

DEMO_PROMPT = "A paper boat drifting down a rainy street, golden hour"


def has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM"):
        return True  # the user chose a platform (offscreen included)
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _window_args(args: list[str]) -> argparse.Namespace | None:
    """The window's own options, or None when ``args`` are a command for the CLI."""
    if (args and not args[0].startswith("--")) or any(
        a in ("-h", "--help", "--self-check") for a in args
    ):
        return None
    parser = argparse.ArgumentParser(prog="videostudio", add_help=False)
    parser.add_argument("--demo", action="store_true")
    parser.add_argument("--data-dir")
    known, rest = parser.parse_known_args(args)
    return None if rest else known


def main(argv: list[str] | None = None) -> int:
    return_big_blocks_to_the_os()  # glibc only (platform/memory.py)
    args = sys.argv[1:] if argv is None else argv
    if args == ["--self-check"]:
        from videostudio.selfcheck import run_self_check

        return run_self_check()
    window = _window_args(args)
    if window is not None and has_display():
        from videostudio.app import run_app

        return run_app(demo=window.demo, data_dir=window.data_dir)
    from videostudio.cli import run  # asyncio, httpx, keyring: only for the command line

    if window is None:
        return run(args)
    # No display: the command-line demo instead of the window.
    out = os.path.abspath("videostudio-demo.mp4")
    print(
        "No display found (DISPLAY and WAYLAND_DISPLAY are unset), so the window cannot open.\n"
        f"Running the command-line demo instead; it writes {out}.",
        file=sys.stderr,
    )
    data = ["--data-dir", window.data_dir] if window.data_dir else []
    return run(
        [
            "generate",
            "--demo",
            *data,
            "--model",
            "google/veo-3.1-fast",
            "--duration",
            "4",
            "--prompt",
            DEMO_PROMPT,
            "-o",
            out,
        ]
    )


if __name__ == "__main__":
    raise SystemExit(main())
