"""``videostudio --self-check``: does this install (or bundle) have what the app needs?

It loads QtMultimedia, decodes a bundled tiny H.264 clip offscreen with QMediaPlayer
and QVideoSink (and its first frame with PyAV, as the thumbnails do), finds the
keyring backend, loads the TLS certificates, opens a journal in a temporary
folder, and takes that folder's lock and rings its doorbell (naming the platform
branches this OS got: lock, doorbell, reveal, notifications, trash). It prints what
it checked and exits 0, or 1 naming what failed and why.
No keychain is not a failure: the app then keeps a key for the session only.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from videostudio import __version__

CLIP_NAME = "selfcheck.mp4"
# For checking another file instead of the bundled clip (and for the tests).
CLIP_ENV = "VIDEOSTUDIO_SELF_CHECK_CLIP"
DECODE_TIMEOUT_MS = 15_000


class CheckFailedError(Exception):
    """One check failed; the message says why and what to do."""


def bundled_clip() -> Path:
    """The self-check clip: beside a source checkout, in an install's share/, or a bundle's."""
    chosen = os.environ.get(CLIP_ENV)
    if chosen:
        return Path(chosen)
    for folder in (
        Path(__file__).resolve().parents[1] / "resources",
        Path(sys.prefix) / "share" / "videostudio",  # pip/pipx installs and the bundle
    ):
        if (folder / CLIP_NAME).is_file():
            return folder / CLIP_NAME
    raise CheckFailedError(
        f"The bundled clip {CLIP_NAME} is missing (looked beside the source and in "
        f"{Path(sys.prefix) / 'share' / 'videostudio'}). Reinstall videostudio."
    )


def check_qt() -> str:
    try:
        from PySide6 import QtMultimedia  # noqa: F401 (loading it is the check)
        from PySide6.QtCore import qVersion
    except ImportError as exc:
        raise CheckFailedError(
            f"QtMultimedia cannot be loaded ({exc}). On Debian/Ubuntu install the system "
            "library it names (usually libpulse0), or reinstall PySide6-Addons."
        ) from None
    return f"Qt {qVersion()} with QtMultimedia loaded"


def check_playback(clip: Path, qt_messages: list[str]) -> str:
    """Play ``clip`` offscreen to its end and count the valid frames the sink receives."""
    from PySide6.QtCore import QEventLoop, QTimer, QUrl
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtMultimedia import QMediaPlayer, QVideoFrame, QVideoSink

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0], "-platform", "offscreen"])
    player = QMediaPlayer()
    sink = QVideoSink()
    player.setVideoSink(sink)
    loop = QEventLoop()
    frames: list[tuple[int, int]] = []
    errors: list[str] = []

    def on_frame(frame: QVideoFrame) -> None:
        if frame.isValid() and not frame.toImage().isNull():
            frames.append((frame.width(), frame.height()))

    def on_status(status: QMediaPlayer.MediaStatus) -> None:
        if status == QMediaPlayer.MediaStatus.LoadedMedia and not player.hasVideo():
            errors.append("the file has no video stream Qt can decode")
            loop.quit()
        elif status in (QMediaPlayer.MediaStatus.EndOfMedia, QMediaPlayer.MediaStatus.InvalidMedia):
            loop.quit()

    def on_error(_error: QMediaPlayer.Error, text: str) -> None:
        errors.append(text or "unknown error")
        loop.quit()

    sink.videoFrameChanged.connect(on_frame)
    player.mediaStatusChanged.connect(on_status)
    player.errorOccurred.connect(on_error)
    QTimer.singleShot(DECODE_TIMEOUT_MS, loop.quit)
    player.setSource(QUrl.fromLocalFile(str(clip)))
    player.play()
    loop.exec()
    player.stop()
    app.processEvents()
    if not frames:
        why = errors[0] if errors else f"no frame within {DECODE_TIMEOUT_MS // 1000} s"
        raise CheckFailedError(
            f"QMediaPlayer decoded no frame of {clip} ({why}). The FFmpeg multimedia plugin "
            "may be missing: reinstall PySide6-Addons (or rebuild the bundle)."
        )
    backend = next((m.split(": ", 1)[-1] for m in qt_messages if "FFmpeg version" in m), "")
    width, height = frames[0]
    detail = f"; {backend}" if backend else ""
    return (
        f"decoded {len(frames)} frames ({width}x{height}) of {clip.name} with QMediaPlayer "
        f"and QVideoSink, offscreen{detail}"
    )


def check_pyav(clip: Path) -> str:
    try:
        import av
    except ImportError as exc:
        raise CheckFailedError(f"PyAV cannot be loaded ({exc}). Reinstall PyAV (av).") from None
    try:
        with av.open(str(clip)) as container:
            if not container.streams.video:
                raise CheckFailedError(f"PyAV found no video stream in {clip}.")
            frame = next(container.decode(video=0))
    except (av.FFmpegError, StopIteration) as exc:
        raise CheckFailedError(f"PyAV could not decode {clip}: {exc}") from None
    return f"PyAV {av.__version__} decoded a {frame.width}x{frame.height} frame"


def check_keychain() -> tuple[bool, str]:
    """(found, text). A missing keychain is a note, not a failure."""
    import keyring
    from keyring.backends import chainer, fail

    backend = keyring.get_keyring()
    found = [backend]
    if isinstance(backend, chainer.ChainerBackend):
        found = list(backend.backends)
    usable = [b for b in found if not isinstance(b, fail.Keyring)]
    if not usable:
        return False, (
            "no system keychain found (no Secret Service such as GNOME Keyring or KWallet "
            "answered). Not a failure: the app will keep an API key for the session only."
        )
    names = ", ".join(f"{type(b).__module__}.{type(b).__name__}" for b in usable)
    return True, f"keyring backend {names}"


def check_tls() -> str:
    import ssl

    import httpx

    try:
        context = httpx.create_ssl_context()
    except (OSError, ssl.SSLError) as exc:
        raise CheckFailedError(
            f"The TLS certificates cannot be loaded ({exc}); HTTPS to OpenRouter would fail. "
            "Reinstall certifi (or rebuild the bundle)."
        ) from None
    count = context.cert_store_stats().get("x509_ca", 0)
    if not count:
        raise CheckFailedError("No TLS root certificates were loaded. Reinstall certifi.")
    return f"TLS: {count} root certificates loaded (httpx {httpx.__version__})"


def check_journal() -> str:
    import sqlite3

    from videostudio.services.journal import Journal

    with tempfile.TemporaryDirectory(prefix="videostudio-self-check-") as tmp:
        journal = Journal(Path(tmp) / "journal.sqlite3")
        try:
            record = journal.add({"model": "self-check", "prompt": "self-check"})
            journal.get(record.local_id)
        finally:
            journal.close()
    return f"SQLite {sqlite3.sqlite_version}: a job journal was written and read back"


def check_platform() -> str:
    """Take a data folder's lock, open its doorbell and ring it; name every OS branch."""
    import asyncio

    from videostudio.platform import lock
    from videostudio.services.instance import DataFolder, ring
    from videostudio.ui.desktop import notifications, trash
    from videostudio.ui.desktop.reveal import backend_name as reveal_backend

    async def answer(request: dict[str, object]) -> dict[str, object]:
        return {"ok": True}

    async def lock_and_ring(folder: Path) -> bool:
        owner = DataFolder(folder, "self-check")
        if not owner.try_acquire():
            raise CheckFailedError(f"The lock ({lock.name()}) on a new folder was refused.")
        try:
            if not await owner.serve(answer):
                raise CheckFailedError("The doorbell (loopback TCP) could not be opened.")
            second = DataFolder(folder, "second")
            if second.try_acquire():
                raise CheckFailedError(f"The lock ({lock.name()}) let a second holder in.")
            reply = await ring(folder, {"op": "ping"})
            return bool(reply and reply.get("ok"))
        finally:
            await owner.release()

    with tempfile.TemporaryDirectory(prefix="videostudio-self-check-") as tmp:
        if not asyncio.run(lock_and_ring(Path(tmp))):
            raise CheckFailedError("The doorbell did not answer a ring from this process.")
    return (
        f"lock {lock.name()}; doorbell loopback TCP with an owner-only token, rung; "
        f"reveal: {reveal_backend()}; notifications: "
        f"{notifications.backend_name()}; trash: {trash.backend_name()}"
    )


def run_self_check() -> int:
    """Run every check, print each result, return the exit code."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    qt_messages: list[str] = []

    def keep(_kind: QtMsgType, _context: object, message: str) -> None:
        qt_messages.append(message)  # shown only when a check fails

    qInstallMessageHandler(keep)
    print(f"videostudio {__version__} self-check (Python {sys.version.split()[0]}, {sys.prefix})")
    failed: list[str] = []

    def run(name: str, check: Callable[[], str]) -> None:
        try:
            text = check()
        except CheckFailedError as exc:
            failed.append(name)
            print(f"  FAIL  {name}: {exc}")
            return
        print(f"  ok    {name}: {text}")

    run("Qt", check_qt)
    try:
        clip = bundled_clip()
    except CheckFailedError as exc:
        failed.append("clip")
        print(f"  FAIL  clip: {exc}")
    else:
        if "Qt" not in failed:
            run("playback", lambda: check_playback(clip, qt_messages))
        run("thumbnails", lambda: check_pyav(clip))
    found, text = check_keychain()
    print(f"  {'ok  ' if found else 'note'}  keychain: {text}")
    run("network", check_tls)
    run("journal", check_journal)
    run("platform", check_platform)
    qInstallMessageHandler(None)
    if failed:
        if qt_messages:
            print("Qt said:\n" + "\n".join(f"  {m}" for m in qt_messages[-10:]))
        print(f"{len(failed)} check(s) failed: {', '.join(failed)}.")
        return 1
    print("All checks passed.")
    return 0
