"""The command line: ``videostudio generate`` and ``videostudio models``, on the same core.

A composition root like app.py: it wires the client (or the built-in simulator
with --demo) to the job runner and prints progress.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from videostudio.api.client import VideoClient
from videostudio.api.errors import (
    APIStatusError,
    AuthenticationError,
    PaymentRequiredError,
    VideoAPIError,
)
from videostudio.core.images import ImageRejectedError, data_url
from videostudio.core.models import GenerationRequest, ImagePart, VideoModel
from videostudio.core.pricing import estimate_cost
from videostudio.core.validation import validate_request
from videostudio.services.keychain import KeychainUnavailableError, KeyStore
from videostudio.services.runner import JobEvent, JobRunner

EXIT_OK, EXIT_JOB_FAILED, EXIT_USAGE, EXIT_API = 0, 1, 2, 3
DEMO_KEY = "demo-key"  # the built-in simulator accepts any non-empty key


class CliError(Exception):
    """A message for the user and the exit code that goes with it."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="videostudio",
        description="Generate AI video clips with OpenRouter. Without a command, opens the window.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def connection(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--demo", action="store_true", help="use the built-in simulator (offline, free, no key)"
        )
        p.add_argument(
            "--base-url", help="API base URL (default: $OPENROUTER_BASE_URL or OpenRouter)"
        )

    gen = sub.add_parser("generate", help="generate one clip and save it")
    gen.add_argument("--prompt", "-p", required=True, help="what the clip shows")
    gen.add_argument("--model", "-m", default="google/veo-3.1-fast", help="model id (see `models`)")
    gen.add_argument("--duration", type=int, help="seconds (one of the model's durations)")
    gen.add_argument("--resolution", help="e.g. 720p, 1080p, 4K")
    gen.add_argument("--aspect-ratio", help="e.g. 16:9, 9:16, 1:1")
    gen.add_argument("--size", help="WIDTHxHEIGHT, instead of resolution and aspect ratio")
    gen.add_argument("--seed", type=int, help="seed for repeatable results (where supported)")
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
        "-o", "--output", type=Path, help="where to save the .mp4 (default: JOB_ID.mp4)"
    )
    connection(gen)

    models = sub.add_parser(
        "models", help="list the video models with their capabilities and prices"
    )
    models.add_argument("--json", action="store_true", help="print the catalogue as JSON")
    models.add_argument("--all", action="store_true", help="include edit/upscale/avatar models")
    connection(models)
    return parser


@contextmanager
def _demo_server() -> Iterator[str]:
    # The simulator is imported only when asked for: it is not part of a real run.
    from videostudio.simulator.server import SimulatorServer
    from videostudio.simulator.service import Simulator

    with SimulatorServer(Simulator(pending_s=1.0, running_s=2.0)) as server:
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


def _build_request(args: argparse.Namespace) -> GenerationRequest:
    return GenerationRequest(
        model=args.model,
        prompt=args.prompt,
        duration=args.duration,
        resolution=args.resolution,
        aspect_ratio=args.aspect_ratio,
        size=args.size,
        seed=args.seed,
        generate_audio=args.audio,
        images=tuple(parse_image_arg(a) for a in args.image),
    )


def _find_model(models: list[VideoModel], model_id: str) -> VideoModel:
    for model in models:
        if model.id == model_id:
            return model
    near = [m.id for m in models if model_id.split("/")[-1].split("-")[0] in m.id][:5]
    hint = (
        f" Did you mean: {', '.join(near)}?" if near else " Run `videostudio models` for the list."
    )
    raise CliError(f"Unknown model {model_id!r}.{hint}")


class _Progress:
    """One updating status line on a terminal; plain lines otherwise."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self.last = ""

    def __call__(self, event: JobEvent) -> None:
        if event.kind == "downloading":
            pct = (
                f"{100 * event.received // event.total}%" if event.total else f"{event.received} B"
            )
            line = f"downloading {pct}"
            if not self.tty and event.received != event.total:
                return
        elif event.kind == "retrying":
            line = f"retrying in {event.delay:.0f} s: {event.message}"
        elif event.kind == "saved":
            line = f"saved {event.path}"
        else:
            line = f"{event.kind}: {event.status or ''} {event.job_id or ''}".rstrip()
        if line == self.last:
            return
        self.last = line
        if self.tty:
            self.out.write(f"\r\033[K{line}")
            if event.kind in ("saved", "failed"):
                self.out.write("\n")
        else:
            self.out.write(line + "\n")
        self.out.flush()


async def _generate(args: argparse.Namespace, base_url: str | None, key: str) -> int:
    request = _build_request(args)
    async with VideoClient(api_key=key, base_url=base_url) as client:
        model = _find_model(await client.list_models(), request.model)
        problems = validate_request(request, model)
        if problems:
            raise CliError("\n".join(p.message for p in problems))
        estimate = estimate_cost(
            model,
            duration=request.duration,
            resolution=request.resolution,
            aspect_ratio=request.aspect_ratio,
            size=request.size,
            generate_audio=request.generate_audio,
            image_count=len(request.images),
            image_to_video=bool(request.frame_images),
        )
        print(f"{model.name}: estimated cost {estimate.label()}", file=sys.stderr)
        runner = JobRunner(client)
        progress = _Progress(sys.stderr)
        submitted = await runner.submit(request, progress)
        output = args.output or Path(f"{submitted.id}.mp4")
        job = await runner.wait(submitted.id, progress)
        if job.status != "completed":
            print(
                f"\nThe job ended {job.status}: {job.error or 'no reason given'}", file=sys.stderr
            )
            return EXIT_JOB_FAILED
        await runner.download(job, output, progress)
        cost = f"${job.cost:.2f}" if job.cost is not None else "not reported"
        print(f"Saved {output} (cost {cost})", file=sys.stderr)
        print(output)
    return EXIT_OK


async def _models(args: argparse.Namespace, base_url: str | None, key: str) -> int:
    async with VideoClient(api_key=key, base_url=base_url) as client:
        models = await client.list_models()
    if not args.all:
        models = [m for m in models if m.generates_from_prompt]
    if args.json:
        print(json.dumps({"data": [dict(m.raw) for m in models]}, indent=2))
        return EXIT_OK
    rows = [("MODEL", "DURATIONS", "RESOLUTIONS", "ASPECT", "AUDIO", "SEED", "PRICE (8 s)")]
    for m in models:
        duration = (
            8 if 8 in (m.supported_durations or ()) else (m.supported_durations or (None,))[-1]
        )
        price = estimate_cost(m, duration=duration).label() if duration else "-"
        rows.append(
            (
                m.id,
                _compact(m.supported_durations),
                ",".join(m.supported_resolutions or ()) or "-",
                ",".join(m.supported_aspect_ratios or ()) or "-",
                "yes" if m.generate_audio else "no",
                "yes" if m.seed else "no",
                price if duration == 8 else f"{price} ({duration} s)",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return EXIT_OK


def _compact(values: tuple[int, ...] | None) -> str:
    """[2,3,4,5] -> '2-5'; [4,6,8] -> '4,6,8'."""
    if not values:
        return "-"
    if len(values) > 2 and list(values) == list(range(values[0], values[-1] + 1)):
        return f"{values[0]}-{values[-1]}"
    return ",".join(map(str, values))


def run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        build_parser().print_help()
        return EXIT_USAGE
    handler = _generate if args.command == "generate" else _models
    try:
        if args.demo:
            with _demo_server() as base_url:
                print(f"Demo mode: built-in simulator at {base_url}", file=sys.stderr)
                return asyncio.run(handler(args, base_url, DEMO_KEY))
        base_url = args.base_url or os.environ.get("OPENROUTER_BASE_URL")
        return asyncio.run(handler(args, base_url, _api_key()))
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except (AuthenticationError, PaymentRequiredError) as exc:
        hint = (
            "Check the API key."
            if isinstance(exc, AuthenticationError)
            else "Add credits at https://openrouter.ai/credits."
        )
        print(f"error: {exc.message} {hint}", file=sys.stderr)
        return EXIT_API
    except APIStatusError as exc:
        print(f"error: the API refused: {exc}", file=sys.stderr)
        return EXIT_API
    except VideoAPIError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_API
    except ValueError as exc:  # a refused base URL
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(
            "\nStopped watching. A submitted job keeps running (and is billed) on the server.",
            file=sys.stderr,
        )
        return 130
