"""The commands: generate, resume, retry, save, models, jobs and journal."""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from videostudio.api.errors import VideoAPIError
from videostudio.cli.common import (
    EXIT_BUSY,
    EXIT_JOB_FAILED,
    EXIT_OK,
    CliError,
    Env,
    Printer,
    open_env,
    open_journal,
    record_json,
    run_until_done,
    say,
)
from videostudio.core.images import ImageRejectedError
from videostudio.core.jobs import NOT_SAVED, SAVED, UNKNOWN, JobRecord
from videostudio.core.models import GenerationRequest, ImagePart, VideoModel
from videostudio.core.pricing import estimate_for
from videostudio.core.seeds import with_seed
from videostudio.core.text import printable
from videostudio.core.validation import validate_request
from videostudio.services.catalog import Catalog
from videostudio.services.clips import sidecar
from videostudio.services.errors import to_failure
from videostudio.services.images import read_image_file
from videostudio.services.instance import DataFolder, ring
from videostudio.services.jobs import JobService
from videostudio.services.journal import Journal, JournalError

# How often a process that handed its jobs over looks at how they are doing.
HANDOVER_POLL_S = 1.0

# -- driving: only the folder's owner sends, polls and downloads ---------------------------------


@asynccontextmanager
async def driving(env: Env, kind: str) -> AsyncIterator[JobService | None]:
    """The job service when this process owns the data folder (it then answers the
    doorbell and adopts jobs handed over), else None."""
    folder = DataFolder(env.paths.data_dir, kind)
    if not folder.try_acquire():
        yield None
        return
    service = env.service()

    async def on_ring(request: dict[str, Any]) -> dict[str, Any]:
        if request.get("op") == "wake":
            return {"ok": True, "adopted": len(await service.adopt())}
        return {"ok": False, "error": f"{kind} has no window to show."}

    try:
        await folder.serve(on_ring)
        yield service
    finally:
        await service.aclose()
        await folder.release()


def _owner_of(env: Env) -> str:
    """Who holds the folder, as its lock file says (asked right after the lock said no)."""
    return DataFolder(env.paths.data_dir, "").owner().describe()


# -- generate ---------------------------------------------------------------------------------


def parse_image_arg(arg: str) -> ImagePart:
    """PATH, PATH:first or PATH:last -> an image part carrying a checked data URL.

    The same checks as the window's image zone (decoded, scaled down when large).
    """
    from videostudio.ui.imaging import prepare_image  # Qt's image decoders, no window

    path, role = arg, "reference"
    head, sep, tail = arg.rpartition(":")
    if sep and tail in ("first", "last", "reference"):
        path, role = head, "reference" if tail == "reference" else f"{tail}_frame"
    try:
        image = prepare_image(read_image_file(path), Path(path).name)
    except ImageRejectedError as exc:
        raise CliError(str(exc)) from None
    return ImagePart(image.url, role)


def _build_requests(args: argparse.Namespace) -> list[GenerationRequest]:
    images = tuple(parse_image_arg(a) for a in args.image)
    return [
        GenerationRequest(
            model=args.model,
            prompt=args.prompt,
            duration=args.duration,
            resolution=args.resolution,
            aspect_ratio=args.aspect_ratio,
            size=args.size,
            seed=seed,
            generate_audio=args.audio,
            images=images,
        )
        for seed in (args.seed or [None])
    ]


def _find_model(models: list[VideoModel], model_id: str) -> VideoModel:
    for model in models:
        if model.id == model_id:
            return model
    near = [m.id for m in models if model_id.split("/")[-1].split("-")[0] in m.id][:5]
    hint = (
        f" Did you mean: {', '.join(near)}?" if near else " Run `videostudio models` for the list."
    )
    raise CliError(f"Unknown model {model_id!r}.{hint}")


async def _models_of(env: Env) -> list[VideoModel]:
    """The live catalogue, or the saved one when the API cannot be reached."""
    catalog = Catalog(env.client, env.paths.catalogue)
    try:
        return await catalog.refresh()
    except VideoAPIError as exc:
        cached = catalog.load_cached()
        failure = to_failure(exc)
        if not cached:
            raise CliError(
                f"Cannot read the model list from the video service: {failure.message} "
                "Nothing was sent; try again when the service can be reached.",
                3,
            ) from None
        say(f"Using the saved model list ({failure.message}).")
        return cached


def _destination(output: Path | None, jobs: int) -> Path | None:
    """Where -o points, checked before anything is paid for: a file, or a folder to save in."""
    if output is None:
        return None
    dest = output.expanduser().absolute()
    folder = dest if dest.is_dir() else dest.parent
    if not dest.is_dir() and jobs > 1:
        raise CliError(
            f"-o {output} names one file, but {jobs} jobs were asked for; "
            "give a folder to save them all in."
        )
    if not folder.is_dir():
        raise CliError(f"The folder {folder} does not exist. Nothing was sent.")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise CliError(f"Cannot write to {folder}: {exc.strerror}. Nothing was sent.") from None
    return dest


async def generate(args: argparse.Namespace, env: Env) -> int:
    requests = _build_requests(args)
    dest = _destination(args.output, len(requests))
    model = _find_model(await _models_of(env), args.model)
    requests = [with_seed(r, model) for r in requests]  # every clip reproducible
    problems = [p for r in requests for p in validate_request(r, model)]
    if problems:
        raise CliError("\n".join(dict.fromkeys(p.message for p in problems)))
    estimates = [estimate_for(model, r) for r in requests]
    total = sum(e.usd or 0 for e in estimates)
    label = estimates[0].label() if len(requests) == 1 else f"≈ ${total:.2f} for {len(requests)}"
    say(f"{model.name}: estimated cost {label}")
    usd = [e.usd for e in estimates]
    async with driving(env, "videostudio generate") as service:
        if service is not None:
            try:
                records = await service.enqueue(requests, estimates=usd, dest=dest)
            except JournalError as exc:
                raise CliError(f"{exc}. Nothing was sent.") from None
            printer = Printer(sys.stderr, {r.local_id for r in records}, args.max_wait)
            service.subscribe(printer)
            await run_until_done(service, printer)
            return _summary([env.journal.get(r.local_id) for r in records])
    return await _hand_over(args, env, requests, usd, dest)


async def _hand_over(
    args: argparse.Namespace,
    env: Env,
    requests: list[GenerationRequest],
    estimates: list[float | None],
    dest: Path | None,
) -> int:
    """Another process owns the folder: journal the jobs for it, ring, and watch them."""
    try:
        records = await asyncio.to_thread(
            env.journal.add_many,
            [r.to_json() for r in requests],
            estimates=estimates,
            paths=[str(dest)] * len(requests) if dest is not None else None,
        )
    except JournalError as exc:
        raise CliError(f"{exc}. Nothing was sent.") from None
    ids = ", ".join(f"#{r.local_id}" for r in records)
    reply = await ring(env.paths.data_dir, {"op": "wake"})
    owner = f"{reply.get('kind')} (pid {reply.get('pid')})" if reply else _owner_of(env)
    if reply and reply.get("ok"):
        say(f"{owner} runs the jobs of this folder; job {ids} was handed to it.")
    else:
        say(
            f"The folder is in use by {owner}, which did not answer. Job {ids} is journaled, "
            "not sent; it will be sent when that process ends (or by `videostudio resume`)."
        )
    if args.no_wait:
        return EXIT_OK
    return await _watch_handed_over(args, env, records)


async def _watch_handed_over(args: argparse.Namespace, env: Env, records: list[JobRecord]) -> int:
    """Follow handed-over jobs in the journal; take them over if their owner goes away."""
    ids = {r.local_id for r in records}
    printer = Printer(sys.stderr, ids, args.max_wait)
    for record in records:
        printer(record, None)
    while True:
        current = [env.journal.get(i) for i in ids]
        for record in current:
            printer(record, None)
        if all(r.is_final for r in current):
            return _summary(current)
        async with driving(env, "videostudio generate") as service:
            if service is not None:  # the owner went away: finish the jobs here
                service.subscribe(printer)
                await service.resume()
                await run_until_done(service, printer)
                return _summary([env.journal.get(i) for i in ids])
        await asyncio.sleep(HANDOVER_POLL_S)


def _summary(records: list[JobRecord]) -> int:
    saved = [r for r in records if r.state == SAVED]
    for r in records:
        if r.state == SAVED:
            cost = f"${r.cost_usd:.2f}" if r.cost_usd is not None else "not reported"
            files = ", ".join(o.path for o in r.outputs) or r.path
            say(f"Saved {files} (cost {cost})")
            if r.note:
                say(f"Note: {r.note}")
        elif r.state == UNKNOWN:
            say(
                f"Job {r.local_id} may have been submitted: {r.error} "
                f"To send it again: videostudio retry {r.local_id}"
            )
        elif r.state == NOT_SAVED:
            say(
                f"Job {r.local_id} is paid for but not saved: {r.error} "
                f"To save it: videostudio save {r.local_id} [-o PATH]"
            )
        elif r.is_final:
            say(f"Job {r.local_id} ended {r.label.lower()}: {r.error or ''}")
        else:
            say(
                f"Job {r.local_id} is unfinished ({r.label.lower()}); "
                "`videostudio resume` continues it."
            )
    for r in saved:
        for output in r.outputs or ():
            say(output.path, sys.stdout)
    return EXIT_OK if len(saved) == len(records) else EXIT_JOB_FAILED


# -- resume, retry, save --------------------------------------------------------------------------


async def resume(args: argparse.Namespace, env: Env) -> int:
    async with driving(env, "videostudio resume") as service:
        if service is None:
            say(f"{_owner_of(env)} is running the jobs of this folder; it will finish them.")
            return EXIT_OK
        printer = Printer(sys.stderr, max_wait=args.max_wait)
        service.subscribe(printer)
        started = await service.resume()
        if not started:
            say("Nothing to resume.")
        await run_until_done(service, printer)
    ids = {r.local_id for r in started}
    touched = [r for r in env.journal.find() if r.local_id in ids or r.state == UNKNOWN]
    return _summary(touched) if touched else EXIT_OK


async def retry(args: argparse.Namespace, env: Env) -> int:
    async with driving(env, "videostudio retry") as service:
        if service is None:
            raise _busy(env, "retry")
        try:
            record = await service.submit_again(args.local_id)
        except KeyError:
            raise CliError(f"There is no job {args.local_id}; see `videostudio jobs`.") from None
        except ValueError as exc:
            raise CliError(str(exc)) from None
        printer = Printer(sys.stderr, {record.local_id}, args.max_wait)
        service.subscribe(printer)
        await run_until_done(service, printer)
    return _summary([env.journal.get(record.local_id)])


async def save(args: argparse.Namespace, env: Env) -> int:
    try:
        record = env.journal.get(args.local_id)
    except KeyError:
        raise CliError(f"There is no job {args.local_id}; see `videostudio jobs`.") from None
    dest = _destination(args.output, 1)
    if record.state == SAVED:
        if dest is None:
            say(f"Job {record.local_id} is saved at {record.path}.")
            return EXIT_OK
        for output in record.outputs or ():
            target = dest / Path(output.path).name if dest.is_dir() else dest
            await asyncio.to_thread(shutil.copyfile, output.path, target)
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
    return _summary([env.journal.get(record.local_id)])


def _busy(env: Env, what: str) -> CliError:
    return CliError(
        f"The jobs of this folder are being run by {_owner_of(env)}; {what} there, "
        "or once it has finished.",
        EXIT_BUSY,
    )


# -- listing ----------------------------------------------------------------------------------


def _table(rows: Sequence[tuple[str, ...]]) -> None:
    rows = [tuple(printable(cell) for cell in row) for row in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


async def models(args: argparse.Namespace, env: Env) -> int:
    found = await _models_of(env)
    if not args.all:
        found = [m for m in found if m.generates_from_prompt]
    if args.json:
        print(json.dumps({"data": [dict(m.raw) for m in found]}, indent=2))
        return EXIT_OK
    rows = [("MODEL", "DURATIONS", "RESOLUTIONS", "ASPECT", "AUDIO", "SEED", "PRICE (8 s)")]
    for m in found:
        durations = m.supported_durations or ()
        duration = 8 if 8 in durations else (durations[-1] if durations else None)
        price = estimate_for(m, GenerationRequest(m.id, duration=duration)).label()
        rows.append(
            (
                m.id,
                _compact(durations),
                ",".join(m.supported_resolutions or ()) or "-",
                ",".join(m.supported_aspect_ratios or ()) or "-",
                "yes" if m.generate_audio else "no",
                "yes" if m.seed else "no",
                "-" if duration is None else price if duration == 8 else f"{price} ({duration} s)",
            )
        )
    _table(rows)
    return EXIT_OK


def _compact(values: tuple[int, ...]) -> str:
    """[2,3,4,5] -> '2-5'; [4,6,8] -> '4,6,8'."""
    if not values:
        return "-"
    if len(values) > 2 and list(values) == list(range(values[0], values[-1] + 1)):
        return f"{values[0]}-{values[-1]}"
    return ",".join(map(str, values))


def jobs(args: argparse.Namespace, journal: Journal) -> int:
    records = journal.find()
    if args.json:
        rows = [record_json(r, sidecar(r, journal.images)) for r in records]
        print(json.dumps(rows, indent=2, ensure_ascii=True))
    elif not records:
        say("No jobs yet.")
    else:
        rows_ = [("#", "STATE", "MODEL", "SEED", "COST", "CREATED", "PROMPT", "FILE")]
        for r in records:
            cost = r.cost_usd if r.cost_usd is not None else r.estimate_usd
            shown = (
                "-" if cost is None else f"${cost:.2f}" + ("" if r.cost_usd is not None else "*")
            )
            prompt = r.prompt if len(r.prompt) <= 40 else r.prompt[:39] + "…"
            created = datetime.fromtimestamp(r.created_at).strftime("%Y-%m-%d %H:%M")
            seed = "-" if r.seed is None else str(r.seed)
            rows_.append(
                (str(r.local_id), r.label, r.model, seed, shown, created, prompt, r.path or "-")
            )
        _table(rows_)
        say("* estimate; the job has not reported its cost.")
    if journal.damaged:
        say(journal.damage_report())
    return EXIT_OK


async def journal_command(args: argparse.Namespace, journal: Journal, data_dir: Path) -> int:
    if args.backup:
        say(f"Backed up the journal to {journal.backup('manual')}")
        return EXIT_OK
    if args.restore is not None:
        folder = DataFolder(data_dir, "videostudio journal --restore")
        if not folder.try_acquire():
            raise CliError(
                f"{folder.owner().describe()} is using this folder; quit it before restoring.",
                EXIT_BUSY,
            )
        try:
            before = journal.restore(args.restore.expanduser())
        except (JournalError, OSError) as exc:
            raise CliError(str(exc)) from None
        finally:
            await folder.release()
        say(f"Restored the journal from {args.restore}. What it replaced is kept at {before}.")
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


# -- entry ------------------------------------------------------------------------------------

NETWORKED = {"generate": generate, "models": models, "resume": resume, "retry": retry, "save": save}


async def main(args: argparse.Namespace) -> int:
    if args.command in ("jobs", "journal"):  # need no key and no network
        paths, journal = open_journal(args)
        try:
            if args.command == "jobs":
                return jobs(args, journal)
            return await journal_command(args, journal, paths.data_dir)
        finally:
            journal.close()
    async with open_env(args) as env:
        return await NETWORKED[args.command](args, env)
