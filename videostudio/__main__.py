"""Entry point: ``videostudio`` opens the window; ``videostudio COMMAND`` runs the CLI."""

from __future__ import annotations

import os
import sys


def has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM"):
        return True  # the user chose a platform (offscreen included)
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] not in ("--demo",):
        from videostudio.cli import run

        return run(args)
    if not has_display():
        from videostudio.cli import run

        out = os.path.abspath("videostudio-demo.mp4")
        print(
            "No display found (DISPLAY and WAYLAND_DISPLAY are unset), so the window cannot open.\n"
            f"Running the command-line demo instead; it writes {out}.",
            file=sys.stderr,
        )
        return run(
            [
                "generate",
                "--demo",
                "--model",
                "google/veo-3.1-fast",
                "--duration",
                "4",
                "--prompt",
                "A paper boat drifting down a rainy street, golden hour",
                "-o",
                out,
            ]
        )
    from videostudio.app import run_app

    return run_app(demo="--demo" in args)


if __name__ == "__main__":
    raise SystemExit(main())
