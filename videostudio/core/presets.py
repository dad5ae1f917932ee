"""Presets: named compose settings (everything but the prompt), checked against the catalogue.

A preset keeps the model, duration, resolution, aspect ratio or size, audio, the seed
policy (a fixed seed, or a new one each time), the provider options and the roles of
the images, in order. A preset from a file is untrusted: its types are checked, and a
value its model no longer takes is named and left out, never sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from videostudio.core.models import GenerationRequest, VideoModel
from videostudio.core.options import check_options
from videostudio.core.validation import validate_request

FORMAT = "videostudio-presets"
MAX_FILE_BYTES = 256 << 10  # thousands of presets; a bigger file is not one of ours
MAX_NAME_CHARS = 80
RANDOM_SEED = "random"  # the seed policy "a new seed for every clip"
IMAGE_ROLES = ("reference", "first_frame", "last_frame")


class PresetError(ValueError):
    """A preset or a presets file that cannot be used: one sentence."""


def quoted(text: str, limit: int = 40) -> str:
    """Outside text fit for a sentence: quoted, escaped, at most ``limit`` characters of it."""
    return repr(text[:limit] + ("…" if len(text) > limit else ""))


def check_name(name: str) -> str:
    """The name, trimmed; PresetError when empty, too long or not printable."""
    name = " ".join(name.split())
    if not name:
        raise PresetError("A preset needs a name.")
    if len(name) > MAX_NAME_CHARS or not name.isprintable():
        raise PresetError(f"A preset's name is printable text of at most {MAX_NAME_CHARS} chars.")
    return name


@dataclass(frozen=True)
class Preset:
    """One named set of compose settings; None means "the model's default"."""

    name: str
    model: str
    duration: int | None = None
    resolution: str | None = None
    aspect_ratio: str | None = None
    size: str | None = None
    generate_audio: bool | None = None
    seed: int | None = None  # None: a new random seed for every clip
    options: Mapping[str, Any] = field(default_factory=dict)
    image_roles: tuple[str, ...] = ()

    def describe(self) -> str:
        """The settings in a few words, for a list or a menu."""
        parts = [
            f"{self.duration} s" if self.duration else "",
            self.size or "",
            self.resolution or "",
            self.aspect_ratio or "",
            {True: "audio", False: "no audio", None: ""}[self.generate_audio],
            "random seed" if self.seed is None else f"seed {self.seed}",
            ", ".join(f"{k}={v}" for k, v in self.options.items()),
            ("images: " + ", ".join(r.replace("_", " ") for r in self.image_roles))
            if self.image_roles
            else "",
        ]
        return ", ".join(p for p in parts if p)

    def to_json(self) -> dict[str, Any]:
        """The settings (the name is the key they are stored under)."""
        data: dict[str, Any] = {"model": self.model}
        for key in ("duration", "resolution", "aspect_ratio", "size", "generate_audio"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        data["seed"] = RANDOM_SEED if self.seed is None else self.seed
        if self.options:
            data["options"] = dict(self.options)
        if self.image_roles:
            data["image_roles"] = list(self.image_roles)
        return data

    @classmethod
    def from_json(cls, name: str, data: Any) -> Preset:
        """A preset from stored or imported JSON; PresetError names the first bad value."""
        if not isinstance(data, dict):
            raise PresetError(f"The preset {quoted(name)} is not a JSON object.")

        shown = quoted(name)

        def typed(key: str, kind: type | tuple[type, ...]) -> Any:
            value = data.get(key)
            bad = isinstance(value, bool) and kind is int
            if value is not None and (bad or not isinstance(value, kind)):
                raise PresetError(f"The preset {shown} has an unusable {key}: {value!r:.40}.")
            return value

        model = typed("model", str)
        if not model:
            raise PresetError(f"The preset {shown} names no model.")
        seed = data.get("seed", RANDOM_SEED)
        if seed != RANDOM_SEED:
            seed = typed("seed", int)
        roles = typed("image_roles", list) or []
        if any(role not in IMAGE_ROLES for role in roles):
            raise PresetError(f"The preset {shown} has an image role that is not one of ours.")
        options = typed("options", dict) or {}
        if any(not isinstance(v, (str, int, float, bool)) for v in options.values()):
            raise PresetError(f"The preset {shown} has an option that is not a plain value.")
        return cls(
            name=check_name(name),
            model=model,
            duration=typed("duration", int),
            resolution=typed("resolution", str),
            aspect_ratio=typed("aspect_ratio", str),
            size=typed("size", str),
            generate_audio=typed("generate_audio", bool),
            seed=None if seed == RANDOM_SEED else seed,
            options=dict(options),
            image_roles=tuple(roles),
        )

    def checked(self, model: VideoModel) -> tuple[Preset, list[str]]:
        """This preset without what ``model`` does not take, and a sentence about each."""
        probe = GenerationRequest(
            model=self.model,
            prompt="preset",
            duration=self.duration,
            resolution=self.resolution,
            aspect_ratio=self.aspect_ratio,
            size=self.size,
            generate_audio=self.generate_audio,
            seed=self.seed,
        )
        notes: list[str] = []
        drop: dict[str, Any] = {}
        for problem in validate_request(probe, model):
            if problem.field in ("duration", "resolution", "aspect_ratio", "size", "seed"):
                drop[problem.field] = None
            elif problem.field == "generate_audio":
                drop["generate_audio"] = None
            else:
                continue
            notes.append(problem.message)
        options = {}
        for key, value in self.options.items():
            problems = check_options(model, {key: value})
            notes += problems
            if not problems:
                options[key] = value
        frames = model.supported_frame_images or ()
        roles = []
        for role in self.image_roles:
            if role != "reference" and role not in frames:
                notes.append(
                    f"{model.name} does not take a {role.replace('_', ' ')} image; "
                    "that image is a reference instead."
                )
                role = "reference"
            roles.append(role)
        return replace(self, **drop, options=options, image_roles=tuple(roles)), notes


def export_text(presets: Iterable[Preset]) -> str:
    """A presets file: ``{"format": ..., "presets": {name: settings}}``."""
    body = {"format": FORMAT, "version": 1, "presets": {p.name: p.to_json() for p in presets}}
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def parse_file(data: bytes, what: str) -> list[Preset]:
    """The presets in a file's bytes (``what`` names it); PresetError says why not."""
    if len(data) > MAX_FILE_BYTES:
        raise PresetError(
            f"{what} is larger than {MAX_FILE_BYTES >> 10} KB, too large for a presets file; "
            "nothing was imported."
        )
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise PresetError(
            f"{what} is not a presets file (not JSON); nothing was imported."
        ) from None
    presets = body.get("presets") if isinstance(body, dict) else None
    if not isinstance(presets, dict) or not presets:
        raise PresetError(f"{what} holds no presets; nothing was imported.")
    return [Preset.from_json(str(name), settings) for name, settings in presets.items()]
