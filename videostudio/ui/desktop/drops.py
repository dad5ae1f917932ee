"""Drag and drop with the desktop: what a drop carries, images dropped anywhere, files out.

``classify`` reads a drop: local files, web addresses, raw image data, and which of them
look like images or clips (by name only; the draft judges images by their content).
``ImageDropFilter`` is an event filter for any widget, text boxes included, that takes a
drop carrying images before the widget does (a text box would paste the file's path) and
leaves every other drop, plain text above all, to the widget. ``file_drag_mime`` is the
drag-out payload for saved clips.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QMimeData, QMimeDatabase, QObject, QUrl, Signal
from PySide6.QtGui import QDropEvent, QImage
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QTextEdit, QWidget

CLIP_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".webm", ".mkv"})
_MIMES = QMimeDatabase()


def _mime_of(name: str) -> str:
    """The MIME type the file name suggests (no file is read)."""
    return _MIMES.mimeTypeForFile(name, QMimeDatabase.MatchMode.MatchExtension).name()


def is_image_name(name: str) -> bool:
    """Whether a file name or address path says image (png, jpeg, webp, gif, ...)."""
    return _mime_of(name).startswith("image/")


def is_clip_name(name: str) -> bool:
    return Path(name).suffix.lower() in CLIP_SUFFIXES or _mime_of(name).startswith("video/")


@dataclass(frozen=True)
class DropContent:
    """What a drag carries: local files and http(s) addresses in the order given, and
    whether it holds raw image data or an HTML <img> (a picture dragged out of a browser)."""

    files: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    image_data: bool = False
    html_image: bool = False

    @property
    def image_files(self) -> tuple[str, ...]:
        return tuple(f for f in self.files if is_image_name(f))

    @property
    def clip_files(self) -> tuple[str, ...]:
        return tuple(f for f in self.files if is_clip_name(f))

    @property
    def image_urls(self) -> tuple[str, ...]:
        if self.html_image:  # the address of a picture dragged from a page, whatever its name
            return self.addresses
        return tuple(a for a in self.addresses if is_image_name(QUrl(a).fileName()))

    @property
    def carries_images(self) -> bool:
        """A drop for the draft's images: an image file, an image address or image data."""
        return bool(self.image_files or self.image_urls) or self.image_data


def classify(mime: QMimeData) -> DropContent:
    """Read a drag's payload (cheap: names only, no file or network access)."""
    urls = mime.urls() if mime.hasUrls() else []
    files = tuple(u.toLocalFile() for u in urls if u.isLocalFile())
    addresses = tuple(u.toString() for u in urls if u.scheme() in ("http", "https"))
    html_image = bool(addresses) and mime.hasHtml() and "<img" in mime.html().lower()
    return DropContent(files, addresses, mime.hasImage(), html_image)


def file_drag_mime(paths: Iterable[str | Path]) -> QMimeData:
    """The drag-out payload for files: text/uri-list, marked as a copy (not a cut) for KDE."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(os.path.abspath(p)) for p in paths])
    mime.setData("application/x-kde-cutselection", QByteArray(b"0"))
    return mime


class ImageDropFilter(QObject):
    """Takes drops that carry images on the widgets it watches; the rest go on as before.

    Signals: files_dropped(list[str]) every local file of such a drop (the draft refuses
    the ones that are not images, with a reason); urls_dropped(list[str]) its http(s)
    addresses; image_dropped(QImage) the picture itself when the drop has image data but
    no image file or address (e.g. a picture inside a link dragged from a page).
    """

    files_dropped = Signal(list)
    urls_dropped = Signal(list)
    image_dropped = Signal(QImage)

    def install(self, root: QWidget) -> None:
        """Watch ``root`` (made to accept drops, so a drop anywhere on it lands) and every
        text box inside it (which would otherwise paste a dropped file's path)."""
        root.setAcceptDrops(True)
        self.watch(root)
        for box in root.findChildren(QWidget):
            if isinstance(box, QPlainTextEdit | QTextEdit | QLineEdit):
                self.watch(box)

    def watch(self, widget: QWidget) -> None:
        """Watch one widget; a text edit's drops arrive at its viewport, so that is watched."""
        target = widget.viewport() if isinstance(widget, QPlainTextEdit | QTextEdit) else widget
        target.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop):
            return False
        if not isinstance(event, QDropEvent):  # DragEnter and DragMove derive from it
            return False
        content = classify(event.mimeData())
        if not content.carries_images:
            return False
        event.acceptProposedAction()
        if kind == QEvent.Type.Drop:
            self._deliver(content, event.mimeData())
        return True

    def _deliver(self, content: DropContent, mime: QMimeData) -> None:
        if content.image_files or content.image_urls:
            if content.files:
                self.files_dropped.emit(list(content.files))
            if content.addresses:
                self.urls_dropped.emit(list(content.addresses))
            return
        # Only the data is a picture (the address, if any, is of a page around it).
        image = QImage(mime.imageData())
        if not image.isNull():
            self.image_dropped.emit(image)
