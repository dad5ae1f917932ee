"""Audio and video files measured by decoding their headers with PyAV: size and length.

What pricing needs of a source (an upscale is priced per megapixel-second, an edit by
the source's seconds, an avatar by its audio's) and what proves a reference is real
media, not just a file with the right first bytes.
"""

from __future__ import annotations

import os
from pathlib import Path

from videostudio.core.media import MediaRejectedError, check_media
from videostudio.core.operations import SourceClip

_HEAD = 64


def probe(path: Path, need: str | None = None) -> SourceClip:
    """The first video stream's size and the file's length; audio-only files have 0 x 0.

    ``need`` ("audio" or "video"): refuse a file without that kind of stream.
    """
    import av  # a heavy import, only when a file is measured

    try:
        with av.open(str(path)) as container:
            video = next(iter(container.streams.video), None)
            audio = next(iter(container.streams.audio), None)
            if video is None and audio is None:
                raise MediaRejectedError(f"{path.name} has no audio or video stream.")
            if need is not None and {"audio": audio, "video": video}[need] is None:
                raise MediaRejectedError(f"{path.name} has no {need} stream.")
            seconds = _seconds(container, audio if need == "audio" else video or audio)
            if video is None:
                return SourceClip(0, 0, seconds)
            return SourceClip(video.codec_context.width, video.codec_context.height, seconds)
    except (av.FFmpegError, ValueError, OSError) as exc:
        if isinstance(exc, MediaRejectedError):
            raise
        raise MediaRejectedError(f"{path.name} cannot be decoded: {exc}.") from None


def _seconds(container: object, stream: object) -> float:
    duration = getattr(stream, "duration", None)
    base = getattr(stream, "time_base", None)
    if duration and base:
        return round(float(duration * base), 3)
    whole = getattr(container, "duration", None)  # in microseconds
    if whole:
        return round(float(whole) / 1_000_000, 3)
    raise MediaRejectedError("the file does not say how long it is")


def check_file(path: Path, want: str) -> tuple[str, SourceClip]:
    """The MIME type and measure of an audio or video reference file, or MediaRejectedError."""
    try:
        size = os.stat(path).st_size
        with path.open("rb") as f:
            head = f.read(_HEAD)
    except OSError as exc:
        raise MediaRejectedError(f"Cannot read {path.name}: {exc.strerror}.") from None
    mime = check_media(head, size, path.name, want)
    clip = probe(path, need=want)
    if clip.seconds <= 0:
        raise MediaRejectedError(f"{path.name} is empty (0 seconds).")
    return mime, clip
