"""The studio window: write a prompt, pick a model and settings, generate, watch the queue, play.

Layout: the generation form on the left; the player over the job queue on the
right, in splitters whose sizes (with the last model and settings) come back
on the next start. The prompt has focus at start and a model is preselected:
typing a prompt and pressing Ctrl+Enter is all a first clip takes.
"""

from __future__ import annotations

import html
import logging
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import PySide6
from PySide6.QtCore import QByteArray, QEvent, QSettings, Qt, QTimer, QUrl, Signal, qVersion
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QGuiApplication,
    QImage,
    QKeySequence,
    QPixmap,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from videostudio import APP_NAME, __version__
from videostudio.core.failures import CREDITS_URL
from videostudio.core.jobs import SAVED, JobRecord
from videostudio.core.models import VideoModel
from videostudio.core.validation import Problem
from videostudio.services.activity import Activity
from videostudio.ui.image_zone import ImageZone
from videostudio.ui.key_dialog import KeyDialog
from videostudio.ui.model_picker import ModelPicker
from videostudio.ui.params_panel import ParamsPanel
from videostudio.ui.player import PlayerWidget
from videostudio.ui.prompt_edit import PromptEdit
from videostudio.ui.queue_panel import JobQueuePanel
from videostudio.ui.studio import Question, StudioController
from videostudio.ui.style import FocusRing, themed_style
from videostudio.ui.thumbnails import ThumbnailMaker

PREFERRED_MODEL = "google/veo-3.1-fast"  # a good, affordable first choice
PROJECT_URL = "https://github.com/videostudio/videostudio"
ISSUES_URL = f"{PROJECT_URL}/issues"


class Banner(QFrame):
    """A line across the top of the window: demo mode, offline, the key, credits, errors.

    It stays while its cause lasts; the view-model clears it when the cause is gone.
    """

    def __init__(self, kind: str, closable: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setProperty("kind", kind)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setOpenExternalLinks(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(8, 4, 8, 4)
        self._layout.addWidget(self.label, 1)
        self.actions_: list[QPushButton] = []
        if closable:
            close = QToolButton(self)
            close.setText("✕")
            close.setToolTip("Dismiss")
            close.setAccessibleName("Dismiss")
            close.clicked.connect(self.hide)
            self._layout.addWidget(close)
        self.hide()

    def add_action(self, text: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text, self)
        button.clicked.connect(slot)
        self._layout.insertWidget(len(self.actions_) + 1, button)
        self.actions_.append(button)
        return button

    def show_text(self, html: str) -> None:
        self.label.setText(html)
        self.setVisible(bool(html))


def _linkify(text: str) -> str:
    """Plain text (a server's message) as safe HTML, with its web addresses clickable."""
    escaped = html.escape(text, quote=False)
    return re.sub(r"(https://[^\s<\"']+[^\s<\"'.,;:)])", r'<a href="\1">\1</a>', escaped)


def _section(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName("sectionTitle")
    return label


class MainWindow(QMainWindow):
    """Signals: closing() before the window closes (the app then stops the services)."""

    closing = Signal()

    def __init__(
        self, controller: StudioController, settings: QSettings, thumbnails: ThumbnailMaker
    ) -> None:
        super().__init__()
        self.controller = controller
        self.settings = settings
        self.thumbnails = thumbnails
        thumbnails.setParent(self)  # decoding stops and goes with the window
        self._latest: int | None = None  # the newest job started here: play it when done
        self._shown_model: str | None = None  # the model the settings are showing
        self._offline_text = ""
        self._offline_retry_at = 0.0
        self._sending = False
        self._theme = ""
        self._setup_ui()
        self._setup_menus()
        self._connect()
        self._restore()

    # -- building ---------------------------------------------------------------------------

    def _setup_ui(self) -> None:
        self.setWindowTitle(APP_NAME)
        self.setMinimumSize(960, 600)
        form = QWidget(self)
        self.prompt = PromptEdit(form)
        self.model_picker = ModelPicker(form)
        self.catalog_status = QLabel(form)
        self.catalog_status.setObjectName("hint")
        self.catalog_status.setWordWrap(True)
        self.params = ParamsPanel(form)
        self.images = ImageZone(form)
        self.problem_label = QLabel(form)
        self.problem_label.setObjectName("inlineMessage")
        self.problem_label.setWordWrap(True)
        self.problem_label.hide()
        self.estimate = QLabel(form)
        self.estimate.setObjectName("estimate")
        self.generate_button = QPushButton("Generate", form)
        self.generate_button.setObjectName("generate")
        self.generate_button.setToolTip("Generate the clip (Ctrl+Enter)")
        self.generate_button.setDefault(True)
        form_layout = QVBoxLayout(form)
        form_layout.addWidget(_section("Prompt", form))
        form_layout.addWidget(self.prompt, 3)
        form_layout.addWidget(_section("Model", form))
        form_layout.addWidget(self.model_picker)
        form_layout.addWidget(self.catalog_status)
        form_layout.addWidget(_section("Settings", form))
        form_layout.addWidget(self.params)
        form_layout.addWidget(_section("Images", form))
        form_layout.addWidget(self.images)
        form_layout.addStretch(1)
        scroll = self.form_scroll = QScrollArea(self)
        scroll.setWidget(form)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        # Problems, the estimate and Generate stay in view however the form scrolls.
        go = QHBoxLayout()
        go.setContentsMargins(9, 0, 9, 0)
        go.addWidget(self.estimate, 1)
        go.addWidget(self.generate_button)
        left = QWidget(self)
        left.setMinimumWidth(360)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(scroll, 1)
        self.problem_label.setContentsMargins(9, 0, 9, 0)
        left_layout.addWidget(self.problem_label)
        left_layout.addLayout(go)

        self.player = PlayerWidget(self)
        self.queue = JobQueuePanel(self)
        self.right = QSplitter(Qt.Orientation.Vertical, self)
        self.right.setObjectName("rightSplitter")
        self.right.addWidget(self.player)
        self.right.addWidget(self.queue)
        self.right.setStretchFactor(0, 3)
        self.right.setStretchFactor(1, 2)
        self.right.setSizes([460, 300])
        self.main = QSplitter(Qt.Orientation.Horizontal, self)
        self.main.setObjectName("mainSplitter")
        self.main.addWidget(left)
        self.main.addWidget(self.right)
        self.main.setStretchFactor(1, 1)
        self.main.setSizes([420, 860])

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
        self.banners = {
            "offline": self.offline_banner,
            "auth": self.key_banner,
            "credits": self.credits_banner,
            "refused": self.message_banner,
        }
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)
        for banner in (
            self.demo_banner,
            self.offline_banner,
            self.key_banner,
            self.credits_banner,
            self.message_banner,
        ):
            layout.addWidget(banner)
        layout.addWidget(self.main, 1)
        self.setCentralWidget(central)
        self.link_label = QLabel(self)
        self.link_label.setObjectName("linkStatus")
        self.statusBar().addPermanentWidget(self.link_label)
        self.key_dialog: KeyDialog | None = None
        # One ticker for elapsed times and countdowns; it runs only while something does.
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._on_ticker_timeout)
        self.focus_ring = FocusRing(self)
        self._apply_theme()

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
            self._on_generate,
            [QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")],
        )
        self.generate_action.setAutoRepeat(False)  # a held key is one gesture, not a stream
        action(file, "&Save clip as…", self.player.save_button.click, QKeySequence.StandardKey.Save)
        action(file, "Show clip in &folder", self.player.reveal_button.click)
        file.addSeparator()
        action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        edit = bar.addMenu("&Edit")
        action(edit, "&Paste image", self._on_paste_image, QKeySequence("Ctrl+Shift+V"))
        action(edit, "&Add image…", self.images.add_button.click, QKeySequence("Ctrl+I"))
        action(edit, "Focus &prompt", self.prompt.focus, QKeySequence("Ctrl+L"))
        action(edit, "Choose &model", self.model_picker.setFocus, QKeySequence("Ctrl+M"))
        settings = bar.addMenu("&Settings")
        action(settings, "OpenRouter API &key…", self.open_key_dialog, QKeySequence("Ctrl+,"))
        self.demo_action = action(settings, "&Demo mode (built-in simulator)", self._on_demo_action)
        self.demo_action.setCheckable(True)
        self.demo_action.setToolTip("Switch between the free simulator and OpenRouter at any time.")
        action(settings, "&Refresh model list", self.controller.retry_models, QKeySequence("F5"))
        help_menu = bar.addMenu("&Help")
        action(
            help_menu, "OpenRouter &credits", lambda: QDesktopServices.openUrl(QUrl(CREDITS_URL))
        )
        action(help_menu, "&About videostudio", self._on_about)

    def _connect(self) -> None:
        c = self.controller
        self.prompt.submitted.connect(self._on_generate)
        self.prompt.changed.connect(self._update_estimate)
        self.generate_button.clicked.connect(self._on_generate)
        self.model_picker.model_chosen.connect(self._on_model_picker_model_chosen)
        self.params.changed.connect(self._update_estimate)
        self.images.files_added.connect(c.images.add_files)
        self.images.urls_added.connect(c.images.add_urls)
        self.images.image_pasted.connect(c.images.add_qimage)
        self.images.remove_requested.connect(self._on_images_remove_requested)
        self.images.role_changed.connect(self._on_images_role_changed)
        self.queue.job_selected.connect(self._on_queue_job_selected)
        self.queue.stop_requested.connect(c.stop_job)
        self.queue.resubmit_requested.connect(c.resubmit)
        self.queue.reveal_requested.connect(self._reveal)
        self.queue.model.now = c.clock  # countdowns and elapsed times on the view-model's clock
        self.player.save_requested.connect(c.save_copy)
        self.player.reveal_requested.connect(self._reveal)
        self.thumbnails.ready.connect(self._on_thumbnails_ready)
        c.models_changed.connect(self._on_controller_models_changed)
        c.jobs_reset.connect(self._on_controller_jobs_reset)
        c.job_changed.connect(self._on_controller_job_changed)
        c.mode_changed.connect(self._on_controller_mode_changed)
        c.link_changed.connect(self._on_controller_link_changed)
        c.banner.connect(self._on_controller_banner)
        c.notice.connect(self._on_controller_notice)
        c.question.connect(self._on_controller_question)
        c.sending.connect(self._on_controller_sending)
        c.key_needed.connect(self._on_controller_key_needed)
        c.problems.connect(self._on_controller_problems)
        c.images.added.connect(self._on_draft_images_added)
        c.images.removed.connect(self.images.remove_tile)
        c.images.roles.connect(self.images.set_roles)
        c.images.messages.connect(self._on_draft_images_messages)
        c.submitted.connect(self._on_controller_submitted)

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
            self.resize(1280, 800)
        for splitter, key in ((self.main, "window/main"), (self.right, "window/right")):
            state = s.value(key)
            if isinstance(state, QByteArray):
                splitter.restoreState(state)
        self.prompt.focus()

    def save_state(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/main", self.main.saveState())
        s.setValue("window/right", self.right.saveState())
        model_id = self.model_picker.current_id()
        if model_id:
            s.setValue("draft/model", model_id)
            self._save_params(model_id)
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        self._ticker.stop()
        self.player.clear()
        self.thumbnails.stop()
        self.closing.emit()
        super().closeEvent(event)

    # -- the form ---------------------------------------------------------------------------

    def _on_controller_models_changed(self, models: list[VideoModel], status: str) -> None:
        keep = self.model_picker.current_id() or str(self.settings.value("draft/model", "")) or None
        self.model_picker.set_models(models, keep or PREFERRED_MODEL)
        self.catalog_status.setText(status)
        self.catalog_status.setVisible(bool(status))
        self._update_generate()

    def _on_model_picker_model_chosen(self, model_id: str) -> None:
        model = self.model_picker.current_model()
        if model is None:
            return
        switched = model_id != self._shown_model
        if switched and self._shown_model is not None:
            self._save_params(self._shown_model)  # switching back brings them back
        self._shown_model = model_id
        self.params.set_model(model)  # a refreshed catalogue keeps the values still offered
        saved = self.settings.value(f"draft/params/{model_id}")
        if switched and isinstance(saved, dict):
            self.params.apply(saved)
        self.controller.set_model(model)
        self._update_estimate()

    def _save_params(self, model_id: str) -> None:
        values = {k: v for k, v in self.params.values().items() if v is not None}
        self.settings.setValue(f"draft/params/{model_id}", values)

    def _update_estimate(self) -> None:
        model = self.model_picker.current_model()
        if model is None:
            self.estimate.setText("")
            return
        label, basis = self.controller.estimate(self.prompt.text(), model, self.params.values())
        self.estimate.setText(f"Estimated {label}" if label != "price unknown" else "Price unknown")
        self.estimate.setToolTip(basis)

    def _update_generate(self) -> None:
        ready = self.model_picker.current_model() is not None
        self.generate_button.setEnabled(ready and not self._sending)
        self.generate_action.setEnabled(not self._sending)
        self.generate_button.setText("Sending…" if self._sending else "Generate")

    def _on_generate(self) -> None:
        if self._sending:
            return  # the press before this one is still on its way
        model = self.model_picker.current_model()
        if model is None:
            self._on_controller_problems([Problem("", "Choose a model first.")])
            return
        self.controller.generate(self.prompt.text(), model, self.params.values())

    def _on_controller_sending(self, sending: bool) -> None:
        refocus = not sending and self.focusWidget() is None
        self._sending = sending
        self._update_generate()
        if refocus:
            self.prompt.focus()

    def _on_controller_problems(self, problems: list[Problem]) -> None:
        self.params.clear_problems()
        self.prompt.editor.setProperty("problem", False)
        messages = []
        for problem in problems:
            if problem.field == "prompt":
                self.prompt.editor.setProperty("problem", True)
            elif not self.params.show_problem(problem.field, problem.message):
                pass  # said below, next to Generate
            messages.append(problem.message)
        self.prompt.editor.style().polish(self.prompt.editor)
        self.problem_label.setText("\n".join(dict.fromkeys(messages)))
        self.problem_label.setVisible(bool(messages))
        if any(p.field == "prompt" for p in problems):
            self.prompt.focus()

    def _on_draft_images_added(self, image_id: int, thumb: QImage, name: str, note: str) -> None:
        self.images.add_tile(image_id, thumb, name, note)
        self._update_estimate()

    def _on_draft_images_messages(self, messages: list[tuple[str, str]]) -> None:
        self.images.show_messages(messages)
        if messages:  # on a short screen the lines may be below the fold: bring them up
            QTimer.singleShot(0, self._show_image_messages)

    def _show_image_messages(self) -> None:
        area = self.images.message_area
        if area.isVisible():
            self.form_scroll.ensureWidgetVisible(area, 0, 8)

    def _on_images_remove_requested(self, image_id: int) -> None:
        self.controller.images.remove(image_id)
        self._update_estimate()

    def _on_images_role_changed(self, image_id: int, role: str) -> None:
        self.controller.images.set_role(image_id, role)
        self._update_estimate()

    def _on_paste_image(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None or not self.images.accept_mime(mime):
            self.images.show_message("The clipboard holds no image, image file or image address.")

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

    # -- jobs and the player ----------------------------------------------------------------

    def _on_controller_jobs_reset(self, records: list[JobRecord]) -> None:
        self.queue.model.clear()
        self.player.clear()
        for record in records:
            self._on_controller_job_changed(record, None)

    def _on_controller_job_changed(self, record: JobRecord, activity: Activity | None) -> None:
        self.queue.upsert(record, activity)
        self._update_ticker()
        if activity is None and record.state == SAVED and record.path:
            self.thumbnails.request(record.local_id, Path(record.path))
            if record.local_id == self._latest and self.player.path is None:
                self.queue.select(record.local_id)

    def _on_controller_submitted(self, local_id: int) -> None:
        self._latest = local_id
        self.problem_label.hide()

    def _on_queue_job_selected(self, local_id: int) -> None:
        record = self.controller.record_for(local_id)
        if (
            record is not None
            and record.state == SAVED
            and record.path
            and Path(record.path).exists()
        ):
            if self.player.path != Path(record.path):
                self.player.load(Path(record.path))
        else:
            self.player.clear()

    def _on_thumbnails_ready(self, local_id: int, image: QImage) -> None:
        self.queue.model.set_thumbnail(local_id, QPixmap.fromImage(image))

    def _reveal(self, path: str) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(path).parent)))

    # -- time passing -----------------------------------------------------------------------

    def _update_ticker(self) -> None:
        """Tick each second while a job runs or a countdown shows; an idle window has no timer."""
        busy = self.queue.model.running() or self._offline_retry_at > 0
        if busy and not self._ticker.isActive():
            self._ticker.start()
        elif not busy:
            self._ticker.stop()

    def _on_ticker_timeout(self) -> None:
        self.queue.model.tick()
        self._show_offline()

    # -- banners, the status bar, the key ---------------------------------------------------

    def _on_controller_mode_changed(self, demo: bool) -> None:
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
        self.banners[cause].show_text(_linkify(text))

    def _show_offline(self) -> None:
        text = self._offline_text
        if text and self._offline_retry_at:
            left = self._offline_retry_at - self.controller.clock()
            text += f" Next try in {left:.0f} s." if left >= 0.5 else " Trying again now…"
        self.offline_banner.show_text(html.escape(text, quote=False))

    def _on_controller_notice(self, text: str, kind: str) -> None:
        if kind == "error":
            self.message_banner.show_text(_linkify(text))
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
