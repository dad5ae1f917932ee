"""Storyboard timing: shots in order, their trims snapped to frames, and the totals.

A shot is a library clip (its local id) or a planned prompt not generated yet. Its
trim is kept in seconds, as the user set it, and becomes whole frames of its clip
only against that clip's frame rate and length: the same rule for the player, the
export and the command line. Nothing here touches a file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

# A trim point within half a frame of the clip's end is the end (players round lengths).
_SLACK_FRAMES = 0.5


class TrimError(ValueError):
    """A trim that does not fit its clip; the message names the clip's length."""


@dataclass(frozen=True)
class Shot:
    """One place in a storyboard: a clip, or a prompt still to generate.

    ``trim_out`` None means "to the clip's end". ``continues`` asks that the shot start
    from the previous shot's last frame when it is generated.
    """

    clip: int | None = None
    prompt: str = ""
    trim_in: float = 0.0
    trim_out: float | None = None
    continues: bool = False

    @property
    def planned(self) -> bool:
        return self.clip is None

    @property
    def trimmed(self) -> bool:
        return self.trim_in > 0 or self.trim_out is not None

    def with_(self, **changes: Any) -> Shot:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "clip": self.clip,
            "prompt": self.prompt,
            "trim_in": self.trim_in,
            "trim_out": self.trim_out,
            "continues": self.continues,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Shot:
        clip = data.get("clip")
        out = data.get("trim_out")
        return cls(
            clip=int(clip) if clip is not None else None,
            prompt=str(data.get("prompt") or ""),
            trim_in=float(data.get("trim_in") or 0.0),
            trim_out=float(out) if out is not None else None,
            continues=bool(data.get("continues")),
        )


@dataclass(frozen=True)
class Cut:
    """A shot's kept frames of its clip: ``first`` up to (not including) ``end``."""

    first: int
    end: int
    fps: float

    @property
    def frames(self) -> int:
        return self.end - self.first

    @property
    def in_s(self) -> float:
        return self.first / self.fps

    @property
    def out_s(self) -> float:
        return self.end / self.fps

    @property
    def duration_s(self) -> float:
        return self.frames / self.fps


def frame_at(seconds: float, fps: float) -> int:
    """The frame a time falls on (to the nearest frame)."""
    return math.floor(seconds * fps + 0.5)


def snap(seconds: float, fps: float) -> float:
    """A time moved to the nearest frame boundary."""
    return frame_at(seconds, fps) / fps


def seconds_text(seconds: float) -> str:
    return f"{seconds:.2f} s"


def cut(trim_in: float, trim_out: float | None, frame_count: int, fps: float) -> Cut:
    """The frames a trim keeps of a clip of ``frame_count`` frames; TrimError if it cannot."""
    if fps <= 0 or frame_count <= 0:
        raise TrimError("The clip has no frames.")
    length = frame_count / fps
    out = length if trim_out is None else trim_out
    slack = _SLACK_FRAMES / fps
    if not (math.isfinite(trim_in) and math.isfinite(out)):
        raise TrimError("A trim point is not a number.")
    if trim_in < 0 or out > length + slack or trim_in >= length:
        raise TrimError(
            f"The trim {seconds_text(trim_in)}–{seconds_text(out)} is outside the clip, "
            f"which is {seconds_text(length)} long."
        )
    first = frame_at(trim_in, fps)
    end = min(frame_count, frame_at(out, fps))
    if end <= first:
        raise TrimError(
            f"The trim {seconds_text(trim_in)}–{seconds_text(out)} keeps no frame "
            f"(the out point must come at least one frame after the in point; "
            f"the clip is {seconds_text(length)} long)."
        )
    return Cut(first, end, fps)


def shot_cut(shot: Shot, frame_count: int, fps: float) -> Cut:
    return cut(shot.trim_in, shot.trim_out, frame_count, fps)


def total_seconds(cuts: Iterable[Cut]) -> float:
    return sum(c.duration_s for c in cuts)


_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)?\s*-\s*(\d+(?:\.\d+)?)?\s*$")


def parse_span(text: str) -> tuple[float, float | None]:
    """'1.5-6' -> (1.5, 6.0); '2-' -> (2.0, None); '-4' -> (0.0, 4.0). ValueError otherwise."""
    match = _SPAN.match(text)
    if match is None or (match.group(1) is None and match.group(2) is None):
        raise ValueError(f"{text!r} is not IN-OUT in seconds (e.g. 1.5-6, 2- or -4)")
    start = float(match.group(1) or 0.0)
    end = float(match.group(2)) if match.group(2) is not None else None
    return start, end


def move(shots: list[Shot], index: int, to: int) -> list[Shot]:
    """The shots with the one at ``index`` moved to position ``to`` (clamped)."""
    if not 0 <= index < len(shots):
        return list(shots)
    moved = list(shots)
    shot = moved.pop(index)
    moved.insert(max(0, min(to, len(moved))), shot)
    return moved
