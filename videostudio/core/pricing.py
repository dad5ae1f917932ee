"""Cost estimates from a model's ``pricing_skus``, and output pixel sizes.

SKU names are not a documented grammar; their unit follows the name
(``duration_seconds*`` USD per second, ``cents_per_*`` cents, ``video_tokens*``
USD per token) and suffixes narrow them (``with_audio``, ``720p``, ``4k``,
``image_to_video``). The most specific SKU that matches the request wins, and SKU
families have their own rules: continuation and video-input SKUs only price jobs that
have that input; upscales are priced per megapixel-second of the output;
``reference_images`` is per reference image; ``minimum_cents_per_generation`` is a floor.
A request that no SKU prices is "price unknown", never a guess.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from videostudio.core.models import GenerationRequest, VideoModel
from videostudio.core.operations import Operation, SourceClip, operation_of

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


# Modes a SKU can be narrowed to. The last two are inputs, not kinds of output: a job
# that has one must be priced by a SKU that names it when the model has one.
_MODES = ("image_to_video", "text_to_video", "with_video_input", "video_continuation")
_INPUT_MODES = frozenset({"with_video_input", "video_continuation"})


@dataclass(frozen=True)
class _Sku:
    name: str
    price: float  # in USD (cents already converted)
    kind: str  # per_second | per_token | per_megapixel_second | per_image | per_reference_image
    audio: bool | None
    resolution: str | None
    mode: str | None
    quality: str | None  # precise | creative (upscalers)

    def rank(self) -> tuple[bool, bool, bool, bool]:
        """Which of two matching SKUs is more specific: an input mode first, then audio,
        resolution and the output mode (Kling's text_to_video_720p must not hide its
        with_audio price)."""
        return (
            self.mode in _INPUT_MODES,
            self.audio is not None,
            self.resolution is not None,
            self.mode is not None,
        )


def _parse_sku(name: str, value: str) -> _Sku | None:
    key = name.lower()
    try:
        price = float(value)
    except ValueError:
        return None
    if key.startswith(("cents", "minimum_cents")):
        price /= 100
    if "image_input" in key:
        kind = "per_image"
    elif key == "reference_images":
        kind = "per_reference_image"
    elif "video_tokens" in key:
        kind = "per_token"
    elif "megapixel_second" in key:
        kind = "per_megapixel_second"
    elif "second" in key:
        kind = "per_second"
    else:
        return None
    audio = False if "without_audio" in key else True if "with_audio" in key else None
    res = next((t for t in key.split("_") if _RES_TOKEN.match(t)), None)
    if res and res.endswith("k"):
        res = res.upper()
    mode = next((m for m in _MODES if m in key), None)
    quality = next((q for q in ("precise", "creative") if key.endswith(q)), None)
    return _Sku(name, price, kind, audio, res, mode, quality)


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


def _minimum(model: VideoModel) -> float | None:
    raw = (model.pricing_skus or {}).get("minimum_cents_per_generation")
    try:
        return float(raw) / 100 if raw is not None else None
    except ValueError:
        return None


def estimate_cost(
    model: VideoModel,
    *,
    duration: int | None,
    resolution: str | None = None,
    aspect_ratio: str | None = None,
    size: str | None = None,
    generate_audio: bool | None = None,
    image_count: int = 0,
    reference_images: int = 0,
    image_to_video: bool = False,
    operation: Operation = Operation.GENERATE,
    source: SourceClip | None = None,
    video_input: bool = False,
    upscale_factor: float | None = None,
    creativity: int | None = None,
) -> Estimate:
    """Estimate what one job costs, with a short sentence saying which SKU priced it.

    Seconds billed: the requested duration (a plain job, or the new seconds of an
    extension); the source's length for an edit, an upscale and an avatar (its audio).
    """
    if operation in (Operation.EDIT, Operation.UPSCALE, Operation.AVATAR):
        if source is None:
            return Estimate(None, f"the source's length is not known ({operation})")
        seconds: float = round(source.seconds, 3)
    else:
        seconds = duration or (model.supported_durations or (0,))[0]
    if not seconds:
        return Estimate(None, "no duration")
    skus = [s for s in (_parse_sku(k, v) for k, v in (model.pricing_skus or {}).items()) if s]
    audio = generate_audio if generate_audio is not None else bool(model.generate_audio)
    modes = {"image_to_video" if image_to_video else "text_to_video"}
    if video_input or operation in (Operation.EDIT, Operation.EXTEND):
        modes.add("with_video_input")
    if operation is Operation.EXTEND:
        modes.add("video_continuation")
    # An exact size is priced at its own resolution (3840x2160 is 4K, whatever the default).
    res = None if size else resolution or default_resolution(model)
    width, height = frame_size(res, aspect_ratio, size)
    keeps_frame = operation in (Operation.EDIT, Operation.EXTEND)
    if keeps_frame and source is not None and source.width and not (size or resolution):
        width, height = source.width, source.height  # the source's frame, unless asked
    pixels = min(width, height)

    def matches(s: _Sku) -> bool:
        return (
            (s.audio is None or s.audio == audio)
            and (s.resolution is None or short_side(s.resolution) == pixels)
            and (s.mode is None or s.mode in modes)
        )

    if operation is Operation.UPSCALE:
        return _upscale_estimate(skus, source, upscale_factor, creativity)
    rate = max(
        (s for s in skus if s.kind in ("per_second", "per_token") and matches(s)),
        key=_Sku.rank,
        default=None,
    )
    if rate is None:
        return Estimate(None, "no pricing SKU matches these settings")
    if rate.kind == "per_second":
        usd = rate.price * seconds
        basis = f"{seconds:g} s × {format_usd(rate.price)}/s ({rate.name})"
    else:
        tokens = width * height * _TOKEN_FPS * seconds / 1024
        usd = rate.price * tokens
        basis = f"{tokens:,.0f} video tokens × {format_usd(rate.price)} ({rate.name})"
    for kind, count, what in (
        ("per_image", image_count, "image(s)"),
        ("per_reference_image", reference_images, "reference image(s)"),
    ):
        extra = next((s for s in skus if s.kind == kind), None)
        if extra and count:
            usd += extra.price * count
            basis += f" + {count} {what} × {format_usd(extra.price)}"
    return _at_least(model, usd, basis)


def _upscale_estimate(
    skus: list[_Sku], source: SourceClip | None, factor: float | None, creativity: int | None
) -> Estimate:
    """Megapixel-seconds of the output: (factor x source width) x (factor x height) x seconds."""
    if source is None or factor is None:
        return Estimate(None, "an upscale is priced from its source's size and factor")
    quality = "creative" if creativity else "precise"
    rate = next(
        (s for s in skus if s.kind == "per_megapixel_second" and s.quality == quality), None
    )
    if rate is None:
        return Estimate(None, f"no {quality} upscale price")
    width, height = round(source.width * factor), round(source.height * factor)
    mp_s = width * height / 1_000_000 * source.seconds
    usd = rate.price * mp_s
    return Estimate(
        round(usd, 6),
        f"{width}x{height} ({width * height / 1e6:.3f} MP) × {source.seconds:g} s "
        f"= {mp_s:.3f} MP·s × {format_usd(rate.price)} ({rate.name})",
    )


def _at_least(model: VideoModel, usd: float, basis: str) -> Estimate:
    floor = _minimum(model)
    if floor is not None and usd < floor:
        return Estimate(round(floor, 6), f"{basis}; minimum {format_usd(floor)} per generation")
    return Estimate(round(usd, 6), basis)


def estimate_for(
    model: VideoModel, request: GenerationRequest, source: SourceClip | None = None
) -> Estimate:
    """The estimate for a request as it would be sent; ``source`` is what it works on."""
    return estimate_cost(
        model,
        duration=request.duration,
        resolution=request.resolution,
        aspect_ratio=request.aspect_ratio,
        size=request.size,
        generate_audio=request.generate_audio,
        image_count=request.image_count,
        reference_images=len(request.references_of("image")),
        image_to_video=bool(request.frame_images),
        operation=operation_of(model, request),
        source=source,
        video_input=bool(request.references_of("video")),
        upscale_factor=request.upscale_factor,
        creativity=request.creativity,
    )


def price_per_second(model: VideoModel) -> float | None:
    """USD per second of video at the model's default settings (for the model picker)."""
    seconds = (model.supported_durations or (0,))[0]
    if not seconds:
        return None
    usd = estimate_cost(model, duration=seconds).usd
    return usd / seconds if usd is not None else None


def format_usd(usd: float) -> str:
    """Dollars with the decimals the amount needs, the one money format of every screen:
    cents from $1 up ($3.20), up to three decimals below ($0.40, $0.08, $0.052, $0.126),
    two significant digits below a cent ($0.0024, a token's $0.0000077)."""
    size = abs(usd)
    if size >= 1 or size == 0:
        return f"${usd:.2f}"
    decimals = 3 if size >= 0.01 else 1 - math.floor(math.log10(size))
    text = f"{usd:.{decimals}f}"
    whole, _, cents = text.partition(".")
    return f"${whole}.{cents.rstrip('0').ljust(2, '0')}"
