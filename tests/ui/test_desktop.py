"""The app on the desktop, through real parts: a private D-Bus session bus (dbus-daemon) with
a notification server and a file manager exported by QtDBus in a child process
(tests/ui/desktop_peer.py), the freedesktop trash in a temporary XDG_DATA_HOME, and drop
events delivered to real text boxes."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import (
    QMimeData,
    QObject,
    QPointF,
    QProcess,
    QProcessEnvironment,
    Qt,
    QUrl,
    Slot,
)
from PySide6.QtDBus import QDBusConnection
from PySide6.QtGui import QDesktopServices, QDropEvent, QImage
from PySide6.QtWidgets import QApplication, QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from tests.ui.conftest import png_file, until
from videostudio.core.jobs import QUEUED, SAVED, JobRecord
from videostudio.core.models import FAILED, IN_PROGRESS
from videostudio.ui.desktop import (
    LOGGED,
    NOTIFICATION,
    ImageDropFilter,
    Notice,
    Notifier,
    classify,
    file_drag_mime,
    move_to_trash,
    notice_for,
    restore,
    reveal,
)

ROOT = Path(__file__).resolve().parents[2]
WAIT_MS = 20_000  # a child process starting PySide6 on a busy machine
DBUS_DAEMON = shutil.which("dbus-daemon") or "dbus-daemon"

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <servicedir>{dir}/services</servicedir>
</busconfig>
"""


# -- a private session bus and the desktop on it --------------------------------------------


@contextlib.contextmanager
def private_bus(activatable: dict[str, list[str]] | None = None) -> Iterator[str]:
    """A session bus of our own, with no service on it but the ``activatable`` ones (name ->
    command), which the bus starts on their first call as a desktop session does."""
    where = tempfile.mkdtemp(prefix="vsbus-")  # short: a socket path has a length limit
    services = Path(where) / "services"
    services.mkdir()
    for name, command in (activatable or {}).items():
        line = " ".join(shlex.quote(part) for part in command)
        (services / f"{name}.service").write_text(f"[D-BUS Service]\nName={name}\nExec={line}\n")
    config = Path(where) / "session.conf"
    config.write_text(BUS_CONFIG.format(dir=where))
    daemon = subprocess.Popen(
        [DBUS_DAEMON, f"--config-file={config}", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert daemon.stdout is not None
    address = daemon.stdout.readline().strip()
    try:
        assert address.startswith("unix:"), address
        yield address
    finally:
        daemon.kill()
        daemon.wait()
        daemon.stdout.close()
        shutil.rmtree(where, ignore_errors=True)


@pytest.fixture
def bus_address() -> Iterator[str]:
    with private_bus() as address:
        yield address


@pytest.fixture
def bus(bus_address: str) -> Iterator[QDBusConnection]:
    """This process's connection to the private bus."""
    name = f"videostudio-test-{uuid.uuid4().hex}"
    connection = QDBusConnection.connectToBus(bus_address, name)
    assert connection.isConnected(), connection.lastError().message()
    yield connection
    QDBusConnection.disconnectFromBus(name)


class Child:
    """A child process on the private bus, its stdout read as JSON lines."""

    def __init__(self, address: str, args: list[str]) -> None:
        self.lines: list[dict[str, Any]] = []
        self.process = QProcess()
        env = QProcessEnvironment.systemEnvironment()
        env.insert("DBUS_SESSION_BUS_ADDRESS", address)
        env.insert("QT_QPA_PLATFORM", "offscreen")
        env.insert("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
        self.process.setProcessEnvironment(env)
        self.process.setWorkingDirectory(str(ROOT))
        self.process.setProcessChannelMode(QProcess.ProcessChannelMode.ForwardedErrorChannel)
        self.process.readyReadStandardOutput.connect(self._on_process_ready_read)
        self.process.start(sys.executable, args)

    def _on_process_ready_read(self) -> None:
        while self.process.canReadLine():
            line = self.process.readLine().data().decode().strip()
            if line:
                self.lines.append(json.loads(line))

    def said(self, key: str, value: object = None) -> list[dict[str, Any]]:
        return [m for m in self.lines if key in m and (value is None or m[key] == value)]

    def send(self, **command: object) -> None:
        self.process.write((json.dumps(command) + "\n").encode())

    def stop(self) -> None:
        self.process.closeWriteChannel()  # the peer quits at the end of its input
        if not self.process.waitForFinished(10_000):
            self.process.kill()
            self.process.waitForFinished()


@pytest.fixture
def desktop(qtbot: QtBot, bus_address: str) -> Iterator[Child]:
    """A notification server and a file manager on the private bus."""
    peer = Child(bus_address, ["-m", "tests.ui.desktop_peer", "notifications", "file-manager"])
    try:
        qtbot.waitUntil(lambda: bool(peer.said("ready")), timeout=WAIT_MS)
        yield peer
    finally:
        peer.stop()


@pytest.fixture
def notifier(qapp: QApplication, bus: QDBusConnection) -> Iterator[Notifier]:
    n = Notifier(bus=bus)
    yield n
    n.close()
    n.deleteLater()


def job(
    local_id: int, state: str, prompt: str = "a paper boat on a rainy street", **kw: Any
) -> JobRecord:
    return JobRecord(local_id, state, "google/veo-3.1-fast", prompt, {}, **kw)


# -- the policy -----------------------------------------------------------------------------


def test_notice_only_for_a_job_ending_while_the_window_is_inactive() -> None:
    saved = job(1, SAVED)
    assert notice_for(IN_PROGRESS, saved, window_active=True) is None
    assert notice_for(None, saved, window_active=False) is None  # never seen running here
    assert notice_for(SAVED, saved, window_active=False) is None  # already told
    assert notice_for(QUEUED, job(1, IN_PROGRESS), window_active=False) is None
    ready = notice_for(IN_PROGRESS, saved, window_active=False)
    assert ready == Notice("Clip ready", "a paper boat on a rainy street", "transfer.complete")
    failed = notice_for(
        IN_PROGRESS, job(2, FAILED, error="The provider refused the prompt."), window_active=False
    )
    assert failed is not None
    assert failed.summary == "Job failed"
    assert failed.body == "a paper boat on a rainy street\nThe provider refused the prompt."
    assert failed.category == "transfer.error"


def test_notice_body_is_short() -> None:
    notice = notice_for(IN_PROGRESS, job(1, SAVED, prompt="word " * 200), window_active=False)
    assert notice is not None
    assert len(notice.body) <= 120
    assert notice.body.endswith("…")


# -- notifications over the real protocol ---------------------------------------------------


def test_notification_carries_the_job_and_a_click_brings_it_back(
    qtbot: QtBot, desktop: Child, notifier: Notifier
) -> None:
    delivered: list[tuple[int, str]] = []
    activated: list[int] = []
    notifier.delivered.connect(lambda local_id, how: delivered.append((local_id, how)))
    notifier.activated.connect(activated.append)

    notifier.track(job(7, IN_PROGRESS, prompt="<b>boats</b> & rain"), window_active=False)
    notifier.track(job(7, SAVED, prompt="<b>boats</b> & rain"), window_active=False)
    qtbot.waitUntil(lambda: bool(delivered), timeout=WAIT_MS)
    assert delivered == [(7, NOTIFICATION)]

    [call] = desktop.said("call", "Notify")
    assert call["app_name"] == "videostudio"
    assert call["app_icon"] == "videostudio"
    assert call["replaces_id"] == 0
    assert call["summary"] == "Clip ready"
    assert call["body"] == "&lt;b&gt;boats&lt;/b&gt; &amp; rain"  # the server reads markup
    assert call["actions"][0] == "default"
    assert call["hints"] == {"desktop-entry": "videostudio", "category": "transfer.complete"}
    assert notifier.pending() == {call["id"]: 7}

    # Another application's notification is not ours to answer.
    desktop.send(emit="ActionInvoked", id=call["id"] + 100, key="default")
    desktop.send(emit="ActionInvoked", id=call["id"], key="default")
    qtbot.waitUntil(lambda: activated == [7], timeout=WAIT_MS)

    desktop.send(emit="NotificationClosed", id=call["id"], reason=2)
    qtbot.waitUntil(lambda: notifier.pending() == {}, timeout=WAIT_MS)


def test_a_server_without_markup_gets_the_prompt_as_typed(
    qtbot: QtBot, bus_address: str, notifier: Notifier
) -> None:
    plain = Child(bus_address, ["-m", "tests.ui.desktop_peer", "notifications", "no-markup"])
    try:
        qtbot.waitUntil(lambda: bool(plain.said("ready")), timeout=WAIT_MS)
        delivered: list[int] = []
        notifier.delivered.connect(lambda local_id, how: delivered.append(local_id))
        notifier.notify(1, Notice("Clip ready", "<b>boats</b> & rain", "transfer.complete"))
        qtbot.waitUntil(lambda: bool(delivered), timeout=WAIT_MS)
        [call] = plain.said("call", "Notify")
        assert call["body"] == "<b>boats</b> & rain"
    finally:
        plain.stop()


def test_no_notification_while_the_window_is_active(
    qtbot: QtBot, desktop: Child, notifier: Notifier
) -> None:
    delivered: list[tuple[int, str]] = []
    notifier.delivered.connect(lambda local_id, how: delivered.append((local_id, how)))
    notifier.track(job(1, IN_PROGRESS), window_active=True)
    notifier.track(job(1, SAVED), window_active=True)  # the user is looking
    notifier.track(job(2, IN_PROGRESS), window_active=False)
    notifier.track(job(2, FAILED, error="Expired."), window_active=False)
    qtbot.waitUntil(lambda: bool(delivered), timeout=WAIT_MS)
    assert delivered == [(2, NOTIFICATION)]
    assert [c["summary"] for c in desktop.said("call", "Notify")] == ["Job failed"]


def test_a_second_notice_for_a_job_replaces_the_first(
    qtbot: QtBot, desktop: Child, notifier: Notifier
) -> None:
    delivered: list[int] = []
    notifier.delivered.connect(lambda local_id, how: delivered.append(local_id))
    notifier.notify(3, Notice("Clip not saved", "boat\nThe disk is full.", "transfer.error"))
    qtbot.waitUntil(lambda: len(delivered) == 1, timeout=WAIT_MS)
    notifier.notify(3, Notice("Clip ready", "boat", "transfer.complete"))
    qtbot.waitUntil(lambda: len(delivered) == 2, timeout=WAIT_MS)
    first, second = desktop.said("call", "Notify")
    assert second["replaces_id"] == first["id"] > 0
    assert notifier.pending() == {first["id"]: 3}


def test_jobs_known_at_start_notify_when_they_end(
    qtbot: QtBot, desktop: Child, notifier: Notifier
) -> None:
    delivered: list[int] = []
    notifier.delivered.connect(lambda local_id, how: delivered.append(local_id))
    notifier.reset({4: IN_PROGRESS, 5: SAVED})
    notifier.track(job(5, SAVED), window_active=False)  # seen saved already: not news
    notifier.track(job(4, SAVED), window_active=False)
    qtbot.waitUntil(lambda: bool(delivered), timeout=WAIT_MS)
    assert delivered == [4]


def test_activation_token_is_handed_to_the_window(
    qtbot: QtBot, desktop: Child, notifier: Notifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_ACTIVATION_TOKEN", "")  # put back as it was after the test
    activated: list[int] = []
    notifier.activated.connect(activated.append)
    notifier.notify(9, Notice("Clip ready", "boat", "transfer.complete"))
    qtbot.waitUntil(lambda: bool(notifier.pending()), timeout=WAIT_MS)
    [notification_id] = notifier.pending()
    desktop.send(emit="ActivationToken", id=notification_id, token="token-from-the-compositor")
    desktop.send(emit="ActionInvoked", id=notification_id, key="default")
    qtbot.waitUntil(lambda: activated == [9], timeout=WAIT_MS)
    assert os.environ["XDG_ACTIVATION_TOKEN"] == "token-from-the-compositor"


def test_without_a_notification_service_the_notice_is_logged(
    qtbot: QtBot, notifier: Notifier, caplog: pytest.LogCaptureFixture
) -> None:
    """The bus is there, no server on it (and no tray offscreen): a log line, no crash."""
    delivered: list[tuple[int, str]] = []
    notifier.delivered.connect(lambda local_id, how: delivered.append((local_id, how)))
    with caplog.at_level("INFO", logger="videostudio.ui.desktop"):
        notifier.notify(6, Notice("Clip ready", "boat", "transfer.complete"))
        qtbot.waitUntil(lambda: bool(delivered), timeout=WAIT_MS)
    assert delivered == [(6, LOGGED)]
    assert "org.freedesktop.Notifications" in caplog.text  # the bus's own reason
    assert "job 6: Clip ready" in caplog.text
    assert notifier.pending() == {}


def test_without_a_session_bus_the_notice_is_logged(
    qtbot: QtBot, qapp: QApplication, caplog: pytest.LogCaptureFixture
) -> None:
    name = f"videostudio-nobus-{uuid.uuid4().hex}"
    nowhere = QDBusConnection.connectToBus("unix:path=/nonexistent/videostudio-bus", name)
    assert not nowhere.isConnected()
    notifier = Notifier(bus=nowhere)
    delivered: list[tuple[int, str]] = []
    notifier.delivered.connect(lambda local_id, how: delivered.append((local_id, how)))
    try:
        with caplog.at_level("INFO", logger="videostudio.ui.desktop"):
            notifier.notify(8, Notice("Job failed", "boat", "transfer.error"))
        assert delivered == [(8, LOGGED)]
        assert "there is no session bus" in caplog.text
    finally:
        notifier.close()
        QDBusConnection.disconnectFromBus(name)


def test_a_notification_server_is_started_by_the_bus_on_the_first_notice(
    qtbot: QtBot, qapp: QApplication
) -> None:
    """Desktops often start their notification server on demand (D-Bus activation)."""
    env = shutil.which("env") or "/usr/bin/env"  # the bus runs Exec= without a PATH search
    command = [env, f"PYTHONPATH={ROOT}", sys.executable, "-m", "tests.ui.desktop_peer"]
    server = {"org.freedesktop.Notifications": [*command, "notifications", "no-stdin"]}
    with private_bus(activatable=server) as address:
        name = f"videostudio-test-{uuid.uuid4().hex}"
        bus = QDBusConnection.connectToBus(address, name)
        notifier = Notifier(bus=bus)
        delivered: list[tuple[int, str]] = []
        notifier.delivered.connect(lambda local_id, how: delivered.append((local_id, how)))
        try:
            notifier.notify(12, Notice("Clip ready", "boat", "transfer.complete"))
            qtbot.waitUntil(lambda: bool(delivered), timeout=WAIT_MS)
            assert delivered == [(12, NOTIFICATION)]
            assert list(notifier.pending().values()) == [12]
        finally:
            notifier.close()
            started = bus.interface().servicePid("org.freedesktop.Notifications")
            if started.isValid():  # the bus's child, not ours: end it before the bus goes
                os.kill(started.value(), signal.SIGKILL)
            QDBusConnection.disconnectFromBus(name)


CLIENT = """
import json, sys
from PySide6.QtWidgets import QApplication
from videostudio.ui.desktop import Notice, Notifier
app = QApplication([])
notifier = Notifier()  # the session bus of DBUS_SESSION_BUS_ADDRESS
def say(**fields):
    print(json.dumps(fields), flush=True)
notifier.delivered.connect(lambda i, how: say(delivered=how, pending=list(notifier.pending())))
notifier.activated.connect(lambda i: (say(activated=i), app.quit()))
notifier.notify(11, Notice("Clip ready", "boat", "transfer.complete"))
app.exec()
notifier.close()
"""


def test_the_app_finds_the_notification_service_on_its_session_bus(
    qtbot: QtBot, desktop: Child, bus_address: str
) -> None:
    """Default wiring: a process whose DBUS_SESSION_BUS_ADDRESS is the private bus."""
    app = Child(bus_address, ["-c", CLIENT])
    try:
        qtbot.waitUntil(lambda: bool(app.said("delivered")), timeout=WAIT_MS)
        [delivered] = app.said("delivered")
        assert delivered["delivered"] == NOTIFICATION
        [notification_id] = delivered["pending"]
        desktop.send(emit="ActionInvoked", id=notification_id, key="default")
        qtbot.waitUntil(lambda: bool(app.said("activated")), timeout=WAIT_MS)
        assert app.said("activated") == [{"activated": 11}]
    finally:
        app.stop()


# -- show in folder -------------------------------------------------------------------------


async def test_reveal_asks_the_file_manager_to_select_the_file(
    desktop: Child, bus: QDBusConnection, tmp_path: Path
) -> None:
    clip = tmp_path / "a clip #1.mp4"
    clip.write_bytes(b"\0")
    assert await reveal(clip, bus=bus, startup_id="_TIME0") is None
    await until(lambda: desktop.said("call", "ShowItems"), what="ShowItems")
    [call] = desktop.said("call", "ShowItems")
    [uri] = call["uris"]
    assert uri.startswith("file:///") and uri.endswith("/a%20clip%20%231.mp4")  # encoded
    assert QUrl(uri).toLocalFile() == str(clip)
    assert call["startup_id"] == "_TIME0"


class FolderOpener(QObject):
    """Where QDesktopServices sends file: URLs while registered (the platform's way)."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toLocalFile())


async def test_reveal_without_a_file_manager_opens_the_folder(
    bus: QDBusConnection, tmp_path: Path
) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\0")
    opener = FolderOpener()
    QDesktopServices.setUrlHandler("file", opener, "open")
    try:
        assert await reveal(clip, bus=bus) is None
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert opener.opened == [str(tmp_path)]


@pytest.mark.qt_log_ignore("does not support QPlatformServices")
async def test_reveal_says_where_the_file_is_when_nothing_can_open_it(
    bus: QDBusConnection, tmp_path: Path
) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\0")
    message = await reveal(clip, bus=bus)  # no file manager, and offscreen opens nothing
    assert message is not None
    assert f"Could not open the folder {tmp_path}" in message
    assert f"The file is at {clip}" in message


async def test_reveal_of_a_missing_file_says_so(bus: QDBusConnection, tmp_path: Path) -> None:
    message = await reveal(tmp_path / "gone.mp4", bus=bus)
    assert message == f"gone.mp4 is no longer in {tmp_path}: it may have been moved or deleted."


# -- trash and undo -------------------------------------------------------------------------


@pytest.fixture
def trash_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """XDG_DATA_HOME in the test's folder: the home trash is <it>/Trash."""
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    return data / "Trash"


def test_trash_moves_a_clip_with_its_sidecar_and_outputs_and_undo_restores(
    trash_home: Path, tmp_path: Path
) -> None:
    clips = tmp_path / "clips"
    clips.mkdir()
    main = clips / "boat.mp4"
    main.write_bytes(b"clip 0")
    sidecar = clips / "boat.json"
    sidecar.write_text('{"videostudio_sidecar": 1, "prompt": "boat"}')
    second = clips / "boat-1.mp4"
    second.write_bytes(b"clip 1")
    users = clips / "boat-1.json"  # beside output 1, but not a sidecar the app wrote
    users.write_text('{"my": "notes"}')

    receipt = move_to_trash([main, second])

    assert receipt.ok and receipt.covers([main, second])
    assert {t.original for t in receipt.moved} == {str(main), str(sidecar), str(second)}
    assert users.read_text() == '{"my": "notes"}'
    assert not main.exists() and not sidecar.exists() and not second.exists()
    for item in receipt.moved:
        in_trash = Path(item.in_trash)
        assert in_trash.parent == trash_home / "files"
        info = trash_home / "info" / f"{in_trash.name}.trashinfo"
        assert f"Path={item.original}" in info.read_text()  # absolute, as the spec wants
    assert (trash_home / "files" / "boat.mp4").read_bytes() == b"clip 0"

    assert restore(receipt) == []

    assert main.read_bytes() == b"clip 0"
    assert sidecar.read_text() == '{"videostudio_sidecar": 1, "prompt": "boat"}'
    assert second.read_bytes() == b"clip 1"
    assert list((trash_home / "files").iterdir()) == []
    assert list((trash_home / "info").iterdir()) == []


def test_trash_of_a_relative_path_records_the_absolute_one(
    trash_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("clip.mp4").write_bytes(b"x")
    receipt = move_to_trash(["clip.mp4"])
    [item] = receipt.moved
    assert item.original == str(tmp_path / "clip.mp4")
    assert (
        f"Path={tmp_path / 'clip.mp4'}" in (trash_home / "info" / "clip.mp4.trashinfo").read_text()
    )


def test_missing_files_are_noted_not_errors(trash_home: Path, tmp_path: Path) -> None:
    receipt = move_to_trash([tmp_path / "gone.mp4"])
    assert receipt.ok and receipt.moved == ()
    assert receipt.missing == (str(tmp_path / "gone.mp4"),)
    assert receipt.covers([tmp_path / "gone.mp4"])


def test_a_file_that_cannot_be_trashed_stays_with_a_sentence(trash_home: Path) -> None:
    receipt = move_to_trash(["/proc/version"])  # a file system with no trash
    assert not receipt.ok and not receipt.covers(["/proc/version"])
    assert Path("/proc/version").exists()
    message = receipt.errors["/proc/version"]
    assert message.startswith("version could not be moved to the trash")
    assert "so it was left in /proc" in message


def test_undo_never_overwrites_a_new_file_and_reports_an_emptied_trash(
    trash_home: Path, tmp_path: Path
) -> None:
    first, second = tmp_path / "a.mp4", tmp_path / "b.mp4"
    first.write_bytes(b"old a")
    second.write_bytes(b"old b")
    receipt = move_to_trash([first, second])
    first.write_bytes(b"new a")  # a new file took the name meanwhile
    Path(next(t.in_trash for t in receipt.moved if t.original == str(second))).unlink()

    errors = restore(receipt)

    assert errors == [
        f"a.mp4 was not put back: another file of that name is in {tmp_path} now. "
        "It is still in the trash.",
        f"b.mp4 is no longer in the trash (it may have been emptied), so it could not be "
        f"put back in {tmp_path}.",
    ]
    assert first.read_bytes() == b"new a"
    assert (trash_home / "files" / "a.mp4").read_bytes() == b"old a"
    assert (trash_home / "info" / "a.mp4.trashinfo").exists()


# -- drops ----------------------------------------------------------------------------------


def _drop(widget: QWidget, mime: QMimeData) -> QDropEvent:
    """Drag ``mime`` over ``widget`` and drop it there, as the platform would."""
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent

    pos = QPointF(widget.rect().center())
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    copy = Qt.DropAction.CopyAction
    QApplication.sendEvent(widget, QDragEnterEvent(pos.toPoint(), copy, mime, buttons, keys))
    QApplication.sendEvent(widget, QDragMoveEvent(pos.toPoint(), copy, mime, buttons, keys))
    drop = QDropEvent(pos, copy, mime, buttons, keys)
    QApplication.sendEvent(widget, drop)
    return drop


@pytest.fixture
def prompt_box(qtbot: QtBot) -> tuple[QWidget, QPlainTextEdit, QLineEdit, ImageDropFilter]:
    window = QWidget()
    box = QPlainTextEdit(window)
    line = QLineEdit(window)
    layout = QVBoxLayout(window)
    layout.addWidget(box)
    layout.addWidget(line)
    qtbot.addWidget(window)
    window.resize(400, 300)
    window.show()
    qtbot.waitExposed(window)
    images = ImageDropFilter(window)
    images.install(window)
    return window, box, line, images


def test_an_image_file_dropped_on_the_prompt_box_becomes_an_image(
    prompt_box: tuple[QWidget, QPlainTextEdit, QLineEdit, ImageDropFilter], tmp_path: Path
) -> None:
    window, box, line, images = prompt_box
    files: list[list[str]] = []
    images.files_dropped.connect(files.append)
    picture = png_file(tmp_path / "first frame.png")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(picture))])
    mime.setText(str(picture))  # file managers add the path as text too

    drop = _drop(box.viewport(), mime)

    assert box.toPlainText() == ""  # not the path as text
    assert drop.isAccepted()
    assert files == [[str(picture)]]
    _drop(line, mime)
    assert files == [[str(picture)]] * 2 and line.text() == ""
    _drop(window, mime)  # anywhere else on the window
    assert len(files) == 3


def test_plain_text_dropped_on_the_prompt_box_is_still_text(
    prompt_box: tuple[QWidget, QPlainTextEdit, QLineEdit, ImageDropFilter],
) -> None:
    _window, box, _line, images = prompt_box
    caught: list[object] = []
    images.files_dropped.connect(caught.append)
    images.urls_dropped.connect(caught.append)
    mime = QMimeData()
    mime.setText("a lighthouse at dusk")
    _drop(box.viewport(), mime)
    assert box.toPlainText() == "a lighthouse at dusk"
    page = QMimeData()
    page.setUrls([QUrl("https://example.com/article")])  # a link, not a picture
    page.setText("https://example.com/article")
    _drop(box.viewport(), page)
    assert "https://example.com/article" in box.toPlainText()
    assert caught == []


def test_image_addresses_and_image_data_are_taken(
    prompt_box: tuple[QWidget, QPlainTextEdit, QLineEdit, ImageDropFilter],
) -> None:
    _window, box, _line, images = prompt_box
    urls: list[list[str]] = []
    pictures: list[QImage] = []
    images.urls_dropped.connect(urls.append)
    images.image_dropped.connect(pictures.append)
    named = QMimeData()
    named.setUrls([QUrl("https://example.com/pics/boat.webp")])
    _drop(box.viewport(), named)
    from_page = QMimeData()  # a picture dragged out of a browser: its address may have no suffix
    from_page.setUrls([QUrl("https://cdn.example.com/i?id=3")])
    from_page.setHtml('<img src="https://cdn.example.com/i?id=3">')
    _drop(box.viewport(), from_page)
    assert urls == [["https://example.com/pics/boat.webp"], ["https://cdn.example.com/i?id=3"]]
    raw = QMimeData()
    picture = QImage(16, 9, QImage.Format.Format_RGB32)
    picture.fill(Qt.GlobalColor.darkCyan)
    raw.setImageData(picture)
    _drop(box.viewport(), raw)
    assert [p.size().toTuple() for p in pictures] == [(16, 9)]
    assert box.toPlainText() == ""


def test_classify_tells_images_clips_and_other_files_apart(tmp_path: Path) -> None:
    mime = QMimeData()
    mime.setUrls(
        [
            QUrl.fromLocalFile(str(tmp_path / "a.JPG")),
            QUrl.fromLocalFile(str(tmp_path / "b.mp4")),
            QUrl.fromLocalFile(str(tmp_path / "notes.txt")),
            QUrl("https://example.com/c.png"),
            QUrl("ftp://example.com/d.png"),
        ]
    )
    content = classify(mime)
    assert content.image_files == (str(tmp_path / "a.JPG"),)
    assert content.clip_files == (str(tmp_path / "b.mp4"),)
    assert content.image_urls == ("https://example.com/c.png",)
    assert content.carries_images
    text = QMimeData()
    text.setText("just words")
    assert not classify(text).carries_images


def test_drag_out_payload_lists_the_files_as_a_copy(tmp_path: Path) -> None:
    mime = file_drag_mime([tmp_path / "a.mp4", tmp_path / "b.mp4"])
    assert [u.toLocalFile() for u in mime.urls()] == [
        str(tmp_path / "a.mp4"),
        str(tmp_path / "b.mp4"),
    ]
    assert mime.hasFormat("text/uri-list")
    assert mime.data("application/x-kde-cutselection").data() == b"0"
