"""Input images: read safely from disk, and stored once by content beside the journal.

A job's request is journaled with each data-URL image replaced by a reference
(``videostudio-image:<sha256>.<ext>``) to a file in the store, so the journal
stays small however big the images are, listing jobs never touches image data,
and "use these settings" finds every image again. The data URLs are rebuilt
only when a request is sent.
"""

from __future__ import annotations

import base64
import binascii
import copy
import errno
import hashlib
import os
import stat
from pathlib import Path
from typing import Any

from videostudio.core.images import MAX_INPUT_BYTES, ImageRejectedError

REF_PREFIX = "videostudio-image:"
_EXT = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}
_MIME = {ext: mime for mime, ext in _EXT.items()}


class MissingImageError(LookupError):
    """A journaled request names an image the store no longer has."""


def read_image_file(path: str | os.PathLike[str], limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a regular image file, at most ``limit``; the one way both CLI and window read.

    Opened without blocking and checked before reading, so a FIFO cannot hang the
    app and /dev/zero (or a link to it) cannot fill memory.
    """
    name = Path(path).name
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise ImageRejectedError(f"Cannot read {name}: {exc.strerror}.") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ImageRejectedError(f"{name} is not a regular file; choose an image file.")
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ImageRejectedError(
            f"{name} is larger than {limit // 2**20} MB; images that big are not read. "
            "Use a smaller image."
        )
    return data


def _image_parts(request: dict[str, Any]) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for key in ("frame_images", "input_references"):
        for part in request.get(key) or []:
            if isinstance(part, dict) and isinstance(part.get("image_url"), dict):
                parts.append(part["image_url"])
    return parts


def is_ref(url: str) -> bool:
    return url.startswith(REF_PREFIX)


class ImageStore:
    """Image files named by their SHA-256, written once (atomically) and shared by every job."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes, mime: str) -> str:
        """Store ``data`` (if new) and return its reference."""
        name = f"{hashlib.sha256(data).hexdigest()}.{_EXT.get(mime, 'bin')}"
        target = self.root / name
        if not target.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{name}.{os.getpid()}.tmp")
            with tmp.open("wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        return REF_PREFIX + name

    def path_of(self, ref: str) -> Path:
        name = ref.removeprefix(REF_PREFIX)
        if "/" in name or name.startswith(".") or not name:
            raise MissingImageError(f"Not an image reference: {ref[:80]!r}.")
        return self.root / name

    def mime_of(self, ref: str) -> str:
        return _MIME.get(ref.rpartition(".")[2], "application/octet-stream")

    def read(self, ref: str) -> bytes:
        try:
            return self.path_of(ref).read_bytes()
        except FileNotFoundError:
            raise MissingImageError(
                f"An image of this job is missing from {self.root}; it cannot be sent again."
            ) from None

    def externalize(self, request: dict[str, Any]) -> dict[str, Any]:
        """A copy of ``request`` whose base64 data-URL images are stored and referenced."""
        out = copy.deepcopy(request)
        for image in _image_parts(out):
            url = str(image.get("url", ""))
            head, sep, payload = url.partition(",")
            if not (url.startswith("data:") and sep and head.endswith(";base64")):
                continue  # https links stay as they are
            try:
                data = base64.b64decode(payload, validate=True)
            except (binascii.Error, ValueError):
                continue  # not ours to repair; it is sent as it came
            image["url"] = self.put(data, head[5:].split(";")[0])
        return out

    def expand(self, request: dict[str, Any]) -> dict[str, Any]:
        """A copy of ``request`` with every reference turned back into a data URL."""
        out = copy.deepcopy(request)
        for image in _image_parts(out):
            url = str(image.get("url", ""))
            if is_ref(url):
                data = self.read(url)
                image["url"] = f"data:{self.mime_of(url)};base64,{base64.b64encode(data).decode()}"
        return out

    def describe(self, url: str) -> dict[str, Any]:
        """What a sidecar says of an image: type, size and hash, or its web address."""
        if not is_ref(url):
            return {"url": url}
        path = self.path_of(url)
        try:
            size = path.stat().st_size
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                raise
            size = None
        return {"type": self.mime_of(url), "bytes": size, "sha256": path.stem}
