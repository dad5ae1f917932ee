"""The command line's words: commands, their options and their help."""

from __future__ import annotations

import argparse
from pathlib import Path

from videostudio import paths as app_paths

DEFAULT_MODEL = "google/veo-3.1-fast"


def _money(text: str) -> float | str:
    if text.lower() == "none":
        return "none"
    try:
        value = float(text.removeprefix("$"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount in USD (or none)") from None
    if value < 0:
        raise argparse.ArgumentTypeError("an amount cannot be negative")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="videostudio",
        description="Generate AI video clips with OpenRouter. Without a command it opens the "
        "window (options: --demo, --data-dir DIR); --self-check tests the installation.",
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

    gen = sub.add_parser(
        "generate",
        parents=[common, waiting],
        help="generate clips and save them (one job, or a batch over seeds, models and prompts)",
    )
    gen.add_argument("--prompt", "-p", help="what the clip shows (required unless --like)")
    gen.add_argument(
        "--prompt-lines",
        action="store_true",
        help="each non-empty line of the prompt is a job of its own",
    )
    gen.add_argument(
        "--model",
        "-m",
        action="append",
        default=[],
        help=f"model id (see `models`; default {DEFAULT_MODEL}); repeat for one job per model",
    )
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
    gen.add_argument("--seeds", type=int, metavar="N", help="N jobs, each with a random seed")
    gen.add_argument(
        "--audio",
        dest="audio",
        nargs="?",
        const=True,
        default=None,
        metavar="FILE",
        help="generate audio (where supported); with --avatar, FILE is the voice track "
        "(MP3, WAV or M4A)",
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
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a provider option the model allows (see `models --json`: "
        "allowed_passthrough_parameters), e.g. negative_prompt=blur; repeatable",
    )
    gen.add_argument(
        "--like",
        type=int,
        metavar="N",
        help="start from job N's settings (prompt, model, parameters, seed, images); "
        "other options override them",
    )
    gen.add_argument(
        "--vary", action="store_true", help="with --like: the same settings with a new seed"
    )
    work = gen.add_mutually_exclusive_group()
    work.add_argument(
        "--extend",
        type=int,
        metavar="N",
        help="continue job N's clip: -p says what happens next, --duration how long",
    )
    work.add_argument(
        "--edit", type=int, metavar="N", help="edit job N's clip as -p says (-m picks the model)"
    )
    work.add_argument(
        "--upscale", type=int, metavar="N", help="enlarge job N's clip (see --factor, --creativity)"
    )
    work.add_argument(
        "--avatar", metavar="IMAGE", help="a talking clip of this portrait; the voice is --audio"
    )
    gen.add_argument(
        "--factor", type=float, help="with --upscale: how many times larger (default 2)"
    )
    gen.add_argument(
        "--creativity",
        type=int,
        choices=(0, 1),
        help="with --upscale: 0 keeps the picture (precise), 1 adds detail (creative)",
    )
    gen.add_argument(
        "--reference-video",
        action="append",
        default=[],
        metavar="FILE|N",
        help="an MP4 (or job N's clip) the model takes as a reference; repeatable",
    )
    gen.add_argument(
        "--reference-audio",
        action="append",
        default=[],
        metavar="FILE",
        help="an MP3, WAV or M4A the model takes as a reference; repeatable",
    )
    gen.add_argument(
        "-o",
        "--output",
        type=Path,
        help="where to save the .mp4: a file (one job), or a folder to save inside "
        "(default: the clips folder)",
    )
    gen.add_argument(
        "--dry-run",
        action="store_true",
        help="print the request body and the estimate; send nothing",
    )
    gen.add_argument(
        "--yes", action="store_true", help="do not ask before a costly job or a big batch"
    )
    gen.add_argument(
        "--over-budget",
        action="store_true",
        help="send this once even though it takes the spend past a budget cap",
    )
    gen.add_argument(
        "--no-wait",
        action="store_true",
        help="when another videostudio runs this folder's jobs, hand the job over and exit",
    )

    library = sub.add_parser("library", parents=[common], help="list the saved clips")
    library.add_argument("--search", default="", help="text in the prompt or model, or a seed")
    library.add_argument("--model", help="only this model's clips")
    library.add_argument("--favourites", action="store_true", help="only favourite clips")
    library.add_argument("--json", action="store_true", help="print the clips as JSON")

    spend = sub.add_parser("spend", parents=[common], help="what has been spent, and on what")
    spend.add_argument("--json", action="store_true", help="print the totals as JSON")

    budget = sub.add_parser(
        "budget", parents=[common], help="show or set spending caps and confirmations"
    )
    for flag, what in (
        ("--daily", "cap on a day's spend in USD"),
        ("--monthly", "cap on a month's spend in USD"),
        ("--ask-above", "ask before sending a job estimated above this many USD"),
    ):
        budget.add_argument(flag, type=_money, metavar="USD|none", help=what)
    budget.add_argument(
        "--confirm-jobs", type=int, metavar="N", help="ask before a batch of more than N jobs"
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
