"""Reference images made ready to send: checked, decoded safely, downscaled, encoded.

Runs in a worker thread (QImage and QImageReader are thread-safe): decoding a
large photo or base64-encoding megabytes must never freeze the window.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QImage, QImageReader

from videostudio.core.images import MAX_IMAGE_BYTES, ImageRejectedError, data_url, inspect_image

# Providers want a few megapixels at most; bigger images are scaled down before sending.
MAX_SEND_SIDE = 2048
THUMB_SIDE = 96


@dataclass(frozen=True)
class PreparedImage:
    """An image ready for a request: its data URL, a thumbnail, and what was done to it."""

    name: str
    url: str  # data: URL, or the https URL that was dropped
    thumbnail: QImage
    width: int
    height: int
    note: str = ""  # information, e.g. "scaled down from 6000 x 4000"


def _encode(image: QImage) -> tuple[str, bytes]:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if image.hasAlphaChannel():
        image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs say bytes; Qt wants str
        return "image/png", bytes(data.data())
    image.save(buffer, "JPEG", 90)  # type: ignore[call-overload]
    return "image/jpeg", bytes(data.data())


def _fit(image: QImage, side: int) -> QImage:
    return image.scaled(
        side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


def _decode(data: bytes, name: str) -> tuple[QImage, str]:
    """Check by content (refusing bombs undecoded), then decode; the image and its type."""
    mime = inspect_image(data, name).mime
    array = QByteArray(data)
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)
    image = reader.read()
    if image.isNull():
        raise ImageRejectedError(
            f"{name} is damaged and cannot be opened ({reader.errorString()})."
        )
    return image, mime


def prepare_image(data: bytes, name: str) -> PreparedImage:
    """Check by content, decode with a bounded reader, downscale if large, build a data URL.

    Raises ImageRejectedError with a sentence for the user.
    """
    image, mime = _decode(data, name)
    note = ""
    if max(image.width(), image.height()) > MAX_SEND_SIDE:
        original = f"{image.width()} x {image.height()}"
        image = _fit(image, MAX_SEND_SIDE)
        note = f"scaled down from {original}"
    if note or len(data) > MAX_IMAGE_BYTES or mime == "image/gif":
        mime, payload = _encode(image)  # re-encode: smaller, and a still for GIFs
    else:
        payload = data
    thumb, width, height = _fit(image, THUMB_SIDE), image.width(), image.height()
    del image  # the decoded pixels go before the base64 text is made (memory peak)
    return PreparedImage(name, data_url(mime, payload), thumb, width, height, note)


def prepare_remote(data: bytes, url: str, name: str) -> PreparedImage:
    """An image fetched from ``url``: checked and thumbnailed; the address itself is sent
    (the provider fetches it), so the request stays small and the sidecar keeps the link."""
    image, _mime = _decode(data, name)
    note = f"web address, {image.width()} x {image.height()}"
    return PreparedImage(name, url, _fit(image, THUMB_SIDE), image.width(), image.height(), note)
