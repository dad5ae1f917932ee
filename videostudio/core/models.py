"""Domain types of the video API: models, generation requests, jobs.

Parsing is tolerant: unknown keys are kept in ``raw`` and unknown enum values
are kept as plain strings, because the live service adds models, resolutions
and statuses before any client knows them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

PENDING = "pending"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
FAILED = "failed"
CANCELLED = "cancelled"
EXPIRED = "expired"
TERMINAL_STATUSES = frozenset({COMPLETED, FAILED, CANCELLED, EXPIRED})
REMOTE_TERMINAL_ERRORS = frozenset({FAILED, CANCELLED, EXPIRED})  # ended without a video

ASPECT_RATIOS = ("16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3", "21:9", "9:21")
RESOLUTIONS = ("360p", "480p", "720p", "768p", "1080p", "1K", "2K", "4K")
FRAME_TYPES = ("first_frame", "last_frame")


# Job ids are opaque tokens: the documented ``gen-vid-<ts>-<20 alnum>``, bare 20-character
# ids, and anything else made of these characters. Never a path (".", "..", "/"), never
# whitespace or control characters, never longer than MAX_JOB_ID.
MAX_JOB_ID = 256
_JOB_ID = re.compile(r"[A-Za-z0-9._:-]+")


def is_terminal(status: str) -> bool:
    """True for the four end states; an unknown status counts as still running."""
    return status in TERMINAL_STATUSES


class ParseError(ValueError):
    """A server reply that does not have the documented shape."""


def _str_tuple(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise ParseError(f"expected a list, got {type(value).__name__}")
    return tuple(str(v) for v in value)


def _int_tuple(value: Any) -> tuple[int, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise ParseError("expected a list of integers")
    return tuple(value)


def _range(value: Any) -> tuple[float, float] | None:
    if value is None:
        return None
    ends = [value.get(k) if isinstance(value, Mapping) else None for k in ("min", "max")]
    numbers = [float(v) for v in ends if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if len(numbers) != 2:
        raise ParseError("expected a {min, max} range of numbers")
    return numbers[0], numbers[1]


def _opt_bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ParseError("expected a boolean or null")


def _require(data: Mapping[str, Any], key: str, kind: type) -> Any:
    if not isinstance(data, Mapping):
        raise ParseError(f"expected an object, got {type(data).__name__}")
    if key not in data:
        raise ParseError(f"missing required field {key!r}")
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ParseError(f"field {key!r} should be {kind.__name__}")
    return value


def check_job_id(value: Any) -> str:
    """``value`` if it is an acceptable job id, else ParseError saying why."""
    if not isinstance(value, str) or not value:
        raise ParseError("the job id is missing or empty")
    if len(value) > MAX_JOB_ID:
        raise ParseError(f"the job id is longer than {MAX_JOB_ID} characters")
    if not _JOB_ID.fullmatch(value) or not value.strip("."):
        shown = "".join(c if c.isprintable() else "?" for c in value[:40])
        raise ParseError(f"the job id {shown!r} is not an opaque token")
    return value


@dataclass(frozen=True)
class VideoModel:
    """One entry of GET /videos/models: what a model accepts and what it costs."""

    id: str
    name: str
    canonical_slug: str = ""
    created: int = 0
    description: str = ""
    supported_resolutions: tuple[str, ...] | None = None
    supported_aspect_ratios: tuple[str, ...] | None = None
    supported_sizes: tuple[str, ...] | None = None
    supported_durations: tuple[int, ...] | None = None
    supported_frame_images: tuple[str, ...] | None = None
    generate_audio: bool | None = None
    seed: bool | None = None
    allowed_passthrough_parameters: tuple[str, ...] = ()
    pricing_skus: Mapping[str, str] | None = None
    upscale_factor: tuple[float, float] | None = None  # (min, max), upscalers only
    creativity: tuple[int, ...] | None = None  # upscalers only
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VideoModel:
        skus = data.get("pricing_skus")
        if skus is not None and not isinstance(skus, Mapping):
            raise ParseError("pricing_skus should be an object")
        return cls(
            id=_require(data, "id", str),
            name=_require(data, "name", str),
            canonical_slug=str(data.get("canonical_slug") or ""),
            created=int(data.get("created") or 0),
            description=str(data.get("description") or ""),
            supported_resolutions=_str_tuple(data.get("supported_resolutions")),
            supported_aspect_ratios=_str_tuple(data.get("supported_aspect_ratios")),
            supported_sizes=_str_tuple(data.get("supported_sizes")),
            supported_durations=_int_tuple(data.get("supported_durations")),
            supported_frame_images=_str_tuple(data.get("supported_frame_images")),
            generate_audio=_opt_bool(data.get("generate_audio")),
            seed=_opt_bool(data.get("seed")),
            allowed_passthrough_parameters=_str_tuple(data.get("allowed_passthrough_parameters"))
            or (),
            pricing_skus={str(k): str(v) for k, v in skus.items()} if skus else skus,
            upscale_factor=_range(data.get("upscale_factor")),
            creativity=_int_tuple(data.get("creativity")),
            raw=dict(data),
        )

    @property
    def generates_from_prompt(self) -> bool:
        """Edit, upscale and avatar models list no durations: not for plain generation."""
        return bool(self.supported_durations)


@dataclass(frozen=True)
class ImagePart:
    """An image (or an audio or video reference) given to a job as a URL (https or data:).

    role is "reference" (sent in input_references) or a frame type
    ("first_frame" / "last_frame", sent in frame_images; images only).
    """

    url: str
    role: str = "reference"
    kind: str = "image_url"  # or audio_url / video_url (references only)

    @property
    def modality(self) -> str:
        """image, audio or video."""
        return self.kind.removesuffix("_url")

    def to_json(self) -> dict[str, Any]:
        part: dict[str, Any] = {"type": self.kind, self.kind: {"url": self.url}}
        if self.role != "reference":
            part["frame_type"] = self.role
        return part


@dataclass(frozen=True)
class GenerationRequest:
    """The body of POST /videos. Fields left at None are not sent."""

    model: str
    prompt: str | None = None
    aspect_ratio: str | None = None
    duration: int | None = None
    resolution: str | None = None
    size: str | None = None
    seed: int | None = None
    generate_audio: bool | None = None
    images: tuple[ImagePart, ...] = ()
    provider: Mapping[str, Any] | None = None  # {"options": {slug: {...}}}
    callback_url: str | None = None
    previous_job_id: str | None = None
    session_id: str | None = None
    trace: Mapping[str, Any] | None = None
    user: str | None = None
    creativity: int | None = None
    upscale_factor: float | None = None

    @property
    def frame_images(self) -> tuple[ImagePart, ...]:
        return tuple(i for i in self.images if i.role != "reference")

    @property
    def input_references(self) -> tuple[ImagePart, ...]:
        return tuple(i for i in self.images if i.role == "reference")

    def references_of(self, modality: str) -> tuple[ImagePart, ...]:
        """The input references of one modality (image, audio, video)."""
        return tuple(i for i in self.input_references if i.modality == modality)

    @property
    def image_count(self) -> int:
        """Images sent, frames and references (what per-image SKUs count)."""
        return sum(i.kind == "image_url" for i in self.images)

    def to_json(self) -> dict[str, Any]:
        """The JSON body: model first, then the set fields in alphabetical order (as the SDK)."""
        fields: dict[str, Any] = {
            "aspect_ratio": self.aspect_ratio,
            "callback_url": self.callback_url,
            "creativity": self.creativity,
            "duration": self.duration,
            "frame_images": [i.to_json() for i in self.frame_images] or None,
            "generate_audio": self.generate_audio,
            "input_references": [i.to_json() for i in self.input_references] or None,
            "previous_job_id": self.previous_job_id,
            "prompt": self.prompt,
            "provider": dict(self.provider) if self.provider is not None else None,
            "resolution": self.resolution,
            "seed": self.seed,
            "session_id": self.session_id,
            "size": self.size,
            "trace": dict(self.trace) if self.trace is not None else None,
            "upscale_factor": self.upscale_factor,
            "user": self.user,
        }
        return {"model": self.model, **{k: v for k, v in fields.items() if v is not None}}

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> GenerationRequest:
        """Parse a request body (the simulator's side); raises ParseError on bad shapes."""
        images: list[ImagePart] = []
        for key in ("frame_images", "input_references"):
            items = body.get(key) or []
            if not isinstance(items, list):
                raise ParseError(f"{key} must be an array")
            for item in items:
                if not isinstance(item, Mapping) or item.get("type") not in (
                    "image_url",
                    "audio_url",
                    "video_url",
                ):
                    raise ParseError(
                        f"{key}: each item needs a type of image_url/audio_url/video_url"
                    )
                kind = item["type"]
                url = (
                    (item.get(kind) or {}).get("url")
                    if isinstance(item.get(kind), Mapping)
                    else None
                )
                if not isinstance(url, str) or not url:
                    raise ParseError(f"{key}: {kind}.url is required")
                if key == "frame_images":
                    role = item.get("frame_type")
                    if role not in FRAME_TYPES:
                        raise ParseError(
                            "frame_images: frame_type must be first_frame or last_frame"
                        )
                else:
                    role = "reference"
                if key == "frame_images" and kind != "image_url":
                    raise ParseError("frame_images: each item must be an image_url")
                images.append(ImagePart(url, str(role), kind))

        def opt(key: str, kind: type | tuple[type, ...]) -> Any:
            value = body.get(key)
            if value is None:
                return None
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise ParseError(f"{key} has the wrong type")
            return value

        return cls(
            model=_require(body, "model", str),
            prompt=opt("prompt", str),
            aspect_ratio=opt("aspect_ratio", str),
            duration=opt("duration", int),
            resolution=opt("resolution", str),
            size=opt("size", str),
            seed=opt("seed", int),
            generate_audio=opt("generate_audio", bool),
            images=tuple(images),
            provider=opt("provider", dict),
            callback_url=opt("callback_url", str),
            previous_job_id=opt("previous_job_id", str),
            session_id=opt("session_id", str),
            trace=opt("trace", dict),
            user=opt("user", str),
            creativity=opt("creativity", int),
            upscale_factor=opt("upscale_factor", (int, float)),
        )


@dataclass(frozen=True)
class VideoJob:
    """A job as the API reports it (POST /videos 202 and GET /videos/{id} 200)."""

    id: str
    polling_url: str
    status: str
    error: str | None = None
    generation_id: str | None = None
    unsigned_urls: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    expires_at: int | None = None
    cost: float | None = None
    is_byok: bool | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_terminal(self) -> bool:
        return is_terminal(self.status)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VideoJob:
        usage = data.get("usage") if isinstance(data, Mapping) else None
        if usage is not None and not isinstance(usage, Mapping):
            raise ParseError("usage should be an object")
        cost = (usage or {}).get("cost")
        if cost is not None and (not isinstance(cost, (int, float)) or isinstance(cost, bool)):
            raise ParseError("usage.cost should be a number or null")
        expires = data.get("expires_at")
        error = data.get("error")
        return cls(
            id=check_job_id(_require(data, "id", str)),
            polling_url=_require(data, "polling_url", str),
            status=_require(data, "status", str),
            error=str(error) if error is not None else None,
            generation_id=data.get("generation_id"),
            unsigned_urls=_str_tuple(data.get("unsigned_urls")) or (),
            urls=_str_tuple(data.get("urls")) or (),
            expires_at=expires if isinstance(expires, int) else None,
            cost=float(cost) if cost is not None else None,
            is_byok=_opt_bool((usage or {}).get("is_byok")),
            raw=dict(data),
        )


def parse_model_list(items: Any) -> tuple[list[VideoModel], list[str]]:
    """Models from catalogue entries, and why each skipped entry did not parse.

    One odd entry from the live service must not hide every other model.
    """
    models: list[VideoModel] = []
    skipped: list[str] = []
    for item in items if isinstance(items, list) else []:
        try:
            models.append(VideoModel.from_json(item))
        except (ParseError, TypeError, ValueError) as exc:
            skipped.append(str(exc))
    return models, skipped
