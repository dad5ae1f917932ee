"""Runs the real window (or the bare Qt floor) with timing probes; the benchmarks start it.

    python benchmarks/probe.py --out RESULT.json [options] app -- --demo --data-dir D
    python benchmarks/probe.py --out RESULT.json [options] bare

The probe creates the QApplication (the app's run_app takes an existing one) so it can
watch every event before the window exists, then hands over to ``videostudio.__main__``
(or to ``benchmarks/bare_window.py``). It records, on CLOCK_MONOTONIC (system-wide, so
the parent's start time compares):

- ``shown`` / ``first_paint``: the first Show and Paint events of a top-level window;
- ``rows_painted``: the first paint of an item view's viewport whose model has >= --rows rows;
- ``usable``: the first moment after the first paint (and after ``rows_painted`` when
  --rows is given) followed by 0.5 s without a GUI-thread gap over 50 ms;
- GUI-thread gaps from a 1 ms heartbeat QTimer (what the user feels as a freeze).

With --load it records every heartbeat gap from the first paint for --load seconds (the
app starts its jobs and downloads at once), and --drop-after seconds after the first paint
drops an image (the image zone's ``files_added`` intent, what a drop emits). With --hold
it stops the heartbeat once usable and idles (the parent measures CPU from /proc), until
killed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from array import array
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QAbstractItemView, QApplication, QWidget

FREEZE_S = 0.050
QUIET_S = 0.5


class Probe(QObject):
    """Watches events and the heartbeat; writes the result file when done."""

    def __init__(self, app: QApplication, opts: argparse.Namespace) -> None:
        super().__init__()
        self.app = app
        self.opts = opts
        self.result: dict[str, Any] = {"pid": os.getpid()}
        self.gaps = array("d")  # every heartbeat gap in the load phase, seconds
        self._last_tick = 0.0
        self._last_freeze_end = 0.0
        self._load_until = 0.0
        self._views: list[QAbstractItemView] = []
        self._done = False
        app.installEventFilter(self)
        self.heartbeat = QTimer(self)
        self.heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
        self.heartbeat.setInterval(1)
        self.heartbeat.timeout.connect(self._on_heartbeat_timeout)
        self.heartbeat.start()
        self.deadline = QTimer(self)
        self.deadline.setSingleShot(True)
        self.deadline.timeout.connect(self._on_deadline_timeout)
        self.deadline.start(int(opts.timeout * 1000))

    # -- events -------------------------------------------------------------------------

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        kind = event.type()
        if kind == QEvent.Type.Show and "shown" not in self.result:
            if isinstance(obj, QWidget) and obj.isWindow():
                self.result["shown"] = time.monotonic()
        elif kind == QEvent.Type.Paint and isinstance(obj, QWidget):
            now = time.monotonic()
            if "first_paint" not in self.result and obj.isWindow():
                self.result["first_paint"] = now
                self._last_freeze_end = now
                self.result["window"] = type(obj).__name__
                if self.opts.load:
                    self._start_load(now)
                if not self.opts.rows:
                    self.app.removeEventFilter(self)  # nothing more to watch per event
            elif self.opts.rows and "rows_painted" not in self.result:
                view = obj.parent()
                if isinstance(view, QAbstractItemView) and view.viewport() is obj:
                    model = view.model()
                    # A lazy model (the library) paints its first page and knows the total.
                    rows = getattr(model, "total", None) if model is not None else None
                    if rows is None and model is not None:
                        rows = model.rowCount()
                    if model is not None and rows is not None and rows >= self.opts.rows:
                        self.result["rows_painted"] = now
                        self._last_freeze_end = max(self._last_freeze_end, now)
                        self.app.removeEventFilter(self)
        return False

    # -- the heartbeat --------------------------------------------------------------------

    def _on_heartbeat_timeout(self) -> None:
        now = time.monotonic()
        gap = now - self._last_tick if self._last_tick else 0.0
        self._last_tick = now
        if "first_paint" not in self.result or self._done:
            return
        if self._load_until:
            self.gaps.append(gap)
            if gap > FREEZE_S:
                at = round(now - gap - self.result["load_start"], 2)
                self.result.setdefault("freezes_ms", []).append([at, round(gap * 1000, 1)])
            if now >= self._load_until:
                self._finish()
            return
        if gap > FREEZE_S:
            self._last_freeze_end = now
            self.result.setdefault("freezes_ms", []).append(round(gap * 1000, 1))
        if self.opts.rows and "rows_painted" not in self.result:
            return
        if now - self._last_freeze_end >= QUIET_S:
            self.result["usable"] = self._last_freeze_end
            self._on_usable()

    def _on_usable(self) -> None:
        if self.opts.hold:
            self.heartbeat.stop()  # idle CPU is measured without the probe's own timer
            self._write()
            return
        self._finish()

    def _start_load(self, now: float) -> None:
        self.result["load_start"] = now
        self._load_until = now + self.opts.load
        if self.opts.drop:
            QTimer.singleShot(int(self.opts.drop_after * 1000), self._drop)

    def _drop(self) -> None:
        windows = [w for w in self.app.topLevelWidgets() if hasattr(w, "images")]
        if windows:
            windows[0].images.files_added.emit([self.opts.drop])  # type: ignore[attr-defined]
            self.result["dropped"] = time.monotonic() - self.result["load_start"]
        else:
            self.result["dropped"] = None  # no image zone here (the bare window)

    # -- the end ------------------------------------------------------------------------

    def _on_deadline_timeout(self) -> None:
        self.result["timed_out"] = True
        self._finish()

    def _finish(self) -> None:
        if self._done:
            return
        self._done = True
        self.heartbeat.stop()
        if self.gaps:
            ordered = sorted(self.gaps)
            self.result["gap_p99_ms"] = ordered[int(0.99 * (len(ordered) - 1))] * 1000
            self.result["gap_max_ms"] = ordered[-1] * 1000
            self.result["ticks"] = len(ordered)
        self._write()
        for window in self.app.topLevelWidgets():
            window.close()  # the app's loop ends when its window has closed its services
        if self.opts.target == "bare":
            self.app.quit()

    def _write(self) -> None:
        tmp = Path(self.opts.out + ".tmp")
        tmp.write_text(json.dumps(self.result))
        tmp.replace(self.opts.out)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--rows", type=int, default=0)
    parser.add_argument("--hold", action="store_true")
    parser.add_argument("--load", type=float, default=0.0, help="seconds to record from paint")
    parser.add_argument("--drop", help="an image file to drop during the load")
    parser.add_argument("--drop-after", type=float, default=1.0)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("target", choices=("app", "bare"))
    parser.add_argument("args", nargs=argparse.REMAINDER)
    opts = parser.parse_args()
    args = [a for a in opts.args if a != "--"]
    app = QApplication(["videostudio"])
    probe = Probe(app, opts)
    if opts.target == "bare":
        sys.path.insert(0, str(Path(__file__).parent))
        from bare_window import run

        code = run(app)
    else:
        from videostudio.__main__ import main as app_main

        code = app_main(args)
    probe.deleteLater()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
