"""The inline player: play/pause, scrub, loop, frame step, volume and mute; save, show, copy.

It owns its QMediaPlayer (decoding runs in Qt's FFmpeg threads); file copies
are asked of the view-model (save_requested) so the UI thread never copies.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtMultimedia import QAudioOutput, QMediaMetaData, QMediaPlayer
from PySide6.QtMultimediaWidgets import QVideoWidget
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QSlider,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

DEFAULT_FPS = 24.0


def _clock(ms: int) -> str:
    seconds = max(ms, 0) // 1000
    return f"{seconds // 60}:{seconds % 60:02d}.{(max(ms, 0) % 1000) // 100}"


class PlayerWidget(QWidget):
    """Signals: save_requested(str src, str dest), reveal_requested(str path)."""

    save_requested = Signal(str, str)
    reveal_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path: Path | None = None
        self._setup_ui()

    def _setup_ui(self) -> None:
        self.setObjectName("player")
        self.player = QMediaPlayer(self)
        self.audio = QAudioOutput(self)
        self.player.setAudioOutput(self.audio)
        self.video = QVideoWidget(self)
        self.video.setMinimumSize(320, 180)
        self.player.setVideoOutput(self.video)
        self.placeholder = QLabel("Select a finished job to play it here.", self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setObjectName("placeholder")

        icon = self.style().standardIcon
        sp = QStyle.StandardPixmap

        def tool(
            tip: str, pixmap: QStyle.StandardPixmap | None = None, text: str = ""
        ) -> QToolButton:
            button = QToolButton(self)
            if pixmap is not None:
                button.setIcon(icon(pixmap))
            if text:
                button.setText(text)
            button.setToolTip(tip)
            button.setAccessibleName(tip.split(" (")[0])
            return button

        self.play_button = tool("Play (Space)", sp.SP_MediaPlay)
        self.back_button = tool("Previous frame (,)", sp.SP_MediaSeekBackward)
        self.forward_button = tool("Next frame (.)", sp.SP_MediaSeekForward)
        self.loop_button = tool("Loop (L)", text="⟲ Loop")
        self.loop_button.setCheckable(True)
        self.loop_button.setChecked(True)
        self.position = QSlider(Qt.Orientation.Horizontal, self)
        self.position.setAccessibleName("Position")
        self.time_label = QLabel(_clock(0) + " / " + _clock(0), self)
        self.mute_button = tool("Mute (M)", sp.SP_MediaVolume)
        self.mute_button.setCheckable(True)
        self.volume = QSlider(Qt.Orientation.Horizontal, self)
        self.volume.setRange(0, 100)
        self.volume.setValue(80)
        self.volume.setFixedWidth(80)
        self.volume.setAccessibleName("Volume")
        self.save_button = tool("Save a copy as… (Ctrl+S)", text="Save as…")
        self.reveal_button = tool("Show in folder", text="Show in folder")
        self.copy_button = tool("Copy the file's path", text="Copy path")

        controls = QHBoxLayout()
        for w in (self.play_button, self.back_button, self.forward_button, self.loop_button):
            controls.addWidget(w)
        controls.addWidget(self.position, 1)
        controls.addWidget(self.time_label)
        controls.addWidget(self.mute_button)
        controls.addWidget(self.volume)
        files = QHBoxLayout()
        files.addStretch(1)
        for w in (self.save_button, self.reveal_button, self.copy_button):
            files.addWidget(w)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.video, 1)
        layout.addWidget(self.placeholder, 1)
        layout.addLayout(controls)
        layout.addLayout(files)

        self.play_button.clicked.connect(self.toggle_play)
        self.back_button.clicked.connect(lambda: self.step(-1))
        self.forward_button.clicked.connect(lambda: self.step(1))
        self.loop_button.toggled.connect(self._on_loop_button_toggled)
        self.position.sliderMoved.connect(self.player.setPosition)
        self.mute_button.toggled.connect(self.audio.setMuted)
        self.volume.valueChanged.connect(lambda v: self.audio.setVolume(v / 100))
        self.audio.setVolume(0.8)
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.reveal_button.clicked.connect(self._on_reveal_button_clicked)
        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        self.player.durationChanged.connect(self._on_player_duration_changed)
        self.player.positionChanged.connect(self._on_player_position_changed)
        self.player.playbackStateChanged.connect(self._on_player_playback_state_changed)
        self.player.setLoops(QMediaPlayer.Loops.Infinite)
        for keys, slot in (
            (Qt.Key.Key_Space, self.toggle_play),
            (Qt.Key.Key_Comma, lambda: self.step(-1)),
            (Qt.Key.Key_Period, lambda: self.step(1)),
            (Qt.Key.Key_L, self.loop_button.toggle),
            (Qt.Key.Key_M, self.mute_button.toggle),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        self._set_loaded(False)

    # -- loading -------------------------------------------------------------------------------

    def load(self, path: Path, autoplay: bool = True) -> None:
        self.path = path
        self.player.setSource(QUrl.fromLocalFile(str(path)))
        self._set_loaded(True)
        if autoplay:
            self.player.play()

    def clear(self) -> None:
        self.player.stop()
        self.player.setSource(QUrl())
        self.path = None
        self._set_loaded(False)

    def _set_loaded(self, loaded: bool) -> None:
        self.video.setVisible(loaded)
        self.placeholder.setVisible(not loaded)
        for w in (
            self.play_button,
            self.back_button,
            self.forward_button,
            self.position,
            self.save_button,
            self.reveal_button,
            self.copy_button,
        ):
            w.setEnabled(loaded)

    # -- control -------------------------------------------------------------------------------

    def toggle_play(self) -> None:
        if self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            self.player.pause()
        elif self.path is not None:
            self.player.play()

    def frame_ms(self) -> float:
        fps = self.player.metaData().value(QMediaMetaData.Key.VideoFrameRate)
        return 1000.0 / float(fps) if fps else 1000.0 / DEFAULT_FPS

    def step(self, frames: int) -> None:
        """Pause and move by whole frames."""
        if self.path is None:
            return
        self.player.pause()
        target = self.player.position() + round(frames * self.frame_ms())
        self.player.setPosition(max(0, min(target, self.player.duration())))

    def _on_loop_button_toggled(self, on: bool) -> None:
        self.player.setLoops(QMediaPlayer.Loops.Infinite if on else QMediaPlayer.Loops.Once)

    def _on_player_duration_changed(self, duration: int) -> None:
        self.position.setRange(0, duration)
        self._on_player_position_changed(self.player.position())

    def _on_player_position_changed(self, position: int) -> None:
        if not self.position.isSliderDown():
            self.position.setValue(position)
        self.time_label.setText(f"{_clock(position)} / {_clock(self.player.duration())}")

    def _on_player_playback_state_changed(self, state: QMediaPlayer.PlaybackState) -> None:
        playing = state == QMediaPlayer.PlaybackState.PlayingState
        pixmap = (
            QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        )
        self.play_button.setIcon(self.style().standardIcon(pixmap))
        self.play_button.setToolTip("Pause (Space)" if playing else "Play (Space)")

    # -- files ----------------------------------------------------------------------------------

    def _on_save_button_clicked(self) -> None:
        if self.path is None:
            return
        dest, _ = QFileDialog.getSaveFileName(
            self, "Save a copy of the clip", str(Path.home() / self.path.name), "MP4 video (*.mp4)"
        )
        if dest:
            self.save_requested.emit(str(self.path), dest)

    def _on_reveal_button_clicked(self) -> None:
        if self.path is not None:
            self.reveal_requested.emit(str(self.path))

    def _on_copy_button_clicked(self) -> None:
        if self.path is not None:
            QGuiApplication.clipboard().setText(str(self.path))
