"""``videostudio generate``: one job or a batch (seeds x models x prompt lines), checked,
priced and held to the budget before anything is paid for; run here, or handed to the
process that owns the data folder."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import json
import sys
import uuid
from pathlib import Path
from typing import Any

from videostudio.cli.common import (
    Env,
    Printer,
    destination,
    driving,
    models_of,
    owner_of,
    run_until_done,
    summary,
)
from videostudio.cli.output import EXIT_OK, EXIT_USAGE, CliError, say
from videostudio.cli.parser import DEFAULT_MODEL
from videostudio.core.budget import SETTING_KEY, Budget, confirmations
from videostudio.core.images import ImageRejectedError
from videostudio.core.jobs import JobRecord
from videostudio.core.models import GenerationRequest, ImagePart, VideoModel
from videostudio.core.operations import Operation
from videostudio.core.options import OptionError, options_of, parse_value, provider_field
from videostudio.core.presets import PresetError
from videostudio.core.pricing import estimate_for, format_usd
from videostudio.core.seeds import random_seed, with_seed
from videostudio.core.validation import validate_for_sending
from videostudio.services.images import is_ref, read_image_file
from videostudio.services.instance import ring
from videostudio.services.journal import JournalError
from videostudio.services.operations import (
    OperationError,
    Prepared,
    avatar,
    media_part,
    prepare,
    saved_clip,
    session_of,
)
from videostudio.services.presets import PresetStore, for_model
from videostudio.services.spending import cap_refusals

# How often a process that handed its jobs over looks at how they are doing.
HANDOVER_POLL_S = 1.0
_ROLE_SUFFIX = {"reference": "reference", "first_frame": "first", "last_frame": "last"}


def parse_image_arg(arg: str) -> ImagePart:
    """PATH, PATH:first or PATH:last -> an image part carrying a checked data URL.

    The same checks as the window's image zone (decoded, scaled down when large).
    """
    from videostudio.ui.compose.imaging import prepare_image  # Qt's image decoders, no window

    path, role = arg, "reference"
    head, sep, tail = arg.rpartition(":")
    if sep and tail in ("first", "last", "reference"):
        path, role = head, "reference" if tail == "reference" else f"{tail}_frame"
    try:
        image = prepare_image(read_image_file(path), Path(path).name)
    except ImageRejectedError as exc:
        raise CliError(str(exc)) from None
    return ImagePart(image.url, role)


def _parse_options(pairs: list[str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CliError(f"--option takes KEY=VALUE, not {pair!r}.")
        try:
            options[key.strip()] = parse_value(key.strip(), value)
        except OptionError as exc:
            raise CliError(str(exc)) from None
    return options


def _base_of(args: argparse.Namespace, env: Env) -> GenerationRequest | None:
    """Job N's request for --like (its images stay references into the image store)."""
    if args.like is None:
        if args.vary:
            raise CliError("--vary goes with --like N (which job to vary).")
        return None
    try:
        record = env.journal.get(args.like)
    except KeyError:
        raise CliError(f"There is no job {args.like}; see `videostudio jobs`.") from None
    return GenerationRequest.from_json(record.request)


async def preset_base(args: argparse.Namespace, env: Env) -> GenerationRequest | None:
    """``generate --preset NAME``: the preset as the job's starting settings, checked
    against the catalogue (what the model no longer takes is said and left out)."""
    if args.preset is None:
        return None
    if args.like is not None:
        raise CliError("Start from a preset or from a job (--like), not both.")
    try:
        preset, notes = for_model(PresetStore(env.journal).get(args.preset), await models_of(env))
    except PresetError as exc:
        raise CliError(str(exc)) from None
    for note in notes:
        say(f"Preset {preset.name!r}, left out: {note}")
    roles = [*preset.image_roles, *["reference"] * len(args.image)]
    args.image = [  # an image given without a role takes the preset's role in its place
        arg if arg.rpartition(":")[2] in _ROLE_SUFFIX.values() else f"{arg}:{_ROLE_SUFFIX[role]}"
        for arg, role in zip(args.image, roles, strict=False)
    ]
    return GenerationRequest(
        model=preset.model,
        duration=preset.duration,
        resolution=preset.resolution,
        aspect_ratio=preset.aspect_ratio,
        size=preset.size,
        generate_audio=preset.generate_audio,
        seed=preset.seed,
        provider=provider_field(preset.model, dict(preset.options)),
    )


def build_requests(
    args: argparse.Namespace,
    base: GenerationRequest | None,
    references: tuple[ImagePart, ...] = (),
) -> list[GenerationRequest]:
    """Every job the command line asks for: prompt lines x models x seeds, on job N's
    settings with --like (each option given overrides it)."""
    prompt = args.prompt if args.prompt is not None else (base.prompt if base else None)
    if prompt is None:
        raise CliError("Give a --prompt (or --like N to start from job N's settings).")
    prompts = (
        [p.strip() for p in prompt.splitlines() if p.strip()] if args.prompt_lines else [prompt]
    )
    model_ids = args.model or [base.model if base else DEFAULT_MODEL]
    if args.seeds is not None and args.seeds < 1:
        raise CliError("--seeds takes a number of jobs, 1 or more.")
    seeds: list[int | None] = list(args.seed)
    if args.seeds:
        seeds += [random_seed() for _ in range(args.seeds)]
    if not seeds:
        seeds = [random_seed()] if args.vary else [base.seed if base else None]
    images = tuple(parse_image_arg(a) for a in args.image) or (base.images if base else ())
    images += references
    options = options_of(base.provider) if base else {}
    options.update(_parse_options(args.option))
    template = base or GenerationRequest(model=model_ids[0])

    def pick(given: Any, kept: Any) -> Any:
        return given if given is not None else kept

    return [
        dataclasses.replace(
            template,
            model=model,
            prompt=text,
            duration=pick(args.duration, template.duration),
            resolution=pick(args.resolution, template.resolution),
            aspect_ratio=pick(args.aspect_ratio, template.aspect_ratio),
            size=pick(args.size, template.size),
            seed=seed,
            generate_audio=pick(_audio_flag(args), template.generate_audio),
            images=images,
            provider=provider_field(model, options),
        )
        for text, model, seed in itertools.product(prompts, model_ids, seeds)
    ]


def _audio_flag(args: argparse.Namespace) -> bool | None:
    """--audio / --no-audio; --audio FILE is a voice track, not a switch."""
    return None if isinstance(args.audio, str) else args.audio


def _references(args: argparse.Namespace, env: Env) -> tuple[ImagePart, ...]:
    """--reference-video FILE|N and --reference-audio FILE as checked parts."""
    parts: list[ImagePart] = []
    for want, given in [("video", v) for v in args.reference_video] + [
        ("audio", a) for a in args.reference_audio
    ]:
        path = Path(given)
        if want == "video" and given.isdigit() and not path.exists():
            path = saved_clip(_job(env, int(given)))
        parts.append(media_part(path, want)[0])
    return tuple(parts)


def _job(env: Env, local_id: int) -> JobRecord:
    try:
        return env.journal.get(local_id)
    except KeyError:
        raise CliError(f"There is no job {local_id}; see `videostudio jobs`.") from None


def _operation_asked(args: argparse.Namespace) -> tuple[Operation, int] | None:
    for operation, local_id in (
        (Operation.EXTEND, args.extend),
        (Operation.EDIT, args.edit),
        (Operation.UPSCALE, args.upscale),
    ):
        if local_id is not None:
            return operation, local_id
    if args.factor is not None or args.creativity is not None:
        raise CliError("--factor and --creativity go with --upscale N.")
    return None


def _prepared(args: argparse.Namespace, env: Env, catalogue: list[VideoModel]) -> Prepared | None:
    """The one job of --extend, --edit, --upscale or --avatar, or None for plain generation."""
    if isinstance(args.audio, str) and args.avatar is None:
        raise CliError("--audio FILE is the voice of --avatar IMAGE; give both.")
    if len(args.model) > 1 and (args.avatar or _operation_asked(args)):
        raise CliError("An extend, edit, upscale or avatar is one job: give one --model.")
    try:
        if args.avatar is not None:
            if not isinstance(args.audio, str):
                raise CliError("--avatar IMAGE needs --audio FILE (the voice track).")
            portrait = parse_image_arg(args.avatar)
            return avatar(catalogue, portrait, Path(args.audio), args.prompt)
        asked = _operation_asked(args)
        if asked is None:
            return None
        operation, local_id = asked
        return prepare(
            operation,
            _job(env, local_id),
            catalogue,
            model_id=args.model[0] if args.model else None,
            prompt=args.prompt,
            duration=args.duration,
            factor=args.factor,
            creativity=args.creativity,
        )
    except OperationError as exc:
        raise CliError(str(exc)) from None


def find_model(models: list[VideoModel], model_id: str) -> VideoModel:
    for model in models:
        if model.id == model_id:
            return model
    near = [m.id for m in models if model_id.split("/")[-1].split("-")[0] in m.id][:5]
    hint = (
        f" Did you mean: {', '.join(near)}?" if near else " Run `videostudio models` for the list."
    )
    raise CliError(f"Unknown model {model_id!r}.{hint}")


def _shown_body(request: GenerationRequest) -> dict[str, Any]:
    """The body as it would be sent, with images described instead of megabytes of base64."""
    body = request.to_json()
    for key in ("frame_images", "input_references"):
        for part in body.get(key) or []:
            inner = part[part["type"]]
            url = inner["url"]
            if url.startswith("data:"):
                inner["url"] = f"{url[:30]}… ({len(url) * 3 // 4 // 1024} KB)"
            elif is_ref(url):
                inner["url"] = f"(stored file {url.split(':', 1)[1][:16]}…)"
    return body


def _held_to_budget(args: argparse.Namespace, env: Env, estimates: list[float | None]) -> None:
    """Refuse what breaks a cap (unless --over-budget); ask before what is costly or big.
    The folder's driver checks the cap again at the moment it sends each job."""
    budget = Budget.from_json(env.journal.setting(SETTING_KEY))
    reasons = cap_refusals(env.journal, estimates)
    money = "demo money" if env.demo else "money"
    if reasons and not args.over_budget:
        raise CliError(
            f"Not sent: {'; and '.join(reasons)}. Nothing was sent. Raise the cap with "
            "`videostudio budget`, or add --over-budget to send this one anyway.",
            EXIT_USAGE,
        )
    if reasons:
        say(f"Over budget ({money}), sent anyway as asked: {'; '.join(reasons)}.")
    asks = confirmations(budget, estimates)
    if not asks or args.yes:
        return
    question = " ".join(asks)
    if not sys.stdin.isatty():
        raise CliError(f"{question} Nothing was sent; add --yes to send it.", EXIT_USAGE)
    answer = input(f"{question} Send? [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        raise CliError("Not sent.", EXIT_OK)


async def generate(args: argparse.Namespace, env: Env) -> int:
    catalogue = await models_of(env)
    prepared = _prepared(args, env, catalogue)
    if prepared is not None:
        requests = [prepared.request]
        sources = [prepared.source]
        lineage = [prepared.lineage]
    else:
        try:
            references = _references(args, env)
        except OperationError as exc:
            raise CliError(str(exc)) from None
        base = await preset_base(args, env) or _base_of(args, env)
        requests = build_requests(args, base, references)
        sources, lineage = [None] * len(requests), [None] * len(requests)
    dest = destination(args.output, len(requests))
    problems: list[str] = []
    checked: list[GenerationRequest] = []
    for request in requests:
        model = find_model(catalogue, request.model)
        request = with_seed(request, model)  # every clip reproducible
        problems += [p.message for p in validate_for_sending(request, model)]
        checked.append(request)
    if problems:
        raise CliError("\n".join(dict.fromkeys(problems)))
    models = {m.id: m for m in catalogue}
    estimates = [
        estimate_for(models[r.model], r, source) for r, source in zip(checked, sources, strict=True)
    ]
    usd = [e.usd for e in estimates]
    total = sum(u or 0 for u in usd)
    if len(checked) == 1:
        say(f"{models[checked[0].model].name}: estimated cost {estimates[0].label()}")
    else:
        unknown = sum(u is None for u in usd)
        say(
            f"{len(checked)} jobs: estimated cost ≈ {format_usd(total)} in all"
            + (f" ({unknown} of them priced unknown)" if unknown else "")
        )
    if args.dry_run:
        for request, estimate in zip(checked, estimates, strict=True):
            print(json.dumps(_shown_body(request), indent=2, ensure_ascii=True))
            say(f"{request.model}: {estimate.label()} ({estimate.basis})")
        say("Dry run: nothing was sent.")
        return EXIT_OK
    _held_to_budget(args, env, usd)
    if dest is not None and dest.is_file() and not args.overwrite:
        say(f"{dest.name} exists and is kept: the clip takes a free name (--overwrite replaces).")
    batch = uuid.uuid4().hex[:12] if len(checked) > 1 else None
    if batch is not None:  # OpenRouter groups a batch's jobs by their session_id
        checked = [dataclasses.replace(r, session_id=session_of(batch)) for r in checked]
    async with driving(env, "videostudio generate") as service:
        if service is not None:
            try:
                records = await service.enqueue(
                    checked,
                    estimates=usd,
                    dest=dest,
                    batch=batch,
                    over_budget=args.over_budget,
                    replace=args.overwrite,
                    lineage=lineage,
                )
            except JournalError as exc:
                raise CliError(f"{exc}. Nothing was sent.") from None
            printer = Printer(sys.stderr, {r.local_id for r in records}, args.max_wait)
            service.subscribe(printer)
            await run_until_done(service, printer)
            return summary([env.journal.get(r.local_id) for r in records])
    return await _hand_over(args, env, checked, usd, dest, batch, lineage)


async def _hand_over(
    args: argparse.Namespace,
    env: Env,
    requests: list[GenerationRequest],
    estimates: list[float | None],
    dest: Path | None,
    batch: str | None,
    lineage: list[tuple[int, str] | None],
) -> int:
    """Another process owns the folder: journal the jobs for it, ring, and watch them."""
    try:
        records = await asyncio.to_thread(
            env.journal.add_many,
            [r.to_json() for r in requests],
            estimates=estimates,
            paths=[str(dest)] * len(requests) if dest is not None else None,
            batch=batch,
            over_budget=args.over_budget,
            lineage=lineage,
        )
    except JournalError as exc:
        raise CliError(f"{exc}. Nothing was sent.") from None
    ids = ", ".join(f"#{r.local_id}" for r in records)
    if args.overwrite:
        say("--overwrite stays here: the process that saves the clip keeps an existing file.")
    reply = await ring(env.paths.data_dir, {"op": "wake"})
    owner = f"{reply.get('kind')} (pid {reply.get('pid')})" if reply else owner_of(env)
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
    while True:
        current = [env.journal.get(i) for i in ids]
        for record in current:
            printer(record, None)
        if all(r.is_final for r in current):
            return summary(current)
        async with driving(env, "videostudio generate") as service:
            if service is not None:  # the owner went away: finish the jobs here
                service.subscribe(printer)
                await service.resume()
                await run_until_done(service, printer)
                return summary([env.journal.get(i) for i in ids])
        await asyncio.sleep(HANDOVER_POLL_S)
