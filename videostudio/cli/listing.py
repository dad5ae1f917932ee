"""Commands that need no key and no network: jobs, library, spend, budget and journal.

They are plain functions (no event loop), so they start fast."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime

from videostudio.cli.output import EXIT_BUSY, EXIT_OK, CliError, record_json, say, table
from videostudio.cli.storyboard import export_command, storyboard_command
from videostudio.core.budget import SETTING_KEY, Budget
from videostudio.core.jobs import SAVED
from videostudio.core.library import LibraryQuery
from videostudio.core.spend import cost_text
from videostudio.core.text import printable
from videostudio.paths import Paths as AppPaths
from videostudio.services import library as clip_library
from videostudio.services.clips import sidecar
from videostudio.services.journal import Journal, JournalError
from videostudio.services.restore import restore


def jobs(args: argparse.Namespace, journal: Journal, paths: AppPaths) -> int:
    records = journal.find()
    if args.json:
        rows = [record_json(r, sidecar(r, journal.images)) for r in records]
        print(json.dumps(rows, indent=2, ensure_ascii=True))
    elif not records:
        say("No jobs yet.")
    else:
        lines = [("#", "STATE", "MODEL", "SEED", "COST", "CREATED", "PROMPT", "FILE")]
        for r in records:
            prompt = r.prompt if len(r.prompt) <= 40 else r.prompt[:39] + "…"
            created = datetime.fromtimestamp(r.created_at).strftime("%Y-%m-%d %H:%M")
            seed = "-" if r.seed is None else str(r.seed)
            lines.append(
                (
                    str(r.local_id),
                    r.label + (" (restored)" if r.restored else ""),
                    r.model,
                    seed,
                    cost_text(r),
                    created,
                    prompt,
                    r.path or "-",
                )
            )
        table(lines)
        if any(row[4].startswith(("≈", "not sent, ≈")) for row in lines[1:]):
            say("≈ estimate: the job has not reported its cost.")
    if journal.damaged:
        say(journal.damage_report())
    return EXIT_OK


def library(args: argparse.Namespace, journal: Journal, paths: AppPaths) -> int:
    query = LibraryQuery(
        text=args.search, model=args.model, states=(SAVED,), favourites=args.favourites
    )
    clips = clip_library.find(journal, query)
    if args.json:
        rows = [record_json(r, sidecar(r, journal.images)) for r in clips]
        print(json.dumps(rows, indent=2, ensure_ascii=True))
        return EXIT_OK
    if not clips:
        say("No clips match." if args.search or args.model or args.favourites else "No clips yet.")
        return EXIT_OK
    for r in clips:
        params = ", ".join(f"{k}={v}" for k, v in r.parameters().items() if k != "provider")
        mark = "★ " if r.favourite else ""
        seed = "no seed" if r.seed is None else f"seed {r.seed}"
        print(printable(f"#{r.local_id} {mark}{r.model}  {seed}  {cost_text(r)}  {params}"))
        print(printable(f"    {r.prompt}"))
        for output in r.outputs or ():
            gone = "" if os.path.exists(output.path) else "  (file missing: moved or deleted)"
            print(printable(f"    {output.path}{gone}"))
        if r.missing_outputs:
            print(f"    ({r.label.lower()})")
    return EXIT_OK


def spend(args: argparse.Namespace, journal: Journal, paths: AppPaths) -> int:
    totals = journal.spend(datetime.now().astimezone())
    demo = paths.data_dir.name == "demo"
    if args.json:
        print(json.dumps({"demo": demo, **totals.to_json()}, indent=2))
        return EXIT_OK
    if demo:
        say("Demo mode: simulated costs, never real money.")
    table(
        [
            ("PERIOD", "SPENT"),
            ("today", totals.today.text()),
            ("this month", totals.month.text()),
            ("all time", totals.all_time.text()),
        ]
    )
    if totals.by_model:
        print()
        table(
            [("MODEL", "SPENT", "JOBS")]
            + [(m, t.text(), str(t.jobs)) for m, t in sorted(totals.by_model.items())]
        )
    say("Reported costs (usage.cost), plus estimates for jobs that have not reported one yet.")
    return EXIT_OK


def budget(args: argparse.Namespace, journal: Journal, paths: AppPaths) -> int:
    current = Budget.from_json(journal.setting(SETTING_KEY)).to_json()
    changed = False
    for key in ("daily", "monthly", "ask_above"):
        value = getattr(args, key)
        if value is not None:
            current[key] = None if value == "none" else value
            changed = True
    if args.confirm_jobs is not None:
        if args.confirm_jobs < 1:
            raise CliError("--confirm-jobs takes 1 or more.")
        current["confirm_jobs"] = args.confirm_jobs
        changed = True
    chosen = Budget.from_json(current)
    if changed:
        journal.set_setting(SETTING_KEY, chosen.to_json())
    which = "demo budget" if paths.data_dir.name == "demo" else "budget"
    say(f"{'Saved the ' + which if changed else 'The ' + which}: {chosen.describe()}.")
    return EXIT_OK


def journal_command(args: argparse.Namespace, journal: Journal, paths: AppPaths) -> int:
    if args.backup:
        say(f"Backed up the journal to {journal.backup('manual')}")
        return EXIT_OK
    if args.restore is not None:
        from videostudio.services.instance import DataFolder

        folder = DataFolder(paths.data_dir, "videostudio journal --restore")
        if not folder.try_acquire():
            raise CliError(
                f"{folder.owner().describe()} is using this folder; quit it before restoring.",
                EXIT_BUSY,
            )
        try:
            done = restore(journal, args.restore.expanduser(), paths.clips_dir)
        except JournalError as exc:
            raise CliError(str(exc)) from None
        finally:
            folder.unlock()
        dropped = (
            f" {done.dropped_paths} of them had a file path outside the clips folder; it was "
            "dropped (their clips are saved in the clips folder if you send them)."
            if done.dropped_paths
            else ""
        )
        say(
            f"Restored {done.jobs} job(s) from {args.restore} as history: nothing restored is "
            "sent, polled or downloaded until you say so (`videostudio resume --restored` for "
            f"all, `--restored N` for one).{dropped} The journal as it was is kept at "
            f"{done.before}."
        )
        return EXIT_OK
    records = journal.find()
    say(f"Journal {journal.path}: {len(records)} job(s), integrity ok.")
    if journal.damaged:
        say(journal.damage_report())
    backups = journal.list_backups()
    say("Backups (newest first):" if backups else "No backups yet (`--backup` makes one).")
    for backup in backups:
        say(f"  {backup}", sys.stdout)
    say("To restore one: videostudio journal --restore BACKUP")
    return EXIT_OK


LOCAL = {
    "jobs": jobs,
    "library": library,
    "spend": spend,
    "budget": budget,
    "journal": journal_command,
    "export": export_command,
    "storyboard": storyboard_command,
}
