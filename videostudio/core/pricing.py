"""Cost estimates from a model's ``pricing_skus``, and output pixel sizes.

SKU names are not a documented grammar; their unit follows the name
(``duration_seconds*`` USD per second, ``cents_per_*`` cents, ``video_tokens*``
USD per token) and suffixes narrow them (``with_audio``, ``720p``, ``4k``,
``image_to_video``). The most specific SKU that matches the request wins.
A request that no SKU prices is "price unknown", never a guess.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from videostudio.core.models import GenerationRequest, VideoModel

_SHORT_SIDE = {
    "360p": 360,
    "480p": 480,
    "720p": 720,
    "768p": 768,
    "1080p": 1080,
    "1K": 1024,
    "2K": 1440,
    "4K": 2160,
}
_RES_TOKEN = re.compile(r"^(\d{3,4}p|[124]k)$")
# What the API is asked for when a request names no resolution (and the form's first choice).
PREFERRED_RESOLUTION = "720p"
# Seedance bills video tokens: width x height x fps x seconds / 1024 (BytePlus).
_TOKEN_FPS = 24


def frame_size(
    resolution: str | None, aspect_ratio: str | None, size: str | None
) -> tuple[int, int]:
    """Output pixel size: ``size`` when given, else resolution + aspect (default 720p 16:9)."""
    if size:
        w, _, h = size.partition("x")
        if w.isdigit() and h.isdigit():
            return int(w), int(h)
    short = _SHORT_SIDE.get(resolution or "720p", 720)
    a, _, b = (aspect_ratio or "16:9").partition(":")
    aw, ah = (int(a), int(b)) if a.isdigit() and b.isdigit() and int(a) and int(b) else (16, 9)
    if aw >= ah:
        return round(short * aw / ah / 2) * 2, short
    return short, round(short * ah / aw / 2) * 2


def default_resolution(model: VideoModel) -> str | None:
    """The resolution a request without one is priced at, and the form selects first."""
    offered = model.supported_resolutions or ()
    return PREFERRED_RESOLUTION if PREFERRED_RESOLUTION in offered else next(iter(offered), None)


def short_side(resolution: str) -> int | None:
    """Pixels on the short side for a resolution name: 720p, 1080p, 1024p, 4K..."""
    for name in (resolution, resolution.upper()):
        if name in _SHORT_SIDE:
            return _SHORT_SIDE[name]
    if resolution.lower().endswith("p") and resolution[:-1].isdigit():
        return int(resolution[:-1])
    return None


@dataclass(frozen=True)
class _Sku:
    name: str
    price: float  # in USD (cents already converted)
    kind: str  # per_second | per_token | per_image
    audio: bool | None
    resolution: str | None
    mode: str | None

    @property
    def specificity(self) -> int:
        return sum(q is not None for q in (self.audio, self.resolution, self.mode))


def _parse_sku(name: str, value: str) -> _Sku | None:
    key = name.lower()
    try:
        price = float(value)
    except ValueError:
        return None
    if key.startswith("cents"):
        price /= 100
    if "image_input" in key:
        kind = "per_image"
    elif "video_tokens" in key:
        kind = "per_token"
    elif "second" in key:
        kind = "per_second"
    else:
        return None
    audio = False if "without_audio" in key else True if "with_audio" in key else None
    res = next((t for t in key.split("_") if _RES_TOKEN.match(t)), None)
    if res and res.endswith("k"):
        res = res.upper()
    mode = next(
        (m for m in ("image_to_video", "text_to_video", "with_video_input") if m in key), None
    )
    return _Sku(name, price, kind, audio, res, mode)


@dataclass(frozen=True)
class Estimate:
    """An estimated price in USD, or None when the model's SKUs cannot price the request."""

    usd: float | None
    basis: str

    @property
    def known(self) -> bool:
        return self.usd is not None

    def label(self) -> str:
        return f"≈ {format_usd(self.usd)}" if self.usd is not None else "price unknown"


def estimate_cost(
    model: VideoModel,
    *,
    duration: int | None,
    resolution: str | None = None,
    aspect_ratio: str | None = None,
    size: str | None = None,
    generate_audio: bool | None = None,
    image_count: int = 0,
    image_to_video: bool = False,
) -> Estimate:
    """Estimate what one job costs, with a short sentence saying which SKU priced it."""
    seconds = duration or (model.supported_durations or (0,))[0]
    if not seconds:
        return Estimate(None, "no duration")
    skus = [s for s in (_parse_sku(k, v) for k, v in (model.pricing_skus or {}).items()) if s]
    audio = generate_audio if generate_audio is not None else bool(model.generate_audio)
    mode = "image_to_video" if image_to_video else "text_to_video"
    # An exact size is priced at its own resolution (3840x2160 is 4K, whatever the default).
    res = None if size else resolution or default_resolution(model)
    width, height = frame_size(res, aspect_ratio, size)
    pixels = min(width, height)

    def matches(s: _Sku) -> bool:
        return (
            (s.audio is None or s.audio == audio)
            and (s.resolution is None or short_side(s.resolution) == pixels)
            and (s.mode is None or s.mode == mode)
        )

    rate = max(
        (s for s in skus if s.kind in ("per_second", "per_token") and matches(s)),
        key=lambda s: s.specificity,
        default=None,
    )
    if rate is None:
        return Estimate(None, "no pricing SKU matches these settings")
    if rate.kind == "per_second":
        usd = rate.price * seconds
        basis = f"{seconds} s × ${rate.price:g}/s ({rate.name})"
    else:
        tokens = width * height * _TOKEN_FPS * seconds / 1024
        usd = rate.price * tokens
        basis = f"{tokens:,.0f} video tokens × ${rate.price:g} ({rate.name})"
    per_image = next((s for s in skus if s.kind == "per_image"), None)
    if per_image and image_count:
        usd += per_image.price * image_count
        basis += f" + {image_count} image(s) × ${per_image.price:g}"
    return Estimate(round(usd, 6), basis)


def estimate_for(model: VideoModel, request: GenerationRequest) -> Estimate:
    """The estimate for a request as it would be sent."""
    return estimate_cost(
        model,
        duration=request.duration,
        resolution=request.resolution,
        aspect_ratio=request.aspect_ratio,
        size=request.size,
        generate_audio=request.generate_audio,
        image_count=len(request.images),
        image_to_video=bool(request.frame_images),
    )


def price_per_second(model: VideoModel) -> float | None:
    """USD per second of video at the model's default settings (for the model picker)."""
    seconds = (model.supported_durations or (0,))[0]
    if not seconds:
        return None
    usd = estimate_cost(model, duration=seconds).usd
    return usd / seconds if usd is not None else None


def format_usd(usd: float) -> str:
    """Dollars with enough digits to tell cheap models apart ($0.052, $0.12, $3.20).

    Under a tenth of a cent (an assistant's answer), two significant digits: $0.0000070.
    """
    if 0 < usd < 0.001:
        return f"${usd:.{1 - math.floor(math.log10(usd))}f}"
    return f"${usd:.3f}" if 0 < usd < 0.10 else f"${usd:.2f}"
