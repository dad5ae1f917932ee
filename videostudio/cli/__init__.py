"""The command line, on the same core, journal and library as the window.

``generate`` journals and runs jobs like the window does (or hands them to the
process that owns the data folder); ``jobs`` shows the journal; ``resume``
finishes every unfinished job headless; ``retry`` sends a job again when the user
decides to; ``save`` saves a paid clip that could not be saved; ``models`` lists
the catalogue; ``journal`` checks, backs up and restores the journal. A
composition root like app.py: it wires the parts and prints.
"""

from __future__ import annotations

import asyncio
import sys

from videostudio.api.errors import VideoAPIError
from videostudio.cli.common import EXIT_API, EXIT_USAGE, CliError, say
from videostudio.cli.parser import build_parser
from videostudio.services.errors import to_failure

__all__ = ["build_parser", "run"]


def run(argv: list[str]) -> int:
    from videostudio.cli.commands import main

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return asyncio.run(main(args))
    except CliError as exc:
        say(f"error: {exc}")
        return exc.code
    except VideoAPIError as exc:
        say(f"error: {to_failure(exc)}")
        return EXIT_API
    except ValueError as exc:  # a refused base URL
        say(f"error: {exc}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(
            "\nStopped. The journal keeps every job: `videostudio resume` continues them.",
            file=sys.stderr,
        )
        return 130
