"""Decode a video with the real QMediaPlayer: frames, their size, the duration."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QUrl
from PySide6.QtGui import QImage
from PySide6.QtMultimedia import QMediaPlayer, QVideoFrame, QVideoSink
from pytestqt.qtbot import QtBot


@dataclass
class Decoded:
    sizes: list[tuple[int, int]] = field(default_factory=list)
    duration_ms: int = 0
    first: QImage | None = None
    error: str = ""


def decode(qtbot: QtBot, path: Path, rate: float = 4.0, timeout_ms: int = 30_000) -> Decoded:
    """Play ``path`` to the end (at ``rate`` x speed) and collect every decoded frame's size."""
    result = Decoded()
    player = QMediaPlayer()
    sink = QVideoSink()
    player.setVideoSink(sink)

    def on_frame(frame: QVideoFrame) -> None:
        if frame.isValid():
            if result.first is None:
                result.first = frame.toImage()
            result.sizes.append((frame.width(), frame.height()))

    def on_error(_error: QMediaPlayer.Error, text: str) -> None:
        result.error = text

    sink.videoFrameChanged.connect(on_frame)
    player.errorOccurred.connect(on_error)
    player.setSource(QUrl.fromLocalFile(str(path)))
    player.setPlaybackRate(rate)
    player.play()
    qtbot.waitUntil(
        lambda: (
            bool(result.error)
            or player.mediaStatus()
            in (QMediaPlayer.MediaStatus.EndOfMedia, QMediaPlayer.MediaStatus.InvalidMedia)
        ),
        timeout=timeout_ms,
    )
    result.duration_ms = player.duration()
    # Tear the player down now, not whenever Python collects it: a QMediaPlayer destroyed
    # later, while its decoder threads still deliver, can crash another test.
    sink.videoFrameChanged.disconnect(on_frame)
    player.stop()
    player.setSource(QUrl())
    player.deleteLater()
    sink.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return result
