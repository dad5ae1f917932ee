"""Input images (and audio and video references): read safely, stored once by content.

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
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from videostudio.core.images import MAX_INPUT_BYTES, ImageRejectedError, data_url
from videostudio.platform import files

REF_PREFIX = "videostudio-image:"
_EXT = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
    # audio and video references are stored the same way (issue 18)
    "video/mp4": "mp4",
    "audio/mp4": "m4a",
    "audio/mpeg": "mp3",
    "audio/wav": "wav",
}
_PART_KINDS = ("image_url", "audio_url", "video_url")
_MIME = {ext: mime for mime, ext in _EXT.items()}
_PIECE = 1 << 20  # base64 characters decoded at a time (a multiple of 4)


class MissingImageError(LookupError):
    """A journaled request names an image the store no longer has."""


def read_image_file(path: str | os.PathLike[str], limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a regular image file, at most ``limit``; the one way both CLI and window read.

    Opened without blocking and checked before reading, so a FIFO cannot hang the
    app and /dev/zero (or a link to it) cannot fill memory.
    """
    name = Path(path).name
    try:
        fd = files.open_without_waiting(path)
    except OSError as exc:
        raise ImageRejectedError(f"Cannot read {name}: {exc.strerror}.") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):  # before fdopen, which raises for a folder
        os.close(fd)
        what = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
        raise ImageRejectedError(f"{name} is {what}; choose an image file.")
    with os.fdopen(fd, "rb") as f:
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
            for kind in _PART_KINDS:
                if isinstance(part, dict) and isinstance(part.get(kind), dict):
                    parts.append(part[kind])
    return parts


def is_ref(url: str) -> bool:
    return url.startswith(REF_PREFIX)


def _decoded(url: str, start: int) -> Iterator[bytes]:
    for at in range(start, len(url), _PIECE):
        yield base64.b64decode(url[at : at + _PIECE], validate=True)


class ImageStore:
    """Image files named by their SHA-256, written once (atomically) and shared by every job."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def store_data_url(self, url: str) -> str | None:
        """Store a base64 data URL's image (if new) and return its reference; None when
        ``url`` is not one. Decoded in pieces, so a 20 MB URL never sits in memory twice."""
        head, sep, _ = url[:256].partition(",")
        start = len(head) + 1
        if not (url.startswith("data:") and sep and head.endswith(";base64")):
            return None
        if url.find("=", start, len(url) - 2) != -1 or (len(url) - start) % 4:
            return None  # not canonical base64: not ours to repair; it is sent as it came
        digest = hashlib.sha256()
        try:
            for piece in _decoded(url, start):
                digest.update(piece)
        except (binascii.Error, ValueError):
            return None
        name = f"{digest.hexdigest()}.{_EXT.get(head[5:].split(';')[0], 'bin')}"
        target = self.root / name
        if not target.exists():  # decoded again to write: cheaper than writing every copy
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{name}.{os.getpid()}.tmp")
            with tmp.open("wb") as f:
                for piece in _decoded(url, start):
                    f.write(piece)
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
        with self._open(ref) as f:
            return f.read()

    def _open(self, ref: str) -> BinaryIO:
        try:
            return self.path_of(ref).open("rb")
        except FileNotFoundError:
            raise MissingImageError(
                f"An image of this job is missing from {self.root}; it cannot be sent again."
            ) from None

    def externalize(self, request: dict[str, Any]) -> dict[str, Any]:
        """A copy of ``request`` whose base64 data-URL images are stored and referenced."""
        return self.externalize_many([request])[0]

    def externalize_many(self, requests: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """``externalize`` for a batch: an image the jobs share is decoded and hashed once."""
        refs: dict[str, str] = {}
        out = copy.deepcopy(list(requests))
        for image in (part for request in out for part in _image_parts(request)):
            url = str(image.get("url", ""))
            if url not in refs:
                refs[url] = self.store_data_url(url) or url  # https links stay as they are
            image["url"] = refs[url]
        return out

    def expand(self, request: dict[str, Any]) -> dict[str, Any]:
        """A copy of ``request`` with every reference turned back into a data URL."""
        out = copy.deepcopy(request)
        for image in _image_parts(out):
            url = str(image.get("url", ""))
            if is_ref(url):
                with self._open(url) as f:
                    image["url"] = data_url(self.mime_of(url), f)
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
