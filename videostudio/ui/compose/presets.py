"""The presets button in the compose area: apply a preset in one click, save the current
settings as one, rename, delete, import and export. Intents out; the list comes in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QLineEdit,
    QMenu,
    QMessageBox,
    QToolButton,
    QWidget,
)

FILE_FILTER = "Presets (*.json);;All files (*)"


class PresetsButton(QToolButton):
    """Signals: apply_requested(name), save_requested(name), rename_requested(old, new),
    delete_requested(name), import_requested(path), export_requested(path)."""

    apply_requested = Signal(str)
    save_requested = Signal(str)
    rename_requested = Signal(str, str)
    delete_requested = Signal(str)
    import_requested = Signal(str)
    export_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setText("Presets")
        self.setObjectName("presets")
        self.setToolTip("Apply, save and share named settings (everything but the prompt)")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu_ = QMenu(self)
        self.setMenu(self.menu_)
        self._presets: list[tuple[str, str]] = []
        self.set_presets([])

    def names(self) -> list[str]:
        return [name for name, _ in self._presets]

    def set_presets(self, presets: list[tuple[str, str]]) -> None:
        """(name, description) of each preset, in the order to show."""
        self._presets = list(presets)
        menu = self.menu_
        menu.clear()
        if not presets:
            empty = menu.addAction("No presets yet")
            empty.setEnabled(False)
        for name, description in presets:
            act = menu.addAction(name)
            act.setToolTip(description)
            act.setStatusTip(description)
            act.triggered.connect(lambda _=False, n=name: self.apply_requested.emit(n))
        menu.setToolTipsVisible(True)
        menu.addSeparator()
        self.save_action = menu.addAction("Save current settings as…", self.ask_save)
        rename = menu.addMenu("Rename")
        delete = menu.addMenu("Delete")
        for name, _ in presets:
            rename.addAction(name).triggered.connect(lambda _=False, n=name: self.ask_rename(n))
            delete.addAction(name).triggered.connect(lambda _=False, n=name: self.ask_delete(n))
        rename.setEnabled(bool(presets))
        delete.setEnabled(bool(presets))
        menu.addSeparator()
        menu.addAction("Import…", self._ask_import)
        export: QAction = menu.addAction("Export all…", self._ask_export)
        export.setEnabled(bool(presets))

    # -- the questions (non-blocking dialogs: the event loop keeps running) ------------------

    def ask_save(self) -> QInputDialog:
        dialog = self._name_dialog("Save preset", "Name for the current settings:", "")

        def done(name: str) -> None:
            if name.strip().casefold() not in {n.casefold() for n in self.names()}:
                self.save_requested.emit(name)
                return
            self._confirm(
                "Replace preset?",
                f"There is already a preset called {name.strip()!r}. Replace it?",
                lambda: self.save_requested.emit(name),
            )

        dialog.textValueSelected.connect(done)
        return dialog

    def ask_rename(self, name: str) -> QInputDialog:
        dialog = self._name_dialog("Rename preset", f"New name for {name!r}:", name)
        dialog.textValueSelected.connect(lambda new: self.rename_requested.emit(name, new))
        return dialog

    def ask_delete(self, name: str) -> QMessageBox:
        return self._confirm(
            "Delete preset?",
            f"Delete the preset {name!r}? Clips made with it keep their settings.",
            lambda: self.delete_requested.emit(name),
        )

    def _confirm(self, title: str, text: str, then: Callable[[], None]) -> QMessageBox:
        yes = QMessageBox.StandardButton.Yes
        box = QMessageBox(
            QMessageBox.Icon.Question, title, text, yes | QMessageBox.StandardButton.Cancel, self
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def clicked(button: Any) -> None:
            if box.standardButton(button) == yes:
                then()

        box.buttonClicked.connect(clicked)
        box.open()
        return box

    def _name_dialog(self, title: str, label: str, text: str) -> QInputDialog:
        dialog = QInputDialog(self)
        dialog.setWindowTitle(title)
        dialog.setLabelText(label)
        dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
        dialog.setTextValue(text)
        dialog.open()
        return dialog

    def _ask_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import presets", "", FILE_FILTER)
        if path:
            self.import_requested.emit(path)

    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export presets", "videostudio-presets.json", FILE_FILTER
        )
        if path:
            self.export_requested.emit(path)
