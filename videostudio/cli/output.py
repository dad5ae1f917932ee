"""What every command prints and opens without the network: exit codes, messages with
outside text made safe, the journal of this run, and JSON rows."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from videostudio import paths as app_paths
from videostudio.core.jobs import JobRecord
from videostudio.core.text import printable
from videostudio.services.journal import Journal, JournalError
from videostudio.services.redact import redact

EXIT_OK, EXIT_JOB_FAILED, EXIT_USAGE, EXIT_API, EXIT_BUSY = 0, 1, 2, 3, 4


class CliError(Exception):
    """A message for the user and the exit code that goes with it."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def say(text: str, out: TextIO | None = None) -> None:
    """Print a line for the user: control characters escaped, secrets blanked."""
    print(printable(redact(text)), file=out or sys.stderr)


def open_journal(args: argparse.Namespace) -> tuple[app_paths.Paths, Journal]:
    """The folders and the journal of this run; repairs at open are told to the user."""
    paths = app_paths.resolve(args.data_dir)
    if args.demo:
        paths = paths.for_demo()
    paths.ensure()
    try:
        journal = Journal(paths.journal)
    except JournalError as exc:
        raise CliError(str(exc)) from None
    if journal.report:
        say(journal.report)
    return paths, journal


def table(rows: Sequence[tuple[str, ...]]) -> None:
    """Columns padded to their widest cell; outside text escaped."""
    rows = [tuple(printable(cell) for cell in row) for row in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def record_json(record: JobRecord, sidecar: dict[str, Any]) -> dict[str, Any]:
    """A journal row for --json: the sidecar's view (no image data), plus the state."""
    return {
        "local_id": record.local_id,
        "state": record.state,
        "error": record.error,
        "note": record.note,
        "remote_status": record.remote_status,
        "path": record.path,
        "restored": record.restored,  # from a backup: waits for `resume --restored`
        "retried_as": record.retried_as,
        **sidecar,
    }
