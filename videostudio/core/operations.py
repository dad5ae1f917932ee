"""What a model can do to a clip that exists (extend, edit, upscale, avatar) and what it takes.

The catalogue says little of this: upscalers have an ``upscale_factor`` range, FLUX.3 has
continuation SKUs, and the rest is in descriptions. So the known models are listed here
(from catalogue-2026-08), and a field the catalogue grows later (``input_modalities``)
wins over the table when present.

How the API tells an edit from an extension on a model that does both (Seedance 2.5) is
not documented: here a request with a ``duration`` extends (the new seconds), one without
edits (an edit keeps the source's length, so there is no duration to give).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from videostudio.core.models import GenerationRequest, VideoModel


class Operation(StrEnum):
    """What a job does: make a clip, or work on one that exists."""

    GENERATE = "generate"
    EXTEND = "extend"
    EDIT = "edit"
    UPSCALE = "upscale"
    AVATAR = "avatar"


# How the library says a result came from its source.
LINEAGE_VERBS = {
    Operation.EXTEND: "extended from",
    Operation.EDIT: "edited from",
    Operation.UPSCALE: "upscaled from",
    Operation.AVATAR: "animated from",
    Operation.GENERATE: "continued from",
}

# The same, as one word in a chain of jobs.
LINEAGE_WORDS: dict[str, str] = {
    Operation.EXTEND: "extended",
    Operation.EDIT: "edited",
    Operation.UPSCALE: "upscaled",
    Operation.AVATAR: "animated",
}

# Operations on an existing clip, by model id (catalogue descriptions, 2026-08).
_OPERATIONS: dict[str, frozenset[Operation]] = {
    "black-forest-labs/flux-3-video": frozenset({Operation.EXTEND}),
    "bytedance/seedance-2.5": frozenset({Operation.EXTEND, Operation.EDIT}),
    "runway/aleph-2": frozenset({Operation.EDIT}),
    "minimax/hailuo-3": frozenset({Operation.EDIT}),
    "heygen/avatar-iv": frozenset({Operation.AVATAR}),
}
IMAGE, AUDIO, VIDEO = "image", "audio", "video"
_IMAGE_ONLY = frozenset({IMAGE})
# Reference modalities beyond images, by model id, used when the catalogue has no
# ``input_modalities``: Seedance gen 2+ (SDK docs; Mini "image, video, and audio"),
# Wan 2.7's ``video``/``videos`` options, Wan 2.6 ("reference videos, or audio"), the avatar.
_MODALITIES: dict[str, frozenset[str]] = {
    "bytedance/seedance-2.0": frozenset({IMAGE, VIDEO, AUDIO}),
    "bytedance/seedance-2.0-fast": frozenset({IMAGE, VIDEO, AUDIO}),
    "bytedance/seedance-2.0-mini": frozenset({IMAGE, VIDEO, AUDIO}),
    "bytedance/seedance-2.5": frozenset({IMAGE, VIDEO, AUDIO}),
    "alibaba/wan-2.7": frozenset({IMAGE, VIDEO}),
    "alibaba/wan-2.6": frozenset({IMAGE, VIDEO, AUDIO}),
    "heygen/avatar-iv": frozenset({IMAGE, AUDIO}),
    "black-forest-labs/flux-video-upscale": frozenset({VIDEO}),
    "runway/aleph-2": frozenset({IMAGE, VIDEO}),  # an in-context editor of a given video
}
# A source a peer's documentation accepts for the upscaler (Comfy's FLUX upscale node).
UPSCALE_SOURCE_SECONDS = (1.0, 20.0)


@dataclass(frozen=True)
class SourceClip:
    """The media a job works on, as measured: pixel size and length in seconds.

    For an edit, extension or upscale the source video; for an avatar the audio
    (width and height 0).
    """

    width: int
    height: int
    seconds: float

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1_000_000


def operations_of(model: VideoModel) -> frozenset[Operation]:
    """The operations ``model`` offers, plain generation included when it has durations."""
    ops = set(_OPERATIONS.get(model.id, ()))
    if model.upscale_factor is not None:
        ops.add(Operation.UPSCALE)
    if any("continuation" in sku for sku in model.pricing_skus or {}):
        ops.add(Operation.EXTEND)
    if model.generates_from_prompt and Operation.AVATAR not in ops:
        ops.add(Operation.GENERATE)
    return frozenset(ops)


def takes_previous_job(model: VideoModel) -> bool:
    """True for models that accept ``previous_job_id`` (continuation or editing)."""
    return bool(operations_of(model) & {Operation.EXTEND, Operation.EDIT})


def input_modalities(model: VideoModel) -> frozenset[str]:
    """The reference kinds ``model`` takes: the catalogue's field when sent, else the table."""
    listed = model.raw.get("input_modalities")
    if isinstance(listed, list) and all(isinstance(m, str) for m in listed):
        return frozenset(listed)
    return _MODALITIES.get(model.id, _IMAGE_ONLY)


def operation_of(model: VideoModel, request: GenerationRequest) -> Operation:
    """What ``request`` asks ``model`` to do."""
    ops = operations_of(model)
    if Operation.UPSCALE in ops:
        return Operation.UPSCALE
    if Operation.AVATAR in ops:
        return Operation.AVATAR
    if request.previous_job_id is not None:
        if Operation.EXTEND in ops and (request.duration is not None or Operation.EDIT not in ops):
            return Operation.EXTEND
        return Operation.EDIT
    if Operation.EDIT in ops and request.duration is None and request.references_of(VIDEO):
        return Operation.EDIT  # a video given to an editor, with no new seconds asked for
    return Operation.GENERATE


def previous_job_allowed(model: VideoModel, source_model: str) -> bool:
    """True when a job of ``source_model`` can be named as ``previous_job_id`` on ``model``:
    "the new job runs on the same model and endpoint" (SDK 1.3.84)."""
    return model.id == source_model and takes_previous_job(model)


def can_work_on(model: VideoModel, operation: Operation, source_model: str) -> bool:
    """True when ``model`` can do ``operation`` on a clip made by ``source_model``: by naming
    the job (same model) or, for edits and upscales, by sending the clip as a video."""
    if operation not in operations_of(model):
        return False
    if previous_job_allowed(model, source_model) and operation is not Operation.UPSCALE:
        return True
    return operation in (Operation.EDIT, Operation.UPSCALE) and VIDEO in input_modalities(model)


def models_for(
    models: list[VideoModel], operation: Operation, source_model: str
) -> list[VideoModel]:
    """The models that can do ``operation`` on a clip of ``source_model``, by name."""
    usable = (m for m in models if can_work_on(m, operation, source_model))
    return sorted(usable, key=lambda m: m.name)


def lineage_text(source_job: int | None, operation: str | None) -> str:
    """ "extended from job 12"; "" for a job made from a prompt."""
    if source_job is None:
        return ""
    try:
        verb = LINEAGE_VERBS[Operation(operation or "generate")]
    except ValueError:
        verb = "made from"
    return f"{verb} job {source_job}"
