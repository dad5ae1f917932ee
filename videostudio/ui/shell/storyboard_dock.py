"""The storyboard dock: the panel (ui/review) and its view-model (ui/session), wired to
the window's player (I and O trim the selected shot) and compose form (the planned
shots are generated with the draft's model and settings)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QFileDialog, QWidget

from videostudio.core.jobs import JobRecord
from videostudio.core.models import GenerationRequest
from videostudio.ui.review.storyboard import StoryboardPanel
from videostudio.ui.session.storyboards import StoryboardSession

if TYPE_CHECKING:
    from videostudio.services.activity import Activity
    from videostudio.ui.compose.form import ComposeForm
    from videostudio.ui.media.thumbnails import FrameLoader
    from videostudio.ui.review.player import PlayerWidget
    from videostudio.ui.session.studio import StudioController


class StoryboardDock(QDockWidget):
    """The storyboard as a dock under the player and the library."""

    def __init__(
        self,
        controller: StudioController,
        frames: FrameLoader,
        player: PlayerWidget,
        compose: ComposeForm,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Storyboard", parent)
        self.setObjectName("storyboardDock")
        self.setAllowedAreas(
            Qt.DockWidgetArea.BottomDockWidgetArea | Qt.DockWidgetArea.TopDockWidgetArea
        )
        self.controller, self.player, self.compose = controller, player, compose
        self.panel = StoryboardPanel(self)
        self.session = StoryboardSession(controller, frames, self)
        self.setWidget(self.panel)
        s, p = self.session, self.panel
        s.boards_changed.connect(p.set_boards)
        s.shots_changed.connect(p.set_shots)
        s.poster_ready.connect(p.set_poster)
        s.sequence_ready.connect(self._on_session_sequence_ready)
        s.exporting.connect(p.set_exporting)
        s.export_progress.connect(p.set_progress)
        p.board_chosen.connect(s.choose)
        p.new_requested.connect(s.new)
        p.plan_requested.connect(lambda: s.add_planned(compose.prompt.text()))
        p.rename_requested.connect(s.rename)
        p.delete_requested.connect(s.delete)
        p.move_requested.connect(s.move_shot)
        p.remove_requested.connect(s.remove_shot)
        p.clips_dropped.connect(s.add_paths)
        p.shot_chosen.connect(s.choose_row)
        p.clear_trim_requested.connect(s.clear_trim)
        p.continue_toggled.connect(s.set_continues)
        p.play_requested.connect(s.play_all)
        p.generate_requested.connect(lambda: s.generate_missing(self._request_for))
        p.export_requested.connect(self._on_panel_export_requested)
        p.cancel_export_requested.connect(s.cancel_export)
        player.mark_requested.connect(
            lambda which, ms: s.mark(which, ms, player.local_id if player.local_id else -1)
        )
        controller.jobs_reset.connect(lambda _states: s.refresh())
        controller.job_changed.connect(self._on_controller_job_changed)

    def add_clips(self, ids: list[int]) -> None:
        """The clips at the end of the storyboard (the dock comes into view)."""
        self.show()
        self.raise_()
        self.session.add_clips(ids, -1)

    def close_down(self) -> None:
        """The window closes: stop any export (its partial file goes) and the preview."""
        self.session.cancel_export()
        self.panel.sequence.stop()

    def _request_for(self, prompt: str) -> GenerationRequest | None:
        """A planned shot's request: the draft's model and settings, its own prompt."""
        model = self.compose.model_picker.current_model()
        if model is None:
            return None
        request = self.controller.build_request(
            prompt, model.id, self.compose.params.values(), self.compose.advanced.values()
        )
        return dataclasses.replace(request, images=())  # the draft's images are the draft's

    def _on_session_sequence_ready(self, items: list[tuple[Path, int, int]]) -> None:
        if items:
            self.player.player.pause()
            self.panel.sequence.play(items)

    def _on_panel_export_requested(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export the storyboard", str(self.session.default_export()), "MP4 video (*.mp4)"
        )
        if path:
            self.session.export(path if path.lower().endswith(".mp4") else path + ".mp4")

    def _on_controller_job_changed(self, record: JobRecord, _activity: Activity | None) -> None:
        board = self.session.board
        if (
            board is not None
            and record.is_final
            and any(s.clip == record.local_id for s in board.shots)
        ):
            self.session.refresh()
