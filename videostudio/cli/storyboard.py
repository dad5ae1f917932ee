"""``export`` (jobs to one film) and ``storyboard new|add|list|export``: local commands.

They need no key and no network: the clips are on disk, the storyboards in the journal.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from videostudio.cli.output import EXIT_OK, CliError, say, table
from videostudio.core.storyboard import Shot, parse_span, seconds_text
from videostudio.paths import Paths as AppPaths
from videostudio.services.export import ExportError, Progress
from videostudio.services.journal import Journal
from videostudio.services.storyboards import (
    StoryboardError,
    Storyboards,
    export_storyboard,
)

EXIT_CANCELLED = 130


def _trims(values: list[str]) -> dict[int, tuple[float, float | None]]:
    """--trim N:IN-OUT, by job number."""
    trims = {}
    for value in values:
        number, sep, span = value.partition(":")
        try:
            if not sep:
                raise ValueError(f"{value!r} is not N:IN-OUT")
            trims[int(number)] = parse_span(span)
        except ValueError as exc:
            raise CliError(f"--trim {value}: {exc}.") from None
    return trims


def _size(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    width, _, height = text.lower().partition("x")
    try:
        size = (int(width), int(height))
    except ValueError:
        raise CliError(f"--size {text}: give WIDTHxHEIGHT, e.g. 1280x720.") from None
    if min(size) < 16 or max(size) > 8192 or size[0] % 2 or size[1] % 2:
        raise CliError(f"--size {text}: even numbers between 16 and 8192, please.")
    return size


class _ProgressLine:
    """One updating line on a terminal; nothing in a pipe (the result is printed at the end)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()

    def __call__(self, progress: Progress) -> None:
        if not self.tty:
            return
        left = "" if progress.seconds_left is None else f" · {progress.seconds_left:.0f} s left"
        sys.stderr.write(f"\rExporting… {progress.fraction:4.0%}{left}   ")
        sys.stderr.flush()

    def end(self) -> None:
        if self.tty:
            sys.stderr.write("\r\033[K")


def _export(journal: Journal, shots: list[Shot], output: Path, args: argparse.Namespace) -> int:
    line = _ProgressLine()
    try:
        result = export_storyboard(
            journal,
            shots,
            output.expanduser(),
            reencode=args.reencode,
            size=_size(args.size),
            overwrite=args.overwrite,
            on_progress=line,
        )
    except ExportError as exc:
        line.end()
        raise CliError(str(exc)) from None
    except KeyboardInterrupt:
        line.end()
        raise CliError("Export cancelled; nothing was written.", EXIT_CANCELLED) from None
    line.end()
    how = "stream copy" if result.mode == "copy" else "re-encoded"
    say(
        f"Exported {len(shots)} shot(s), {seconds_text(result.duration_s)} at "
        f"{result.width}×{result.height} ({how}), to {result.path}; "
        f"its shots are listed in {result.sidecar.name}."
    )
    if result.note:
        say(result.note)
    print(result.path)
    return EXIT_OK


def export_command(args: argparse.Namespace, journal: Journal, paths: AppPaths) -> int:
    trims = _trims(args.trim)
    unknown = sorted(set(trims) - set(args.jobs))
    if unknown:
        raise CliError(f"--trim names job {unknown[0]}, which is not among the jobs to export.")
    shots = [
        Shot(clip=n, trim_in=trims.get(n, (0.0, None))[0], trim_out=trims.get(n, (0.0, None))[1])
        for n in args.jobs
    ]
    return _export(journal, shots, args.output, args)


def storyboard_command(args: argparse.Namespace, journal: Journal, paths: AppPaths) -> int:
    boards = Storyboards(journal)
    try:
        if args.action == "new":
            board = boards.create(" ".join(args.name))
            say(f"Made storyboard {board.id}: {board.name}.")
        elif args.action == "add":
            return _add(boards, args)
        elif args.action == "list":
            _list(boards)
        else:
            board = boards.find(args.storyboard)
            output = args.output or paths.clips_dir / f"{board.name}.mp4"
            return _export(journal, list(board.shots), output, args)
    except StoryboardError as exc:
        raise CliError(str(exc)) from None
    return EXIT_OK


def _add(boards: Storyboards, args: argparse.Namespace) -> int:
    board = boards.find(args.storyboard)
    start, end = parse_span(args.trim) if args.trim else (0.0, None)
    if args.prompt is not None:
        if args.jobs:
            raise CliError("Give job numbers or --prompt, not both.")
        new = [Shot(prompt=args.prompt, continues=args.continues)]
    elif not args.jobs:
        raise CliError("Give the job numbers to add, or --prompt for a shot to generate.")
    else:
        for number in args.jobs:
            try:
                boards.journal.get(number)
            except KeyError:
                raise CliError(f"There is no job {number} (see `videostudio jobs`).") from None
        new = [
            Shot(clip=n, trim_in=start, trim_out=end, continues=args.continues) for n in args.jobs
        ]
    board = boards.add(board.id, *new)
    say(f"{board.name} has {len(board.shots)} shot(s).")
    return EXIT_OK


def _list(boards: Storyboards) -> None:
    found = boards.all()
    if not found:
        say("No storyboards yet (`videostudio storyboard new NAME`).")
        return
    for board in found:
        print(f"{board.id}: {board.name} ({len(board.shots)} shot(s), {board.planned} planned)")
        rows = [("", "#", "SHOT", "IN", "OUT", "")]
        for i, shot in enumerate(board.shots, start=1):
            what = f"job #{shot.clip}" if shot.clip is not None else f"planned: {shot.prompt}"
            out = "end" if shot.trim_out is None else seconds_text(shot.trim_out)
            rows.append(
                (
                    "",
                    str(i),
                    what,
                    seconds_text(shot.trim_in),
                    out,
                    "continues" if shot.continues else "",
                )
            )
        if board.shots:
            table(rows)
