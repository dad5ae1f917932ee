"""Checks a generation request against the chosen model's advertised sets.

The API answers 400 for any value outside them; checking first gives the user
a message next to the control instead of a failed (and possibly billed) job.
The simulator uses the same rules to decide its 400s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from videostudio.core.models import GenerationRequest, VideoModel
from videostudio.core.operations import (
    AUDIO,
    VIDEO,
    Operation,
    input_modalities,
    operations_of,
    takes_previous_job,
)
from videostudio.core.options import check_options, options_of

MAX_PROMPT_CHARS = 10_000
# Any other text of a request (an option's value, a size...): no field needs more.
MAX_TEXT_CHARS = 10_000
# Fields that carry images (data URLs of megabytes), checked by the image code instead.
_IMAGE_FIELDS = frozenset({"frame_images", "input_references"})
# Seeds are sent as non-negative 32-bit signed integers, the range every provider accepts.
MAX_SEED = 2**31 - 1
MAX_SESSION_ID = 256  # the schema's maxLength


@dataclass(frozen=True)
class Problem:
    """One invalid field: which request field, and a sentence for the user."""

    field: str
    message: str


def _choices(values: tuple[object, ...]) -> str:
    return ", ".join(str(v) for v in values)


def is_utf8(text: str) -> bool:
    """False for text that cannot be sent as UTF-8 (lone surrogates, e.g. undecodable argv)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def value_problems(
    field: str, value: Any, limit: int = MAX_TEXT_CHARS, label: str | None = None
) -> list[Problem]:
    """What makes ``value`` (and anything inside it) unsendable as strict JSON: a number that
    is not finite, text that is not UTF-8 or longer than ``limit``. ``label`` names the
    innermost key for the sentence; ``field`` stays the request's field."""
    what = (label or field).replace("_", " ")
    if isinstance(value, float) and not math.isfinite(value):
        return [Problem(field, f"The {what} must be a finite number, not {value}.")]
    if isinstance(value, str):
        if not is_utf8(value):
            return [Problem(field, f"The {what} has bytes that are not UTF-8 text; retype it.")]
        if len(value) > limit:
            return [Problem(field, f"The {what} is longer than {limit:,} characters.")]
        return []
    found: list[Problem] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += value_problems(field, str(key), limit, "option name")
            found += value_problems(field, inner, limit, str(key) if is_utf8(str(key)) else label)
    elif isinstance(value, (list, tuple)):
        for inner in value:
            found += value_problems(field, inner, limit, label)
    return found


def validate_request(req: GenerationRequest, model: VideoModel) -> list[Problem]:
    """Every way ``req`` falls outside what ``model`` accepts (empty list when valid)."""
    problems: list[Problem] = []
    for name, value in req.to_json().items():
        if name not in _IMAGE_FIELDS:
            limit = MAX_PROMPT_CHARS if name == "prompt" else MAX_TEXT_CHARS
            problems += value_problems(name, value, limit)

    def check(name: str, value: object, allowed: tuple[object, ...] | None, what: str) -> None:
        if value is None:
            return
        if not allowed:
            problems.append(Problem(name, f"{model.name} does not take a {what}."))
        elif value not in allowed:
            problems.append(
                Problem(name, f"{model.name} supports {what}s {_choices(allowed)}; got {value}.")
            )

    prompt = (req.prompt or "").strip()
    has_frames = bool(req.frame_images)
    has_media = bool(req.references_of(VIDEO) or req.references_of(AUDIO))
    optional = Operation.UPSCALE in operations_of(model)  # an upscale's prompt is optional
    if not (prompt or has_frames or has_media or optional or req.previous_job_id):
        problems.append(Problem("prompt", "Write a prompt describing the clip."))
    check("duration", req.duration, model.supported_durations, "duration")
    check("resolution", req.resolution, model.supported_resolutions, "resolution")
    check("aspect_ratio", req.aspect_ratio, model.supported_aspect_ratios, "aspect ratio")
    check("size", req.size, model.supported_sizes, "size")
    if req.size is not None and (req.resolution is not None or req.aspect_ratio is not None):
        problems.append(
            Problem("size", "Give either a size or a resolution and aspect ratio, not both.")
        )
    if req.generate_audio and not model.generate_audio:
        problems.append(Problem("generate_audio", f"{model.name} cannot generate audio."))
    if req.seed is not None and not model.seed:
        problems.append(Problem("seed", f"{model.name} does not accept a seed."))
    elif req.seed is not None and not 0 <= req.seed <= MAX_SEED:
        problems.append(Problem("seed", f"A seed is a whole number from 0 to {MAX_SEED}."))
    if req.duration is not None and req.duration < 1:
        problems.append(Problem("duration", "The duration must be at least 1 second."))
    problems += _operation_problems(req, model)
    roles = [i.role for i in req.frame_images]
    for role in sorted(set(roles)):
        if role not in (model.supported_frame_images or ()):
            label = role.replace("_", " ")
            problems.append(Problem("frame_images", f"{model.name} does not take a {label} image."))
        if roles.count(role) > 1:
            problems.append(Problem("frame_images", f"Only one {role.replace('_', ' ')} image."))
    return problems


def _operation_problems(req: GenerationRequest, model: VideoModel) -> list[Problem]:
    """The fields of operations on existing clips, sessions and webhooks."""
    problems: list[Problem] = []
    ops = operations_of(model)
    if req.previous_job_id is not None and not takes_previous_job(model):
        problems.append(
            Problem("previous_job_id", f"{model.name} cannot continue or edit an earlier job.")
        )
    for name, value in (("upscale_factor", req.upscale_factor), ("creativity", req.creativity)):
        if value is not None and Operation.UPSCALE not in ops:
            problems.append(Problem(name, f"{model.name} is not an upscaler; it takes no {name}."))
    low, high = model.upscale_factor or (0.0, 0.0)
    if (
        req.upscale_factor is not None
        and model.upscale_factor
        and not low <= req.upscale_factor <= high
    ):
        problems.append(
            Problem("upscale_factor", f"The upscale factor is from {low:g} to {high:g}.")
        )
    if req.creativity is not None and model.creativity and req.creativity not in model.creativity:
        problems.append(
            Problem("creativity", f"creativity is one of {_choices(model.creativity)}.")
        )
    taken = input_modalities(model)
    for kind in sorted({p.modality for p in req.input_references} - taken):
        problems.append(
            Problem(
                "input_references", f'model "{model.id}" does not accept {kind} input references'
            )
        )
    if Operation.UPSCALE in ops and not req.references_of(VIDEO):
        problems.append(Problem("input_references", f"{model.name} needs a source video."))
    if Operation.AVATAR in ops and not (req.references_of("image") and req.references_of(AUDIO)):
        problems.append(
            Problem("input_references", f"{model.name} needs a portrait image and an audio track.")
        )
    if (
        not model.generates_from_prompt
        and Operation.EDIT in ops
        and req.previous_job_id is None
        and not req.references_of(VIDEO)
    ):
        problems.append(Problem("previous_job_id", f"{model.name} edits a source video."))
    if req.session_id is not None and len(req.session_id) > MAX_SESSION_ID:
        problems.append(
            Problem("session_id", f"session_id is at most {MAX_SESSION_ID} characters.")
        )
    if req.callback_url is not None:
        url = urlsplit(req.callback_url)
        if url.scheme != "https" or not url.netloc:
            problems.append(Problem("callback_url", "callback_url must be an https:// URL."))
    return problems


def validate_for_sending(req: GenerationRequest, model: VideoModel) -> list[Problem]:
    """The app's own check before a submit: the API's rules, plus the provider options.

    (The server silently drops options it does not know; the app says so first.)
    """
    problems = validate_request(req, model)
    for message in check_options(model, options_of(req.provider)):
        problems.append(Problem("provider", message))
    return problems
