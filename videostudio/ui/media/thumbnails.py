"""Frames of saved clips, decoded off the GUI thread with PyAV: posters, last frames, strips.

Three pure functions do the decoding (``first_frame``, ``last_frame``,
``frame_strip``); they return QImage (thread-safe, unlike QPixmap) and may run on
any thread: PyAV releases the GIL while FFmpeg decodes. ``FrameLoader`` runs
them on its own QThreadPool with a disk cache keyed by the clip's path, mtime
and size, keeps at most a few decodes in flight, and drops queued requests the
caller no longer wants (``keep``), so scrolling past a thousand clips never
queues a thousand decodes. The library, the player and a compare view share it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QRunnable, QSize, QThreadPool, Signal
from PySide6.QtGui import QImage, QPainter

if TYPE_CHECKING:  # PyAV (~90 ms to import) loads on first use, off the GUI thread
    import av

log = logging.getLogger("videostudio.ui.media.thumbnails")

POSTER_SIZE = QSize(320, 180)
STRIP_TILE = QSize(256, 144)
STRIP_FRAMES = 16
# Seek this far before the end to find the last frame (then decode forward).
_TAIL_S = 2.0


class FrameError(Exception):
    """A clip that cannot be opened or has no decodable video frame."""


class Cancelled(Exception):  # noqa: N818 (a control-flow signal, not an error)
    """The caller stopped wanting this frame while it was being decoded."""


def _fit(width: int, height: int, box: QSize) -> tuple[int, int]:
    """(width, height) scaled down to fit ``box`` keeping the shape; even sizes, never up."""
    scale = min(1.0, box.width() / max(width, 1), box.height() / max(height, 1))
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def _to_image(frame: av.VideoFrame, box: QSize) -> QImage:
    """One decoded frame as an RGB32 QImage that fits ``box`` (scaled by FFmpeg, in C)."""
    width, height = _fit(frame.width, frame.height, box)
    rgb = frame.reformat(width=width, height=height, format="bgra")
    plane = rgb.planes[0]
    image = QImage(bytes(plane), width, height, plane.line_size, QImage.Format.Format_RGB32)
    return image.copy()  # own the pixels: the buffer above goes away with the frame


def _open_video(path: Path) -> tuple[av.container.InputContainer, av.VideoStream]:
    import av

    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError) as exc:
        raise FrameError(f"{path.name} cannot be opened: {exc}") from None
    if not container.streams.video:
        container.close()
        raise FrameError(f"{path.name} has no video.")
    stream = container.streams.video[0]
    return container, stream


def first_frame(path: Path, box: QSize = POSTER_SIZE) -> QImage:
    """The clip's first frame, fit into ``box``. Raises FrameError."""
    import av

    container, stream = _open_video(path)
    with container:
        try:
            for frame in container.decode(stream):
                return _to_image(frame, box)
        except av.FFmpegError as exc:
            raise FrameError(f"{path.name} cannot be decoded: {exc}") from None
    raise FrameError(f"{path.name} has no decodable frame.")


def last_frame(path: Path, box: QSize | None = None) -> QImage:
    """The clip's last frame (full size unless ``box``): what "continue from here" sends.

    Seeks a little before the end, then decodes forward to the last frame.
    """
    import av

    container, stream = _open_video(path)
    box = box or QSize(max(stream.width, 2), max(stream.height, 2))
    with container:
        last: av.VideoFrame | None = None
        try:
            if stream.duration and stream.time_base:
                tail = int(_TAIL_S / stream.time_base)
                target = (stream.start_time or 0) + max(stream.duration - tail, 0)
                container.seek(target, stream=stream, backward=True)
            for frame in container.decode(stream):
                last = frame
        except av.FFmpegError as exc:
            if last is None:
                raise FrameError(f"{path.name} cannot be decoded: {exc}") from None
        if last is None:
            raise FrameError(f"{path.name} has no decodable frame.")
        return _to_image(last, box)


def frame_before(path: Path, seconds: float) -> QImage:
    """The last frame shown before ``seconds`` (full size): a trimmed shot's last frame."""
    import av

    container, stream = _open_video(path)
    box = QSize(max(stream.width, 2), max(stream.height, 2))
    with container:
        last: av.VideoFrame | None = None
        try:
            if stream.time_base:
                target = (stream.start_time or 0) + int(
                    max(0.0, seconds - _TAIL_S) / stream.time_base
                )
                container.seek(target, stream=stream, backward=True)
            for frame in container.decode(stream):
                if frame.time is not None and frame.time >= seconds - 1e-6 and last is not None:
                    break
                last = frame
        except av.FFmpegError as exc:
            if last is None:
                raise FrameError(f"{path.name} cannot be decoded: {exc}") from None
        if last is None:
            raise FrameError(f"{path.name} has no decodable frame.")
        return _to_image(last, box)


def frame_strip(
    path: Path,
    count: int = STRIP_FRAMES,
    tile: QSize = STRIP_TILE,
    cancelled: Callable[[], bool] = lambda: False,
) -> QImage:
    """``count`` frames spread evenly over the clip, side by side in one image.

    Tile i shows the first frame at or after (i + 0.5) / count of the duration, so
    a pointer at x% of a thumbnail shows the frame at about x% of the clip.
    One forward pass (generated clips are short); ``cancelled`` is checked per frame.
    """
    import av

    container, stream = _open_video(path)
    with container:
        duration = (
            float(stream.duration * stream.time_base)
            if stream.duration and stream.time_base
            else (container.duration or 0) / 1_000_000
        )
        targets = [(i + 0.5) / count * duration for i in range(count)]
        frames: list[QImage] = []
        previous: av.VideoFrame | None = None
        stream.thread_type = "AUTO"  # a whole pass: frame threads pay off
        try:
            for frame in container.decode(stream):
                if cancelled():
                    raise Cancelled
                when = frame.time or 0.0
                while len(frames) < count and when >= targets[len(frames)]:
                    frames.append(_to_image(frame, tile))
                if len(frames) == count:
                    break
                previous = frame
        except av.FFmpegError as exc:
            if previous is None:
                raise FrameError(f"{path.name} cannot be decoded: {exc}") from None
        if previous is None and not frames:
            raise FrameError(f"{path.name} has no decodable frame.")
        if len(frames) < count and previous is not None:
            # The stream said it was longer than its frames: the last frame fills the rest.
            frames += [_to_image(previous, tile)] * (count - len(frames))
    width, height = frames[0].width(), frames[0].height()
    strip = QImage(width * count, height, QImage.Format.Format_RGB32)
    painter = QPainter(strip)
    for i, image in enumerate(frames):
        painter.drawImage(i * width, 0, image)
    painter.end()
    return strip


@dataclass(frozen=True)
class FrameRequest:
    """What to decode: ``kind`` is "first", "last" or "strip" (``count`` tiles of ``size``)."""

    path: Path
    kind: str = "first"
    size: QSize = POSTER_SIZE
    count: int = STRIP_FRAMES

    def cache_name(self) -> str | None:
        """The disk cache file name: path + mtime + size of the clip, and the request's shape.

        None when the clip is gone.
        """
        try:
            stat = os.stat(self.path)
        except OSError:
            return None
        raw = (
            f"{self.path.resolve()}|{stat.st_mtime_ns}|{stat.st_size}|{self.kind}|"
            f"{self.size.width()}x{self.size.height()}|{self.count}"
        )
        return hashlib.sha256(raw.encode()).hexdigest()[:32] + ".jpg"


def decode(request: FrameRequest, cancelled: Callable[[], bool] = lambda: False) -> QImage:
    """Run the decoder a request names (any thread). Raises FrameError or Cancelled."""
    if request.kind == "first":
        return first_frame(request.path, request.size)
    if request.kind == "last":
        return last_frame(request.path, request.size)
    if request.kind == "strip":
        return frame_strip(request.path, request.count, request.size, cancelled)
    raise ValueError(f"unknown frame kind {request.kind!r}")


class _Signals(QObject):
    """Carries a worker's result to the GUI thread (queued: it lives there)."""

    done = Signal(str, QImage)
    failed = Signal(str, str)


class _Job(QRunnable):
    def __init__(
        self,
        key: str,
        request: FrameRequest,
        cache_dir: Path | None,
        signals: _Signals,
        cancel: threading.Event,
    ) -> None:
        super().__init__()
        self.key, self.request, self.cache_dir = key, request, cache_dir
        self.signals, self.cancel = signals, cancel

    def run(self) -> None:
        try:
            image = self._cached_or_decoded()
        except Cancelled:
            self._send(self.signals.failed, self.key, "")
            return
        except FrameError as exc:
            self._send(self.signals.failed, self.key, str(exc))
            return
        except Exception as exc:  # a broken file must not kill the pool thread
            log.exception("decoding %s failed", self.request.path)
            self._send(self.signals.failed, self.key, f"{type(exc).__name__}: {exc}")
            return
        self._send(self.signals.done, self.key, image)

    @staticmethod
    def _send(signal: Any, *args: object) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the loader was deleted without stop(): nobody is listening
            log.debug("frame result dropped: its loader is gone")

    def _cached_or_decoded(self) -> QImage:
        name = self.request.cache_name()
        if name is None:
            raise FrameError(f"{self.request.path} is missing.")
        cached = self.cache_dir / name[:2] / name if self.cache_dir else None
        if cached is not None and cached.exists():
            image = QImage(str(cached))
            if not image.isNull():
                return image.convertToFormat(QImage.Format.Format_RGB32)
        if self.cancel.is_set():
            raise Cancelled
        image = decode(self.request, self.cancel.is_set)
        if cached is not None:
            try:
                cached.parent.mkdir(parents=True, exist_ok=True)
                part = cached.with_suffix(f".{threading.get_ident()}.part")
                if image.save(str(part), "JPEG", 85):  # type: ignore[call-overload]
                    os.replace(part, cached)
            except OSError as exc:  # a full disk only costs the cache
                log.warning("cannot cache a frame of %s: %s", self.request.path, exc)
        return image


class FrameLoader(QObject):
    """Decodes frames on a private thread pool; results come back on the GUI thread.

    ``request(key, FrameRequest)`` queues one (a key already running is not queued
    again); ``keep(keys, scope)`` drops every queued request of that scope (key prefix)
    whose key is not in ``keys`` and asks running strip decodes to stop; ``stop()``
    drops everything and waits for the running ones (closing). ``started`` lists the
    keys whose work began, in order (tests, benchmarks).

    Signals: ready(str key, QImage image), failed(str key, str reason) ("" when dropped).
    """

    ready = Signal(str, QImage)
    failed = Signal(str, str)

    def __init__(
        self, cache_dir: Path | None, parallel: int = 2, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.cache_dir = cache_dir
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max(1, parallel))
        self._parallel = max(1, parallel)
        self._queued: OrderedDict[str, FrameRequest] = OrderedDict()
        self._running: dict[str, threading.Event] = {}
        self._signals = _Signals(self)
        self._signals.done.connect(self._on_signals_done)
        self._signals.failed.connect(self._on_signals_failed)
        self.started: list[str] = []  # keys in the order their work began

    def request(self, key: str, request: FrameRequest, *, first: bool = False) -> None:
        """Queue a decode (``first``: ahead of the others, e.g. the card under the pointer)."""
        if key in self._running:
            return
        self._queued[key] = request
        if first:
            self._queued.move_to_end(key, last=False)
        self._pump()

    def keep(self, keys: Iterable[str], scope: str = "") -> None:
        """Forget queued requests not in ``keys``, cancel running strips not in it; only
        among keys that start with ``scope`` (each user of a shared loader has its own)."""
        wanted = set(keys)
        for key in [k for k in self._queued if k.startswith(scope) and k not in wanted]:
            del self._queued[key]
        for key, cancel in self._running.items():
            if key.startswith(scope) and key not in wanted:
                cancel.set()

    def pending(self) -> list[str]:
        """Keys queued and not started yet."""
        return list(self._queued)

    def busy(self) -> bool:
        return bool(self._queued or self._running)

    def stop(self) -> None:
        """Drop the queue, stop what can stop, wait for the rest (the window is closing)."""
        self._queued.clear()
        for cancel in self._running.values():
            cancel.set()
        self._pool.waitForDone()
        self._running.clear()

    def _pump(self) -> None:
        while self._queued and len(self._running) < self._parallel:
            key, request = self._queued.popitem(last=False)
            cancel = threading.Event()
            self._running[key] = cancel
            self.started.append(key)
            self._pool.start(_Job(key, request, self.cache_dir, self._signals, cancel))

    def _on_signals_done(self, key: str, image: QImage) -> None:
        self._running.pop(key, None)
        self.ready.emit(key, image)
        self._pump()

    def _on_signals_failed(self, key: str, reason: str) -> None:
        self._running.pop(key, None)
        self.failed.emit(key, reason)
        self._pump()
