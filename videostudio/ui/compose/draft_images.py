"""The draft's images: dropped files, pasted pictures and image addresses, made ready to send.

Each is checked, decoded and scaled off the UI thread (addresses fetched by
the services, bounded, without any key); the window gets a tile per image and
one line per refusal or note of the last drop.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, Signal
from PySide6.QtGui import QImage

from videostudio.core.failures import sentences
from videostudio.core.images import ImageRejectedError
from videostudio.core.models import ImagePart, VideoModel
from videostudio.services.images import read_image_file
from videostudio.services.remote_image import RemoteImageError, fetch_image, image_name
from videostudio.ui.compose.imaging import PreparedImage, prepare_image, prepare_remote
from videostudio.ui.tasks import TaskGroup, owned_slot

ROLES = ("reference", "first_frame", "last_frame")
ImageFetcher = Callable[[str], Awaitable[bytes]]
Loader = Callable[[], Awaitable[PreparedImage]]


@dataclass
class DraftImage:
    image: PreparedImage
    role: str = "reference"


def _read_image_file(path: str) -> PreparedImage:
    """The same reading and checks as the command line: regular files only, bounded."""
    return prepare_image(read_image_file(path), Path(path).name)


def _qimage_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs say bytes; Qt wants str
    return bytes(data.data())


class DraftImages(QObject):
    """Signals: added(id, thumbnail, name, note), removed(id), roles(id, allowed, current),
    messages([(text, kind)]) with kind "error" (a refusal), "info" (a note) or "busy"."""

    added = Signal(int, QImage, str, str)
    removed = Signal(int)
    roles = Signal(int, list, str)
    messages = Signal(list)

    def __init__(
        self, tasks: TaskGroup, fetch: ImageFetcher = fetch_image, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self._fetch = fetch
        self._images: dict[int, DraftImage] = {}
        self._ids = itertools.count(1)
        self._model: VideoModel | None = None
        self._notes: list[tuple[str, str]] = []
        self._batches = 0

    # -- what the request gets --------------------------------------------------------------

    def parts(self) -> tuple[ImagePart, ...]:
        return tuple(ImagePart(d.image.url, d.role) for d in self._images.values())

    def count(self) -> int:
        return len(self._images)

    def set_model(self, model: VideoModel | None) -> None:
        """Offer only the roles the model takes; an image in another role becomes a reference."""
        self._model = model
        allowed = self.allowed_roles()
        for image_id, draft in self._images.items():
            if draft.role not in allowed:
                draft.role = "reference"
            self.roles.emit(image_id, allowed, draft.role)

    def allowed_roles(self) -> list[str]:
        frames = (self._model.supported_frame_images or ()) if self._model else ()
        return ["reference", *[r for r in ROLES[1:] if r in frames]]

    def remove(self, image_id: int) -> None:
        if self._images.pop(image_id, None) is not None:
            self.removed.emit(image_id)

    def set_role(self, image_id: int, role: str) -> None:
        if image_id in self._images:
            self._images[image_id].role = role

    def apply_roles(self, roles: list[str]) -> None:
        """Give the images these roles in order (a preset's); one the model does not take,
        or an image beyond the list, keeps its own."""
        allowed = self.allowed_roles()
        for (image_id, draft), role in zip(self._images.items(), roles, strict=False):
            if role in allowed:
                draft.role = role
                self.roles.emit(image_id, allowed, role)

    # -- what arrives -----------------------------------------------------------------------

    @owned_slot(list)
    async def add_files(self, paths: list[str]) -> None:
        await self._add_batch([(Path(p).name, functools.partial(self._read, p)) for p in paths])

    @owned_slot(list)
    async def add_urls(self, urls: list[str]) -> None:
        await self._add_batch([(image_name(u), functools.partial(self._remote, u)) for u in urls])

    @owned_slot(QImage)
    async def add_qimage(self, image: QImage) -> None:
        copy = image.copy()  # the clipboard's image may change under us
        name = "pasted image"
        await self._add_batch(
            [(name, lambda: asyncio.to_thread(lambda: prepare_image(_qimage_bytes(copy), name)))]
        )

    @owned_slot(QImage, str)
    async def add_frame(self, image: QImage, role: str) -> None:
        """A frame of a clip (the player's, or a clip's last) as the draft's first/last frame."""
        copy = image.copy()
        name = "first frame" if role == "first_frame" else "last frame"
        await self._add_batch(
            [(name, lambda: asyncio.to_thread(lambda: prepare_image(_qimage_bytes(copy), name)))],
            role=role,
        )

    async def add_data(self, items: list[tuple[bytes, str, str]]) -> None:
        """Images of a job's settings ((bytes, name, role) each), in their roles."""
        for data, name, role in items:
            load = functools.partial(asyncio.to_thread, prepare_image, data, name)
            await self._add_batch([(name, load)], role=role)

    def clear(self) -> None:
        for image_id in list(self._images):
            self.remove(image_id)

    def kept(self) -> list[tuple[str, str]]:
        """(data URL, role) of each image, for keeping the draft across a restart."""
        return [(d.image.url, d.role) for d in self._images.values()]

    @staticmethod
    async def _read(path: str) -> PreparedImage:
        return await asyncio.to_thread(_read_image_file, path)

    async def _remote(self, url: str) -> PreparedImage:
        data = await self._fetch(url)  # on the loop: httpx, bounded in size and time
        return await asyncio.to_thread(prepare_remote, data, url, image_name(url))

    async def _add_batch(self, items: list[tuple[str, Loader]], role: str | None = None) -> None:
        """Add images one by one; every refusal and note of a drop stays listed."""
        if self._batches == 0:
            self._notes = []
        self._batches += 1
        try:
            for name, load in items:
                self.messages.emit([*self._notes, (f"Preparing {name}…", "busy")])
                note = await self._add(name, load, role)
                if note is not None:
                    self._notes.append(note)
        finally:
            self._batches -= 1
            self.messages.emit(list(self._notes))

    async def _add(self, name: str, load: Loader, role: str | None) -> tuple[str, str] | None:
        try:
            image = await load()
        except (ImageRejectedError, RemoteImageError) as exc:
            return str(exc), "error"
        except OSError as exc:
            return sentences(f"Cannot read {name}: {exc.strerror or exc}"), "error"
        image_id = next(self._ids)
        draft = DraftImage(image)
        allowed = self.allowed_roles()
        used = {d.role for d in self._images.values()}
        if role is not None and role in allowed:
            for other_id, other in self._images.items():  # one first (or last) frame only
                if other.role == role and role != "reference":
                    other.role = "reference"
                    self.roles.emit(other_id, allowed, other.role)
            draft.role = role
        elif "first_frame" in allowed and "first_frame" not in used:
            draft.role = "first_frame"  # the most common wish: start the clip from it
        self._images[image_id] = draft
        self.added.emit(image_id, image.thumbnail, image.name, image.note)
        self.roles.emit(image_id, allowed, draft.role)
        return (sentences(f"{image.name}: {image.note}"), "info") if image.note else None
