"""The player's timeline: a press seeks exactly there, a drag seeks live, hovering shows
the timecode and frame. Drawn with palette roles only, so it fits light and dark."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QMouseEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget


def timecode(ms: int, frame_ms: float) -> str:
    """``m:ss.f`` and the frame number, e.g. ``0:03.5 · frame 84``."""
    ms = max(ms, 0)
    seconds = ms // 1000
    frame = int(ms / frame_ms) if frame_ms > 0 else 0
    return f"{seconds // 60}:{seconds % 60:02d}.{(ms % 1000) // 100} · frame {frame}"


class ScrubBar(QWidget):
    """Signals: seek_requested(int ms) on press and while dragging."""

    seek_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.duration = 0
        self.position = 0
        self.frame_ms = 1000 / 24
        self.dragging = False
        self.setMouseTracking(True)
        self.setMinimumHeight(22)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Timeline")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys go to the player

    def sizeHint(self) -> QSize:
        return QSize(200, 22)

    def set_duration(self, ms: int) -> None:
        self.duration = max(ms, 0)
        self.update()

    def set_position(self, ms: int) -> None:
        if not self.dragging and ms != self.position:
            self.position = ms
            self.update()

    def _track(self) -> QRect:
        return self.rect().adjusted(6, 8, -6, -8)

    def ms_at(self, x: int) -> int:
        track = self._track()
        if self.duration <= 0 or track.width() <= 0:
            return 0
        fraction = min(max((x - track.left()) / track.width(), 0.0), 1.0)
        return round(fraction * self.duration)

    def x_of(self, ms: int) -> int:
        track = self._track()
        if self.duration <= 0:
            return track.left()
        return track.left() + round(track.width() * min(ms, self.duration) / self.duration)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        pal = self.palette()
        track = self._track()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(pal.color(QPalette.ColorRole.Mid))
        p.drawRoundedRect(track, 3, 3)
        played = QRect(track.topLeft(), QPoint(self.x_of(self.position), track.bottom()))
        enabled = self.isEnabled() and self.duration > 0
        p.setBrush(pal.color(QPalette.ColorRole.Highlight if enabled else QPalette.ColorRole.Dark))
        p.drawRoundedRect(played, 3, 3)
        if enabled:
            x = self.x_of(self.position)
            p.setBrush(pal.color(QPalette.ColorRole.Text))
            p.drawRoundedRect(QRect(x - 2, 2, 4, self.height() - 4), 2, 2)
        p.end()

    def _seek(self, event: QMouseEvent) -> None:
        ms = self.ms_at(int(event.position().x()))
        self.position = ms
        self.update()
        self.seek_requested.emit(ms)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.duration > 0:
            self.dragging = True
            self._seek(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self.duration <= 0:
            return
        if self.dragging:
            self._seek(event)
        at = self.ms_at(int(event.position().x()))
        QToolTip.showText(event.globalPosition().toPoint(), timecode(at, self.frame_ms), self)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self.dragging = False
