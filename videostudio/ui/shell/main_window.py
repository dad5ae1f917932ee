"""The studio window: write a prompt, pick a model and settings, generate, review, iterate.

Layout and wiring: the compose form on the left (ui/compose/form.py owns the draft and
its logic); on the right the reviewing player (or the compare grid) over the clip
library, the home of every result. Splitter sizes and the draft come back on the next
start, even after a crash. The prompt has focus at start and a model is preselected: typing
a prompt and pressing Ctrl+Enter is all a first clip takes.
"""

from __future__ import annotations

import html
import logging
import os
from pathlib import Path
from typing import Any

import PySide6
from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QModelIndex,
    QObject,
    QPoint,
    QRect,
    QSettings,
    QSize,
    Qt,
    QTimer,
    QUrl,
    Signal,
    qVersion,
)
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QGuiApplication,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from videostudio import APP_NAME, __version__
from videostudio.core.budget import Budget
from videostudio.core.failures import CREDITS_URL
from videostudio.core.jobs import SAVED, JobRecord
from videostudio.core.models import GenerationRequest, VideoModel
from videostudio.core.operations import LINEAGE_WORDS
from videostudio.core.spend import Spend
from videostudio.core.validation import Problem
from videostudio.services.activity import Activity
from videostudio.ui.compose.batch_panel import BatchPanel
from videostudio.ui.compose.draft_undo import DraftUndo
from videostudio.ui.compose.form import ComposeForm
from videostudio.ui.desktop import ImageDropFilter, Notifier, reveal
from videostudio.ui.library.cards import files as clip_files
from videostudio.ui.library.sources import BackendSources
from videostudio.ui.library.view import LibraryPanel
from videostudio.ui.media.thumbnails import FrameLoader
from videostudio.ui.money.spend_view import SpendBadge, SpendDialog
from videostudio.ui.review.compare import CompareGrid, CompareItem
from videostudio.ui.review.player import PlayerWidget
from videostudio.ui.session.clip_actions import ClipActions, Draft
from videostudio.ui.session.operation_dialog import Offer, OperationDialog
from videostudio.ui.session.prompt_tools import PromptTools
from videostudio.ui.session.studio import Question, StudioController
from videostudio.ui.shell.banners import Banner, linkify
from videostudio.ui.shell.key_dialog import KeyDialog
from videostudio.ui.shell.status_line import StatusLine
from videostudio.ui.shell.storyboard_dock import StoryboardDock
from videostudio.ui.shell.style import FocusRing, themed_style
from videostudio.ui.widgets.operations import COMPARE_SOURCE, OPERATIONS

PROJECT_URL = "https://github.com/videostudio/videostudio"
ISSUES_URL = f"{PROJECT_URL}/issues"
LAST_MODE_DEMO = "window/demo"  # settings key: the mode the window was last in


COMPOSE_WIDTH = 330  # the compose panel's width on a first run
REVIEW, BROWSE = "review", "browse"
LAYOUT_KEY = "F6"  # switches review and browse; no other action uses it
FRAME_ALLOWANCE = QSize(8, 32)  # borders and a title bar, on a first run on a small screen
REVIEW_VIDEO_HEIGHT = 400  # review keeps a library row only if the video stays this tall


class MainWindow(QMainWindow):
    """Signals: closing() before the window closes (the app then stops the services)."""

    closing = Signal()

    def __init__(
        self,
        controller: StudioController,
        settings: QSettings,
        frames: FrameLoader,
        actions: ClipActions,
    ) -> None:
        super().__init__()
        self.controller = controller
        self.settings = settings
        self.frames = frames
        frames.setParent(self)  # decoding stops and goes with the window
        self.clip_actions = actions
        self.sources = BackendSources(
            lambda: controller.backend.journal if controller.backend else controller.preview
        )
        self._latest: int | None = None  # the newest job started here: play it when done
        self._current: int | None = None  # the job whose clip (or state) is shown
        self._images_restored = False
        self._quit_confirmed = False
        self._offline_text = ""
        self._offline_retry_at = 0.0
        self._theme = ""
        self._split_restored = False
        self._applied: list[int] = []  # the splitter's sizes when the layout was last applied
        self._layout = BROWSE
        self._library_share = 0.0  # the library's share of the height once the user drags
        self._applying = False
        self._setup_ui()
        self._setup_menus()
        self.notifier = Notifier(self)
        self.drops = ImageDropFilter(self)  # an image dropped anywhere joins the draft
        self.drops.install(self)
        self._connect()
        self._restore()

    # -- building ---------------------------------------------------------------------------

    def _setup_ui(self) -> None:
        self.setWindowTitle(APP_NAME)
        self.setMinimumSize(780, 500)
        self.compose = ComposeForm(
            self.settings, self.controller.estimate, self, cap_note=self.controller.cap_note
        )
        self.player = PlayerWidget(self)
        self.player.video.setMinimumSize(160, 90)  # browse gives the library the height
        self.operation_dialog: OperationDialog | None = None  # the one open (tests look at it)
        self.job_status = QLabel(self)
        self.job_status.setObjectName("jobStatus")
        self.job_status.setWordWrap(True)
        self.job_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        review = QWidget(self)
        review_layout = QVBoxLayout(review)
        review_layout.setContentsMargins(0, 0, 0, 0)
        self.lineage = QLabel(self)  # the chain a result came from, each job a link
        self.lineage.setObjectName("lineage")
        self.lineage.setWordWrap(True)
        self.lineage.setTextFormat(Qt.TextFormat.RichText)
        self.lineage.hide()
        review_layout.addWidget(self.player, 1)
        review_layout.addWidget(self.job_status)
        review_layout.addWidget(self.lineage)
        self.compare = CompareGrid(self)
        self.stage = QTabWidget(self)
        self.stage.setObjectName("stage")
        self.stage.setDocumentMode(True)
        self.stage.addTab(review, "Player")
        self.stage.addTab(self.compare, "Compare")
        self.stage.setTabEnabled(1, False)
        self.stage.setTabToolTip(1, "Select 2 to 4 clips in the library, then Compare (C)")
        self.library = LibraryPanel(
            self.sources.pages,
            self.sources.count,
            self.sources.models,
            self.frames,
            batches=self.sources.batch,
            clock=lambda: self.controller.clock(),  # the view-model's clock, even a new one
            parent=self,
        )
        self.right = QSplitter(Qt.Orientation.Vertical, self)
        self.right.setObjectName("rightSplitter")
        self.right.addWidget(self.stage)
        self.right.addWidget(self.library)
        self.right.setCollapsible(0, False)  # the player keeps a size (its video surface too)
        self.right.setStretchFactor(0, 1)
        self.right.setStretchFactor(1, 1)
        self.right.splitterMoved.connect(self._on_right_splitter_moved)
        self.right.installEventFilter(self)  # a new height (window, banners): the layout again
        self.main = QSplitter(Qt.Orientation.Horizontal, self)
        self.main.setObjectName("mainSplitter")
        self.main.addWidget(self.compose)
        self.main.addWidget(self.right)
        self.main.setStretchFactor(1, 1)
        self.main.setSizes([COMPOSE_WIDTH, 1280 - COMPOSE_WIDTH])
        self.layout_switch = self._layout_switch()
        self.stage.setCornerWidget(self.layout_switch, Qt.Corner.TopRightCorner)

        self.demo_banner = Banner("demo", closable=False, parent=self)
        self.demo_button = self.demo_banner.add_action("Add API key…", self._on_demo_button)
        self.offline_banner = Banner("offline", closable=False, parent=self)
        self.offline_banner.add_action("Try again", self.controller.retry_models)
        self.offline_banner.add_action("Use demo mode", lambda: self.controller.set_demo(True))
        self.key_banner = Banner("error", closable=False, parent=self)
        self.key_banner.add_action("Change key…", self.open_key_dialog)
        self.credits_banner = Banner("credits", closable=True, parent=self)
        self.credits_banner.add_action(
            "Add credits…", lambda: QDesktopServices.openUrl(QUrl(CREDITS_URL))
        )
        self.message_banner = Banner("error", closable=True, parent=self)
        self.owner_banner = Banner("info", closable=False, parent=self)
        self.banners = {
            "owner": self.owner_banner,
            "offline": self.offline_banner,
            "auth": self.key_banner,
            "credits": self.credits_banner,
            "refused": self.message_banner,
        }
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)
        for banner in (
            self.owner_banner,
            self.demo_banner,
            self.offline_banner,
            self.key_banner,
            self.credits_banner,
            self.message_banner,
        ):
            layout.addWidget(banner)
        layout.addWidget(self.main, 1)
        self.setCentralWidget(central)
        self.setStatusBar(StatusLine(self))
        self.storyboard = StoryboardDock(
            self.controller, self.frames, self.player, self.compose, self
        )
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.storyboard)
        self.storyboard.hide()  # until a clip is added to it, or View > Storyboard
        self.storyboard.session.play_requested.connect(self._play)
        self.spend_badge = SpendBadge(self)
        self.statusBar().addPermanentWidget(self.spend_badge)
        self.spend_badge.hide()  # until a backend has added up the journal: no false $0.00
        self.link_label = QLabel(self)
        self.link_label.setObjectName("linkStatus")
        self.statusBar().addPermanentWidget(self.link_label)
        self.spend_dialog: SpendDialog | None = None
        self.batch_dialog: QDialog | None = None
        self.key_dialog: KeyDialog | None = None
        # One ticker for elapsed times and countdowns; it runs only while something does.
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._on_ticker_timeout)
        self.focus_ring = FocusRing(self)
        self.draft_undo = DraftUndo(
            self.compose.prompt,
            self.compose.model_picker,
            self.compose.params,
            self.compose.advanced,
            self.controller.images,
            self,
        )
        self._apply_theme()

    def _layout_switch(self) -> QWidget:
        """Two segments in the stage's corner: a big player, or a big library."""
        switch = QWidget(self)
        row = QHBoxLayout(switch)
        row.setContentsMargins(0, 0, 4, 0)
        row.setSpacing(0)
        group = QButtonGroup(switch)
        self.layout_buttons: dict[str, QToolButton] = {}
        for mode, text, tip in (
            (REVIEW, "Review", "A big player over the library (F6 switches)"),
            (BROWSE, "Browse", "A big library under the player (F6 switches)"),
        ):
            button = QToolButton(switch)
            button.setObjectName("segment")
            button.setText(text)
            button.setToolTip(tip)
            button.setCheckable(True)
            button.clicked.connect(lambda _on=False, m=mode: self.set_layout(m))
            group.addButton(button)
            row.addWidget(button)
            self.layout_buttons[mode] = button
        return switch

    def _setup_menus(self) -> None:
        def action(menu: Any, text: str, slot: Any, keys: Any = None) -> QAction:
            act = QAction(text, self)
            if keys is not None:
                act.setShortcuts(keys if isinstance(keys, list) else [keys])
            act.triggered.connect(slot)
            menu.addAction(act)
            return act

        bar = self.menuBar()
        file = bar.addMenu("&File")
        self.generate_action = action(
            file,
            "&Generate",
            self.compose.request_generate,
            [QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")],
        )
        self.generate_action.setAutoRepeat(False)  # a held key is one gesture, not a stream
        self.variations_action = action(
            file, "&Variations…", self.open_variations, QKeySequence("Ctrl+B")
        )
        action(file, "&Save clip as…", self.player.save_button.click, QKeySequence.StandardKey.Save)
        action(file, "Show clip in &folder", self.player.reveal_button.click)
        file.addSeparator()
        action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        edit = bar.addMenu("&Edit")
        undo = action(
            edit, "&Undo loading the settings", self.draft_undo.undo, QKeySequence.StandardKey.Undo
        )
        undo.setEnabled(False)
        self.draft_undo.available.connect(undo.setEnabled)
        action(edit, "&Paste image", self.compose.paste_image, QKeySequence("Ctrl+Shift+V"))
        action(edit, "&Add image…", self.compose.images.add_button.click, QKeySequence("Ctrl+I"))
        action(edit, "Focus &prompt", self.compose.prompt.focus, QKeySequence("Ctrl+L"))
        action(edit, "&Improve prompt", self.compose.request_improve, QKeySequence("Ctrl+Shift+I"))
        action(edit, "Prompt &history…", self.compose.history_requested, QKeySequence("Ctrl+H"))
        action(edit, "Choose &model", self.compose.model_picker.setFocus, QKeySequence("Ctrl+M"))
        settings = bar.addMenu("&Settings")
        action(settings, "OpenRouter API &key…", self.open_key_dialog, QKeySequence("Ctrl+,"))
        self.demo_action = action(settings, "&Demo mode (built-in simulator)", self._on_demo_action)
        self.demo_action.setCheckable(True)
        self.demo_action.setToolTip("Switch between the free simulator and OpenRouter at any time.")
        action(settings, "&Refresh model list", self.controller.retry_models, QKeySequence("F5"))
        action(settings, "&Spending and budget…", self.open_spend, QKeySequence("Ctrl+Shift+B"))
        action(settings, "&Assistant model…", lambda: self.prompt_tools.ask_assistant_model(self))
        view = bar.addMenu("&View")
        self.layout_action = action(
            view, "&Review or browse layout", self.toggle_layout, QKeySequence(LAYOUT_KEY)
        )
        clip = bar.addMenu("&Clip")
        action(clip, "&Use these settings", self._on_use_settings, QKeySequence("Ctrl+U"))
        action(clip, "&Vary (new seed)", self._on_vary, QKeySequence("Ctrl+R"))
        action(clip, "&Continue from the last frame", self._on_continue, QKeySequence("Ctrl+J"))
        action(clip, "C&ompare the selected clips", self._on_compare, QKeySequence("Ctrl+K"))
        clip.addSeparator()
        for operation, text, keys in OPERATIONS:
            action(
                clip, text, lambda _=False, op=operation: self._on_operation(op), QKeySequence(keys)
            )
        action(clip, COMPARE_SOURCE[0], self._on_compare_source, QKeySequence(COMPARE_SOURCE[1]))
        clip.addSeparator()
        action(
            clip,
            "&Find in the library",
            self.library.search.setFocus,
            QKeySequence.StandardKey.Find,
        )
        action(
            clip,
            "Add to the &storyboard",
            lambda: self.storyboard.add_clips(self._selected_or_current()),
            QKeySequence("Ctrl+Shift+S"),
        )
        view.addAction(self.storyboard.toggleViewAction())
        help_menu = bar.addMenu("&Help")
        action(
            help_menu, "OpenRouter &credits", lambda: QDesktopServices.openUrl(QUrl(CREDITS_URL))
        )
        action(help_menu, "&About videostudio", self._on_about)

    def _connect(self) -> None:
        c = self.controller
        form = self.compose
        form.generate_requested.connect(c.generate)
        self.prompt_tools = PromptTools(c, self)
        self.prompt_tools.wire(form)
        form.variations_requested.connect(self.open_variations)
        form.model_chosen.connect(c.set_model)
        form.draft_saved.connect(c.keep_draft_images)
        form.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        form.images.files_added.connect(c.images.add_files)
        form.images.urls_added.connect(c.images.add_urls)
        form.images.image_pasted.connect(c.images.add_qimage)
        form.images.remove_requested.connect(self._on_images_remove_requested)
        form.images.role_changed.connect(self._on_images_role_changed)
        lib = self.library
        lib.model.dataChanged.connect(self._on_library_model_data_changed)
        lib.play_requested.connect(self._on_library_play_requested)
        lib.current_changed.connect(self._on_library_current_changed)
        lib.settings_requested.connect(self.clip_actions.use_settings)
        lib.vary_requested.connect(self.clip_actions.vary)
        lib.continue_requested.connect(self.clip_actions.continue_from)
        lib.compare_requested.connect(self.clip_actions.compare)
        lib.operation_requested.connect(self.clip_actions.offer)
        lib.compare_source_requested.connect(self.clip_actions.compare_with_source)
        self.player.operation_requested.connect(self.clip_actions.offer)
        self.player.compare_source_requested.connect(self.clip_actions.compare_with_source)
        self.clip_actions.offer_ready.connect(self._on_actions_offer_ready)
        self.lineage.linkActivated.connect(self._on_lineage_link_activated)
        lib.favourite_requested.connect(self.clip_actions.set_favourite)
        lib.reveal_requested.connect(self._reveal)
        lib.delete_requested.connect(self.clip_actions.delete)
        lib.undo_requested.connect(self.clip_actions.undo)
        lib.retry_batch_requested.connect(self.clip_actions.retry_batch)
        lib.save_requested.connect(self._on_library_save_requested)
        lib.resubmit_requested.connect(c.resubmit)
        lib.stop_requested.connect(self._on_library_stop_requested)
        self.clip_actions.changed.connect(lib.upsert)
        self.clip_actions.undo_offered.connect(lib.show_undo)
        self.clip_actions.undo_gone.connect(lib.hide_undo)
        self.clip_actions.draft_ready.connect(self.load_draft)
        self.clip_actions.compare_ready.connect(self._on_actions_compare_ready)
        self.player.save_requested.connect(c.save_copy)
        self.player.reveal_requested.connect(self._reveal)
        self.player.frame_for_draft.connect(c.images.add_frame)
        self.player.frame_save_requested.connect(self.clip_actions.save_frame)
        self.player.use_settings_requested.connect(self.clip_actions.use_settings)
        self.player.vary_requested.connect(lambda local_id: self.clip_actions.vary([local_id]))
        self.player.continue_requested.connect(self._on_player_continue_requested)
        self.compare.favourite_toggled.connect(
            lambda local_id, on: self.clip_actions.set_favourite([local_id], on)
        )
        self.compare.use_settings_requested.connect(self.clip_actions.use_settings)
        self.compare.frame_saved.connect(
            lambda _id, path: c.notice.emit(f"Saved the frame to {path}", "info")
        )
        self.compare.frame_save_failed.connect(lambda _id, why: c.notice.emit(why, "error"))
        self.spend_badge.details_requested.connect(self.open_spend)
        c.spend_changed.connect(self._on_controller_spend_changed)
        c.draft_images_kept.connect(lambda kept: self.settings.setValue("draft/images", kept))
        c.raise_requested.connect(self.bring_to_front)
        self.notifier.activated.connect(self._on_notifier_activated)
        self.drops.files_dropped.connect(c.images.add_files)
        self.drops.urls_dropped.connect(c.images.add_urls)
        self.drops.image_dropped.connect(c.images.add_qimage)
        c.models_changed.connect(self._on_controller_models_changed)
        c.jobs_reset.connect(self._on_controller_jobs_reset)
        c.job_changed.connect(self._on_controller_job_changed)
        c.mode_changed.connect(self._on_controller_mode_changed)
        c.history_shown.connect(self.library.reload)
        c.link_changed.connect(self._on_controller_link_changed)
        c.banner.connect(self._on_controller_banner)
        c.notice.connect(self._on_controller_notice)
        c.question.connect(self._on_controller_question)
        c.sending.connect(self._on_controller_sending)
        c.key_needed.connect(self._on_controller_key_needed)
        c.problems.connect(form.show_problems)
        c.images.added.connect(form.add_image_tile)
        c.images.removed.connect(form.images.remove_tile)
        c.images.roles.connect(form.images.set_roles)
        c.images.messages.connect(form.show_image_messages)
        c.submitted.connect(self._on_controller_submitted)

    def bring_to_front(self) -> None:
        """The app was launched again: this window comes forward instead of a second one."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    # -- the look ---------------------------------------------------------------------------

    def _apply_theme(self) -> None:
        """State colours blended with the current palette (light or dark)."""
        sheet = themed_style(self.palette())
        if sheet != self._theme:  # setting a sheet can itself raise a palette change
            self._theme = sheet
            self.setStyleSheet(sheet)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._apply_theme()
        super().changeEvent(event)

    # -- state kept between runs ------------------------------------------------------------

    def _restore(self) -> None:
        s = self.settings
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self._first_run_size()
        layout = s.value("window/layout", BROWSE)
        self._layout = layout if layout in (REVIEW, BROWSE) else BROWSE
        share = s.value("window/library_share", 0.0, type=float)
        self._library_share = share if isinstance(share, float) else 0.0
        self.layout_buttons[self._layout].setChecked(True)
        self.compose.restore()

    def _first_run_size(self) -> None:
        """As big as a laptop screen allows, never bigger than the screen's free area (less
        a title bar's height, which a window manager adds)."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        area = screen.availableGeometry() if screen else QRect(0, 0, 1280, 800)
        wanted = QSize(max(1280, area.width() * 4 // 5), max(800, area.height() * 4 // 5))
        room = area.size() - FRAME_ALLOWANCE
        size = wanted.boundedTo(room)
        self.resize(size)
        self.move(area.center() - QRect(QPoint(0, 0), size).center())

    # -- review and browse ------------------------------------------------------------------

    def set_layout(self, mode: str) -> None:
        """REVIEW: the player as big as the window allows; BROWSE: two full rows of cards."""
        self._layout = mode
        self._library_share = 0.0  # the layout decides again, until the user drags
        self.layout_buttons[mode].setChecked(True)
        self._apply_layout()

    def toggle_layout(self) -> None:
        self.set_layout(BROWSE if self._layout == REVIEW else REVIEW)

    def layout_mode(self) -> str:
        return self._layout

    def _wanted_sizes(self) -> list[int]:
        """The player's and the library's heights for the layout (or the user's drag)."""
        total = sum(self.right.sizes())
        if self._library_share:
            library = int(total * self._library_share)
        else:
            library = self.library.height_for_rows(2 if self._layout == BROWSE else 1)
            video_room = total - library - (self.stage.height() - self.player.video.height())
            if self._layout == REVIEW and video_room < REVIEW_VIDEO_HEIGHT:
                library = 0  # the player first: the library is one key (or a drag) away
        stage = max(self.stage.minimumSizeHint().height(), total - library)
        return [stage, max(0, total - stage)]

    def layout_settled(self) -> bool:
        """Whether the splitter shows the layout for its size (a resize applies it a moment
        later)."""
        return self.right.sizes() == self._applied

    def _apply_layout(self) -> None:
        if sum(self.right.sizes()) <= 0:
            return
        self._applying = True
        self.right.setSizes(self._wanted_sizes())
        self._applying = False
        self._applied = self.right.sizes()

    def _on_right_splitter_moved(self, _pos: int, _index: int) -> None:
        total = sum(self.right.sizes())
        if total and not self._applying:
            self._library_share = self.right.sizes()[1] / total

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.right and event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            if not self._split_restored:  # at its shown size: the compose width fits as it was
                self._split_restored = True
                state = self.settings.value("window/main")
                if isinstance(state, QByteArray):
                    self.main.restoreState(state)
            QTimer.singleShot(0, self._apply_layout)  # once the splitter has its new size
        return super().eventFilter(watched, event)

    def save_state(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/main", self.main.saveState())
        s.setValue("window/layout", self._layout)
        s.setValue("window/library_share", self._library_share)
        self.save_draft()

    def _running_jobs(self) -> int:
        backend = self.controller.backend
        if backend is None or not backend.driving:
            return 0
        return sum(not r.is_final for r in backend.journal.unfinished())

    def _ask_before_quit(self, running: int) -> None:
        what = "1 job is" if running == 1 else f"{running} jobs are"
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "Quit while jobs run?",
            f"{what} still running. They are journaled: the next time videostudio starts it "
            "picks them up, downloads the clips and never sends them twice. Jobs keep running "
            "on the server meanwhile.",
            parent=self,
        )
        quit_button = box.addButton("Quit", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Keep open", QMessageBox.ButtonRole.RejectRole)
        never = QCheckBox("Don't ask again", box)
        box.setCheckBox(never)
        box.setWindowModality(Qt.WindowModality.WindowModal)

        def answered(_result: int) -> None:
            if never.isChecked():
                self.settings.setValue("window/ask_before_quit", False)
            box.deleteLater()
            if box.clickedButton() is quit_button:
                self._quit_confirmed = True
                self.close()

        box.finished.connect(answered)
        box.open()

    def save_draft(self) -> None:
        """Keep the draft (the form's controls; images by the view-model) so a restart or a
        crash finds it as it was."""
        self.compose.save_draft()

    def closeEvent(self, event: QCloseEvent) -> None:
        running = 0 if self._quit_confirmed else self._running_jobs()
        if running and self.settings.value("window/ask_before_quit", True, type=bool):
            event.ignore()
            self._ask_before_quit(running)
            return
        self.notifier.close()
        self.save_state()
        self._ticker.stop()
        self.player.clear()
        self.compare.clear()
        self.storyboard.close_down()
        self.frames.stop()
        self.closing.emit()
        super().closeEvent(event)

    # -- the form ---------------------------------------------------------------------------

    def _on_controller_models_changed(self, models: list[VideoModel], status: str) -> None:
        self.compose.set_models(models, status)

    def load_draft(self, draft: Draft) -> None:
        """A clip's settings back in the form ("use these settings", vary, continue)."""
        self.draft_undo.keep()  # Ctrl+Z brings the draft it replaces back
        self.compose.load_request(draft.request, draft.options)
        self.controller.images.clear()
        self.controller.images.tasks.spawn(self.controller.images.add_data(draft.images))
        if draft.note:
            self.statusBar().showMessage(draft.note, 8000)
        self.compose.finish_load()

    def _on_controller_sending(self, sending: bool) -> None:
        refocus = not sending and self.focusWidget() is None
        self.compose.set_sending(sending)
        self.generate_action.setEnabled(not sending)
        if refocus:
            self.compose.prompt.focus()

    def _on_images_remove_requested(self, image_id: int) -> None:
        self.controller.images.remove(image_id)
        self.compose.update_estimate()

    def _on_images_role_changed(self, image_id: int, role: str) -> None:
        self.controller.images.set_role(image_id, role)
        self.compose.update_estimate()

    # -- asking -----------------------------------------------------------------------------

    def _on_controller_question(self, question: Question) -> None:
        """Show the view-model's question; the chosen button is its answer (No by default)."""
        # The question is the text (a title bar may not show it), the details below it.
        box = QMessageBox(QMessageBox.Icon.Question, question.title, question.title, parent=self)
        box.setInformativeText(question.text)
        yes = box.addButton(question.yes, QMessageBox.ButtonRole.AcceptRole)
        no = box.addButton(question.no, QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(no)
        box.setEscapeButton(no)
        box.setWindowModality(Qt.WindowModality.WindowModal)

        def answered(_result: int) -> None:
            if not question.answer.done():
                question.answer.set_result(box.clickedButton() is yes)
            box.deleteLater()

        box.finished.connect(answered)
        box.open()

    # -- jobs, the library and the player ---------------------------------------------------

    def _on_controller_jobs_reset(self, states: dict[int, str]) -> None:
        self.notifier.reset(states)
        if not self._images_restored:  # the first backend: the last run's draft images
            self._images_restored = True
            kept = str(self.settings.value("draft/images", "") or "")
            self.controller.tasks.spawn(self.controller.restore_draft_images(kept))
        self.player.clear()
        self.compare.clear()
        self.stage.setTabEnabled(1, False)
        self.stage.setCurrentIndex(0)
        self._current = None
        self.job_status.clear()
        self.library.reload()
        self._update_ticker()

    def _on_controller_job_changed(self, record: JobRecord, activity: Activity | None) -> None:
        self.library.upsert(record, activity)
        if activity is None:
            self.notifier.track(record, self.isActiveWindow())
        if record.local_id == self._current:
            self._show_status(record.local_id)
        self._update_ticker()
        newest = activity is None and record.state == SAVED and record.local_id == self._latest
        if newest and (self.player.path is None or self._current == record.local_id):
            self._play(record)  # the clip just made plays as soon as it is saved

    def _on_controller_submitted(self, local_id: int) -> None:
        self._latest = local_id
        self._current = local_id
        self.compose.hide_problems()
        self.library.select(local_id)
        self._show_status(local_id)

    def _show_status(self, local_id: int) -> None:
        """The chosen job in a sentence under the player, with its time while it runs."""
        model = self.library.model
        text = model.status_of(local_id)
        record = model.record(local_id)
        if record is not None and not record.is_final:
            text += f" · {model.elapsed_of(local_id)}"
        self.job_status.setText(text)
        self._show_lineage(local_id)

    def _show_lineage(self, local_id: int) -> None:
        """A result's chain: "job 3 → extended: job 5 → upscaled: job 8 · compare with source"."""
        chain = self.clip_actions.chain_of(local_id)
        if len(chain) < 2:
            self.lineage.hide()
            return
        steps = []
        for record in chain:
            link = f"<a href='play:{record.local_id}'>job {record.local_id}</a>"
            how = LINEAGE_WORDS.get(record.operation or "", "")
            steps.append(f"{how}: {link}" if record.source_job is not None and how else link)
        compare = f" · <a href='compare:{local_id}'>{COMPARE_SOURCE[0].lower()}</a>"
        self.lineage.setText("Chain: " + " → ".join(steps) + compare)
        self.lineage.show()

    def _on_lineage_link_activated(self, link: str) -> None:
        what, _, number = link.partition(":")
        if not number.isdigit():
            return
        if what == "compare":
            self.clip_actions.compare_with_source(int(number))
            return
        self.library.select(int(number))
        record = self.controller.record_for(int(number))
        if record is not None and record.state == SAVED:
            self._play(record)

    def _on_operation(self, operation: str) -> None:
        for local_id in self._selected_or_current()[:1]:
            self.clip_actions.offer(local_id, operation)

    def _on_compare_source(self) -> None:
        for local_id in self._selected_or_current()[:1]:
            self.clip_actions.compare_with_source(local_id)

    def _on_actions_offer_ready(self, offer: Offer) -> None:
        dialog = OperationDialog(offer, self)
        dialog.accepted.connect(lambda: self.clip_actions.operate(dialog.choice()))
        dialog.finished.connect(dialog.deleteLater)
        self.operation_dialog = dialog
        dialog.open()

    def _play(self, record: JobRecord) -> None:
        files = [Path(f) for f in clip_files(record)]
        if not files or not files[0].exists():
            self.player.clear()
            return
        self._current = record.local_id
        self.stage.setCurrentIndex(0)
        if self.player.path != files[0] or self.player.local_id != record.local_id:
            self.player.load(files[0], outputs=files, local_id=record.local_id)
        self._show_status(record.local_id)

    def _on_library_play_requested(self, local_id: int, _path: str) -> None:
        record = self.controller.record_for(local_id)
        if record is not None and record.state == SAVED:
            self._play(record)
            self.player.setFocus()

    def _on_library_current_changed(self, local_id: int) -> None:
        """Choosing a card shows its clip (or why there is none yet)."""
        record = self.controller.record_for(local_id)
        if record is None:
            return
        self._current = local_id
        if record.state == SAVED:
            self._play(record)
        else:
            self.player.clear()
            self._show_status(local_id)

    def _on_library_stop_requested(self, ids: list[int]) -> None:
        answer = QMessageBox.question(
            self,
            "Stop watching?",
            "OpenRouter has no way to cancel a video job. If you stop watching, the job may "
            "still finish on the server and be billed, but this app will not download it.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Yes:
            for local_id in ids:
                self.controller.stop_job(local_id)

    def _on_library_save_requested(self, local_id: int) -> None:
        dest = QFileDialog.getExistingDirectory(self, "Save the paid clip into this folder")
        if dest:
            self.clip_actions.save_to(local_id, dest)

    def _on_player_continue_requested(self, local_id: int) -> None:
        if self.player.path is not None:
            self.clip_actions.continue_from(local_id, str(self.player.path))

    def _selected_or_current(self) -> list[int]:
        ids = self.library.selected_ids()
        return ids or ([self._current] if self._current is not None else [])

    def _on_use_settings(self) -> None:
        ids = self._selected_or_current()
        if ids:
            self.clip_actions.use_settings(ids[0])

    def _on_vary(self) -> None:
        ids = self._selected_or_current()
        if ids:
            self.clip_actions.vary(ids[:1])

    def _on_continue(self) -> None:
        for local_id in self._selected_or_current()[:1]:
            record = self.controller.record_for(local_id)
            if record is not None and record.state == SAVED and record.path:
                self.clip_actions.continue_from(local_id, record.path)

    def _on_compare(self) -> None:
        self.clip_actions.compare(self.library.selected_ids())

    def _on_actions_compare_ready(self, items: list[CompareItem]) -> None:
        self.player.player.pause()
        self.compare.set_items(items, autoplay=True)
        self.stage.setTabEnabled(1, True)
        self.stage.setCurrentWidget(self.compare)
        self.compare.setFocus()

    def _reveal(self, path: str) -> None:
        """Show the file selected in the file manager (or its folder); say so if nothing can."""
        self.controller.tasks.spawn(self._reveal_now(path))

    async def _reveal_now(self, path: str) -> None:
        problem = await reveal(path)
        if problem:
            self.controller.notice.emit(problem, "error")

    def _on_notifier_activated(self, local_id: int) -> None:
        """A click on "Clip ready": the window comes forward and shows that clip."""
        self.bring_to_front()
        if self.library.select(local_id):
            self._on_library_current_changed(local_id)

    # -- variations and money ---------------------------------------------------------------

    def open_variations(self) -> None:
        """The draft as a batch: N seeds x M models (x prompt lines), priced before sending."""
        form = self.compose
        model = form.model_picker.current_model()
        if model is None:
            form.show_problems([Problem("", "Choose a model first.")])
            return
        if self.batch_dialog is None:
            dialog = self.batch_dialog = QDialog(self)
            dialog.setWindowTitle("Variations")
            dialog.resize(560, 620)
            self.batch = BatchPanel(self.controller.price, dialog)
            QVBoxLayout(dialog).addWidget(self.batch)
            self.batch.send_requested.connect(self._on_batch_send_requested)
            self.batch.cancelled.connect(dialog.reject)
        self.batch.set_models(self.controller.models)
        base = self.controller.build_request(
            form.prompt.text(), model.id, form.params.values(), form.advanced.values()
        )
        self.batch.set_base(base)
        if not self.batch.checked_models():
            self.batch.set_checked_models([model.id])
        self.batch_dialog.open()

    def _on_batch_send_requested(self, requests: list[GenerationRequest]) -> None:
        if self.batch_dialog is not None:
            self.batch_dialog.accept()
        self.controller.generate_batch(requests)

    def open_spend(self) -> None:
        if self.spend_dialog is None:
            self.spend_dialog = SpendDialog(self)
            self.spend_dialog.budget_changed.connect(self.controller.set_budget)
            self.controller.refresh_spend()
        self.spend_dialog.open()

    def _on_controller_spend_changed(self, spend: Spend, budget: Budget, demo: bool) -> None:
        self.spend_badge.set_budget(budget)
        self.spend_badge.set_spend(spend, demo=demo)
        self.compose.update_estimate()  # the cap state beside Generate
        if self.spend_dialog is not None:
            self.spend_dialog.panel.set_spend(spend, demo=demo)
            self.spend_dialog.panel.set_model_names({m.id: m.name for m in self.controller.models})
            self.spend_dialog.panel.budget_form.set_budget(budget)

    # -- time passing -----------------------------------------------------------------------

    def _update_ticker(self) -> None:
        """Tick each second while the offline countdown shows; an idle window has no timer.
        (Running jobs tick in the library, whose cards the line under the player follows.)"""
        busy = self._offline_retry_at > 0
        if busy and not self._ticker.isActive():
            self._ticker.start()
        elif not busy:
            self._ticker.stop()

    def _on_ticker_timeout(self) -> None:
        self._show_offline()

    def _on_library_model_data_changed(self, first: QModelIndex, last: QModelIndex) -> None:
        current = self._current
        if current is None:
            return
        row = self.library.model.row_of(current)
        if row is not None and first.row() <= row <= last.row():
            self._show_status(current)

    # -- banners, the status bar, the key ---------------------------------------------------

    def _on_controller_mode_changed(self, demo: bool) -> None:
        self.settings.setValue(LAST_MODE_DEMO, demo)  # whose library to show first next time
        self.setWindowTitle(f"{APP_NAME} — Demo mode" if demo else APP_NAME)
        self.demo_action.setChecked(demo)
        has_key = self.controller.key is not None
        self.demo_button.setText("Use OpenRouter" if has_key else "Add API key…")
        self.demo_banner.show_text(
            "<b>Demo mode</b>: clips come from the built-in simulator, offline and free. "
            + (
                "Switch back to OpenRouter to make real clips."
                if has_key
                else "Add your OpenRouter API key to make real clips."
            )
            if demo
            else ""
        )

    def _on_demo_button(self) -> None:
        if self.controller.key is None:
            self.open_key_dialog()
        else:
            self.controller.set_demo(False)

    def _on_demo_action(self, checked: bool) -> None:
        self.controller.set_demo(checked)

    def _on_controller_link_changed(self, state: str, text: str) -> None:
        self.link_label.setText(text)
        self.link_label.setAccessibleDescription(state)

    def _on_controller_banner(self, cause: str, text: str, retry_at: float) -> None:
        if cause == "offline":
            self._offline_text, self._offline_retry_at = text, retry_at if text else 0.0
            self._show_offline()
            self._update_ticker()
            return
        self.banners[cause].show_text(linkify(text))

    def _show_offline(self) -> None:
        text = self._offline_text
        if text and self._offline_retry_at:
            left = self._offline_retry_at - self.controller.clock()
            text += f" Next try in {left:.0f} s." if left >= 0.5 else " Trying again now…"
        self.offline_banner.show_text(html.escape(text, quote=False))

    def _on_controller_notice(self, text: str, kind: str) -> None:
        if kind == "error":
            self.message_banner.show_text(linkify(text))
        elif not text:
            self.statusBar().clearMessage()
        else:  # "progress" stays until the next word; "info" fades
            self.statusBar().showMessage(text, 0 if kind == "progress" else 8000)

    def _on_controller_key_needed(self, why: str, problem: bool) -> None:
        self.open_key_dialog()
        if self.key_dialog is not None:
            self.key_dialog.set_status(why, error=problem)

    def open_key_dialog(self) -> None:
        if self.key_dialog is None:
            dialog = self.key_dialog = KeyDialog(self)
            c = self.controller
            dialog.test_requested.connect(c.test_key)
            dialog.save_requested.connect(c.save_key)
            dialog.session_requested.connect(c.use_session_key)
            dialog.remove_requested.connect(c.remove_key)
            c.key_status.connect(self._on_controller_key_status)
            c.key_state.connect(self._on_controller_key_state)
            c.key_rejected.connect(dialog.set_rejected)
        self.key_dialog.clear_key()
        self.key_dialog.set_status("")
        self.controller.emit_key_state()
        self.key_dialog.open()

    def _on_controller_key_status(self, text: str, error: bool, busy: bool) -> None:
        if self.key_dialog is not None:
            self.key_dialog.set_status(text, error=error, busy=busy)
            if not error and not busy and text.startswith(("Saved", "Using")):
                self.key_dialog.clear_key()

    def _on_controller_key_state(self, has_key: bool, session_only: bool, error: str) -> None:
        if self.key_dialog is not None:
            self.key_dialog.set_state(
                has_key=has_key, session_only=session_only, keychain_error=error
            )

    # -- about ------------------------------------------------------------------------------

    def about_text(self) -> str:
        """What a problem report needs: versions, where the data and the log are, where to go."""
        data = Path(self.settings.fileName()).parent
        logs = [
            h.baseFilename
            for h in logging.getLogger().handlers
            if isinstance(h, logging.FileHandler) and h.baseFilename != os.devnull
        ]
        rows = [
            ("Version", __version__),
            ("Qt", qVersion()),
            ("PySide6", PySide6.__version__),
            ("Data folder", str(data)),
            ("Log file", logs[0] if logs else "not written in this run"),
        ]
        lines = "<br>".join(f"{html.escape(k)}: {html.escape(v)}" for k, v in rows)
        return (
            f"<b>{APP_NAME} {__version__}</b><br>A desktop studio for OpenRouter's video "
            f"generation API. Every job is journaled and saved with its settings.<p>{lines}</p>"
            f"To report a problem, copy these lines into a new issue at "
            f"<a href='{ISSUES_URL}'>{ISSUES_URL}</a> and attach the log file "
            "(it never contains your API key)."
        )

    def _on_about(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, f"About {APP_NAME}", "", parent=self)
        box.setObjectName("aboutBox")
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(self.about_text())
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        box.setStandardButtons(QMessageBox.StandardButton.Close)
        icon = self.windowIcon().pixmap(64, 64)
        if not icon.isNull():
            box.setIconPixmap(icon)
        box.finished.connect(box.deleteLater)
        box.open()
