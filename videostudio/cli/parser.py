"""The command line's words: commands, their options and their help."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from videostudio import paths as app_paths

DEFAULT_MODEL = "google/veo-3.1-fast"


def _money(text: str) -> float | str:
    if text.lower() == "none":
        return "none"
    try:
        value = float(text.removeprefix("$"))
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount in USD (or none)")
    if value < 0:
        raise argparse.ArgumentTypeError("an amount cannot be negative")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds")
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
        type=_seconds,
        metavar="SECONDS",
        help="when the service cannot be reached, stop waiting after this long "
        "(the jobs stay journaled; `resume` finishes them). Default: wait as long as it takes",
    )
    # The compose settings, for a job and for a preset.
    settings = argparse.ArgumentParser(add_help=False)
    settings.add_argument(
        "--model",
        "-m",
        action="append",
        default=[],
        help=f"model id (see `models`; default {DEFAULT_MODEL}); repeat for one job per model",
    )
    settings.add_argument("--duration", type=int, help="seconds (one of the model's durations)")
    settings.add_argument("--resolution", help="e.g. 720p, 1080p, 4K")
    settings.add_argument("--aspect-ratio", help="e.g. 16:9, 9:16, 1:1")
    settings.add_argument("--size", help="WIDTHxHEIGHT, instead of resolution and aspect ratio")
    settings.add_argument(
        "--seed",
        type=int,
        action="append",
        default=[],
        help="seed (where supported); repeat for one job per seed. Without it the app picks "
        "one and records it",
    )
    settings.add_argument(
        "--audio",
        dest="audio",
        nargs="?",
        const=True,
        default=None,
        metavar="FILE",
        help="generate audio (where supported); with --avatar, FILE is the voice track "
        "(MP3, WAV or M4A)",
    )
    settings.add_argument("--no-audio", dest="audio", action="store_false")
    settings.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a provider option the model allows (see `models --json`: "
        "allowed_passthrough_parameters), e.g. negative_prompt=blur; repeatable",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    gen = sub.add_parser(
        "generate",
        parents=[common, waiting, settings],
        help="generate clips and save them (one job, or a batch over seeds, models and prompts)",
    )
    gen.add_argument("--prompt", "-p", help="what the clip shows (required unless --like)")
    gen.add_argument(
        "--prompt-lines",
        action="store_true",
        help="each non-empty line of the prompt is a job of its own",
    )
    gen.add_argument("--seeds", type=int, metavar="N", help="N jobs, each with a random seed")
    gen.add_argument(
        "--image",
        action="append",
        default=[],
        metavar="PATH[:first|last]",
        help="reference image, or first/last frame; repeatable",
    )
    gen.add_argument(
        "--preset",
        metavar="NAME",
        help="start from a preset's settings (see `preset list`); other options override them",
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
        "(default: the clips folder). An existing file is kept: the clip takes a free name "
        "(boat-2.mp4) unless --overwrite",
    )
    gen.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing file at -o (never a .json the app did not write)",
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

    improve = sub.add_parser(
        "improve",
        parents=[common],
        help="rewrite a prompt for a video model with an LLM (paid: a fraction of a cent)",
    )
    improve.add_argument("--prompt", "-p", required=True, help="the prompt to improve")
    improve.add_argument(
        "--model", "-m", default=DEFAULT_MODEL, help=f"the video model (default {DEFAULT_MODEL})"
    )
    improve.add_argument(
        "--assistant-model",
        help="the chat model that rewrites it (default: the saved setting, or a cheap fast one)",
    )

    preset = sub.add_parser("preset", help="named settings: list, save, delete, export, import")
    actions = preset.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", parents=[common], help="the saved presets")
    save_preset = actions.add_parser(
        "save",
        parents=[common, settings],
        help="save settings under a name (replacing a preset of that name)",
    )
    save_preset.add_argument("name")
    save_preset.add_argument(
        "--image-role",
        action="append",
        default=[],
        choices=["reference", "first_frame", "last_frame"],
        help="the role of the draft's images, in order; repeatable",
    )
    actions.add_parser("delete", parents=[common], help="delete a preset").add_argument("name")
    rename = actions.add_parser("rename", parents=[common], help="rename a preset")
    rename.add_argument("name")
    rename.add_argument("new_name")
    export = actions.add_parser("export", parents=[common], help="write presets to a JSON file")
    export.add_argument("names", nargs="*", metavar="NAME", help="which (default: all)")
    export.add_argument("-o", "--output", type=Path, required=True, help="the file to write")
    load = actions.add_parser(
        "import", parents=[common], help="add the presets of a JSON file, checked"
    )
    load.add_argument("file", type=Path)

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

    resume = sub.add_parser(
        "resume", parents=[common, waiting], help="finish every unfinished job, then exit"
    )
    resume.add_argument(
        "--restored",
        type=int,
        nargs="*",
        metavar="N",
        help="also send, poll and download jobs restored from a backup (all, or jobs N...); "
        "without it they are kept as history",
    )

    retry = sub.add_parser(
        "retry",
        parents=[common, waiting],
        help="send a job again (one that may not exist, or was refused)",
    )
    retry.add_argument("local_id", type=int, help="the job's number in `videostudio jobs`")
    retry.add_argument(
        "--again",
        action="store_true",
        help="send it even though it was sent again already (another paid job)",
    )
    retry.add_argument(
        "--over-budget",
        action="store_true",
        help="send it once even though it takes the spend past a budget cap",
    )

    save = sub.add_parser(
        "save",
        parents=[common, waiting],
        help="save a finished job's clip (again, or elsewhere): e.g. after a full disk",
    )
    save.add_argument("local_id", type=int, help="the job's number in `videostudio jobs`")
    save.add_argument(
        "-o",
        "--output",
        type=Path,
        help="a file or a folder to save into (an existing file is kept: a free name is taken)",
    )

    exporting = argparse.ArgumentParser(add_help=False)
    exporting.add_argument(
        "--reencode",
        action="store_true",
        help="always re-encode (H.264 + AAC); by default shots of one format are copied",
    )
    exporting.add_argument(
        "--size", metavar="WxH", help="the film's size (default: the first shot's); letterboxed"
    )
    exporting.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an earlier export of the app at that name (never any other file)",
    )
    export = sub.add_parser(
        "export",
        parents=[common, exporting],
        help="cut saved clips together into one MP4, with a sidecar listing the shots",
    )
    export.add_argument("jobs", type=int, nargs="+", metavar="N", help="job numbers, in order")
    export.add_argument("-o", "--output", type=Path, required=True, help="the film, e.g. film.mp4")
    export.add_argument(
        "--trim",
        action="append",
        default=[],
        metavar="N:IN-OUT",
        help="keep job N from IN to OUT seconds (e.g. 3:1.5-6, 3:2- or 3:-4); repeatable",
    )

    story = sub.add_parser(
        "storyboard", parents=[common], help="storyboards: shots in order, made into one film"
    )
    actions = story.add_subparsers(dest="action", metavar="ACTION", required=True)
    new = actions.add_parser("new", parents=[common], help="make an empty storyboard")
    new.add_argument("name", nargs="*", help="its name (default: Storyboard N)")
    add = actions.add_parser(
        "add", parents=[common], help="add clips (job numbers) or a planned prompt"
    )
    add.add_argument("storyboard", help="the storyboard's name or number")
    add.add_argument("jobs", type=int, nargs="*", metavar="N", help="job numbers to add, in order")
    add.add_argument("--prompt", help="add a planned shot to generate later, instead of clips")
    add.add_argument("--trim", metavar="IN-OUT", help="trim the added clips (seconds)")
    add.add_argument(
        "--continue",
        dest="continues",
        action="store_true",
        help="the shot starts from the previous shot's last frame when generated",
    )
    actions.add_parser("list", parents=[common], help="list the storyboards and their shots")
    story_export = actions.add_parser(
        "export", parents=[common, exporting], help="export a storyboard to one MP4"
    )
    story_export.add_argument("storyboard", help="the storyboard's name or number")
    story_export.add_argument(
        "-o", "--output", type=Path, help="the film (default: NAME.mp4 in the clips folder)"
    )

    journal = sub.add_parser(
        "journal", parents=[common], help="check, back up or restore the job journal"
    )
    action = journal.add_mutually_exclusive_group()
    action.add_argument("--backup", action="store_true", help="make a backup now")
    action.add_argument(
        "--restore", type=Path, metavar="BACKUP", help="replace the journal with a backup"
    )
    return parser
