"""Provider options: the model's ``allowed_passthrough_parameters``, typed where known,
sent under ``provider.options`` (reference §3.3).

The options are keyed by the slug of the provider that serves the model, which is
not always its author (Kling is served by atlas-cloud). The keys go under a
``parameters`` object, the shape the official skill and most clients use; the
server forwards only the serving provider's options and drops unknown keys.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from videostudio.core.models import VideoModel

# Model author -> the provider slug that serves it.
PROVIDER_SLUGS = {
    "google": "google-vertex",
    "openai": "openai",
    "alibaba": "alibaba",
    "bytedance": "byteplus",
    "kwaivgi": "atlas-cloud",
    "minimax": "minimax",
    "x-ai": "xai",
    "runway": "runway",
    "heygen": "heygen",
    "black-forest-labs": "black-forest-labs",
}


@dataclass(frozen=True)
class OptionKind:
    """How to ask for and parse one option: bool, number, integer, choice or text; with the
    words to show for it (``label``, and ``choice_labels`` in the order of ``choices``)."""

    kind: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    tip: str = ""
    label: str = ""
    choice_labels: tuple[str, ...] = ()


TEXT = OptionKind("text")
_NEGATIVE = OptionKind("text", tip="What the clip should not show.", label="Negative prompt")
_EXPAND = OptionKind("bool", tip="Let the provider expand the prompt.", label="Expand the prompt")
KNOWN: dict[str, OptionKind] = {
    "negativePrompt": _NEGATIVE,
    "negative_prompt": _NEGATIVE,
    "enhancePrompt": OptionKind(
        "bool", tip="Let the provider rewrite the prompt.", label="Enhance the prompt"
    ),
    "enable_prompt_expansion": _EXPAND,
    "prompt_extend": _EXPAND,
    "prompt_optimizer": OptionKind(
        "bool", tip="Let the provider optimise the prompt.", label="Optimise the prompt"
    ),
    "fast_pretreatment": OptionKind(
        "bool", tip="Prepare the input faster.", label="Fast preparation"
    ),
    "watermark": OptionKind("bool", tip="Add the provider's watermark.", label="Watermark"),
    "audio": OptionKind("bool", label="Audio"),
    "personGeneration": OptionKind(
        "choice",
        ("allow_adult", "dont_allow", "allow_all"),
        tip="Whether the clip may show people.",
        label="People",
        choice_labels=("Adults only", "No people", "Anyone"),
    ),
    "cfg_scale": OptionKind(
        "number",
        minimum=0.0,
        maximum=1.0,
        tip="How closely the clip follows the prompt (higher: closer).",
        label="Prompt adherence",
    ),
    "conditioningScale": OptionKind(
        "number",
        minimum=0.0,
        maximum=1.0,
        tip="How closely the clip follows the images (higher: closer).",
        label="Image adherence",
    ),
    "shot_type": OptionKind(
        "choice", ("single", "multi"), label="Shots", choice_labels=("One shot", "Several shots")
    ),
    "quality": OptionKind(
        "choice", ("standard", "high"), label="Quality", choice_labels=("Standard", "High")
    ),
}

# Provider options that repeat a setting of the form: shown once, in Settings, when the
# model offers that setting (the form's value is what the request sends).
SETTING_TWINS = {
    "aspectRatio": "supported_aspect_ratios",
    "aspect_ratio": "supported_aspect_ratios",
    "ratio": "supported_aspect_ratios",
    "size": "supported_sizes",
    "resolution": "supported_resolutions",
    "duration": "supported_durations",
}


def provider_slug(model_id: str) -> str:
    author = model_id.split("/", 1)[0]
    return PROVIDER_SLUGS.get(author, author)


def kind_of(key: str) -> OptionKind:
    return KNOWN.get(key, TEXT)


def form_options(model: VideoModel) -> list[str]:
    """The model's provider options that the form shows beside its settings (no twins)."""
    return [
        key
        for key in model.allowed_passthrough_parameters
        if not (key in SETTING_TWINS and getattr(model, SETTING_TWINS[key]))
    ]


class OptionError(ValueError):
    """An option the model does not take, or a value of the wrong type."""


def parse_value(key: str, text: str) -> Any:
    """A command-line value for ``key``, typed where the type is known."""
    kind = kind_of(key)
    if kind.kind == "bool":
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise OptionError(f"{key} takes true or false, not {text!r}.")
    if kind.kind in ("number", "integer"):
        try:
            value: float = int(text) if kind.kind == "integer" else float(text)
        except ValueError:
            raise OptionError(f"{key} takes a number, not {text!r}.") from None
        if not math.isfinite(value):
            raise OptionError(f"{key} takes a finite number, not {text!r}.")
        return value
    return text


def check_options(model: VideoModel, options: dict[str, Any]) -> list[str]:
    """Why these options cannot be sent to ``model`` (empty when they can)."""
    allowed = model.allowed_passthrough_parameters
    problems = []
    for key, value in options.items():
        if key not in allowed:
            offered = ", ".join(allowed) if allowed else "none"
            problems.append(f"{model.name} does not take the option {key} (it takes: {offered}).")
            continue
        kind = kind_of(key)
        if kind.kind == "bool" and not isinstance(value, bool):
            problems.append(f"{key} takes true or false.")
        elif kind.kind in ("number", "integer"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                problems.append(f"{key} takes a number.")
            elif not math.isfinite(value):
                problems.append(f"{key} takes a finite number, not {value}.")
            elif (kind.minimum is not None and value < kind.minimum) or (
                kind.maximum is not None and value > kind.maximum
            ):
                problems.append(f"{key} takes a number from {kind.minimum:g} to {kind.maximum:g}.")
        elif kind.kind == "choice" and value not in kind.choices:
            problems.append(f"{key} takes one of {', '.join(kind.choices)}.")
        elif kind.kind == "text" and not isinstance(value, str):
            problems.append(f"{key} takes text.")
    return problems


def provider_field(model_id: str, options: dict[str, Any]) -> dict[str, Any] | None:
    """The request's ``provider`` object for these options, or None when there are none."""
    if not options:
        return None
    return {"options": {provider_slug(model_id): {"parameters": dict(options)}}}


def options_of(provider: Any) -> dict[str, Any]:
    """The options a request's ``provider`` object carries (for "use these settings")."""
    if not isinstance(provider, dict):
        return {}
    found: dict[str, Any] = {}
    for value in (provider.get("options") or {}).values():
        if isinstance(value, dict):
            params = value.get("parameters")
            found.update(params if isinstance(params, dict) else value)
    return found
