"""The prompt assistant's proposal, under the prompt box: it streams in, shows its cost,
and waits for Accept (replaces the prompt as one undoable edit) or Dismiss."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class ProposalPanel(QFrame):
    """Signals: accepted(text) when the user takes the proposal; dismissed()."""

    accepted = Signal(str)
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._setup_ui()
        self.hide()

    def _setup_ui(self) -> None:
        self.setObjectName("proposal")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel("Proposal", self)
        self.title.setObjectName("sectionTitle")
        self.cost = QLabel(self)
        self.cost.setObjectName("hint")
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("proposalText")
        self.text.setReadOnly(True)
        self.text.setAccessibleName("Proposed prompt")
        self.text.setMaximumHeight(130)
        self.status = QLabel(self)
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        self.accept_button = QPushButton("Accept", self)
        self.accept_button.setToolTip("Replace the prompt with the proposal (Ctrl+Z undoes it)")
        self.accept_button.setEnabled(False)  # until a whole proposal is there
        self.dismiss_button = QPushButton("Dismiss", self)
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addStretch(1)
        head.addWidget(self.cost)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.dismiss_button)
        buttons.addWidget(self.accept_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(head)
        layout.addWidget(self.text)
        layout.addLayout(buttons)
        self.accept_button.clicked.connect(self._on_accept_button_clicked)
        self.dismiss_button.clicked.connect(self._on_dismiss_button_clicked)

    def start(self, model: str) -> None:
        """A question is on its way: an empty proposal, nothing to accept yet."""
        self.text.clear()
        self.text.show()
        self.cost.clear()
        self.status.setObjectName("hint")
        self.status.setText(f"Rewriting the prompt for {model}…")
        self._restyle()
        self.accept_button.setEnabled(False)
        self.show()

    def stream(self, text: str) -> None:
        self.text.setPlainText(text)

    def finish(self, text: str, cost: str) -> None:
        self.text.setPlainText(text)
        self.cost.setText(f"Cost {cost}")
        self.status.setText("Ctrl+Z in the prompt undoes Accept.")
        self.accept_button.setEnabled(True)
        self.accept_button.setFocus()

    def fail(self, sentence: str) -> None:
        """No proposal: the sentence instead (the prompt was not touched)."""
        self.text.clear()
        self.text.hide()
        self.status.setObjectName("inlineMessage")
        self.status.setText(sentence)
        self._restyle()
        self.accept_button.setEnabled(False)
        self.show()

    def _restyle(self) -> None:
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)

    def _on_accept_button_clicked(self) -> None:
        text = self.text.toPlainText()
        self.hide()
        if text.strip():
            self.accepted.emit(text)

    def _on_dismiss_button_clicked(self) -> None:
        self.hide()
        self.dismissed.emit()


def ask_assistant_model(
    parent: QWidget, current: str, default: str, chosen: Callable[[str], None]
) -> QInputDialog:
    """Ask which chat model rewrites prompts (empty: back to ``default``)."""
    dialog = QInputDialog(parent)
    dialog.setWindowTitle("Assistant model")
    dialog.setLabelText(
        "The OpenRouter chat model that improves prompts (a model id; each answer costs a\n"
        f"fraction of a cent with a small one). Leave it empty for the default, {default}."
    )
    dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
    dialog.setTextValue(current)
    dialog.textValueSelected.connect(chosen)
    dialog.open()
    return dialog
