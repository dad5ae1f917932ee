"""The floor: a bare PySide6 window importing the Qt modules the app uses, shown and painted.

Every benchmark runs this beside the app in the same session and reports the app as a
ratio to it. Run alone: ``python benchmarks/bare_window.py`` (close the window to quit).
"""

from __future__ import annotations

import sys

from PySide6 import QtMultimedia, QtMultimediaWidgets  # noqa: F401 (the app loads them too)
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow


def run(app: QApplication) -> int:
    """Show a plain main window with a status bar and a label, and run the event loop."""
    window = QMainWindow()
    window.setWindowTitle("bare Qt")
    window.setCentralWidget(QLabel("bare PySide6 window", window))
    window.statusBar().showMessage("ready")
    window.resize(1280, 800)
    window.show()
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(run(QApplication(sys.argv)))
