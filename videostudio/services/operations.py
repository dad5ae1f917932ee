"""Requests that work on a clip that exists (extend, edit, upscale) or on media files (avatar,
audio and video references): one home for the window and the CLI.

How the source is named: a job of the user's own, on the model that made it, is named by
``previous_job_id`` ("the new job runs on the same model and endpoint", SDK 1.3.84); every
other source (a clip from another model, as for the upscaler or an Aleph edit, or a file)
is sent as a ``video_url`` input reference carrying the file. So an upscale always sends
the video: a Veo clip cannot be named to FLUX by job id, and the saved clip is the one the
user reviewed, not a signed URL that expires in a day.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from videostudio.core.images import data_url
from videostudio.core.jobs import JobRecord
from videostudio.core.media import MediaRejectedError
from videostudio.core.models import GenerationRequest, ImagePart, VideoModel
from videostudio.core.operations import (
    Operation,
    SourceClip,
    can_work_on,
    models_for,
    operations_of,
    previous_job_allowed,
)
from videostudio.services.media import check_file, probe

_KIND = {"audio": "audio_url", "video": "video_url"}
DEFAULT_FACTOR = 2.0  # doubles each side: 720p to 1440p
# Where the source video goes in a planned request, until its file is read.
SOURCE_PART = ImagePart("", "reference", "video_url")


class OperationError(ValueError):
    """An operation that cannot be asked for; the message is for the user."""


@dataclass(frozen=True)
class Prepared:
    """A request that works on a source, with what it is priced from and its lineage."""

    request: GenerationRequest
    source: SourceClip | None  # the video (or audio) measured, for the estimate
    lineage: tuple[int, str] | None  # (source local id, operation)


def media_part(path: Path, want: str) -> tuple[ImagePart, SourceClip]:
    """An audio or video file as a checked reference part (a data URL) and its measure."""
    try:
        mime, clip = check_file(path, want)
    except MediaRejectedError as exc:
        raise OperationError(str(exc)) from None
    with path.open("rb") as f:
        return ImagePart(data_url(mime, f), "reference", _KIND[want]), clip


def saved_clip(record: JobRecord) -> Path:
    """The saved file of a job that an operation can work on."""
    if not record.path or not Path(record.path).is_file():
        raise OperationError(
            f"Job {record.local_id} has no saved clip to work on (it is {record.label.lower()})."
        )
    return Path(record.path)


def _pick_model(
    models: list[VideoModel], operation: Operation, record: JobRecord, model_id: str | None
) -> VideoModel:
    usable = models_for(models, operation, record.model)
    if model_id is not None:
        chosen = next((m for m in models if m.id == model_id), None)
        if chosen is None or not can_work_on(chosen, operation, record.model):
            names = ", ".join(m.id for m in usable) or "none"
            raise OperationError(
                f"{model_id} cannot {operation} a clip made by {record.model} "
                f"(models that can: {names})."
            )
        return chosen
    # The clip's own model first: it can be named by job id, so nothing is uploaded.
    own = next((m for m in usable if m.id == record.model), None)
    if own is not None:
        return own
    if not usable:
        raise OperationError(cannot(models, operation, record.model))
    return usable[0]


def cannot(models: list[VideoModel], operation: Operation, source_model: str) -> str:
    """Why no model can do ``operation`` on a clip of ``source_model``, in a sentence."""
    able = [m.name for m in models if operation in operations_of(m)]
    if operation is Operation.EXTEND:
        return (
            f"Only clips made by {', '.join(able)} can be extended (by the model that made "
            f"them); this one is from {source_model}. Continue from its last frame instead."
        )
    return f"No model can {operation} a clip made by {source_model}."


def plan(
    operation: Operation,
    record: JobRecord,
    model: VideoModel,
    *,
    prompt: str | None = None,
    duration: int | None = None,
    factor: float | None = None,
    creativity: int | None = None,
) -> GenerationRequest:
    """The request for ``operation`` on job ``record`` by ``model``, without reading the clip:
    what the estimate and the checks need. A source sent as a video is a placeholder part
    (``SOURCE_PART``) until ``prepare`` puts the file in it."""
    text = (prompt or "").strip() or None
    if operation is Operation.EDIT and text is None:
        raise OperationError("An edit needs an instruction (what to change).")
    request = GenerationRequest(model=model.id, prompt=text)
    if operation is Operation.EXTEND:
        seconds = duration or (model.supported_durations or (0,))[0] or None
        if seconds is not None and seconds not in (model.supported_durations or ()):
            offered = ", ".join(str(d) for d in model.supported_durations or ())
            raise OperationError(f"{model.name} extends by {offered} seconds; not {seconds}.")
        request = dataclasses.replace(
            request, prompt=text or record.prompt or None, duration=seconds
        )
    if operation is Operation.UPSCALE:
        request = dataclasses.replace(
            request,
            upscale_factor=factor if factor is not None else DEFAULT_FACTOR,
            creativity=creativity or 0,
        )
    if previous_job_allowed(model, record.model) and operation is not Operation.UPSCALE:
        if not record.job_id:
            raise OperationError(f"Job {record.local_id} has no job id to continue from.")
        return dataclasses.replace(request, previous_job_id=record.job_id)
    return dataclasses.replace(request, images=(SOURCE_PART,))


def prepare(
    operation: Operation,
    record: JobRecord,
    models: list[VideoModel],
    *,
    model_id: str | None = None,
    prompt: str | None = None,
    duration: int | None = None,
    factor: float | None = None,
    creativity: int | None = None,
) -> Prepared:
    """The request for ``operation`` on job ``record``'s saved clip, ready to send (reads and
    measures the clip: call it off the UI thread)."""
    model = _pick_model(models, operation, record, model_id)
    request = plan(
        operation,
        record,
        model,
        prompt=prompt,
        duration=duration,
        factor=factor,
        creativity=creativity,
    )
    clip = saved_clip(record)
    lineage = (record.local_id, str(operation))
    if request.previous_job_id is not None:
        try:
            return Prepared(request, probe(clip, need="video"), lineage)
        except MediaRejectedError as exc:
            raise OperationError(str(exc)) from None
    part, measured = media_part(clip, "video")
    return Prepared(dataclasses.replace(request, images=(part,)), measured, lineage)


def measure(record: JobRecord) -> SourceClip:
    """The saved clip of job ``record``, measured (for an estimate before sending)."""
    try:
        return probe(saved_clip(record), need="video")
    except MediaRejectedError as exc:
        raise OperationError(str(exc)) from None


def avatar(
    models: list[VideoModel], portrait: ImagePart, audio: Path, prompt: str | None
) -> Prepared:
    """A talking clip from a portrait image and a voice track, on the avatar model."""
    model = next((m for m in models if Operation.AVATAR in operations_of(m)), None)
    if model is None:
        raise OperationError("No avatar model is in the model list.")
    part, measured = media_part(audio, "audio")
    reference = ImagePart(portrait.url, "reference")
    request = GenerationRequest(model=model.id, prompt=prompt, images=(reference, part))
    return Prepared(request, measured, None)


def session_of(batch: str) -> str:
    """The session_id the jobs of one batch share (OpenRouter groups them by it)."""
    return f"videostudio-batch-{batch}"


def chain(record: JobRecord, get: Callable[[int], JobRecord]) -> list[JobRecord]:
    """The jobs a result came from, its first source first, ending with ``record``.

    ``get`` is the journal's lookup; a source deleted from it ends the chain.
    """
    found = [record]
    seen = {record.local_id}
    while found[0].source_job is not None and found[0].source_job not in seen:
        try:
            source = get(found[0].source_job)
        except KeyError:
            break
        seen.add(source.local_id)
        found.insert(0, source)
    return found
