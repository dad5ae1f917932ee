"""The API key dialog: enter, test, save to the keychain, replace, remove.

It only collects the key and shows results; the view-model does the keychain
and network work. The key is never shown back, logged or written to a file.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

KEYS_URL = "https://openrouter.ai/settings/keys"


class KeyDialog(QDialog):
    """Signals: test_requested(str), save_requested(str), session_requested(str),
    remove_requested()."""

    test_requested = Signal(str)
    save_requested = Signal(str)
    session_requested = Signal(str)
    remove_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._keychain_ok = True
        self._rejected = False  # Test just got a 401 for the key in the field
        self._setup_ui()

    def _setup_ui(self) -> None:
        self.setWindowTitle("OpenRouter API key")
        self.setObjectName("keyDialog")
        intro = QLabel(
            "videostudio uses your OpenRouter API key to generate clips. It is kept in your "
            f"system keychain, never in a file. <a href='{KEYS_URL}'>Get a key</a>.",
            self,
        )
        intro.setWordWrap(True)
        intro.setOpenExternalLinks(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        self.stored = QLabel(self)
        self.key_edit = QLineEdit(self)
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("sk-or-v1-…")
        self.key_edit.setAccessibleName("API key")
        self.show_button = QPushButton("Show", self)
        self.show_button.setCheckable(True)
        self.show_button.toggled.connect(self._on_show_button_toggled)
        self.key_edit.textChanged.connect(self._on_key_edit_text_changed)
        row = QHBoxLayout()
        row.addWidget(self.key_edit, 1)
        row.addWidget(self.show_button)
        self.status = QLabel(self)
        self.status.setObjectName("inlineMessage")
        self.status.setWordWrap(True)
        self.test_button = QPushButton("Test", self)
        self.save_button = QPushButton("Save to keychain", self)
        self.save_button.setDefault(True)
        self.session_button = QPushButton("Use for this session only", self)
        self.session_button.hide()
        self.remove_button = QPushButton("Remove saved key", self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        for button in (self.test_button, self.save_button, self.session_button):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.remove_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.stored)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.test_button.clicked.connect(lambda: self._emit_with_key(self.test_requested))
        self.save_button.clicked.connect(lambda: self._emit_with_key(self.save_requested))
        self.session_button.clicked.connect(lambda: self._emit_with_key(self.session_requested))
        self.remove_button.clicked.connect(self.remove_requested)
        self.resize(520, self.sizeHint().height())

    def _emit_with_key(self, signal: SignalInstance) -> None:
        key = self.key_edit.text().strip()
        if not key:
            self.set_status("Paste your key first.", error=True)
            self.key_edit.setFocus()
            return
        signal.emit(key)

    def _on_key_edit_text_changed(self) -> None:
        if self._rejected:
            self._rejected = False  # a different key: it may be offered again
            self._update_buttons(busy=False)

    def _on_show_button_toggled(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.key_edit.setEchoMode(mode)
        self.show_button.setText("Hide" if shown else "Show")

    # -- what the view-model tells -----------------------------------------------------------

    def set_state(self, *, has_key: bool, session_only: bool, keychain_error: str = "") -> None:
        if keychain_error:
            self.stored.setText(keychain_error)
        elif session_only:
            self.stored.setText("A key is in use for this session only.")
        else:
            self.stored.setText(
                "A key is saved in your keychain."
                if has_key
                else "No key saved: the app runs in demo mode."
            )
        self.session_button.setVisible(bool(keychain_error))
        self._keychain_ok = not keychain_error
        self._update_buttons(busy=False)
        self.remove_button.setEnabled(has_key)

    def set_status(self, text: str, *, error: bool = False, busy: bool = False) -> None:
        self.status.setText(text)
        self.status.setProperty("problem", error)
        self.status.style().polish(self.status)
        self._update_buttons(busy)
        self._fit_height()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit_height()

    def _fit_height(self) -> None:
        """Grow to show every line of a longer answer (the layout does not grow a shown
        dialog by itself, so wrapped text would be cut)."""
        layout = self.layout()
        needed = layout.heightForWidth(self.width()) if layout is not None else -1
        if needed > self.height():
            self.resize(self.width(), needed)

    def set_rejected(self) -> None:
        """The key in the field was refused: saving or using it is not offered until it changes."""
        self._rejected = True
        self._update_buttons(busy=False)
        self.key_edit.setFocus()  # ready for the right key, not on Close
        self.key_edit.selectAll()

    def _update_buttons(self, busy: bool) -> None:
        self.test_button.setEnabled(not busy)
        usable = not busy and not self._rejected
        self.session_button.setEnabled(usable)
        self.save_button.setEnabled(usable and self._keychain_ok)
        why = "OpenRouter refused this key; paste another one." if self._rejected else ""
        self.session_button.setToolTip(why)
        self.save_button.setToolTip(why)

    def clear_key(self) -> None:
        self.key_edit.clear()
        self._rejected = False
        self._update_buttons(busy=False)
