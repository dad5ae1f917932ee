"""One transport for the player and the compare grid: the same speeds, timecode, frame
numbers, frame file names, scrub bar and media icons, so both read and behave alike."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QMouseEvent, QPainter, QPaintEvent, QPalette, QPixmap
from PySide6.QtWidgets import QSizePolicy, QStyle, QToolTip, QWidget

DEFAULT_FPS = 24.0
SPEEDS = (0.25, 0.5, 1.0, 1.5, 2.0)  # the speed box, in both
LADDER = (1.0, 1.5, 2.0)  # L, L, L forwards (and J, J, J backwards in the player)


def speed_text(speed: float) -> str:
    return f"{speed:g}×"


def time_text(ms: int, duration: int, frame_ms: float) -> str:
    """The transport's clock: the shown frame's time, the length and the frame number."""
    frame = frame_index(ms, frame_ms)
    start = round(frame * frame_ms)  # the time of the frame shown
    return f"{timecode(start)} / {timecode(duration)}  frame {frame:<4d}"


NO_TIME = "-:--.-- / -:--.--  frame -   "


def frame_index(ms: float, frame_ms: float) -> int:
    """The frame shown at ``ms``; positions are frame starts truncated to whole ms, or centres."""
    return max(0, int((ms + 1) // frame_ms))


def timecode(ms: int) -> str:
    """m:ss.cc (minutes, seconds and hundredths), as a clip's length reads."""
    hundredths = round(max(ms, 0) / 10)
    seconds = hundredths // 100
    return f"{seconds // 60}:{seconds % 60:02d}.{hundredths % 100:02d}"


def frame_file_name(clip: Path, ms: int, fps: float) -> str:
    """The suggested name for a saved frame: <clip>_<mm>m<ss>s<ff>f.png."""
    seconds = max(ms, 0) // 1000
    frames = int((max(ms, 0) % 1000) * fps / 1000)
    return f"{clip.stem}_{seconds // 60:02d}m{seconds % 60:02d}s{frames:02d}f.png"


def tinted_icon(widget: QWidget, pixmap: QStyle.StandardPixmap, size: int = 16) -> QIcon:
    """A style icon redrawn in the widget's button-text colour: the style's own media
    icons are dark glyphs that vanish on a dark palette."""
    source = widget.style().standardIcon(pixmap).pixmap(size, size)
    out = QPixmap(source.size())
    out.setDevicePixelRatio(source.devicePixelRatio())
    out.fill(Qt.GlobalColor.transparent)
    painter = QPainter(out)
    painter.drawPixmap(0, 0, source)
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceIn)
    painter.fillRect(out.rect(), widget.palette().color(QPalette.ColorRole.ButtonText))
    painter.end()
    return QIcon(out)


class ScrubBar(QWidget):
    """The grid's position bar: a press jumps to exactly that frame, dragging seeks live,
    hovering shows the timecode. Ticks mark where shorter clips end. Colours come from
    the palette only.

    Signals: scrub_started(), seek_requested(int ms), scrub_finished().
    """

    scrub_started = Signal()
    seek_requested = Signal(int)
    scrub_finished = Signal()

    MARGIN = 6

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._duration = 0
        self._position = 0
        self._frame_ms = 1000.0 / DEFAULT_FPS
        self._marks: list[int] = []
        self._dragging = False
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Position")
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def sizeHint(self) -> QSize:
        return QSize(200, 22)

    def set_duration(self, ms: int, frame_ms: float) -> None:
        self._duration, self._frame_ms = max(ms, 0), frame_ms
        self.update()

    def set_position(self, ms: int) -> None:
        if ms != self._position:
            self._position = ms
            self.update()

    def set_marks(self, marks: Sequence[int]) -> None:
        self._marks = list(marks)
        self.update()

    def is_dragging(self) -> bool:
        return self._dragging

    def _span(self) -> tuple[float, float]:
        return float(self.MARGIN), float(max(self.width() - 2 * self.MARGIN, 1))

    def x_of(self, ms: float) -> float:
        left, width = self._span()
        return left + width * (ms / self._duration if self._duration else 0.0)

    def ms_at(self, x: float) -> int:
        """The middle of the frame under ``x`` (so the player shows that very frame)."""
        if not self._duration:
            return 0
        left, width = self._span()
        t = min(max((x - left) / width, 0.0), 1.0) * self._duration
        count = max(1, math.ceil(self._duration / self._frame_ms - 1e-6))
        n = min(int(t // self._frame_ms), count - 1)
        return round((n + 0.5) * self._frame_ms)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or not self._duration:
            super().mousePressEvent(event)
            return
        self._dragging = True
        self.scrub_started.emit()
        self._seek_to(event.position().x(), force=True)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        x = event.position().x()
        if self._dragging:
            self._seek_to(x)
        if self._duration:
            ms = self.ms_at(x)
            text = f"{timecode(ms)}  (frame {frame_index(ms, self._frame_ms)})"
            QToolTip.showText(event.globalPosition().toPoint(), text, self)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._dragging and event.button() == Qt.MouseButton.LeftButton:
            self._seek_to(event.position().x())
            self._dragging = False
            self.scrub_finished.emit()
        else:
            super().mouseReleaseEvent(event)

    def _seek_to(self, x: float, force: bool = False) -> None:
        ms = self.ms_at(x)
        if ms == self._position and not force:
            return  # the same frame: no second seek
        self.set_position(ms)
        self.seek_requested.emit(ms)

    def paintEvent(self, _event: QPaintEvent) -> None:
        pal = self.palette()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        left, width = self._span()
        mid = self.height() / 2
        groove = QRectF(left, mid - 3, width, 6)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(pal.color(QPalette.ColorRole.Mid))
        p.drawRoundedRect(groove, 3, 3)
        enabled = self.isEnabled() and self._duration > 0
        if enabled:
            played = QRectF(groove.left(), groove.top(), self.x_of(self._position) - left, 6)
            p.setBrush(pal.color(QPalette.ColorRole.Highlight))
            p.drawRoundedRect(played, 3, 3)
        tick = QColor(pal.color(QPalette.ColorRole.Text))
        tick.setAlphaF(0.6)
        p.setPen(tick)
        for ms in self._marks:
            x = self.x_of(ms)
            p.drawLine(QPointF(x, mid - 7), QPointF(x, mid + 7))
        if enabled:
            x = self.x_of(self._position)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(pal.color(QPalette.ColorRole.Text))
            p.drawRoundedRect(QRectF(x - 2, mid - 8, 4, 16), 2, 2)
        p.end()
