"""Image inputs: recognised by content (never by name), sized from their headers, sent as data URLs.

The pixel size is read from the file header before anything decodes it, so a
small file that would expand into gigabytes (a decompression bomb) is refused
without allocating a pixel.
"""

from __future__ import annotations

import base64
import io
import struct
from dataclasses import dataclass
from typing import BinaryIO

MAX_IMAGE_BYTES = 20 * 1024 * 1024  # what is sent; larger files are downscaled first (UI)
MAX_INPUT_BYTES = 100 * 1024 * 1024  # what is read at all
MAX_PIXELS = 60_000_000  # ~ 9500 x 6300: decodes within Qt's 256 MB image limit
MAX_SIDE = 20_000

_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


class ImageRejectedError(ValueError):
    """An input that is not a usable image; the message is for the user."""


@dataclass(frozen=True)
class ImageInfo:
    mime: str
    width: int
    height: int


def sniff_image_type(data: bytes) -> str | None:
    """The MIME type from the file's first bytes, or None when it is no known image."""
    for magic, mime in _SIGNATURES:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _png_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    w, h = struct.unpack(">II", data[16:24])
    return int(w), int(h)


def _gif_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 10:
        return None
    w, h = struct.unpack("<HH", data[6:10])
    return int(w), int(h)


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            i += 2
            continue
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        # Start-of-frame markers (baseline, progressive, ...) carry the size.
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(w), int(h)
        i += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30:
        w, h = struct.unpack("<HH", data[26:30])
        return int(w & 0x3FFF), int(h & 0x3FFF)
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        w = int.from_bytes(data[24:27], "little") + 1
        h = int.from_bytes(data[27:30], "little") + 1
        return w, h
    return None


_SIZERS = {
    "image/png": _png_size,
    "image/gif": _gif_size,
    "image/jpeg": _jpeg_size,
    "image/webp": _webp_size,
}


def inspect_image(data: bytes, name: str = "image") -> ImageInfo:
    """Type and pixel size from the header; raises ImageRejectedError with a reason."""
    if not data:
        raise ImageRejectedError(f"{name} is empty.")
    if len(data) > MAX_INPUT_BYTES:
        raise ImageRejectedError(
            f"{name} is {len(data) / 2**20:.0f} MB; images over "
            f"{MAX_INPUT_BYTES // 2**20} MB are not read."
        )
    mime = sniff_image_type(data)
    if mime is None:
        raise ImageRejectedError(f"{name} is not a PNG, JPEG, WebP or GIF image.")
    size = _SIZERS[mime](data)
    if size is None or min(size) < 1:
        raise ImageRejectedError(f"{name} is damaged: its header has no valid size.")
    width, height = size
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise ImageRejectedError(
            f"{name} claims {width} x {height} pixels, too large to open safely."
        )
    return ImageInfo(mime, width, height)


def data_url(mime: str, source: bytes | BinaryIO) -> str:
    """A base64 ``data:`` URL of bytes or a file, encoded in pieces: a big image is not
    held whole (or three times over) on the way to its text."""
    stream = io.BytesIO(source) if isinstance(source, bytes) else source  # shares the bytes
    step = 3 << 20  # a multiple of 3: the pieces join without padding
    pieces = [base64.b64encode(piece).decode() for piece in iter(lambda: stream.read(step), b"")]
    return "".join([f"data:{mime};base64,", *pieces])
