"""Audio and video references: recognised by content (magic bytes), bounded in size.

A name proves nothing, so the first bytes decide: MP4 / M4A (an ``ftyp`` box; the
brand tells audio-only M4A from video), MP3 (an ID3 tag or an MPEG audio frame
sync) and WAV (RIFF....WAVE). A decoder (PyAV, in services) then reads the length.
"""

from __future__ import annotations

# A source a peer's documentation accepts for FLUX upscaling (Comfy: at most 50 MB); the
# same bound holds for every video reference, which travels base64 in the request body.
MAX_VIDEO_BYTES = 50 * 1024 * 1024
# Voice tracks of a few minutes are a few MB; 20 MB is far past any avatar clip.
MAX_AUDIO_BYTES = 20 * 1024 * 1024
_M4A_BRANDS = (b"M4A ", b"M4B ", b"F4A ")


class MediaRejectedError(ValueError):
    """An input that is not a usable audio or video file; the message is for the user."""


def sniff_media_type(head: bytes) -> str | None:
    """video/mp4, audio/mp4, audio/mpeg or audio/wav from a file's first bytes, else None."""
    if head[4:8] == b"ftyp":
        return "audio/mp4" if head[8:12] in _M4A_BRANDS else "video/mp4"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    return None


def modality_of(mime: str) -> str:
    """audio or video, from a sniffed type."""
    return mime.partition("/")[0]


def limit_for(modality: str) -> int:
    return MAX_VIDEO_BYTES if modality == "video" else MAX_AUDIO_BYTES


def check_media(head: bytes, size: int, name: str, want: str) -> str:
    """The MIME type of a ``want`` (audio or video) file, or MediaRejectedError saying why."""
    mime = sniff_media_type(head)
    if mime is None or (want == "video" and mime != "video/mp4"):
        kinds = "an MP4 video" if want == "video" else "an MP3, WAV or M4A audio file"
        raise MediaRejectedError(f"{name} is not {kinds} (judged by its content).")
    if want == "audio" and mime == "video/mp4":
        mime = "audio/mp4"  # an MP4's sound track is taken as audio
    limit = limit_for(want)
    if size > limit:
        raise MediaRejectedError(
            f"{name} is {size / 2**20:.0f} MB; {want} references are at most {limit // 2**20} MB."
        )
    return mime
