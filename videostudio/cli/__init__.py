"""The command line, on the same core, journal and library as the window.

``generate`` journals and runs jobs like the window does (or hands them to the
process that owns the data folder); ``jobs`` and ``library`` show the journal;
``preset`` keeps named settings; ``improve`` rewrites a prompt with the assistant;
``resume`` finishes every unfinished job headless; ``retry`` sends a job again when
the user decides to; ``save`` saves a paid clip that could not be saved; ``models``
lists the catalogue; ``spend`` and ``budget`` keep money in view; ``journal``
checks, backs up and restores the journal; ``export`` and ``storyboard`` cut saved clips
into one film. A composition root like app.py: it wires
the parts and prints. Commands without network need no event loop, key or client.
"""

from __future__ import annotations

import argparse
import sys

from videostudio.cli.output import EXIT_API, EXIT_USAGE, CliError, open_journal, say
from videostudio.cli.parser import build_parser

__all__ = ["build_parser", "run"]
LOCAL = ("jobs", "library", "spend", "budget", "journal", "export", "storyboard")


def run(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        if args.command in LOCAL or (
            args.command == "preset" and args.action in ("list", "delete", "rename", "export")
        ):
            return _local(args)
        return _networked(args)
    except CliError as exc:
        say(f"error: {exc}")
        return exc.code
    except KeyboardInterrupt:
        print(
            "\nStopped. The journal keeps every job: `videostudio resume` continues them.",
            file=sys.stderr,
        )
        return 130


def _local(args: argparse.Namespace) -> int:
    from videostudio.cli.listing import LOCAL as COMMANDS
    from videostudio.cli.presets import local as presets

    paths, journal = open_journal(args)
    try:
        return {**COMMANDS, "preset": presets}[args.command](args, journal, paths)
    finally:
        journal.close()


def _networked(args: argparse.Namespace) -> int:
    import asyncio

    from videostudio.api.errors import VideoAPIError
    from videostudio.cli.commands import main
    from videostudio.services.errors import to_failure

    try:
        return asyncio.run(main(args))
    except VideoAPIError as exc:
        say(f"error: {to_failure(exc)}")
        return EXIT_API
    except ValueError as exc:  # a refused base URL
        say(f"error: {exc}")
        return EXIT_USAGE
