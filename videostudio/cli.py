"""The command line, on the same core, journal and library as the window.

``videostudio generate`` journals and runs jobs like the window does;
``jobs`` shows the journal; ``resume`` finishes every unfinished job headless;
``retry`` sends a job again when the user decides to; ``models`` lists the
catalogue. A composition root like app.py: it wires the parts and prints.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from videostudio import paths as app_paths
from videostudio.api.client import VideoClient
from videostudio.api.errors import VideoAPIError
from videostudio.core import failures
from videostudio.core.images import ImageRejectedError, data_url
from videostudio.core.jobs import SAVED, UNKNOWN, JobRecord
from videostudio.core.models import GenerationRequest, ImagePart, VideoModel
from videostudio.core.pricing import estimate_for
from videostudio.core.validation import validate_request
from videostudio.services.catalog import Catalog
from videostudio.services.clips import sidecar
from videostudio.services.errors import to_failure
from videostudio.services.jobs import Activity, JobService
from videostudio.services.journal import Journal, JournalError
from videostudio.services.keychain import KeychainUnavailableError, KeyStore
from videostudio.services.redact import configure_logging, register_secret

EXIT_OK, EXIT_JOB_FAILED, EXIT_USAGE, EXIT_API = 0, 1, 2, 3
DEMO_KEY = "demo-key"  # the built-in simulator accepts any non-empty key
DEFAULT_MODEL = "google/veo-3.1-fast"


class CliError(Exception):
    """A message for the user and the exit code that goes with it."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    gen = sub.add_parser("generate", parents=[common], help="generate clips and save them")
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
        help="seed (where supported); repeat for one job per seed",
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
        help="where to save the .mp4 (one job only; default: the clips folder)",
    )

    models = sub.add_parser("models", parents=[common], help="list the video models and prices")
    models.add_argument("--json", action="store_true", help="print the catalogue as JSON")
    models.add_argument("--all", action="store_true", help="include edit/upscale/avatar models")

    jobs = sub.add_parser("jobs", parents=[common], help="show the job journal")
    jobs.add_argument("--json", action="store_true", help="print the journal as JSON")

    sub.add_parser("resume", parents=[common], help="finish every unfinished job, then exit")

    retry = sub.add_parser(
        "retry", parents=[common], help="send a job again (one that may not exist, or was refused)"
    )
    retry.add_argument("local_id", type=int, help="the job's number in `videostudio jobs`")
    return parser


# -- set-up ---------------------------------------------------------------------------------


@contextmanager
def _demo_server(cache: Path) -> Iterator[str]:
    # The simulator is imported only when asked for: it is not part of a real run.
    from videostudio.simulator.server import SimulatorServer
    from videostudio.simulator.service import Simulator

    sim = Simulator(pending_s=1.0, running_s=2.0, cache_dir=cache, jobs_file=cache / "jobs.jsonl")
    with SimulatorServer(sim) as server:
        yield server.base_url


def _api_key() -> str:
    key = os.environ.get("OPENROUTER_API_KEY")
    if key:
        return key
    try:
        key = KeyStore().get()
    except KeychainUnavailableError:
        key = None
    if not key:
        raise CliError(
            "No OpenRouter API key. Set OPENROUTER_API_KEY, save a key in the app's settings "
            "(it goes to the system keychain), or try it offline with --demo."
        )
    return key


@dataclass
class Env:
    """What every command works with."""

    paths: app_paths.Paths
    client: VideoClient
    journal: Journal
    demo: bool

    def service(self) -> JobService:
        return JobService(self.client, self.journal, self.paths.clips_dir)


@asynccontextmanager
async def _env(args: argparse.Namespace) -> AsyncIterator[Env]:
    paths = app_paths.resolve(args.data_dir)
    if args.demo:
        paths = paths.for_demo()
    paths.ensure()
    configure_logging(str(paths.log_file), verbose=args.verbose)
    try:
        journal = Journal(paths.journal)
    except JournalError as exc:
        raise CliError(str(exc)) from None
    try:
        if args.demo:
            with _demo_server(paths.simulator_cache) as base_url:
                print("Demo mode: the built-in simulator (offline, free).", file=sys.stderr)
                async with VideoClient(api_key=DEMO_KEY, base_url=base_url) as client:
                    yield Env(paths, client, journal, demo=True)
        else:
            key = _api_key()
            register_secret(key)
            api_url = args.base_url or os.environ.get("OPENROUTER_BASE_URL")
            async with VideoClient(api_key=key, base_url=api_url) as client:
                yield Env(paths, client, journal, demo=False)
    finally:
        journal.close()


# -- generate -------------------------------------------------------------------------------


def parse_image_arg(arg: str) -> ImagePart:
    """PATH, PATH:first or PATH:last -> an image part carrying a data URL."""
    path, role = arg, "reference"
    head, sep, tail = arg.rpartition(":")
    if sep and tail in ("first", "last", "reference"):
        path, role = head, "reference" if tail == "reference" else f"{tail}_frame"
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise CliError(f"Cannot read image {path}: {exc.strerror}.") from None
    try:
        return ImagePart(data_url(data, file.name), role)
    except ImageRejectedError as exc:
        raise CliError(str(exc)) from None


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
    """The live catalogue, or the cached one when the API cannot be reached."""
    catalog = Catalog(env.client, env.paths.catalogue)
    try:
        return await catalog.refresh()
    except VideoAPIError as exc:
        cached = catalog.load_cached()
        if not cached:
            raise
        print(f"Using the cached model list ({to_failure(exc).message}).", file=sys.stderr)
        return cached


class Printer:
    """Job events as lines: one updating line on a terminal, plain lines otherwise."""

    def __init__(self, out: TextIO, local_ids: set[int] | None = None) -> None:
        self.out = out
        self.tty = out.isatty()
        self.local_ids = local_ids
        self.last: dict[int, str] = {}
        self.auth_failure: failures.Failure | None = None
        self.stop = asyncio.Event()

    def __call__(self, record: JobRecord, activity: Activity | None) -> None:
        if self.local_ids is not None and record.local_id not in self.local_ids:
            return
        line = self._line(record, activity)
        if line is None or self.last.get(record.local_id) == line:
            return
        self.last[record.local_id] = line
        if activity and activity.failure and activity.failure.kind == failures.AUTH:
            self.auth_failure = activity.failure
            self.stop.set()
        # A progress line is redrawn in place on a terminal; elsewhere only 100% is printed.
        progress = activity if activity is not None and activity.failure is None else None
        if self.tty:
            self.out.write(f"\r\033[K{line}" + ("" if progress is not None else "\n"))
        elif progress is None or progress.received == progress.total:
            self.out.write(line + "\n")
        self.out.flush()

    @staticmethod
    def _line(record: JobRecord, activity: Activity | None) -> str | None:
        tag = f"job {record.local_id}"
        if activity is not None and activity.failure is not None:
            wait = activity.failure.retry_in or 0
            return f"{tag}: {activity.failure.message}; retrying in {wait:.0f} s"
        if activity is not None:
            done = f"{activity.fraction:.0%}" if activity.fraction is not None else ""
            return f"{tag}: downloading {done or f'{activity.received} bytes'}"
        text = f"{tag}: {record.label.lower()}"
        if record.job_id and record.state in ("pending", "submitting"):
            text += f" ({record.job_id})"
        if record.state == SAVED:
            text += f" {record.path}"
        if record.error:
            text += f": {record.error}"
        return text


async def _run_until_done(service: JobService, printer: Printer) -> None:
    """Wait for the jobs; stop early when the key is refused (waiting cannot fix it)."""
    idle = asyncio.ensure_future(service.wait_idle())
    stop = asyncio.ensure_future(printer.stop.wait())
    await asyncio.wait({idle, stop}, return_when=asyncio.FIRST_COMPLETED)
    for task in (idle, stop):
        task.cancel()
    await service.aclose()
    if printer.auth_failure is not None:
        raise CliError(str(printer.auth_failure), EXIT_API)


def _summary(records: list[JobRecord]) -> int:
    saved = [r for r in records if r.state == SAVED]
    for r in records:
        if r.state == SAVED:
            cost = f"${r.cost_usd:.2f}" if r.cost_usd is not None else "not reported"
            print(f"Saved {r.path} (cost {cost})", file=sys.stderr)
        elif r.state == UNKNOWN:
            print(
                f"Job {r.local_id} may have been submitted: {r.error} "
                f"To send it again: videostudio retry {r.local_id}",
                file=sys.stderr,
            )
        elif r.is_final:
            print(f"Job {r.local_id} ended {r.label.lower()}: {r.error or ''}", file=sys.stderr)
        else:
            print(
                f"Job {r.local_id} is unfinished ({r.label.lower()}); "
                "`videostudio resume` continues it.",
                file=sys.stderr,
            )
    for r in saved:
        print(r.path)
    return EXIT_OK if len(saved) == len(records) else EXIT_JOB_FAILED


async def _generate(args: argparse.Namespace, env: Env) -> int:
    requests = _build_requests(args)
    if args.output is not None and len(requests) > 1:
        raise CliError("-o names one file; with several seeds the clips go to the clips folder.")
    model = _find_model(await _models_of(env), args.model)
    problems = [p for r in requests for p in validate_request(r, model)]
    if problems:
        raise CliError("\n".join(dict.fromkeys(p.message for p in problems)))
    estimates = [estimate_for(model, r) for r in requests]
    total = sum(e.usd or 0 for e in estimates)
    label = estimates[0].label() if len(requests) == 1 else f"≈ ${total:.2f} for {len(requests)}"
    print(f"{model.name}: estimated cost {label}", file=sys.stderr)
    service = env.service()
    dest = args.output.resolve() if args.output is not None else None
    records = await service.enqueue(requests, estimates=[e.usd for e in estimates], dest=dest)
    printer = Printer(sys.stderr, {r.local_id for r in records})
    service.subscribe(printer)
    await _run_until_done(service, printer)
    return _summary([env.journal.get(r.local_id) for r in records])


async def _resume(args: argparse.Namespace, env: Env) -> int:
    service = env.service()
    printer = Printer(sys.stderr)
    service.subscribe(printer)
    started = await service.resume()
    if not started:
        print("Nothing to resume.", file=sys.stderr)
    await _run_until_done(service, printer)
    ids = {r.local_id for r in started}
    touched = [r for r in env.journal.find() if r.local_id in ids or r.state == UNKNOWN]
    return _summary(touched) if touched else EXIT_OK


async def _retry(args: argparse.Namespace, env: Env) -> int:
    service = env.service()
    try:
        record = await service.submit_again(args.local_id)
    except KeyError:
        raise CliError(f"There is no job {args.local_id}; see `videostudio jobs`.") from None
    except ValueError as exc:
        raise CliError(str(exc)) from None
    printer = Printer(sys.stderr, {record.local_id})
    service.subscribe(printer)
    await _run_until_done(service, printer)
    return _summary([env.journal.get(record.local_id)])


# -- listing --------------------------------------------------------------------------------


def _table(rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


async def _models(args: argparse.Namespace, env: Env) -> int:
    models = await _models_of(env)
    if not args.all:
        models = [m for m in models if m.generates_from_prompt]
    if args.json:
        print(json.dumps({"data": [dict(m.raw) for m in models]}, indent=2))
        return EXIT_OK
    rows = [("MODEL", "DURATIONS", "RESOLUTIONS", "ASPECT", "AUDIO", "SEED", "PRICE (8 s)")]
    for m in models:
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


def _record_json(record: JobRecord) -> dict[str, Any]:
    """A journal row for --json: the sidecar's view (no image data), plus the state."""
    return {
        "local_id": record.local_id,
        "state": record.state,
        "error": record.error,
        "remote_status": record.remote_status,
        "path": record.path,
        **sidecar(record),
    }


def _jobs(args: argparse.Namespace, journal: Journal) -> int:
    records = journal.find()
    if args.json:
        print(json.dumps([_record_json(r) for r in records], indent=2, ensure_ascii=False))
        return EXIT_OK
    if not records:
        print("No jobs yet.", file=sys.stderr)
        return EXIT_OK
    rows = [("#", "STATE", "MODEL", "COST", "CREATED", "PROMPT", "FILE")]
    for r in records:
        cost = r.cost_usd if r.cost_usd is not None else r.estimate_usd
        shown = "-" if cost is None else f"${cost:.2f}" + ("" if r.cost_usd is not None else "*")
        prompt = r.prompt if len(r.prompt) <= 40 else r.prompt[:39] + "…"
        created = datetime.fromtimestamp(r.created_at).strftime("%Y-%m-%d %H:%M")
        rows.append((str(r.local_id), r.label, r.model, shown, created, prompt, r.path or "-"))
    _table(rows)
    print("* estimate; the job has not reported its cost.", file=sys.stderr)
    return EXIT_OK


# -- entry ----------------------------------------------------------------------------------

HANDLERS = {"generate": _generate, "models": _models, "resume": _resume, "retry": _retry}


async def _main(args: argparse.Namespace) -> int:
    if args.command == "jobs":  # needs no key and no network
        paths = app_paths.resolve(args.data_dir)
        paths = paths.for_demo() if args.demo else paths
        try:
            journal = Journal(paths.ensure().journal)
        except JournalError as exc:
            raise CliError(str(exc)) from None
        try:
            return _jobs(args, journal)
        finally:
            journal.close()
    async with _env(args) as env:
        return await HANDLERS[args.command](args, env)


def run(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return asyncio.run(_main(args))
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except VideoAPIError as exc:
        print(f"error: {to_failure(exc)}", file=sys.stderr)
        return EXIT_API
    except ValueError as exc:  # a refused base URL
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(
            "\nStopped. The journal keeps every job: `videostudio resume` continues them.",
            file=sys.stderr,
        )
        return 130
