"""Small clips made with PyAV for the export tests, and what an exported film holds.

Each frame is one flat grey whose level says which frame it is (``level(i)``), so a
test can tell exactly which source frame landed where in a film.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

BLACK_Y = 16  # video-range black: the letterbox bars


def level(i: int) -> int:
    """The grey level of frame ``i``: steps of 6 from 40, repeating after 30 frames."""
    return 40 + 6 * (i % 30)


def make_clip(
    path: Path,
    *,
    size: tuple[int, int] = (160, 96),
    fps: int = 24,
    frames: int = 48,
    gop: int = 12,
    audio: bool = True,
    bframes: int = 0,
) -> Path:
    """An H.264 clip (keyframe every ``gop`` frames), with a 440 Hz tone when ``audio``."""
    width, height = size
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {
            "preset": "veryfast",
            "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes={bframes}",
        }
        sound = out.add_stream("aac", rate=48000, layout="stereo") if audio else None
        for i in range(frames):
            frame = av.VideoFrame(width, height, "yuv420p")
            frame.planes[0].update(bytes([level(i)]) * frame.planes[0].buffer_size)
            for plane in frame.planes[1:]:
                plane.update(bytes([128]) * plane.buffer_size)
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if sound is not None:
            total = round(frames / fps * 48000)
            for start in range(0, total, 1024):
                n = min(1024, total - start)
                chunk = av.AudioFrame(format="fltp", layout="stereo", samples=n)
                tone = (0.3 * math.sin(2 * math.pi * 440 * (start + j) / 48000) for j in range(n))
                data = struct.pack(f"<{n}f", *tone)
                for plane in chunk.planes:
                    plane.update(data + bytes(plane.buffer_size - len(data)))
                chunk.sample_rate = 48000
                chunk.pts = start
                out.mux(sound.encode(chunk))
            out.mux(sound.encode(None))
    return path


@dataclass
class Film:
    """What a film decodes to: its frames' grey levels (centre and left edge), size, audio."""

    centre: list[int]
    edge: list[int]
    size: tuple[int, int]
    fps: Fraction
    duration_s: float
    audio_s: float | None

    @property
    def frames(self) -> int:
        return len(self.centre)


def read_film(path: Path) -> Film:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        centre: list[int] = []
        edge: list[int] = []
        size = (video.codec_context.width, video.codec_context.height)
        for frame in container.decode(video):
            plane = frame.planes[0]
            data = bytes(plane)
            row = frame.height // 2 * plane.line_size
            centre.append(data[row + frame.width // 2])
            edge.append(data[row + 1])
        fps = Fraction(video.average_rate or 0)
        duration = float(container.duration or 0) / av.time_base
        audio_s = None
        if container.streams.audio:
            container.seek(0)
            stream = container.streams.audio[0]
            samples = sum(f.samples for f in container.decode(stream))
            audio_s = samples / stream.rate
    return Film(centre, edge, size, fps, duration, audio_s)


def near(value: int, wanted: int) -> bool:
    return abs(value - wanted) <= 3
