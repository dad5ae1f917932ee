"""The storyboard: a row of shot cards, a gapless preview of the whole sequence, and export.

The panel shows what its view-model (ui/session/storyboards.py) tells it and emits
intents; it never touches the journal. Shots are reordered by dragging a card or with
Ctrl+Left/Right, removed with Delete, added by dropping library cards on the row.
``SequencePlayer`` plays the shots back to back with two QMediaPlayers: while one
plays, the other holds the next shot loaded and paused on its in point, so a cut
costs no loading time and shows no black frame.

Signals (StoryboardPanel): board_chosen(int id), new_requested(), rename_requested(str),
delete_requested(), move_requested(int from, int to), remove_requested(int row),
clips_dropped(list[str] paths, int row), shot_chosen(int row), plan_requested(),
clear_trim_requested(int row), continue_toggled(int row, bool), play_requested(),
generate_requested(), export_requested(), cancel_export_requested().
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QPoint, QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QIcon,
    QImage,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPixmap,
)
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer, QVideoFrame, QVideoSink
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from videostudio.core.storyboard import Shot, seconds_text

CARD = QSize(160, 90)
_ROW_MIME = "application/x-videostudio-storyboard-row"


@dataclass(frozen=True)
class ShotView:
    """What a card shows: the shot, its kept length (None when unknown) and its poster."""

    shot: Shot
    length_s: float | None = None
    title: str = ""  # the clip's prompt, or the planned prompt
    problem: str = ""  # e.g. "the file is missing"


def card_text(index: int, view: ShotView) -> str:
    """The card's caption: number, source and length first (they keep their width)."""
    shot = view.shot
    length = "" if view.length_s is None else f" · {seconds_text(view.length_s)}"
    source = "planned" if shot.planned else f"#{shot.clip}"
    lines = [f"{index + 1} · {source}{length}"]
    if shot.trimmed:
        out = "end" if shot.trim_out is None else f"{shot.trim_out:.2f}"
        lines.append(f"in {shot.trim_in:.2f} · out {out}")
    elif shot.continues:
        lines.append("continues the shot before")
    else:
        lines.append(view.problem or "whole clip")
    return "\n".join(lines)


class ShotStrip(QListWidget):
    """The row of shot cards. Drag to reorder, drop library cards to add, keys to move.

    Signals: move_requested(int, int), remove_requested(int), clips_dropped(list, int).
    """

    move_requested = Signal(int, int)
    remove_requested = Signal(int)
    clips_dropped = Signal(list, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shotStrip")
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setFlow(QListWidget.Flow.LeftToRight)
        self.setWrapping(False)
        self.setMovement(QListWidget.Movement.Static)
        self.setIconSize(CARD)
        self.setGridSize(QSize(CARD.width() + 16, CARD.height() + 52))
        self.setWordWrap(True)
        self.setUniformItemSizes(True)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(CARD.height() + 76)
        self.setAccessibleName("Shots")
        self.setToolTip(
            "Drag clips here from the library; drag a shot, or Ctrl+Left/Right, to move it; "
            "Delete removes it"
        )

    def mimeTypes(self) -> list[str]:
        return [_ROW_MIME, "text/uri-list"]

    def mimeData(self, items: list[QListWidgetItem]) -> object:  # type: ignore[override]
        data = super().mimeData(items)
        if items:
            data.setData(_ROW_MIME, str(self.row(items[0])).encode())
        return data

    def _drop_row(self, pos: QPoint) -> int:
        item = self.itemAt(pos)
        if item is None:
            return self.count()
        rect = self.visualItemRect(item)
        row = self.row(item)
        return row + 1 if pos.x() > rect.center().x() else row

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(_ROW_MIME) or event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasFormat(_ROW_MIME) or event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        """The view-model reorders or adds; the strip is redrawn from what it says."""
        mime = event.mimeData()
        row = self._drop_row(event.position().toPoint())
        if mime.hasFormat(_ROW_MIME) and event.source() is self:
            source = int(bytes(mime.data(_ROW_MIME).data()).decode())
            self.move_requested.emit(source, row - 1 if row > source else row)
        elif mime.hasUrls():
            paths = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
            if paths:
                self.clips_dropped.emit(paths, row)
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        row = self.currentRow()
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if row >= 0 and ctrl and event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            to = row - 1 if event.key() == Qt.Key.Key_Left else row + 1
            if 0 <= to < self.count():
                self.move_requested.emit(row, to)
            event.accept()
        elif row >= 0 and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.remove_requested.emit(row)
            event.accept()
        else:
            super().keyPressEvent(event)


class SequencePlayer(QWidget):
    """Plays shots back to back without a gap (see the module's docstring).

    Signals: shot_started(int index), finished().
    """

    shot_started = Signal(int)
    finished = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sequencePlayer")
        self.setMinimumSize(192, 108)
        self.image: QImage | None = None
        self.items: list[tuple[Path, int, int]] = []  # path, in ms, out ms
        self.index = -1
        self._slots: list[tuple[QMediaPlayer, QVideoSink, QAudioOutput]] = []
        self._slot_item = [-1, -1]  # which item each player holds
        self._ready: list[QImage | None] = [None, None]  # each player's first frame, once shown
        self._wants_play = [False, False]
        self._active = 0
        self.switches: list[tuple[int, bool]] = []  # (item, was it ready), for tests

    def _player(self, slot: int) -> tuple[QMediaPlayer, QVideoSink, QAudioOutput]:
        while len(self._slots) <= slot:
            n = len(self._slots)
            player = QMediaPlayer(self)
            sink = QVideoSink(self)
            audio = QAudioOutput(self)
            player.setVideoSink(sink)
            player.setAudioOutput(audio)
            sink.videoFrameChanged.connect(lambda frame, n=n: self._on_frame(n, frame))
            player.mediaStatusChanged.connect(lambda status, n=n: self._on_status(n, status))
            self._slots.append((player, sink, audio))
        return self._slots[slot]

    @property
    def playing(self) -> bool:
        return self.index >= 0

    def play(self, items: list[tuple[Path, int, int]]) -> None:
        self.stop()
        if not items:
            return
        self.items = list(items)
        self.switches.clear()
        self._load(0, 0)
        self._start(0)
        self._load(1, 1)

    def stop(self) -> None:
        for player, _, _ in self._slots:
            player.stop()
            player.setSource(QUrl())
        self._slot_item = [-1, -1]
        self._ready = [None, None]
        self.index = -1

    def _load(self, slot: int, item: int) -> None:
        """Give ``slot`` shot ``item``; once loaded it waits, paused, on its in point."""
        player, _, _ = self._player(slot)
        self._slot_item[slot] = item
        self._ready[slot] = None
        self._wants_play[slot] = False
        if item >= len(self.items):
            player.setSource(QUrl())
            return
        player.setSource(QUrl.fromLocalFile(str(self.items[item][0])))

    def _start(self, slot: int) -> None:
        self._active = slot
        self.index = self._slot_item[slot]
        self.switches.append((self.index, self._ready[slot] is not None))
        if self._ready[slot] is not None:
            self.image = self._ready[slot]
            self.update()
        player = self._player(slot)[0]
        loaded = (QMediaPlayer.MediaStatus.LoadedMedia, QMediaPlayer.MediaStatus.BufferedMedia)
        if player.mediaStatus() in loaded:
            player.play()
        else:
            self._wants_play[slot] = True  # plays from its in point once loaded
        self.shot_started.emit(self.index)

    def _on_status(self, slot: int, status: QMediaPlayer.MediaStatus) -> None:
        player = self._player(slot)[0]
        item = self._slot_item[slot]
        if status == QMediaPlayer.MediaStatus.LoadedMedia and 0 <= item < len(self.items):
            player.setPosition(self.items[item][1])
            if self._wants_play[slot]:
                self._wants_play[slot] = False
                player.play()
            else:
                player.pause()  # decodes the in frame: shown at once when its turn comes
        elif status == QMediaPlayer.MediaStatus.EndOfMedia and slot == self._active:
            self._next()

    def _on_frame(self, slot: int, frame: QVideoFrame) -> None:
        if not frame.isValid() or self._slot_item[slot] < 0:
            return
        item = self._slot_item[slot]
        if item >= len(self.items):
            return
        _, _, end = self.items[item]
        if slot != self._active or self.index != item:
            if self._ready[slot] is None:
                self._ready[slot] = frame.toImage()
            return
        if frame.startTime() >= end * 1000:
            self._next()
            return
        self.image = frame.toImage()
        self.update()

    def _next(self) -> None:
        if self.index < 0:
            return
        done = self._active
        self._player(done)[0].pause()
        following = 1 - done
        if self._slot_item[following] >= len(self.items):
            self.stop()
            self.finished.emit()
            return
        self._start(following)
        self._load(done, self.index + 1)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("black"))  # video stays black in both modes
        if self.image is None:
            painter.setPen(QColor(255, 255, 255, 150))
            painter.drawText(
                self.rect().adjusted(8, 8, -8, -8),
                int(Qt.AlignmentFlag.AlignCenter) | int(Qt.TextFlag.TextWordWrap),
                "Play all shows the film here, shot after shot",
            )
        elif not self.image.isNull():
            scaled = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            x = (self.width() - scaled.width()) // 2
            y = (self.height() - scaled.height()) // 2
            painter.drawImage(
                self.rect().adjusted(x, y, -x, -y) if scaled.isValid() else self.rect(),
                self.image,
            )
        painter.end()


class StoryboardPanel(QWidget):
    """The storyboard dock's content (signals: see the module's docstring)."""

    board_chosen = Signal(int)
    new_requested = Signal()
    rename_requested = Signal(str)
    delete_requested = Signal()
    move_requested = Signal(int, int)
    remove_requested = Signal(int)
    clips_dropped = Signal(list, int)
    shot_chosen = Signal(int)
    clear_trim_requested = Signal(int)
    continue_toggled = Signal(int, bool)
    generate_requested = Signal()
    export_requested = Signal()
    cancel_export_requested = Signal()
    play_requested = Signal()
    plan_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.views: list[ShotView] = []
        self._posters: dict[int, QImage] = {}
        self._setup_ui()

    def _setup_ui(self) -> None:
        self.setObjectName("storyboard")
        self.boards = QComboBox(self)
        self.boards.setAccessibleName("Storyboard")
        self.boards.setToolTip("Switch between this folder's storyboards")
        self.boards.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("Storyboard name")
        self.name.setAccessibleName("Storyboard name")
        self.name.setMaximumWidth(220)
        self.new_button = QPushButton("New", self)
        self.new_button.setToolTip("A new, empty storyboard")
        self.delete_button = QToolButton(self)
        self.delete_button.setText("Delete")
        self.delete_button.setToolTip("Delete this storyboard (its clips stay in the library)")
        self.total = QLabel(self)
        self.total.setObjectName("hint")
        self.plan_button = QToolButton(self)
        self.plan_button.setText("Plan a shot")
        self.plan_button.setToolTip(
            "Add the prompt in the form as a planned shot, to generate with the others"
        )
        self.continue_button = QToolButton(self)
        self.continue_button.setText("Continue from previous")
        self.continue_button.setCheckable(True)
        self.continue_button.setToolTip(
            "When generated, this shot starts from the previous shot's last frame"
        )
        self.clear_trim_button = QToolButton(self)
        self.clear_trim_button.setText("Clear trim")
        self.clear_trim_button.setToolTip("Keep the whole clip (I and O in the player trim it)")
        self.play_button = QPushButton("Play all", self)
        self.play_button.setToolTip("Play the storyboard as one sequence")
        self.generate_button = QPushButton("Generate missing…", self)
        self.generate_button.setToolTip("Generate the planned shots as one batch (asks first)")
        self.export_button = QPushButton("Export…", self)
        self.export_button.setObjectName("generate")
        self.export_button.setToolTip("Cut the shots into one MP4")
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setMaximumWidth(180)
        self.progress_label = QLabel(self)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop the export; nothing is left behind")
        for w in (self.progress, self.progress_label, self.cancel_button):
            w.hide()
        self.strip = ShotStrip(self)
        self.sequence = SequencePlayer(self)
        self.sequence.setFixedSize(192, 108 + 60)

        top = QHBoxLayout()
        top.addWidget(self.boards, 1)
        top.addWidget(self.name, 1)
        top.addWidget(self.new_button)
        top.addWidget(self.delete_button)
        top.addStretch(1)
        top.addWidget(self.total)
        bottom = QHBoxLayout()
        bottom.addWidget(self.plan_button)
        bottom.addWidget(self.continue_button)
        bottom.addWidget(self.clear_trim_button)
        self.hint = QLabel("I / O in the player set the selected shot's in and out", self)
        self.hint.setObjectName("hint")
        bottom.addWidget(self.hint, 1)
        bottom.addWidget(self.progress)
        bottom.addWidget(self.progress_label)
        bottom.addWidget(self.cancel_button)
        bottom.addWidget(self.play_button)
        bottom.addWidget(self.generate_button)
        bottom.addWidget(self.export_button)
        row = QHBoxLayout()
        row.addWidget(self.sequence)
        row.addWidget(self.strip, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(top)
        layout.addLayout(row)
        layout.addLayout(bottom)

        self.boards.activated.connect(self._on_boards_activated)
        self.name.editingFinished.connect(self._on_name_editing_finished)
        self.new_button.clicked.connect(self.new_requested)
        self.plan_button.clicked.connect(self.plan_requested)
        self.delete_button.clicked.connect(self.delete_requested)
        self.strip.move_requested.connect(self.move_requested)
        self.strip.remove_requested.connect(self.remove_requested)
        self.strip.clips_dropped.connect(self.clips_dropped)
        self.strip.currentRowChanged.connect(self._on_strip_current_row_changed)
        self.continue_button.toggled.connect(self._on_continue_button_toggled)
        self.clear_trim_button.clicked.connect(
            lambda: self.clear_trim_requested.emit(self.strip.currentRow())
        )
        self.play_button.clicked.connect(self._on_play_button_clicked)
        self.generate_button.clicked.connect(self.generate_requested)
        self.export_button.clicked.connect(self.export_requested)
        self.cancel_button.clicked.connect(self.cancel_export_requested)
        self.sequence.finished.connect(lambda: self.play_button.setText("Play all"))
        self.sequence.shot_started.connect(self._on_sequence_shot_started)
        self._update_actions()

    # -- setters -------------------------------------------------------------------------------

    def set_boards(self, boards: list[tuple[int, str]], current: int | None) -> None:
        self.boards.blockSignals(True)
        self.boards.clear()
        for board_id, name in boards:
            self.boards.addItem(name, board_id)
        index = self.boards.findData(current) if current is not None else -1
        self.boards.setCurrentIndex(index)
        self.boards.blockSignals(False)
        self.name.setText(self.boards.currentText())
        self.delete_button.setEnabled(index >= 0)
        self.name.setEnabled(index >= 0)

    def set_shots(self, views: list[ShotView], total_s: float, current: int = -1) -> None:
        self.views = list(views)
        keep = current if current >= 0 else self.strip.currentRow()
        self.strip.blockSignals(True)
        self.strip.clear()
        for index, view in enumerate(views):
            item = QListWidgetItem(self._icon(view), card_text(index, view))
            item.setToolTip(view.title or view.shot.prompt)
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            self.strip.addItem(item)
        self.strip.blockSignals(False)
        if views:
            self.strip.setCurrentRow(max(0, min(keep, len(views) - 1)))
        planned = sum(1 for v in views if v.shot.planned)
        parts = [f"{len(views)} shot{'s' if len(views) != 1 else ''}", seconds_text(total_s)]
        if planned:
            parts.append(f"{planned} planned")
        self.total.setText(" · ".join(parts))
        self.generate_button.setText(
            f"Generate {planned} missing…" if planned else "Generate missing…"
        )
        self._update_actions()

    def set_poster(self, clip: int, image: QImage) -> None:
        self._posters[clip] = image
        for row, view in enumerate(self.views):
            if view.shot.clip == clip:
                item = self.strip.item(row)
                if item is not None:
                    item.setIcon(self._icon(view))

    def set_exporting(self, exporting: bool) -> None:
        for w in (self.progress, self.progress_label, self.cancel_button):
            w.setVisible(exporting)
        self.hint.setVisible(not exporting)  # the progress takes its place
        self.progress.setValue(0)
        self.progress_label.setText("Exporting…" if exporting else "")
        self._update_actions(exporting=exporting)

    def set_progress(self, fraction: float, seconds_left: float | None) -> None:
        self.progress.setValue(round(fraction * 1000))
        left = "" if seconds_left is None else f" · {max(0.0, seconds_left):.0f} s left"
        self.progress_label.setText(f"Exporting {fraction:.0%}{left}")

    # -- helpers -------------------------------------------------------------------------------

    def _icon(self, view: ShotView) -> QIcon:
        pixmap = QPixmap(CARD)
        pixmap.fill(self.palette().color(QPalette.ColorRole.AlternateBase))
        painter = QPainter(pixmap)
        poster = self._posters.get(view.shot.clip) if view.shot.clip is not None else None
        if poster is not None and not poster.isNull():
            scaled = poster.scaled(CARD, Qt.AspectRatioMode.KeepAspectRatio)
            painter.fillRect(pixmap.rect(), QColor("black"))
            painter.drawImage(
                (CARD.width() - scaled.width()) // 2, (CARD.height() - scaled.height()) // 2, scaled
            )
        else:
            text = "Planned\n" + view.shot.prompt[:40] if view.shot.planned else "…"
            painter.setPen(self.palette().color(QPalette.ColorRole.Text))
            painter.drawText(
                pixmap.rect().adjusted(6, 6, -6, -6),
                int(Qt.AlignmentFlag.AlignCenter) | int(Qt.TextFlag.TextWordWrap),
                text,
            )
        painter.end()
        return QIcon(pixmap)

    def _update_actions(self, *, exporting: bool | None = None) -> None:
        busy = self.cancel_button.isVisible() if exporting is None else exporting
        has = bool(self.views)
        row = self.strip.currentRow()
        self.export_button.setEnabled(has and not busy)
        self.play_button.setEnabled(has and not busy)
        self.generate_button.setEnabled(any(v.shot.planned for v in self.views))
        self.continue_button.setEnabled(0 < row < len(self.views) and self.views[row].shot.planned)
        self.clear_trim_button.setEnabled(
            0 <= row < len(self.views) and self.views[row].shot.trimmed
        )
        self.continue_button.blockSignals(True)
        self.continue_button.setChecked(
            0 <= row < len(self.views) and self.views[row].shot.continues
        )
        self.continue_button.blockSignals(False)

    def current_row(self) -> int:
        return self.strip.currentRow()

    # -- slots ---------------------------------------------------------------------------------

    def _on_boards_activated(self, index: int) -> None:
        board_id = self.boards.itemData(index)
        if board_id is not None:
            self.board_chosen.emit(int(board_id))

    def _on_name_editing_finished(self) -> None:
        name = self.name.text().strip()
        if name and name != self.boards.currentText():
            self.rename_requested.emit(name)

    def _on_strip_current_row_changed(self, row: int) -> None:
        self._update_actions()
        if row >= 0:
            self.shot_chosen.emit(row)

    def _on_continue_button_toggled(self, on: bool) -> None:
        self.continue_toggled.emit(self.strip.currentRow(), on)

    def _on_play_button_clicked(self) -> None:
        if self.sequence.playing:
            self.sequence.stop()
            self.play_button.setText("Play all")
        else:
            self.play_requested.emit()

    def _on_sequence_shot_started(self, index: int) -> None:
        self.play_button.setText("Stop")
        self.strip.blockSignals(True)
        self.strip.setCurrentRow(index)
        self.strip.blockSignals(False)
