"""The command line's words: commands, their options and their help."""

from __future__ import annotations

import argparse
from pathlib import Path

from videostudio import paths as app_paths

DEFAULT_MODEL = "google/veo-3.1-fast"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="videostudio",
        description="Generate AI video clips with OpenRouter. Without a command it opens the "
        "window (options: --demo, --data-dir DIR).",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--demo", action="store_true", help="use the built-in simulator (offline, free, no key)"
    )
    common.add_argument("--base-url", help="API base URL (default: $OPENROUTER_BASE_URL)")
    common.add_argument(
        "--data-dir",
        help="where the journal, cache and clips live "
        f"(default: ${app_paths.DATA_DIR_ENV} or the platform's folders)",
    )
    common.add_argument("-v", "--verbose", action="store_true", help="log everything to stderr")
    waiting = argparse.ArgumentParser(add_help=False)
    waiting.add_argument(
        "--max-wait",
        type=float,
        metavar="SECONDS",
        help="when the service cannot be reached, stop waiting after this long "
        "(the jobs stay journaled; `resume` finishes them). Default: wait as long as it takes",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    gen = sub.add_parser("generate", parents=[common, waiting], help="generate clips and save them")
    gen.add_argument("--prompt", "-p", required=True, help="what the clip shows")
    gen.add_argument("--model", "-m", default=DEFAULT_MODEL, help="model id (see `models`)")
    gen.add_argument("--duration", type=int, help="seconds (one of the model's durations)")
    gen.add_argument("--resolution", help="e.g. 720p, 1080p, 4K")
    gen.add_argument("--aspect-ratio", help="e.g. 16:9, 9:16, 1:1")
    gen.add_argument("--size", help="WIDTHxHEIGHT, instead of resolution and aspect ratio")
    gen.add_argument(
        "--seed",
        type=int,
        action="append",
        default=[],
        help="seed (where supported); repeat for one job per seed. Without it the app picks "
        "one and records it",
    )
    gen.add_argument(
        "--audio",
        dest="audio",
        action="store_true",
        default=None,
        help="generate audio (where supported)",
    )
    gen.add_argument("--no-audio", dest="audio", action="store_false")
    gen.add_argument(
        "--image",
        action="append",
        default=[],
        metavar="PATH[:first|last]",
        help="reference image, or first/last frame; repeatable",
    )
    gen.add_argument(
        "-o",
        "--output",
        type=Path,
        help="where to save the .mp4: a file (one job), or a folder to save inside "
        "(default: the clips folder)",
    )
    gen.add_argument(
        "--no-wait",
        action="store_true",
        help="when another videostudio runs this folder's jobs, hand the job over and exit",
    )

    models = sub.add_parser("models", parents=[common], help="list the video models and prices")
    models.add_argument("--json", action="store_true", help="print the catalogue as JSON")
    models.add_argument("--all", action="store_true", help="include edit/upscale/avatar models")

    jobs = sub.add_parser("jobs", parents=[common], help="show the job journal")
    jobs.add_argument("--json", action="store_true", help="print the journal as JSON")

    sub.add_parser(
        "resume", parents=[common, waiting], help="finish every unfinished job, then exit"
    )

    retry = sub.add_parser(
        "retry",
        parents=[common, waiting],
        help="send a job again (one that may not exist, or was refused)",
    )
    retry.add_argument("local_id", type=int, help="the job's number in `videostudio jobs`")

    save = sub.add_parser(
        "save",
        parents=[common, waiting],
        help="save a finished job's clip (again, or elsewhere): e.g. after a full disk",
    )
    save.add_argument("local_id", type=int, help="the job's number in `videostudio jobs`")
    save.add_argument("-o", "--output", type=Path, help="a file or a folder to save into")

    journal = sub.add_parser(
        "journal", parents=[common], help="check, back up or restore the job journal"
    )
    action = journal.add_mutually_exclusive_group()
    action.add_argument("--backup", action="store_true", help="make a backup now")
    action.add_argument(
        "--restore", type=Path, metavar="BACKUP", help="replace the journal with a backup"
    )
    return parser
