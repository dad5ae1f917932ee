"""Thumbnails of finished clips: the first decoded frame, cached as a small PNG.

One QMediaPlayer decodes one clip at a time (muted, offscreen through a
QVideoSink); a clip is decoded once, later starts read the cached PNG.
"""

from __future__ import annotations

import hashlib
from collections import deque
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QImage
from PySide6.QtMultimedia import QMediaPlayer, QVideoFrame, QVideoSink

THUMB_HEIGHT = 72


class ThumbnailMaker(QObject):
    """Signals: ready(int local_id, QImage thumbnail)."""

    ready = Signal(int, QImage)

    def __init__(self, cache_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cache_dir = cache_dir
        self._queue: deque[tuple[int, Path]] = deque()
        self._current: tuple[int, Path] | None = None
        self._player = QMediaPlayer(self)
        self._sink = QVideoSink(self)
        self._player.setVideoSink(self._sink)
        self._sink.videoFrameChanged.connect(self._on_sink_video_frame_changed)
        self._player.errorOccurred.connect(self._on_player_error_occurred)

    def cache_path(self, clip: Path) -> Path:
        digest = hashlib.sha256(str(clip.resolve()).encode()).hexdigest()[:24]
        return self.cache_dir / f"{digest}.png"

    def request(self, local_id: int, clip: Path) -> None:
        cached = self.cache_path(clip)
        if cached.exists():
            image = QImage(str(cached))
            if not image.isNull():
                self.ready.emit(local_id, image)
                return
        self._queue.append((local_id, clip))
        if self._current is None:
            self._next()

    def stop(self) -> None:
        """Drop the queue and stop decoding (the window is closing)."""
        self._queue.clear()
        self._current = None
        self._player.stop()
        self._player.setSource(QUrl())

    def _next(self) -> None:
        self._current = self._queue.popleft() if self._queue else None
        if self._current is None:
            self._player.setSource(QUrl())
            return
        self._player.setSource(QUrl.fromLocalFile(str(self._current[1])))
        self._player.play()

    def _on_sink_video_frame_changed(self, frame: QVideoFrame) -> None:
        if self._current is None or not frame.isValid():
            return
        local_id, clip = self._current
        image = frame.toImage().scaledToHeight(
            THUMB_HEIGHT, Qt.TransformationMode.SmoothTransformation
        )
        self._player.stop()
        if not image.isNull():
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            image.save(str(self.cache_path(clip)), "PNG")  # type: ignore[call-overload]
            self.ready.emit(local_id, image)
        self._next()

    def _on_player_error_occurred(self, _error: QMediaPlayer.Error, _text: str) -> None:
        self._next()  # no thumbnail for a clip that does not decode; the row says it
