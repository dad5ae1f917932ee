"""Image inputs: recognise the format by content (never by name) and build data URLs."""

from __future__ import annotations

import base64

MAX_IMAGE_BYTES = 20 * 1024 * 1024

_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


class ImageRejectedError(ValueError):
    """An input that is not a usable image; the message is for the user."""


def sniff_image_type(data: bytes) -> str | None:
    """The MIME type from the file's first bytes, or None when it is no known image."""
    for magic, mime in _SIGNATURES:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def data_url(data: bytes, name: str = "image") -> str:
    """A ``data:`` URL for an image file's bytes; raises ImageRejectedError with a reason."""
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageRejectedError(
            f"{name} is {len(data) / 2**20:.0f} MB; images over "
            f"{MAX_IMAGE_BYTES // 2**20} MB are not sent. Use a smaller image."
        )
    mime = sniff_image_type(data)
    if mime is None:
        raise ImageRejectedError(f"{name} is not a PNG, JPEG, WebP or GIF image.")
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"
