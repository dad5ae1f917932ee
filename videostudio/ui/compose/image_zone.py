"""The reference-image zone: drop files or image addresses, paste, or pick; a tile per image.

The zone only reports what arrived and what the user asked; the studio
view-model checks and prepares images off the UI thread and hands back tiles.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

ROLE_LABELS = {"reference": "Reference", "first_frame": "First frame", "last_frame": "Last frame"}
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.gif);;All files (*)"


class ImageTile(QFrame):
    """One image: thumbnail, role, remove. Signals: role_changed(int, str), remove(int)."""

    role_changed = Signal(int, str)
    remove = Signal(int)

    def __init__(
        self, image_id: int, thumbnail: QImage, name: str, note: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.image_id = image_id
        self.setObjectName("imageTile")
        thumb = self.thumbnail = QLabel(self)
        thumb.setPixmap(QPixmap.fromImage(thumbnail))
        thumb.setFixedSize(96, 72)
        thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        thumb.setToolTip(f"{name}\n{note}".strip())
        self.role = QComboBox(self)
        self.role.setAccessibleName(f"Role of {name}")
        close = QToolButton(self)
        close.setText("✕")
        close.setToolTip(f"Remove {name}")
        close.setAccessibleName(f"Remove {name}")
        close.clicked.connect(lambda: self.remove.emit(self.image_id))
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(thumb)
        top.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.role)
        self.role.currentIndexChanged.connect(self._on_role_current_index_changed)

    def set_roles(self, allowed: list[str], current: str) -> None:
        self.role.blockSignals(True)
        self.role.clear()
        for role in allowed:
            self.role.addItem(ROLE_LABELS[role], role)
        self.role.setCurrentIndex(max(0, self.role.findData(current)))
        self.role.blockSignals(False)

    def _on_role_current_index_changed(self) -> None:
        self.role_changed.emit(self.image_id, str(self.role.currentData()))


class ImageZone(QFrame):
    """Signals: files_added(list[str]), urls_added(list[str]), image_pasted(QImage),
    role_changed(int, str), remove_requested(int)."""

    files_added = Signal(list)
    urls_added = Signal(list)
    image_pasted = Signal(QImage)
    role_changed = Signal(int, str)
    remove_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tiles: dict[int, ImageTile] = {}
        self._setup_ui()

    def _setup_ui(self) -> None:
        self.setObjectName("imageZone")
        self.setAcceptDrops(True)
        self.setAccessibleName("Reference images")
        self.hint = QLabel("Drop images or image links here, or paste (Ctrl+Shift+V).", self)
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.add_button = QPushButton("Add image…", self)
        self.add_button.clicked.connect(self._on_add_button_clicked)
        # One line per image of the last drop: refusals in the error colour, notes plain.
        self._messages = QWidget(self)
        self._messages_layout = QVBoxLayout(self._messages)
        self._messages_layout.setContentsMargins(0, 0, 0, 0)
        self._messages_layout.setSpacing(2)
        self._messages.hide()
        self._strip = QWidget(self)
        self._strip_layout = QHBoxLayout(self._strip)
        self._strip_layout.setContentsMargins(0, 0, 0, 0)
        self._strip_layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidget(self._strip)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFixedHeight(128)
        self._scroll = scroll
        scroll.hide()
        row = QHBoxLayout()
        row.addWidget(self.hint, 1)
        row.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(row)
        layout.addWidget(scroll)
        layout.addWidget(self._messages)

    # -- what arrives -----------------------------------------------------------------------

    def accept_mime(self, mime: QMimeData) -> bool:
        """Take files, https addresses or raw image data; True when something was taken."""
        files = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
        urls = [u.toString() for u in mime.urls() if u.scheme() in ("http", "https")]
        if files:
            self.files_added.emit(files)
        if urls:
            self.urls_added.emit(urls)
        if not files and not urls and mime.hasImage():
            image = QImage(mime.imageData())
            if not image.isNull():
                self.image_pasted.emit(image)
                return True
        if not files and not urls and mime.hasText() and mime.text().startswith("http"):
            self.urls_added.emit([mime.text().strip()])
            return True
        return bool(files or urls)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if mime.hasUrls() or mime.hasImage():
            event.acceptProposedAction()
            self.setProperty("dragging", True)
            self.style().polish(self)

    def dragLeaveEvent(self, event: object) -> None:
        self.setProperty("dragging", False)
        self.style().polish(self)

    def dropEvent(self, event: QDropEvent) -> None:
        self.setProperty("dragging", False)
        self.style().polish(self)
        if self.accept_mime(event.mimeData()):
            event.acceptProposedAction()

    def _on_add_button_clicked(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Add reference images", "", IMAGE_FILTER)
        if files:
            self.files_added.emit(files)

    # -- what is shown ----------------------------------------------------------------------

    def add_tile(self, image_id: int, thumbnail: QImage, name: str, note: str) -> None:
        tile = ImageTile(image_id, thumbnail, name, note, self._strip)
        tile.role_changed.connect(self.role_changed)
        tile.remove.connect(self.remove_requested)
        self._tiles[image_id] = tile
        self._strip_layout.insertWidget(self._strip_layout.count() - 1, tile)
        self._scroll.show()

    def remove_tile(self, image_id: int) -> None:
        tile = self._tiles.pop(image_id, None)
        if tile is not None:
            tile.deleteLater()
        self._scroll.setVisible(bool(self._tiles))

    def set_roles(self, image_id: int, allowed: list[str], current: str) -> None:
        if image_id in self._tiles:
            self._tiles[image_id].set_roles(allowed, current)

    def tile_ids(self) -> list[int]:
        return list(self._tiles)

    @property
    def message_area(self) -> QWidget:
        """The widget holding the message lines (to scroll it into view)."""
        return self._messages

    def show_message(self, text: str, kind: str = "error") -> None:
        self.show_messages([(text, kind)] if text else [])

    def show_messages(self, messages: list[tuple[str, str]]) -> None:
        """Lines of (text, kind), kind "error" (a refusal), "info" (a note) or "busy"."""
        while self._messages_layout.count():
            item = self._messages_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()  # gone from the screen now, not at the next event loop turn
                widget.deleteLater()
        for text, kind in messages:
            label = QLabel(text, self._messages)
            label.setObjectName("inlineMessage" if kind == "error" else "note")
            label.setProperty("kind", kind)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self._messages_layout.addWidget(label)
            label.show()  # the layout would only queue it
        self._messages.setVisible(bool(messages))

    def messages(self) -> list[tuple[str, str]]:
        """What the zone says now, as (text, kind)."""
        found = []
        for i in range(self._messages_layout.count()):
            item = self._messages_layout.itemAt(i)
            label = item.widget() if item is not None else None
            if isinstance(label, QLabel):
                found.append((label.text(), str(label.property("kind"))))
        return found
