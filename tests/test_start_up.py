"""The window's start-up order, in a real child process: paint first, network side after.

A small driver creates the QApplication (run_app takes an existing one), notes what
is loaded at the window's first paint, waits until the demo backend has opened its
journal, then closes the window the way a user does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

DRIVER = """
import json, sys, time
from pathlib import Path
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

out, data = Path(sys.argv[1]), Path(sys.argv[2])
journal = data / "demo" / "journal.sqlite3"
seen = {}
LATER = ("videostudio.cli", "httpx", "keyring", "av", "videostudio.api.client",
         "videostudio.simulator.server")

class Watch(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and obj.isWidgetType() and obj.isWindow():
            if "paint" not in seen:
                seen["paint"] = {
                    "journal": journal.exists(),
                    "modules": sorted(m for m in LATER if m in sys.modules),
                }
                poll.start(20)
        return False

def on_poll():
    if journal.exists() and "httpx" in sys.modules:
        seen["opened"] = True
        poll.stop()
        for window in app.topLevelWidgets():
            window.close()

app = QApplication(["videostudio"])
watch = Watch()
app.installEventFilter(watch)
poll = QTimer()
poll.timeout.connect(on_poll)
QTimer.singleShot(60_000, app.quit)
from videostudio.__main__ import main
code = main(["--demo", "--data-dir", str(data)])
out.write_text(json.dumps(seen))
sys.exit(code)
"""


def _start(tmp_path: Path) -> dict[str, object]:
    out = tmp_path / "seen.json"
    env = {k: v for k, v in os.environ.items() if k not in ("OPENROUTER_API_KEY",)}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, str(out), str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen: dict[str, object] = json.loads(out.read_text())
    assert seen.get("opened"), f"the backend never opened: {seen}"
    return seen


def test_the_window_paints_before_the_backend_opens_and_without_the_cli(tmp_path: Path) -> None:
    at_paint = _start(tmp_path)["paint"]
    assert isinstance(at_paint, dict)
    assert at_paint["journal"] is False  # the backend was not opened before the first paint
    assert "videostudio.cli" not in at_paint["modules"]


def test_the_network_side_is_loaded_after_the_first_paint(tmp_path: Path) -> None:
    at_paint = _start(tmp_path)["paint"]
    assert isinstance(at_paint, dict)
    assert at_paint["modules"] == []
