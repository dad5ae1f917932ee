"""The cards' images: posters and hover strips, in memory (LRU) over the FrameLoader.

``poster``/``strip`` answer at once from memory, or queue a decode and answer
None (the delegate paints a placeholder); when the image arrives, poster_ready or
strip_ready names the job, so the model repaints that one card. The view calls
``keep`` with the cards in view (plus a little lookahead) whenever that set
changes: queued decodes of cards scrolled away are dropped.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, QSize, Signal
from PySide6.QtGui import QImage

from videostudio.ui.media.thumbnails import (
    POSTER_SIZE,
    STRIP_FRAMES,
    STRIP_TILE,
    FrameLoader,
    FrameRequest,
)

POSTERS_KEPT = 500
SCOPE = "card:"  # this module's keys in a loader the player may share
STRIPS_KEPT = 12


class _Lru(OrderedDict[int, QImage]):
    def __init__(self, capacity: int) -> None:
        super().__init__()
        self.capacity = capacity

    def hit(self, key: int) -> QImage | None:
        image = self.get(key)
        if image is not None:
            self.move_to_end(key)
        return image

    def put(self, key: int, image: QImage) -> None:
        self[key] = image
        self.move_to_end(key)
        while len(self) > self.capacity:
            self.popitem(last=False)


class CardThumbnails(QObject):
    """Posters and scrub strips of cards, by local id.

    Signals: poster_ready(int local_id), strip_ready(int local_id).
    """

    poster_ready = Signal(int)
    strip_ready = Signal(int)

    def __init__(
        self,
        loader: FrameLoader,
        *,
        posters_kept: int = POSTERS_KEPT,
        strips_kept: int = STRIPS_KEPT,
        poster_size: QSize = POSTER_SIZE,
        strip_frames: int = STRIP_FRAMES,
        strip_tile: QSize = STRIP_TILE,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.loader = loader
        self.poster_size = poster_size
        self.strip_frames = strip_frames
        self.strip_tile = strip_tile
        self._posters = _Lru(posters_kept)
        self._strips = _Lru(strips_kept)
        self._paths: dict[int, str] = {}
        self._unreadable: set[str] = set()  # keys that failed: asked again only after forget()
        loader.ready.connect(self._on_loader_ready)
        loader.failed.connect(self._on_loader_failed)

    # -- asking ------------------------------------------------------------------------------

    def poster(self, local_id: int, path: str) -> QImage | None:
        """The cached poster, or None after queueing its decode."""
        image = self._posters.hit(local_id)
        if image is not None and self._paths.get(local_id) == path:
            return image
        self._ask(
            f"{SCOPE}p{local_id}",
            local_id,
            path,
            FrameRequest(Path(path), "first", self.poster_size),
        )
        return None

    def strip(self, local_id: int, path: str) -> QImage | None:
        """The cached hover strip, or None after queueing it ahead of the posters."""
        image = self._strips.hit(local_id)
        if image is not None and self._paths.get(local_id) == path:
            return image
        request = FrameRequest(Path(path), "strip", self.strip_tile, self.strip_frames)
        self._ask(f"{SCOPE}s{local_id}", local_id, path, request, first=True)
        return None

    def unreadable(self, local_id: int) -> bool:
        """True when the clip's poster could not be decoded (the card says so)."""
        return f"{SCOPE}p{local_id}" in self._unreadable

    def keep(self, local_ids: set[int]) -> None:
        """The cards wanted now: queued decodes of any other card are dropped."""
        self.loader.keep({f"{SCOPE}{kind}{i}" for i in local_ids for kind in "ps"}, SCOPE)

    def forget(self, local_id: int) -> None:
        """The job's file changed (saved again): decode afresh next time."""
        self._posters.pop(local_id, None)
        self._strips.pop(local_id, None)
        self._paths.pop(local_id, None)
        self._unreadable.difference_update({f"{SCOPE}p{local_id}", f"{SCOPE}s{local_id}"})

    def clear(self) -> None:
        self._posters.clear()
        self._strips.clear()
        self._paths.clear()
        self._unreadable.clear()

    def _ask(
        self, key: str, local_id: int, path: str, request: FrameRequest, first: bool = False
    ) -> None:
        if key in self._unreadable:
            return
        if self._paths.get(local_id) != path:
            self._posters.pop(local_id, None)
            self._strips.pop(local_id, None)
            self._paths[local_id] = path
        self.loader.request(key, request, first=first)

    # -- answers -----------------------------------------------------------------------------

    def _on_loader_ready(self, key: str, image: QImage) -> None:
        if not key.startswith(SCOPE):
            return
        kind, local_id = key[len(SCOPE)], int(key[len(SCOPE) + 1 :])
        if kind == "p":
            self._posters.put(local_id, image)
            self.poster_ready.emit(local_id)
        else:
            self._strips.put(local_id, image)
            self.strip_ready.emit(local_id)

    def _on_loader_failed(self, key: str, reason: str) -> None:
        if reason and key.startswith(SCOPE):  # "" is a dropped request: ask again later
            self._unreadable.add(key)
            if key[len(SCOPE)] == "p":
                self.poster_ready.emit(int(key[len(SCOPE) + 1 :]))  # repaint: "no preview"
