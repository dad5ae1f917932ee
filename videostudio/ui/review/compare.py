"""The compare grid: 2 to 4 clips side by side, played in sync under one transport bar.

Several QMediaPlayers drift apart (each keeps its own clock), so one clock rules:
the longest clip's player leads, every command (play, pause, seek, rate) goes to
all tiles, and a 250 ms timer re-seeks any tile more than one frame off the
leader. A shorter clip holds its last frame, greyed, until the grid comes back
into its length; looping restarts all tiles together.

Frames are shown by QVideoWidget: Qt converts YUV to RGB at tile size in a shader
(GPU, or Mesa's llvmpipe). Converting four 1080p streams to QImages in Python
starves the GUI thread (benchmarks/bench_compare.py). Each tile's sink is only
watched for the shown frame's time, and the frame is kept to save it at native size.

Seeks aim at the middle of a frame: a paused player asked for a frame's exact
start time shows the frame before it.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import (
    QEvent,
    QObject,
    QPointF,
    QRectF,
    Qt,
    QThreadPool,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QEnterEvent,
    QFocusEvent,
    QFont,
    QFontDatabase,
    QIcon,
    QImage,
    QKeyEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtMultimedia import QAudioOutput, QMediaMetaData, QMediaPlayer, QVideoFrame
from PySide6.QtMultimediaWidgets import QVideoWidget
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from videostudio.ui.review.transport import (
    DEFAULT_FPS,
    NO_TIME,
    SPEEDS,
    ScrubBar,
    frame_file_name,
    frame_index,
    speed_text,
    time_text,
    tinted_icon,
)
from videostudio.ui.widgets.fit import FittedLabel
from videostudio.ui.widgets.inputs import guard_wheel

log = logging.getLogger(__name__)

MAX_TILES = 4
SYNC_INTERVAL_MS = 250
STILL_CHECKS = 40  # paused: how many sync ticks (10 s) a seek's frames are watched for
DRIFT_FRAMES = 1.5  # a tile two or more frames off the leader is re-seeked
# A re-seek makes the decoder start again from a keyframe; re-seeking a tile again before
# it has shown a frame (or within the cooldown) only sets it further back.
RESYNC_COOLDOWN_S = 1.0
MAX_SEEK_LEAD_MS = 1000.0
_Status = QMediaPlayer.MediaStatus


@dataclass(frozen=True)
class CompareItem:
    """One clip of the grid: the job it came from, its file, and what its caption says."""

    local_id: int
    path: Path
    model: str = ""  # the model's display name
    seed: int | None = None
    cost: str = ""  # as the queue shows it ("$0.40", "≈ $0.40")
    favourite: bool = False
    prompt: str = ""  # shown in the tile's tooltip


def _glyph(widget: QWidget, kind: str, size: int = 16) -> QIcon:
    """A small line icon in the widget's button-text colour ("picture" or "again"): the
    style has no picture glyph, and its save and reload icons tint into blots."""
    ratio = widget.devicePixelRatioF()
    out = QPixmap(int(size * ratio), int(size * ratio))
    out.setDevicePixelRatio(ratio)
    out.fill(Qt.GlobalColor.transparent)
    painter = QPainter(out)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    colour = widget.palette().color(QPalette.ColorRole.ButtonText)
    painter.setPen(QPen(colour, 1.4))
    if kind == "picture":  # a framed landscape: a frame of the clip
        painter.drawRoundedRect(QRectF(1.5, 3.5, 13, 10), 1.5, 1.5)
        hills = QPainterPath(QPointF(3, 12))
        hills.lineTo(6.5, 8)
        hills.lineTo(9, 10.5)
        hills.lineTo(10.5, 9)
        hills.lineTo(13, 12)
        painter.drawPath(hills)
        painter.drawEllipse(QPointF(10.5, 6.3), 1.1, 1.1)
    else:  # "again": a circular arrow, make it again with these settings
        painter.drawArc(QRectF(2.5, 2.5, 11, 11), 60 * 16, 290 * 16)
        head = QPainterPath(QPointF(8.2, 0.8))
        head.lineTo(11.8, 3.4)
        head.lineTo(8.0, 5.6)
        painter.drawPath(head)
    painter.end()
    return QIcon(out)


def _seconds(ms: int) -> str:
    return f"{ms / 1000:.1f} s"


def write_png(image: QImage, dest: Path) -> None:
    """Write ``image`` to ``dest`` whole or not at all (a temporary file, then a rename)."""
    tmp = dest.with_name(f".{dest.name}.part")
    try:
        if not image.save(str(tmp), "PNG"):  # type: ignore[call-overload]
            raise OSError(f"Could not write {tmp}")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


class CompareTile(QFrame):
    """One clip of the grid: its own player and video surface, a caption and three actions.

    Signals: favourite_toggled(bool), save_frame_clicked(), use_settings_clicked(),
    hovered(), loaded() (duration and frame rate known, or the clip failed), ended().
    """

    favourite_toggled = Signal(bool)
    save_frame_clicked = Signal()
    use_settings_clicked = Signal()
    hovered = Signal()
    loaded = Signal()
    ended = Signal()

    def __init__(self, item: CompareItem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.held = False  # past its end while the grid runs on: last frame, greyed
        self.error = ""
        self.clock: Callable[[], float] = time.monotonic  # seconds; the grid's clock
        self._frame = QVideoFrame()  # the newest decoded frame, at native size
        self._greyed: tuple[int, QVideoFrame] | None = None  # (frame start, greyed copy)
        self._pushing = False  # our own setVideoFrame, not a decoded frame
        self._closing = False
        self._loaded = False
        self._fps = DEFAULT_FPS
        self._resync_started: float | None = None  # clock time of the last re-seek
        self._resync_waiting = False  # no frame since that re-seek yet
        self.seek_lead_ms = 0.0  # how long its last re-seek took to show a frame
        self.resyncs = 0  # re-seeks the grid's sync timer made on this tile
        self._setup_ui()

    def _setup_ui(self) -> None:
        self.setObjectName("compareTile")
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setToolTip(self.item.prompt)
        self.player = QMediaPlayer(self)
        self.audio = QAudioOutput(self)
        self.audio.setMuted(True)
        self.player.setAudioOutput(self.audio)
        self.video = QVideoWidget(self)
        self.video.setAspectRatioMode(Qt.AspectRatioMode.KeepAspectRatio)
        self.video.setMinimumSize(160, 90)
        black = self.video.palette()
        black.setColor(QPalette.ColorRole.Window, QColor(Qt.GlobalColor.black))
        self.video.setPalette(black)
        self.video.setAutoFillBackground(True)
        self.player.setVideoOutput(self.video)
        self.sink = self.video.videoSink()

        self.caption = FittedLabel(self)
        self.caption.setObjectName("compareCaption")
        self.speaker = QLabel(self)
        self.speaker.setToolTip("Sound comes from this clip (hover another clip to hear it)")
        self.speaker.setVisible(False)
        self.favourite = self._tool("☆", "Mark as favourite")
        self.favourite.setCheckable(True)
        self.favourite.setChecked(self.item.favourite)
        self._show_favourite(self.item.favourite)
        # Icons, so the caption (model, seed, cost, length) keeps the width: names in the tips.
        self.save_frame = self._tool("Save frame…", "Save the shown frame as a PNG at full size")
        self.use_settings = self._tool("Use settings", "Copy this clip's settings into the draft")
        for button in (self.save_frame, self.use_settings):
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)

        caption_row = QHBoxLayout()
        caption_row.setContentsMargins(4, 0, 4, 0)
        caption_row.setSpacing(4)
        caption_row.addWidget(self.speaker)
        caption_row.addWidget(self.caption, 1)
        caption_row.addWidget(self.favourite)
        caption_row.addWidget(self.save_frame)
        caption_row.addWidget(self.use_settings)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 2)
        layout.setSpacing(2)
        layout.addWidget(self.video, 1)
        layout.addLayout(caption_row)
        self._update_caption()
        self._update_icons()

        self.favourite.toggled.connect(self._on_favourite_toggled)
        self.save_frame.clicked.connect(self.save_frame_clicked)
        self.use_settings.clicked.connect(self.use_settings_clicked)
        self.sink.videoFrameChanged.connect(self._on_sink_video_frame_changed)
        self.player.mediaStatusChanged.connect(self._on_player_media_status_changed)
        self.player.durationChanged.connect(self._update_caption)
        self.player.errorOccurred.connect(self._on_player_error_occurred)
        if self.item.path.is_file():
            self.player.setSource(QUrl.fromLocalFile(str(self.item.path)))
        else:  # said once the grid listens
            QTimer.singleShot(
                0, self, lambda: self._fail("the file is missing (moved or deleted?)")
            )

    def _tool(self, text: str, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        button.setAutoRaise(True)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space stays the grid's play key
        return button

    # -- what the grid asks ------------------------------------------------------------------

    @property
    def local_id(self) -> int:
        return self.item.local_id

    def duration(self) -> int:
        return max(self.player.duration(), 0)

    def fps(self) -> float:
        return self._fps

    def frame_ms(self) -> float:
        return 1000.0 / self.fps()

    def frame_count(self) -> int:
        return max(1, math.ceil(self.duration() / self.frame_ms() - 1e-6))

    def position(self) -> int:
        return self.player.position()

    def shown_ms(self) -> int | None:
        """Start time (ms) of the decoded frame on screen, None before the first one."""
        start = self._frame.startTime() if self._frame.isValid() else -1
        return start // 1000 if start >= 0 else None

    def shown_frame(self) -> int:
        """Index of the frame on screen (from the decoded frame, else the position)."""
        shown = self.shown_ms()
        if shown is not None:
            return round(shown / self.frame_ms())
        return frame_index(self.position(), self.frame_ms())

    def at_end(self) -> bool:
        return self.player.mediaStatus() == _Status.EndOfMedia

    def is_playing(self) -> bool:
        return self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState

    def frame_at(self, ms: float) -> int:
        """The frame that covers ``ms`` (the last one past the end)."""
        return min(max(int(ms // self.frame_ms()), 0), self.frame_count() - 1)

    def show_time(self, ms: float) -> None:
        """Seek to the frame that covers ``ms`` (its last frame past the end)."""
        self.player.setPosition(round((self.frame_at(ms) + 0.5) * self.frame_ms()))

    def play(self) -> None:
        if not self.error:
            self.player.play()

    def resync(self, ms: float, now: float) -> None:
        """Jump to the leader's time ``ms`` while playing, aiming ahead by how long the
        last jump took to show a frame (the leader runs on meanwhile)."""
        self._resync_started, self._resync_waiting = now, True
        self.resyncs += 1
        lead = self.seek_lead_ms * self.player.playbackRate()
        self.show_time(min(ms + lead, max(self.duration() - 1, 0)))
        self.play()

    def resync_settling(self, now: float) -> bool:
        """True while a re-seek has shown no frame yet, or is too recent to judge."""
        started = self._resync_started
        return started is not None and (self._resync_waiting or now - started < RESYNC_COOLDOWN_S)

    def pause(self) -> None:
        # pause() at the end of media would rewind to the start: stay on the last frame.
        if not self.error and not self.at_end():
            self.player.pause()

    def set_rate(self, rate: float) -> None:
        self.player.setPlaybackRate(rate)

    def set_audible(self, audible: bool, muted: bool) -> None:
        self.audio.setMuted(muted or not audible)
        self.speaker.setVisible(audible and not self.error)

    def set_held(self, held: bool) -> None:
        if held == self.held:
            return
        self.held = held
        self._update_caption()
        if not held or self.shown_frame() >= self.frame_count() - 1:
            self._restore_frame()
        # else: a seek to the last frame is on its way; that frame is greyed when it comes

    def set_favourite(self, on: bool) -> None:
        self.favourite.blockSignals(True)
        self.favourite.setChecked(on)
        self.favourite.blockSignals(False)
        self._show_favourite(on)

    def grab_frame(self) -> QImage:
        """The frame on screen at the clip's native size (a null image before the first)."""
        return self._frame.toImage() if self._frame.isValid() else QImage()

    def shutdown(self) -> None:
        """Stop decoding now (not whenever Python collects the player)."""
        self._closing = True
        self.player.stop()
        self.player.setSource(QUrl())

    # -- the frame on screen -----------------------------------------------------------------

    def _on_sink_video_frame_changed(self, frame: QVideoFrame) -> None:
        if self._pushing or self._closing:
            return
        if not frame.isValid():
            # The player clears its sink at the end of the clip: show the last frame again.
            if self._frame.isValid():
                QTimer.singleShot(0, self, self._restore_frame)
            return
        self._frame = QVideoFrame(frame)
        if self._resync_waiting and self._resync_started is not None:
            self._resync_waiting = False
            took = (self.clock() - self._resync_started) * 1000
            self.seek_lead_ms = min(took, MAX_SEEK_LEAD_MS)
        if self.held:
            self._restore_frame()

    def _restore_frame(self) -> None:
        """Put our frame back on screen: greyed while held, as decoded otherwise."""
        if self._closing or not self._frame.isValid():
            return
        if not self.held and self.is_playing():
            return  # decoded frames are on their way
        shown = self._greyed_frame() if self.held else self._frame
        self._pushing = True
        try:
            self.sink.setVideoFrame(shown)
        finally:
            self._pushing = False

    def _greyed_frame(self) -> QVideoFrame:
        start = self._frame.startTime()
        if self._greyed is None or self._greyed[0] != start:
            image = self._frame.toImage().convertToFormat(QImage.Format.Format_Grayscale8)
            image = image.convertToFormat(QImage.Format.Format_RGB32)
            painter = QPainter(image)
            painter.fillRect(image.rect(), QColor(0, 0, 0, 110))
            font = QFont(self.font())
            font.setPixelSize(max(12, image.height() // 12))
            font.setBold(True)
            painter.setFont(font)
            text = f"Ended at {_seconds(self.duration())}"
            flags = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom
            box = image.rect().adjusted(0, 0, 0, -image.height() // 10)
            painter.setPen(QColor(0, 0, 0))
            painter.drawText(box.translated(2, 2), flags, text)
            painter.setPen(QColor(255, 255, 255))
            painter.drawText(box, flags, text)
            painter.end()
            self._greyed = (start, QVideoFrame(image))
        return self._greyed[1]

    # -- caption -----------------------------------------------------------------------------

    def _update_caption(self) -> None:
        item = self.item
        name = item.model or item.path.name
        parts: list[tuple[str, bool]] = []
        if item.seed is not None:
            parts.append((f"seed {item.seed}", True))
        if item.cost:
            parts.append((item.cost, True))
        if self.duration():
            parts.append((_seconds(self.duration()), True))
        if self.held:
            parts.append(("ended", False))
        if self.error:
            parts = [(self.error, False)]
        # The model without its vendor (the tip has it all) gives way first: the figures stay.
        self.caption.set_parts(
            [(name.rpartition("/")[2], False), *parts],
            tip=" · ".join([name, *(text for text, _ in parts)]),
        )
        self.caption.setEnabled(not self.held)

    def _show_favourite(self, on: bool) -> None:
        self.favourite.setText("★" if on else "☆")
        self.favourite.setToolTip("Favourite (click to unmark)" if on else "Mark as favourite")

    def _on_favourite_toggled(self, on: bool) -> None:
        self._show_favourite(on)
        self.favourite_toggled.emit(on)

    def _on_player_media_status_changed(self, status: QMediaPlayer.MediaStatus) -> None:
        if status == _Status.LoadedMedia and not self._loaded:
            self._loaded = True
            rate = self.player.metaData().value(QMediaMetaData.Key.VideoFrameRate)
            try:
                fps = float(rate)
            except (TypeError, ValueError):
                fps = DEFAULT_FPS
            self._fps = fps if 1.0 <= fps <= 240.0 else DEFAULT_FPS
            self._update_caption()
            self.loaded.emit()
        elif status == _Status.EndOfMedia:
            # The player clears its sink at the end, sometimes before it reports Stopped
            # (then the restore queued by the cleared frame saw it still playing).
            self._restore_frame()
            self.ended.emit()
        elif status == _Status.InvalidMedia and not self.error:
            self._fail("the file is damaged or not a video")

    def _on_player_error_occurred(self, _error: QMediaPlayer.Error, text: str) -> None:
        if not self.error:
            self._fail(text or "the file is damaged or not a video")

    def _fail(self, why: str) -> None:
        self.error = f"Cannot play: {why}."
        log.warning("compare: %s: %s", self.item.path.name, why)
        self.save_frame.setEnabled(False)
        self.speaker.setVisible(False)
        self._update_caption()
        self.loaded.emit()

    def enterEvent(self, event: QEnterEvent) -> None:
        super().enterEvent(event)
        self.hovered.emit()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self._update_icons()

    def _update_icons(self) -> None:
        icon = tinted_icon(self, QStyle.StandardPixmap.SP_MediaVolume)
        self.speaker.setPixmap(icon.pixmap(16, 16))
        self.save_frame.setIcon(_glyph(self, "picture"))
        self.use_settings.setIcon(_glyph(self, "again"))


class _Saver(QObject):
    """Carries a worker thread's result back to the GUI thread: (local id, path, error)."""

    done = Signal(int, str, str)


class CompareGrid(QWidget):
    """2 to 4 clips in a 1x2 or 2x2 grid, played in sync under one transport bar.

    Keys (while the grid has focus; clicking a tile or the bar gives it focus, typing
    elsewhere never reaches it): Space play/pause, J back (pauses, then a frame per
    press), K pause, L play (again: faster), K held + J/L a frame, comma/period or
    Left/Right a frame, Home/End, Shift+L loop, M mute.

    Signals: favourite_toggled(int local_id, bool favourite), use_settings_requested(int
    local_id), frame_saved(int local_id, str path), frame_save_failed(int local_id, str
    message), playing_changed(bool).
    """

    favourite_toggled = Signal(int, bool)
    use_settings_requested = Signal(int)
    frame_saved = Signal(int, str)
    frame_save_failed = Signal(int, str)
    playing_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tiles: list[CompareTile] = []
        self.frames_folder: Path | None = (
            None  # where "Save frame…" starts; the clip's own folder if None
        )
        self.resyncs = 0  # corrective re-seeks so far (the drift the timer fixed)
        self.clock: Callable[[], float] = time.monotonic  # seconds, for re-seek cooldowns
        self._leader: CompareTile | None = None
        self._playing = False
        self._loop = True
        self._still: float | None = None  # where a paused seek went, until every tile shows it
        self._still_ticks = 0
        self._rate = 1.0
        self._muted = False
        self._audible: CompareTile | None = None
        self._resume_after_scrub = False
        self._k_held = False
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._saver = _Saver(self)
        self._setup_ui()

    def _setup_ui(self) -> None:
        self.setObjectName("compareGrid")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Compare clips")
        self.grid = QGridLayout()
        self.grid.setSpacing(6)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.empty = QLabel("Select 2 to 4 saved clips and choose Compare.", self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setObjectName("placeholder")
        self.grid.addWidget(self.empty, 0, 0)

        self.play_button = self._tool("Play (Space)")
        self.back_button = self._tool("Previous frame (,)")
        self.forward_button = self._tool("Next frame (.)")
        self.scrub = ScrubBar(self)
        self.scrub.setFocusProxy(self)
        self.time_label = QLabel(self)
        self.time_label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.time_label.setAccessibleName("Time")
        self.loop_button = self._tool("Loop all clips (Shift+L)", text="⟲ Loop")
        self.loop_button.setCheckable(True)
        self.loop_button.setChecked(self._loop)
        self.speed = QComboBox(self)
        self.speed.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.speed.setToolTip("Playback speed (L again plays faster)")
        self.speed.setAccessibleName("Speed")
        for rate in SPEEDS:
            self.speed.addItem(speed_text(rate), rate)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        guard_wheel(self.speed)
        self.mute_button = self._tool("Mute (M)")
        self.mute_button.setCheckable(True)

        transport = QHBoxLayout()
        transport.setSpacing(4)
        for button in (self.play_button, self.back_button, self.forward_button):
            transport.addWidget(button)
        transport.addWidget(self.scrub, 1)
        for widget in (self.time_label, self.loop_button, self.speed, self.mute_button):
            transport.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self.grid, 1)
        layout.addLayout(transport)

        self.sync_timer = QTimer(self)
        self.sync_timer.setInterval(SYNC_INTERVAL_MS)
        self.sync_timer.timeout.connect(self._on_sync_timer_timeout)
        self.play_button.clicked.connect(self._on_play_button_clicked)
        self.back_button.clicked.connect(self._on_back_button_clicked)
        self.forward_button.clicked.connect(self._on_forward_button_clicked)
        self.loop_button.toggled.connect(self._on_loop_button_toggled)
        self.speed.currentIndexChanged.connect(self._on_speed_current_index_changed)
        self.mute_button.toggled.connect(self._on_mute_button_toggled)
        self.scrub.scrub_started.connect(self._on_scrub_scrub_started)
        self.scrub.seek_requested.connect(self._on_scrub_seek_requested)
        self.scrub.scrub_finished.connect(self._on_scrub_scrub_finished)
        self._saver.done.connect(self._on_saver_done)
        self._update_transport()

    def _tool(self, tip: str, text: str = "") -> QToolButton:
        button = QToolButton(self)
        if text:
            button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(tip.split(" (")[0])
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys stay with the grid
        button.clicked.connect(lambda: self.setFocus(Qt.FocusReason.OtherFocusReason))
        return button

    # -- the clips -----------------------------------------------------------------------------

    def set_items(self, items: Sequence[CompareItem], autoplay: bool = False) -> None:
        """Show these clips (1 to 4), paused on their first frame unless ``autoplay``."""
        if not 1 <= len(items) <= MAX_TILES:
            raise ValueError(f"The compare grid shows 1 to {MAX_TILES} clips, not {len(items)}.")
        self.clear()
        self.empty.setVisible(False)
        columns = 1 if len(items) == 1 else 2
        for i, item in enumerate(items):
            tile = CompareTile(item, self)
            tile.clock = self.clock
            tile.setFocusProxy(self)
            self.grid.addWidget(tile, i // columns, i % columns)
            self.tiles.append(tile)
            self._connect_tile(tile)
            tile.pause()  # decodes and shows the first frame
        self._leader = self.tiles[0]
        self._set_audible(self.tiles[0])
        self._update_transport()
        if autoplay:
            self.play()

    def _connect_tile(self, tile: CompareTile) -> None:
        tile.loaded.connect(self._on_tile_loaded)
        tile.ended.connect(lambda t=tile: self._on_tile_ended(t))
        tile.hovered.connect(lambda t=tile: self._set_audible(t))
        tile.favourite_toggled.connect(
            lambda on, t=tile: self.favourite_toggled.emit(t.local_id, on)
        )
        tile.use_settings_clicked.connect(
            lambda t=tile: self.use_settings_requested.emit(t.local_id)
        )
        tile.save_frame_clicked.connect(lambda t=tile: self._on_tile_save_frame_clicked(t))
        tile.player.positionChanged.connect(
            lambda ms, t=tile: self._on_tile_position_changed(t, ms)
        )

    def clear(self) -> None:
        """Stop every player and remove the tiles (also before the grid is closed)."""
        self._set_playing(False)
        self._pool.waitForDone()
        for tile in self.tiles:
            tile.shutdown()
            self.grid.removeWidget(tile)
            tile.deleteLater()
        self.tiles.clear()
        self._leader = self._audible = None
        self.empty.setVisible(True)
        self._update_transport()

    def tile(self, local_id: int) -> CompareTile:
        return next(t for t in self.tiles if t.local_id == local_id)

    def leader(self) -> CompareTile | None:
        return self._leader

    def set_favourite(self, local_id: int, on: bool) -> None:
        """Show the favourite mark the view-model has stored (no signal)."""
        for tile in self.tiles:
            if tile.local_id == local_id:
                tile.set_favourite(on)

    # -- one clock -------------------------------------------------------------------------

    def duration(self) -> int:
        return self._leader.duration() if self._leader else 0

    def position(self) -> int:
        return self._leader.position() if self._leader else 0

    def frame_ms(self) -> float:
        return self._leader.frame_ms() if self._leader else 1000.0 / DEFAULT_FPS

    def is_playing(self) -> bool:
        return self._playing

    def is_looping(self) -> bool:
        return self._loop

    def rate(self) -> float:
        return self._rate

    def play(self) -> None:
        lead = self._leader
        if lead is None:
            return
        if lead.at_end() or lead.shown_frame() >= lead.frame_count() - 1:
            self._set_playing(True)
            self.seek(0)  # from the end, start again
            return
        self._set_playing(True)
        for tile in self.tiles:
            if not tile.held:
                tile.play()

    def pause(self) -> None:
        """Pause every tile, then line them all up on the leader's frame."""
        self._set_playing(False)
        for tile in self.tiles:
            tile.pause()
        lead = self._leader
        if lead is not None and lead.duration():
            self.seek((lead.shown_frame() + 0.5) * lead.frame_ms())

    def toggle_play(self) -> None:
        if self._playing:
            self.pause()
        else:
            self.play()

    def seek(self, ms: float) -> None:
        """Show the frame at ``ms`` in every tile; a clip shorter than that holds its last."""
        lead = self._leader
        if lead is None:
            return
        ms = min(max(ms, 0.0), max(lead.duration() - 1, 0))
        for tile in self.tiles:
            if tile.error:
                continue
            past_end = tile is not lead and ms >= tile.duration() and self._is_shorter(tile)
            if past_end and tile.held and (tile.at_end() or self._on_last_frame(tile)):
                continue  # already holding its last frame
            tile.set_held(past_end)
            tile.show_time(ms)
            if self._playing and not past_end:
                tile.play()
            else:
                tile.pause()
        self.scrub.set_position(round(ms))
        self._show_time(round(ms))
        if not self._playing:  # the sync timer checks the frames arrive (see _check_still)
            self._still, self._still_ticks = ms, 0
            self.sync_timer.start()

    def step(self, frames: int) -> None:
        """Pause and move every tile by whole frames (of the leader's rate)."""
        lead = self._leader
        if lead is None:
            return
        self._set_playing(False)
        for tile in self.tiles:
            tile.pause()
        target = min(max(lead.shown_frame() + frames, 0), lead.frame_count() - 1)
        self.seek((target + 0.5) * lead.frame_ms())

    def set_rate(self, rate: float) -> None:
        self._rate = rate
        for tile in self.tiles:
            tile.set_rate(rate)
        index = self.speed.findData(rate)
        if index >= 0 and index != self.speed.currentIndex():
            self.speed.blockSignals(True)
            self.speed.setCurrentIndex(index)
            self.speed.blockSignals(False)

    def set_loop(self, on: bool) -> None:
        self._loop = on
        if self.loop_button.isChecked() != on:
            self.loop_button.setChecked(on)

    def set_muted(self, muted: bool) -> None:
        self._muted = muted
        if self.mute_button.isChecked() != muted:
            self.mute_button.setChecked(muted)
        self._update_icons()
        self._set_audible(self._audible)

    def audible_tile(self) -> CompareTile | None:
        return self._audible

    def _set_playing(self, playing: bool) -> None:
        if playing and self._leader is None:
            playing = False
        changed = playing != self._playing
        self._playing = playing
        self._still = None
        if playing:
            self.sync_timer.start()
        else:
            self.sync_timer.stop()
        self._update_transport()
        if changed:
            self.playing_changed.emit(playing)

    def _is_shorter(self, tile: CompareTile) -> bool:
        lead = self._leader
        return lead is not None and tile.duration() < lead.duration() - lead.frame_ms() / 2

    def _on_last_frame(self, tile: CompareTile) -> bool:
        return tile.shown_frame() >= tile.frame_count() - 1

    def _set_audible(self, tile: CompareTile | None) -> None:
        self._audible = tile
        for t in self.tiles:
            t.set_audible(t is tile, self._muted)

    def _on_tile_loaded(self) -> None:
        playable = [t for t in self.tiles if not t.error and t.duration()]
        if playable:
            self._leader = max(playable, key=lambda t: t.duration())  # first of the longest
        lead = self._leader
        if lead is not None:
            self.scrub.set_duration(lead.duration(), lead.frame_ms())
            self.scrub.set_marks([t.duration() for t in playable if self._is_shorter(t)])
        for tile in self.tiles:
            tile.set_rate(self._rate)
        self._update_transport()

    def _on_tile_ended(self, tile: CompareTile) -> None:
        if tile is self._leader:
            if self._playing and self._loop:
                self.seek(0)  # all together from the start
            elif self._playing:
                self._set_playing(False)
        elif self._is_shorter(tile):
            tile.set_held(True)

    def _on_tile_position_changed(self, tile: CompareTile, ms: int) -> None:
        if tile is self._leader and not self.scrub.is_dragging():
            self.scrub.set_position(ms)
            self._show_time(ms)

    def _on_sync_timer_timeout(self) -> None:
        """Re-seek any playing tile more than one frame off the leader."""
        lead = self._leader
        if not self._playing:
            self._check_still()
            return
        if lead is None or not lead.is_playing():
            return
        pos = lead.position()
        at = (frame_index(pos, lead.frame_ms()) + 0.5) * lead.frame_ms()
        now = self.clock()
        for tile in self.tiles:
            if tile is lead or tile.error or tile.held or pos >= tile.duration():
                continue
            if tile.resync_settling(now):
                continue
            # Positions are truncated frame starts: one frame apart reads as 41 or 42 ms.
            if abs(tile.position() - pos) > DRIFT_FRAMES * tile.frame_ms():
                self.resyncs += 1
                tile.resync(at, now)

    def _check_still(self) -> None:
        """Paused: ask again, once a second, any tile whose picture is not the frame of the
        last seek (QMediaPlayer can drop a seek made while paused); stop once all show it."""
        ms = self._still
        self._still_ticks += 1
        tiles = [t for t in self.tiles if not t.error and not t.held]
        lost = [] if ms is None else [t for t in tiles if t.shown_frame() != t.frame_at(ms)]
        if ms is None or not lost or self._still_ticks > STILL_CHECKS:
            self._still = None
            self.sync_timer.stop()
        elif self._still_ticks % 4 == 0:
            for tile in lost:
                tile.show_time(ms)

    # -- transport ----------------------------------------------------------------------------

    def _show_time(self, ms: int) -> None:
        self.time_label.setText(time_text(ms, self.duration(), self.frame_ms()))

    def _update_transport(self) -> None:
        loaded = self._leader is not None
        for w in (self.play_button, self.back_button, self.forward_button, self.scrub):
            w.setEnabled(loaded)
        self._update_icons()
        self.play_button.setToolTip("Pause (Space)" if self._playing else "Play (Space)")
        if not loaded:
            self.time_label.setText(NO_TIME)
        else:
            self._show_time(self.position())

    def _update_icons(self) -> None:
        sp = QStyle.StandardPixmap
        play = sp.SP_MediaPause if self._playing else sp.SP_MediaPlay
        for button, pixmap in (
            (self.play_button, play),
            (self.back_button, sp.SP_MediaSeekBackward),
            (self.forward_button, sp.SP_MediaSeekForward),
            (self.mute_button, sp.SP_MediaVolumeMuted if self._muted else sp.SP_MediaVolume),
        ):
            button.setIcon(tinted_icon(self, pixmap))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self._update_icons()

    def _on_play_button_clicked(self) -> None:
        self.toggle_play()

    def _on_back_button_clicked(self) -> None:
        self.step(-1)

    def _on_forward_button_clicked(self) -> None:
        self.step(1)

    def _on_loop_button_toggled(self, on: bool) -> None:
        self.set_loop(on)

    def _on_speed_current_index_changed(self, index: int) -> None:
        self.set_rate(float(self.speed.itemData(index)))

    def _on_mute_button_toggled(self, muted: bool) -> None:
        self.set_muted(muted)

    def _on_scrub_scrub_started(self) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self._resume_after_scrub = self._playing
        if self._playing:
            self._set_playing(False)
            for tile in self.tiles:
                tile.pause()

    def _on_scrub_seek_requested(self, ms: int) -> None:
        self.seek(ms)

    def _on_scrub_scrub_finished(self) -> None:
        if self._resume_after_scrub:
            self._resume_after_scrub = False
            self.play()

    # -- keys ----------------------------------------------------------------------------------

    def _key_action(self, event: QKeyEvent) -> Callable[[], None] | None:
        key = Qt.Key(event.key())
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if mods == Qt.KeyboardModifier.ShiftModifier and key == Qt.Key.Key_L:
            return lambda: self.set_loop(not self._loop)
        if mods != Qt.KeyboardModifier.NoModifier:
            return None
        actions: dict[Qt.Key, Callable[[], None]] = {
            Qt.Key.Key_Space: self.toggle_play,
            Qt.Key.Key_K: self.pause,
            Qt.Key.Key_J: self._on_key_j,
            Qt.Key.Key_L: self._on_key_l,
            Qt.Key.Key_Comma: lambda: self.step(-1),
            Qt.Key.Key_Period: lambda: self.step(1),
            Qt.Key.Key_Left: lambda: self.step(-1),
            Qt.Key.Key_Right: lambda: self.step(1),
            Qt.Key.Key_Home: self._on_key_home,
            Qt.Key.Key_End: self._on_key_end,
            Qt.Key.Key_M: lambda: self.set_muted(not self._muted),
        }
        return actions.get(key)

    def event(self, event: QEvent) -> bool:
        # Our keys beat any single-key shortcut of the window while the grid has focus.
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and self._key_action(event) is not None
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        action = self._key_action(event)
        if action is None:
            super().keyPressEvent(event)
            return
        event.accept()
        if event.key() == Qt.Key.Key_K:
            if event.isAutoRepeat():
                return
            self._k_held = True
        action()

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_K and not event.isAutoRepeat():
            self._k_held = False
        super().keyReleaseEvent(event)

    def _on_key_j(self) -> None:
        # QMediaPlayer cannot play backwards: J pauses, then each press steps back a frame.
        if self._playing and not self._k_held:
            self.pause()
        else:
            self.step(-1)

    def _on_key_l(self) -> None:
        if self._k_held:
            self.step(1)
        elif not self._playing:
            self.play()
        else:
            faster = [r for r in SPEEDS if r > self._rate]
            if faster:
                self.set_rate(faster[0])

    def _on_key_home(self) -> None:
        self.seek(0)

    def _on_key_end(self) -> None:
        self.step(self._leader.frame_count() if self._leader else 0)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.update()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.hasFocus() and self.tiles:
            # A thin frame says the keys go here.
            p = QPainter(self)
            p.setPen(self.palette().color(QPalette.ColorRole.Highlight))
            p.drawRect(self.rect().adjusted(0, 0, -1, -1))
            p.end()

    # -- frames to files -------------------------------------------------------------------

    def _on_tile_save_frame_clicked(self, tile: CompareTile) -> None:
        if tile.grab_frame().isNull():
            self.frame_save_failed.emit(
                tile.local_id, "No frame is shown yet: play or seek the clip, then save again."
            )
            return
        ms = tile.shown_ms() or 0
        folder = self.frames_folder or tile.item.path.parent
        suggested = folder / frame_file_name(tile.item.path, ms, tile.fps())
        dest, _ = QFileDialog.getSaveFileName(
            self, "Save the frame as a PNG", str(suggested), "PNG image (*.png)"
        )
        if dest:
            path = Path(dest) if dest.lower().endswith(".png") else Path(dest + ".png")
            self.frames_folder = path.parent
            self.save_frame(tile.local_id, path)

    def save_frame(self, local_id: int, dest: Path) -> None:
        """Write the frame tile ``local_id`` shows to ``dest`` as a PNG at native size,
        off the GUI thread; frame_saved or frame_save_failed says how it went."""
        image = self.tile(local_id).grab_frame()
        if image.isNull():
            self.frame_save_failed.emit(
                local_id, "No frame is shown yet: play or seek the clip, then save again."
            )
            return
        saver = self._saver

        def work() -> None:
            try:
                write_png(image, dest)
            except OSError as exc:
                saver.done.emit(local_id, str(dest), str(exc) or type(exc).__name__)
            else:
                saver.done.emit(local_id, str(dest), "")

        self._pool.start(work)

    def _on_saver_done(self, local_id: int, path: str, error: str) -> None:
        if error:
            self.frame_save_failed.emit(
                local_id,
                f"The frame could not be saved to {path} ({error}). "
                "Choose another folder or free some disk space, then save again.",
            )
        else:
            self.frame_saved.emit(local_id, path)
