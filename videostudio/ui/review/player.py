"""The reviewing player: play, scrub, frame step, J/K/L, speed, loop, mute; every output of
a job; save the current frame, or use it as the next job's first or last frame.

It owns its QMediaPlayer (decoding runs in Qt's FFmpeg threads). Keys are read in
keyPressEvent, which only runs when the player (or a child that ignores the key) has
focus: clicking the video focuses it, and typing in the prompt never triggers them.
QMediaPlayer cannot play backwards, so J steps back frame by frame on a timer, at the
speed the speed box shows (the badge on the bar says which way, while it plays). File
work (copies, PNG encoding) is asked of the view-model, never done on the UI thread.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, QUrl, Signal, SignalInstance
from PySide6.QtGui import QAction, QGuiApplication, QImage, QKeyEvent
from PySide6.QtMultimedia import QAudioOutput, QMediaMetaData, QMediaPlayer, QVideoFrame
from PySide6.QtMultimediaWidgets import QVideoWidget
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSlider,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from videostudio.ui.review.transport import (
    DEFAULT_FPS,
    LADDER,
    NO_TIME,
    SPEEDS,
    ScrubBar,
    frame_file_name,
    speed_text,
    time_text,
    tinted_icon,
)
from videostudio.ui.widgets.inputs import guard_wheel
from videostudio.ui.widgets.operations import COMPARE_SOURCE, OPERATIONS


class PlayerWidget(QWidget):
    """Signals: save_requested(str src, str dest), reveal_requested(str path),
    frame_save_requested(QImage frame, str dest), frame_for_draft(QImage frame, str role),
    use_settings_requested(int), vary_requested(int), continue_requested(int),
    operation_requested(int, str operation), compare_source_requested(int),
    mark_requested(str which, int ms): I or O marks a trim point ("in": the frame shown
    starts there; "out": it ends there, so the frame shown is the last one kept)."""

    save_requested = Signal(str, str)
    reveal_requested = Signal(str)
    frame_save_requested = Signal(QImage, str)
    frame_for_draft = Signal(QImage, str)
    use_settings_requested = Signal(int)
    vary_requested = Signal(int)
    continue_requested = Signal(int)
    mark_requested = Signal(str, int)
    operation_requested = Signal(int, str)
    compare_source_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path: Path | None = None
        self.outputs: list[Path] = []
        self.local_id: int | None = None
        self.frame: QVideoFrame | None = None
        self.reverse = 0.0  # frames stepped back per frame time while J runs
        self._k_down = False
        self._setup_ui()

    def _setup_ui(self) -> None:
        self.setObjectName("player")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._player: QMediaPlayer | None = None  # made on first use: see ``player``
        self._audio: QAudioOutput | None = None
        self.video = QVideoWidget(self)
        self.video.setMinimumSize(320, 180)
        self.video.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.video.installEventFilter(self)  # a click on the video focuses the player
        self.video.videoSink().videoFrameChanged.connect(self._on_sink_video_frame_changed)
        self.placeholder = QLabel("Select a finished clip to play it here.", self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setObjectName("placeholder")

        sp = QStyle.StandardPixmap

        def tool(
            tip: str, pixmap: QStyle.StandardPixmap | None = None, text: str = ""
        ) -> QToolButton:
            button = QToolButton(self)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            if pixmap is not None:
                button.setIcon(tinted_icon(self, pixmap))
            if text:
                button.setText(text)
            button.setToolTip(tip)
            button.setAccessibleName(tip.split(" (")[0])
            return button

        self.play_button = tool("Play (Space, L)", sp.SP_MediaPlay)
        self.back_button = tool(
            "Previous frame (, or Left; J plays backwards)", sp.SP_MediaSeekBackward
        )
        self.forward_button = tool("Next frame (. or Right)", sp.SP_MediaSeekForward)
        self.loop_button = tool("Loop (Shift+L)", text="⟲ Loop")
        self.loop_button.setCheckable(True)
        self.loop_button.setChecked(True)
        self.scrub = ScrubBar(self)
        self.time_label = QLabel(NO_TIME, self)
        self.time_label.setObjectName("timecode")
        self.speed = QComboBox(self)
        self.speed.setToolTip("Playback speed (L faster, J backwards, K pause)")
        self.speed.setAccessibleName("Playback speed")
        self.speed.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        for value in SPEEDS:
            self.speed.addItem(speed_text(value), value)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        guard_wheel(self.speed)
        self.speed_badge = QLabel(self)
        self.speed_badge.setObjectName("speedBadge")
        self.speed_badge.setToolTip("How it plays now: ◀ backwards, ▶ forwards")
        self.mute_button = tool("Mute (M)", sp.SP_MediaVolume)
        self.mute_button.setCheckable(True)
        self.volume = QSlider(Qt.Orientation.Horizontal, self)
        self.volume.setRange(0, 100)
        self.volume.setValue(80)
        self.volume.setFixedWidth(70)
        self.volume.setAccessibleName("Volume")
        self.volume.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.output_picker = QComboBox(self)
        self.output_picker.setAccessibleName("Output")
        self.output_picker.setToolTip("This job made several clips; choose which to play.")
        self.output_picker.hide()
        self.frame_button = tool("The current frame: save it, or start the next clip from it")
        self.frame_button.setText("Frame")
        self.frame_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        frame_menu = QMenu(self.frame_button)
        self.save_frame_action = QAction("Save frame as PNG…", self)
        self.first_frame_action = QAction("Use as first frame of the next clip", self)
        self.last_frame_action = QAction("Use as last frame of the next clip", self)
        for act in (self.save_frame_action, self.first_frame_action, self.last_frame_action):
            frame_menu.addAction(act)
        self.frame_button.setMenu(frame_menu)
        self.clip_button = tool("Make the next clip from this one")
        self.clip_button.setText("Iterate")
        self.clip_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        clip_menu = QMenu(self.clip_button)
        self.use_settings_action = QAction("Use these settings", self)
        self.vary_action = QAction("Vary (same settings, new seed)", self)
        self.continue_action = QAction("Continue from the last frame", self)
        for act in (self.use_settings_action, self.vary_action, self.continue_action):
            clip_menu.addAction(act)
        clip_menu.addSeparator()
        self.operation_actions: dict[str, QAction] = {}
        for operation, text, _keys in OPERATIONS:
            act = QAction(text, self)
            act.triggered.connect(
                lambda _=False, op=operation: self._clip_intent(self.operation_requested, op)
            )
            clip_menu.addAction(act)
            self.operation_actions[operation] = act
        self.compare_source_action = QAction(COMPARE_SOURCE[0], self)
        self.compare_source_action.triggered.connect(
            lambda: self._clip_intent(self.compare_source_requested)
        )
        clip_menu.addAction(self.compare_source_action)
        self.clip_button.setMenu(clip_menu)
        self.save_button = tool("Save a copy as… (Ctrl+S)", text="Save as…")
        self.reveal_button = tool("Show in folder", text="Show in folder")
        self.copy_button = tool("Copy the file's path", text="Copy path")

        controls = QHBoxLayout()
        for w in (self.play_button, self.back_button, self.forward_button, self.loop_button):
            controls.addWidget(w)
        controls.addWidget(self.scrub, 1)
        for extra in (self.time_label, self.speed, self.mute_button, self.volume):
            controls.addWidget(extra)
        files = QHBoxLayout()
        files.addWidget(self.output_picker)
        files.addWidget(self.frame_button)
        files.addWidget(self.clip_button)
        # Under the timeline, beside a stretch: the bar above keeps its length when it shows.
        files.addWidget(self.speed_badge)
        files.addStretch(1)
        for w in (self.save_button, self.reveal_button, self.copy_button):
            files.addWidget(w)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.video, 1)
        layout.addWidget(self.placeholder, 1)
        layout.addLayout(controls)
        layout.addLayout(files)

        self._reverse_timer = QTimer(self)
        self._reverse_timer.timeout.connect(self._on_reverse_timer_timeout)
        self.play_button.clicked.connect(self.toggle_play)
        self.back_button.clicked.connect(lambda: self.step(-1))
        self.forward_button.clicked.connect(lambda: self.step(1))
        self.loop_button.toggled.connect(self._on_loop_button_toggled)
        self.scrub.seek_requested.connect(self.seek)
        self.speed.currentIndexChanged.connect(self._on_speed_current_index_changed)
        self.mute_button.toggled.connect(self._on_mute_button_toggled)
        self.volume.valueChanged.connect(self._on_volume_value_changed)
        self.output_picker.currentIndexChanged.connect(self._on_output_picker_current_index_changed)
        self.save_frame_action.triggered.connect(self._on_save_frame_action_triggered)
        self.first_frame_action.triggered.connect(lambda: self._to_draft("first_frame"))
        self.last_frame_action.triggered.connect(lambda: self._to_draft("last_frame"))
        self.use_settings_action.triggered.connect(
            lambda: self._clip_intent(self.use_settings_requested)
        )
        self.vary_action.triggered.connect(lambda: self._clip_intent(self.vary_requested))
        self.continue_action.triggered.connect(lambda: self._clip_intent(self.continue_requested))
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.reveal_button.clicked.connect(self._on_reveal_button_clicked)
        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        self._set_loaded(False)
        self._show_speed()

    @property
    def player(self) -> QMediaPlayer:
        """The media player, made on first use: the first one loads Qt's FFmpeg backend
        (tens of ms), which the window's first paint need not wait for."""
        if self._player is None:
            self._player, self._audio = self._make_player()
        return self._player

    @property
    def audio(self) -> QAudioOutput:
        if self._audio is None:
            self._player, self._audio = self._make_player()
        return self._audio

    def _make_player(self) -> tuple[QMediaPlayer, QAudioOutput]:
        player = QMediaPlayer(self)
        audio = QAudioOutput(self)
        player.setAudioOutput(audio)
        player.setVideoOutput(self.video)
        audio.setMuted(self.mute_button.isChecked())
        audio.setVolume(self.volume.value() / 100)
        player.setPlaybackRate(float(self.speed.currentData() or 1.0))
        on = self.loop_button.isChecked()
        player.setLoops(QMediaPlayer.Loops.Infinite if on else QMediaPlayer.Loops.Once)
        player.durationChanged.connect(self._on_player_duration_changed)
        player.positionChanged.connect(self._on_player_position_changed)
        player.playbackStateChanged.connect(self._on_player_playback_state_changed)
        player.mediaStatusChanged.connect(self._on_player_media_status_changed)
        player.metaDataChanged.connect(self._on_player_meta_data_changed)
        return player, audio

    # -- loading -------------------------------------------------------------------------------

    def load(
        self,
        path: Path,
        autoplay: bool = True,
        *,
        outputs: list[Path] | None = None,
        local_id: int | None = None,
    ) -> None:
        """Play ``path``; ``outputs`` are all the files of its job (a picker shows them)."""
        self.outputs = list(outputs or [path])
        self.local_id = local_id
        self.output_picker.blockSignals(True)
        self.output_picker.clear()
        for number, _ in enumerate(self.outputs, start=1):
            self.output_picker.addItem(f"Output {number} of {len(self.outputs)}")
        self.output_picker.setCurrentIndex(
            max(self.outputs.index(path), 0) if path in self.outputs else 0
        )
        self.output_picker.blockSignals(False)
        self.output_picker.setVisible(len(self.outputs) > 1)
        self._open(path, autoplay)

    def _open(self, path: Path, autoplay: bool) -> None:
        self._stop_reverse()
        self.path = path
        self.frame = None
        self.player.setSource(QUrl.fromLocalFile(str(path)))
        self._set_loaded(True)
        if autoplay:
            self.player.play()

    def clear(self) -> None:
        self._stop_reverse()
        if self._player is not None:
            self._player.stop()
            self._player.setSource(QUrl())
        self.path = None
        self.outputs = []
        self.local_id = None
        self.frame = None
        self.output_picker.hide()
        self._set_loaded(False)
        self._show_speed()

    def _set_loaded(self, loaded: bool) -> None:
        self.video.setVisible(loaded)
        self.placeholder.setVisible(not loaded)
        for w in (
            self.play_button,
            self.back_button,
            self.forward_button,
            self.scrub,
            self.speed,
            self.frame_button,
            self.save_button,
            self.reveal_button,
            self.copy_button,
        ):
            w.setEnabled(loaded)
        self.clip_button.setEnabled(loaded and self.local_id is not None)

    # -- control -------------------------------------------------------------------------------

    def toggle_play(self) -> None:
        if self.reverse:
            self._stop_reverse()
        elif self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            self.player.pause()
        elif self.path is not None:
            self.player.play()

    def frame_ms(self) -> float:
        fps = self.player.metaData().value(QMediaMetaData.Key.VideoFrameRate)
        return 1000.0 / float(fps) if fps else 1000.0 / DEFAULT_FPS

    def seek(self, ms: int) -> None:
        if self.path is not None:
            self.player.setPosition(max(0, min(ms, self.player.duration())))

    def step(self, frames: int) -> None:
        """Pause and move by whole frames."""
        if self.path is None:
            return
        self._stop_reverse()
        self.player.pause()
        self.seek(self.player.position() + round(frames * self.frame_ms()))

    def set_speed(self, speed: float) -> None:
        index = self.speed.findData(speed)
        if index >= 0:
            self.speed.setCurrentIndex(index)
        else:
            self.player.setPlaybackRate(speed)
            self._show_speed()

    def faster(self) -> None:
        """L: play forwards; again, faster (1×, 1.5×, 2×). L while reversing plays forwards."""
        if self.path is None:
            return
        playing = self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState
        if self.reverse or not playing:
            self._stop_reverse()
            self.set_speed(1.0)
            self.player.play()
            return
        bigger = [s for s in LADDER if s > self.player.playbackRate()]
        self.set_speed(bigger[0] if bigger else LADDER[-1])

    def backwards(self) -> None:
        """J: step backwards frame after frame; again, faster."""
        if self.path is None:
            return
        self.player.pause()
        bigger = [s for s in LADDER if s > self.reverse]
        self.reverse = bigger[0] if bigger else LADDER[-1]
        self.set_speed(self.reverse)  # the box shows the speed it goes backwards at
        self._reverse_timer.start(round(self.frame_ms()))
        self._show_speed()

    def _stop_reverse(self) -> None:
        if self.reverse:
            self.reverse = 0.0
            self._reverse_timer.stop()
            self._show_speed()

    def _on_reverse_timer_timeout(self) -> None:
        target = self.player.position() - round(self.reverse * self.frame_ms())
        if target <= 0:
            self.seek(0)
            self._stop_reverse()
            return
        self.seek(target)

    def _playing(self) -> bool:
        """Playing either way (J plays backwards with the media player paused)."""
        forwards = self._player is not None and (
            self._player.playbackState() == QMediaPlayer.PlaybackState.PlayingState
        )
        return self.path is not None and (forwards or bool(self.reverse))

    def _show_speed(self) -> None:
        """The badge says how it plays (◀ backwards, ▶ forwards off 1×), only while it does."""
        rate = float(self.speed.currentData() or 1.0)
        if self.reverse:
            text = f"◀ {speed_text(self.reverse)}"
        else:
            text = "" if rate == 1.0 else f"▶ {speed_text(rate)}"
        self.speed_badge.setText(text)
        self.speed_badge.setVisible(bool(text) and self._playing())
        self._update_play_button()

    def _update_play_button(self) -> None:
        playing = self._playing()
        sp = QStyle.StandardPixmap
        self.play_button.setIcon(
            tinted_icon(self, sp.SP_MediaPause if playing else sp.SP_MediaPlay)
        )
        self.play_button.setToolTip("Pause (Space, K)" if playing else "Play (Space, L)")

    def _update_icons(self) -> None:
        sp = QStyle.StandardPixmap
        for button, pixmap in (
            (self.back_button, sp.SP_MediaSeekBackward),
            (self.forward_button, sp.SP_MediaSeekForward),
            (
                self.mute_button,
                sp.SP_MediaVolumeMuted if self.mute_button.isChecked() else sp.SP_MediaVolume,
            ),
        ):
            button.setIcon(tinted_icon(self, pixmap))
        self._update_play_button()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self._update_icons()

    # -- keys (only with the player focused: typing elsewhere never triggers them) -------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.video and event.type() == QEvent.Type.MouseButtonPress:
            self.setFocus(Qt.FocusReason.MouseFocusReason)
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if key == Qt.Key.Key_L and shift:  # loop, as in the compare grid
            if not event.isAutoRepeat():
                self.loop_button.toggle()
        elif key == Qt.Key.Key_K:
            self._k_down = True
            if not event.isAutoRepeat():
                self._stop_reverse()
                self.player.pause()
        elif key == Qt.Key.Key_J and self._k_down:
            self.step(-1)  # K held: one frame at a time
        elif key == Qt.Key.Key_J:
            self.backwards()
        elif key == Qt.Key.Key_L and self._k_down:
            self.step(1)
        elif key == Qt.Key.Key_L:
            self.faster()
        elif key == Qt.Key.Key_Space and not event.isAutoRepeat():
            self.toggle_play()
        elif key in (Qt.Key.Key_Comma, Qt.Key.Key_Left):
            self.step(-1)
        elif key in (Qt.Key.Key_Period, Qt.Key.Key_Right):
            self.step(1)
        elif key == Qt.Key.Key_Home:
            self.seek(0)
        elif key == Qt.Key.Key_End:
            self.seek(self.player.duration())
        elif key == Qt.Key.Key_M and not event.isAutoRepeat():
            self.mute_button.toggle()
        elif key in (Qt.Key.Key_I, Qt.Key.Key_O) and not event.isAutoRepeat() and self.path:
            position = self.player.position()
            if key == Qt.Key.Key_I:
                self.mark_requested.emit("in", position)
            else:
                self.mark_requested.emit("out", position + round(self.frame_ms()))
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_K and not event.isAutoRepeat():
            self._k_down = False
        super().keyReleaseEvent(event)

    # -- state from the player -----------------------------------------------------------------

    def _on_mute_button_toggled(self, on: bool) -> None:
        if self._audio is not None:
            self._audio.setMuted(on)
        self._update_icons()

    def _on_volume_value_changed(self, value: int) -> None:
        if self._audio is not None:
            self._audio.setVolume(value / 100)

    def _on_loop_button_toggled(self, on: bool) -> None:
        if self._player is not None:
            self._player.setLoops(QMediaPlayer.Loops.Infinite if on else QMediaPlayer.Loops.Once)

    def _on_speed_current_index_changed(self, index: int) -> None:
        if self._player is not None:
            self._player.setPlaybackRate(float(self.speed.itemData(index) or 1.0))
        self._show_speed()

    def _on_output_picker_current_index_changed(self, index: int) -> None:
        if 0 <= index < len(self.outputs):
            self._open(self.outputs[index], autoplay=True)

    def _on_player_duration_changed(self, duration: int) -> None:
        self.scrub.set_duration(duration, self.frame_ms())
        self._on_player_position_changed(self.player.position())

    def _on_player_meta_data_changed(self) -> None:
        self.scrub.set_duration(self.player.duration(), self.frame_ms())

    def _on_player_position_changed(self, position: int) -> None:
        if not self.scrub.is_dragging():
            self.scrub.set_position(position)
        self.time_label.setText(time_text(position, self.player.duration(), self.frame_ms()))

    def _on_player_playback_state_changed(self, _state: QMediaPlayer.PlaybackState) -> None:
        self._show_speed()

    def _on_player_media_status_changed(self, status: QMediaPlayer.MediaStatus) -> None:
        if status == QMediaPlayer.MediaStatus.EndOfMedia:
            self._hold_last_frame()

    def _hold_last_frame(self) -> None:
        """At the end without loop the player clears its picture: the last frame stays."""
        if self.frame is not None and self.path is not None:
            self.video.videoSink().setVideoFrame(self.frame)

    def _on_sink_video_frame_changed(self, frame: QVideoFrame) -> None:
        if frame.isValid():
            self.frame = frame  # kept as is; converted only when the user asks for it
        elif self._player is not None and (
            self._player.mediaStatus() == QMediaPlayer.MediaStatus.EndOfMedia
        ):
            self._hold_last_frame()  # (the clearing can come after EndOfMedia)

    # -- frames and files ----------------------------------------------------------------------

    def current_image(self) -> QImage | None:
        """The frame on screen at its native size, or None before the first frame."""
        if self.frame is None:
            return None
        image = self.frame.toImage()
        return None if image.isNull() else image

    def frame_file_name(self) -> str:
        """The compare grid's name for a saved frame: <clip>_<mm>m<ss>s<ff>f.png."""
        clip = self.path if self.path is not None else Path("frame")
        return frame_file_name(clip, self.player.position(), 1000.0 / self.frame_ms())

    def _on_save_frame_action_triggered(self) -> None:
        image = self.current_image()
        if image is None or self.path is None:
            return
        self.player.pause()
        dest, _ = QFileDialog.getSaveFileName(
            self,
            "Save the current frame",
            str(self.path.parent / self.frame_file_name()),
            "PNG image (*.png)",
        )
        if dest:
            self.frame_save_requested.emit(image, dest)

    def _to_draft(self, role: str) -> None:
        image = self.current_image()
        if image is not None:
            self.player.pause()
            self.frame_for_draft.emit(image, role)

    def _clip_intent(self, signal: SignalInstance, *extra: object) -> None:
        if self.local_id is not None:
            signal.emit(self.local_id, *extra)

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
