"""Commands that finish work already journaled: resume, retry and save."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
from pathlib import Path

from videostudio.cli.common import (
    Env,
    Printer,
    destination,
    driving,
    owner_of,
    run_until_done,
    summary,
)
from videostudio.cli.output import EXIT_BUSY, EXIT_OK, CliError, say
from videostudio.core.jobs import SAVED, UNKNOWN, saving_again
from videostudio.services.clips import free_file
from videostudio.services.journal import AlreadyRetriedError
from videostudio.services.spending import OverBudgetError


async def resume(args: argparse.Namespace, env: Env) -> int:
    async with driving(env, "videostudio resume") as service:
        if service is None:
            say(f"{owner_of(env)} is running the jobs of this folder; it will finish them.")
            return EXIT_OK
        _release_restored(env, args.restored)
        printer = Printer(sys.stderr, max_wait=args.max_wait)
        service.subscribe(printer)
        started = await service.resume()
        held = env.journal.held_restored()
        if held:
            say(
                f"{len(held)} job(s) restored from a backup are kept as history, not sent or "
                "polled: `videostudio resume --restored` does (or `--restored N` for one)."
            )
        if not started:
            say("Nothing to resume.")
        if again := saving_again(started):
            say(again)
        await run_until_done(service, printer)
    ids = {r.local_id for r in started}
    touched = [r for r in env.journal.find() if r.local_id in ids or r.state == UNKNOWN]
    return summary(touched) if touched else EXIT_OK


def _release_restored(env: Env, wanted: list[int] | None) -> None:
    """``--restored [N...]``: the user's word that restored jobs may be driven."""
    if wanted is None:
        return
    released = env.journal.release_restored(wanted or None)
    for local_id in sorted(set(wanted) - set(released)):
        say(f"Job {local_id} is not a restored job waiting for your word.")
    if released:
        say(f"Released {len(released)} restored job(s): {', '.join(map(str, released))}.")


async def retry(args: argparse.Namespace, env: Env) -> int:
    async with driving(env, "videostudio retry") as service:
        if service is None:
            raise _busy(env, "retry")
        try:
            record = await service.submit_again(
                args.local_id, again=args.again, over_budget=args.over_budget
            )
        except KeyError:
            raise CliError(f"There is no job {args.local_id}; see `videostudio jobs`.") from None
        except AlreadyRetriedError as exc:
            raise CliError(f"{exc} Nothing was sent; add --again to send it.") from None
        except OverBudgetError as exc:
            raise CliError(
                f"Not sent: {exc}. Nothing was sent. Raise the cap with `videostudio budget`, "
                "or add --over-budget to send this one anyway."
            ) from None
        except ValueError as exc:
            raise CliError(str(exc)) from None
        printer = Printer(sys.stderr, {record.local_id}, args.max_wait)
        service.subscribe(printer)
        await run_until_done(service, printer)
    return summary([env.journal.get(record.local_id)])


async def save(args: argparse.Namespace, env: Env) -> int:
    try:
        record = env.journal.get(args.local_id)
    except KeyError:
        raise CliError(f"There is no job {args.local_id}; see `videostudio jobs`.") from None
    dest = destination(args.output, 1)
    if record.state == SAVED:
        if dest is None:
            say(f"Job {record.local_id} is saved at {record.path}.")
            return EXIT_OK
        for output in record.outputs or ():
            wanted = dest / Path(output.path).name if dest.is_dir() else dest
            target = await asyncio.to_thread(_copy_new, Path(output.path), wanted)
            say(f"Copied {output.path} to {target}")
        return EXIT_OK
    async with driving(env, "videostudio save") as service:
        if service is None:
            raise _busy(env, "save")
        try:
            await service.save_again(record.local_id, dest)
        except ValueError as exc:
            raise CliError(str(exc)) from None
        printer = Printer(sys.stderr, {record.local_id}, args.max_wait)
        service.subscribe(printer)
        await run_until_done(service, printer)
    return summary([env.journal.get(record.local_id)])


def _copy_new(source: Path, wanted: Path) -> Path:
    """Copy ``source`` to ``wanted``, or to its first free name: never over a file."""
    while True:
        target = free_file(wanted)
        try:
            with source.open("rb") as src, target.open("xb") as out:  # x: never replace
                shutil.copyfileobj(src, out)
        except FileExistsError:
            continue  # taken meanwhile: the next free name
        return target


def _busy(env: Env, what: str) -> CliError:
    return CliError(
        f"The jobs of this folder are being run by {owner_of(env)}; {what} there, "
        "or once it has finished.",
        EXIT_BUSY,
    )
