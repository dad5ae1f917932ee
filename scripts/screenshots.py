"""Screenshots of the real window, driven with real input, for docs/ (run under Xvfb).

    xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/python scripts/screenshots.py docs/screenshots
    xvfb-run -a -s "-screen 0 1024x640x24" .venv/bin/python scripts/screenshots.py \\
        --tour states --dark /tmp/shots

Tours: "basics" (the README's pictures: empty, model and images, jobs running,
playing, errors), "studio" (the library, iterating from a clip, compare, a batch,
spending), "prompt" (the assistant's proposal, the presets menu), "storyboard" (shots
trimmed and planned, an export in progress), "operations" (extend a clip, upscale the
extension, the chain of a result) and "states" (offline with a saved key, key
refused, the key dialog, a retry counting down, the same job twice, several bad images, a
dropped image address, About). The window fills the screen; ``--dark`` gives it a dark
Fusion palette. Keys and clicks go through the X server with xdotool, and each picture is
the whole screen (ImageMagick's `import`), so what is captured is what a user would see.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import sys
import tempfile
import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import keyring
from keyring.backend import KeyringBackend
from PySide6.QtCore import QMimeData, QSettings, QUrl
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QImage, QLinearGradient, QPainter
from PySide6.QtWidgets import QApplication, QPushButton, QWidget
from qasync import QEventLoop

from videostudio import paths as app_paths
from videostudio.api.client import VideoClient
from videostudio.services.backend import Backend, verify_key
from videostudio.services.keychain import KeyStore
from videostudio.services.redact import configure_logging
from videostudio.services.remote_image import fetch_image
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Fault, Simulator
from videostudio.ui.media.thumbnails import FrameLoader
from videostudio.ui.session.clip_actions import ClipActions
from videostudio.ui.session.operation_dialog import OperationDialog
from videostudio.ui.session.studio import StudioController
from videostudio.ui.shell.main_window import MainWindow
from videostudio.ui.shell.style import STYLE, dark_palette

KEY = "sk-or-v1-screenshots"


class MemoryKeyring(KeyringBackend):
    """The shots never touch the user's keychain."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


async def until(condition: Any, within: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(str(condition))
        await asyncio.sleep(0.05)


async def xdotool(*args: str) -> None:
    """Real input through the X server (the loop keeps running while it types)."""
    tool = shutil.which("xdotool")
    if tool is None:
        raise SystemExit("xdotool is missing: apt-get install xdotool")
    proc = await asyncio.create_subprocess_exec(tool, *args)
    await proc.wait()
    await asyncio.sleep(0.3)  # let the window handle what arrived before the next step


async def click(widget: QWidget) -> None:
    centre = widget.mapToGlobal(widget.rect().center())
    await xdotool("mousemove", str(centre.x()), str(centre.y()), "click", "1")


class Shooter:
    def __init__(self, out: Path, prefix: str) -> None:
        self.out = out
        self.prefix = prefix

    async def __call__(self, name: str) -> None:
        await asyncio.sleep(0.6)  # a frame or two: what is on screen is what was asked for
        QApplication.processEvents()
        grabber = shutil.which("import")  # ImageMagick
        if grabber is None:
            raise SystemExit("ImageMagick's `import` is missing: run scripts/bootstrap")
        path = self.out / f"{self.prefix}{name}.png"
        proc = await asyncio.create_subprocess_exec(grabber, "-window", "root", str(path))
        await proc.wait()
        print("wrote", path)


def sample_image(
    path: Path, w: int = 1280, h: int = 720, colours: tuple[str, str] = ("#ff7e5f", "#2b5876")
) -> Path:
    image = QImage(w, h, QImage.Format.Format_RGB32)
    gradient = QLinearGradient(0, 0, w, h)
    gradient.setColorAt(0, QColor(colours[0]))
    gradient.setColorAt(1, QColor(colours[1]))
    painter = QPainter(image)
    painter.fillRect(image.rect(), gradient)
    painter.end()
    image.save(str(path))
    return path


def serve_folder(folder: Path) -> str:
    """A tiny web server for the dropped image address (loopback, for the shots only)."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            file = folder / self.path.lstrip("/")
            body = file.read_bytes() if file.is_file() else b""
            self.send_response(200 if body else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def paste(urls: list[str] | None = None, text: str | None = None) -> None:
    mime = QMimeData()
    if urls:
        mime.setUrls([QUrl(u) for u in urls])
    if text:
        mime.setText(text)
    QGuiApplication.clipboard().setMimeData(mime)


async def basics(window: MainWindow, sim: Simulator, shoot: Shooter, tmp: Path) -> None:
    """The README's pictures, in demo mode."""
    await window.controller.start()
    await until(lambda: window.compose.model_picker.count() > 0)
    await shoot("1-empty")
    window.compose.model_picker.select("google/veo-3.1")
    window.compose.prompt.set_text(
        "A paper boat drifting down a rainy street at golden hour, "
        "low tracking shot, reflections on the wet asphalt"
    )
    window.compose.params.duration.setCurrentIndex(window.compose.params.duration.findData(8))
    window.compose.params.resolution.setCurrentIndex(
        window.compose.params.resolution.findData("1080p")
    )
    paste(urls=[QUrl.fromLocalFile(str(sample_image(tmp / "sunset.png"))).toString()])
    await xdotool("key", "ctrl+shift+v")
    await until(lambda: window.compose.images.tile_ids())
    await shoot("2-model-and-images")
    await xdotool("key", "ctrl+Return")
    await until(window.compose.generate_button.isEnabled)
    window.compose.prompt.set_text("Timelapse of clouds over a mountain lake, 4K, calm")
    window.compose.model_picker.select("alibaba/wan-2.7")
    await xdotool("key", "ctrl+Return")
    await asyncio.sleep(1.5)
    window.compose.model_picker.select("google/veo-3.1-fast")
    window.compose.prompt.set_text("A red kite over green hills")
    await xdotool("key", "ctrl+Return")
    await asyncio.sleep(2.5)
    await shoot("3-jobs-running")
    await until(lambda: window.player.path is not None, within=90)
    await asyncio.sleep(2.0)
    await shoot("4-clip-playing")
    sim.credits_usd = 0.0
    window.compose.prompt.set_text("One more clip")
    await xdotool("key", "ctrl+Return")
    await until(lambda: window.credits_banner.isVisible())
    sim.add_fault(
        Fault(
            "submit",
            "status",
            status=400,
            field="duration",
            message="This duration is not available right now.",
        )
    )
    sim.credits_usd = None
    await xdotool("key", "ctrl+Return")
    await until(lambda: window.compose.params.duration.property("problem") is True)
    await shoot("5-errors")


async def states(
    window: MainWindow, sim: Simulator, shoot: Shooter, tmp: Path, live_port: int
) -> None:
    """Each state the window must tell the truth about, reached with real input."""
    c = window.controller
    await c.start()  # a saved key, no network: the live API's port has nobody listening
    await until(lambda: window.offline_banner.isVisible(), within=90)
    await shoot("offline-saved-key")

    sim.api_key = "sk-or-v1-the-working-one"  # the network is back; the saved key is revoked
    with SimulatorServer(sim, port=live_port):
        await xdotool("key", "F5")
        await until(lambda: window.key_banner.isVisible(), within=60)
        await shoot("key-refused")

        await xdotool("key", "ctrl+comma")
        await until(lambda: window.key_dialog is not None and window.key_dialog.isVisible())
        dialog = window.key_dialog
        if dialog is None:
            raise SystemExit("the key dialog did not open")
        await xdotool("type", "--delay", "20", "sk-or-v1-typo")
        await click(dialog.test_button)
        await until(lambda: "refused this key" in dialog.status.text())
        await shoot("key-dialog-refused")
        await click(dialog.key_edit)
        await xdotool("key", "ctrl+a")
        await xdotool("type", "--delay", "20", "sk-or-v1-the-working-one")
        await click(dialog.save_button)
        await until(lambda: c.link.state == "connected", within=60)
        await xdotool("key", "Escape")

        sim.pending_s, sim.running_s = 30.0, 60.0
        sim.add_fault(Fault("submit", "status", status=429, retry_after=40))
        await click(window.compose.prompt.editor)
        await xdotool("type", "--delay", "10", "A paper boat drifting down a rainy street")
        await xdotool("key", "ctrl+Return")
        await until(lambda: "retrying in" in str(window.queue.model.index(0, 4).data()))
        await asyncio.sleep(6)  # the countdown moves on
        await shoot("retry-countdown")

        await until(window.compose.generate_button.isEnabled)
        await xdotool("key", "ctrl+Return")  # the same request again, seconds later
        await until(lambda: _question(window) is not None)
        await shoot("same-job-question")
        await xdotool("key", "Return")  # the default answer: do not send

        bad = tmp / "notes.png"
        bad.write_bytes(b"this is not a picture")
        whole = sample_image(tmp / "whole.png", 640, 360).read_bytes()
        (tmp / "half.png").write_bytes(whole[: len(whole) // 3])
        big = sample_image(tmp / "big-photo.png", 4000, 2250)
        files = [bad, tmp / "half.png", big]
        paste(urls=[QUrl.fromLocalFile(str(f)).toString() for f in files])
        await click(window.compose.prompt.editor)
        await xdotool("key", "ctrl+shift+v")
        await until(lambda: len(window.compose.images.messages()) == 3, within=60)
        await until(lambda: all(k != "busy" for _t, k in window.compose.images.messages()))
        await shoot("several-bad-images")

        web = tmp / "web"
        web.mkdir()
        sample_image(web / "harbour.jpg", 1920, 1080, ("#a8e063", "#2c3e50"))
        paste(text=f"{serve_folder(web)}/harbour.jpg")
        await xdotool("key", "ctrl+shift+v")
        await until(lambda: len(window.compose.images.tile_ids()) == 2, within=60)
        await shoot("remote-image")

        await xdotool("key", "alt+h")
        await xdotool("key", "a")
        await until(lambda: _box(window, "About") is not None)
        await shoot("about")
        await xdotool("key", "Escape")


async def studio(window: MainWindow, sim: Simulator, shoot: Shooter, tmp: Path) -> None:
    """The studio loop: a library of takes, iterating from one, comparing, a batch, money."""
    c = window.controller
    await c.start()
    await until(lambda: window.compose.model_picker.count() > 0)
    sim.pending_s, sim.running_s = 1, 2
    takes = (
        ("google/veo-3.1-fast", "A paper boat drifting down a rainy street at golden hour"),
        ("alibaba/wan-2.7", "Timelapse of clouds over a mountain lake, calm water"),
        ("google/veo-3.1-fast", "A red kite over green hills, wide shot"),
        ("x-ai/grok-imagine-video", "Neon city street at night, light rain, slow dolly"),
    )
    for model, prompt in takes:
        window.compose.model_picker.select(model)
        window.compose.prompt.set_text(prompt)
        await xdotool("key", "ctrl+Return")
        await until(window.compose.generate_button.isEnabled)
    window.compose.model_picker.select("google/veo-3.1-fast")
    window.compose.prompt.set_text("A lighthouse in a storm, waves breaking, dusk")
    window.open_variations()
    window.batch.random_seeds.setChecked(True)
    window.batch.seed_count.setValue(3)
    await shoot("9-variations")
    window.batch.send_button.click()
    await until(lambda: window.library.model.rowCount() >= 7, within=60)
    await until(
        lambda: all(
            (r := window.library.model.record(window.library.model.id_at(i))) is not None
            and r.is_final
            for i in range(window.library.model.rowCount())
        ),
        within=120,
    )
    await asyncio.sleep(3)  # posters decode off the GUI thread
    newest = window.library.model.id_at(0)
    window.library.select(newest)
    window._on_library_current_changed(newest)
    await asyncio.sleep(2)
    await shoot("6-library")
    ids = [window.library.model.id_at(i) for i in range(3)]
    window.clip_actions.compare(ids)
    await until(lambda: window.stage.currentWidget() is window.compare)
    await asyncio.sleep(2.5)
    await shoot("8-compare")
    window.clip_actions.use_settings(window.library.model.id_at(5))
    await asyncio.sleep(2)
    window.stage.setCurrentIndex(0)
    await shoot("7-iterate")
    window.open_spend()
    await asyncio.sleep(1.5)
    await shoot("10-spend")


async def _operation_dialog(window: MainWindow) -> OperationDialog:
    await until(lambda: window.operation_dialog is not None and window.operation_dialog.isVisible())
    if window.operation_dialog is None:
        raise RuntimeError("the dialog went away")
    return window.operation_dialog


async def operations(window: MainWindow, sim: Simulator, shoot: Shooter, tmp: Path) -> None:
    """Working on a clip that exists: extend it, upscale the extension, the chain."""
    c = window.controller
    await c.start()
    await until(lambda: window.compose.model_picker.count() > 0)
    sim.pending_s, sim.running_s = 1, 2
    window.compose.model_picker.select("bytedance/seedance-2.5")
    window.compose.params.resolution.setCurrentIndex(
        window.compose.params.resolution.findData("480p")
    )
    window.compose.params.duration.setCurrentIndex(window.compose.params.duration.findData(4))
    window.compose.prompt.set_text("A red kite over green hills, wide shot")
    await xdotool("key", "ctrl+Return")
    await until(lambda: window.player.path is not None, within=120)
    source = window.library.model.id_at(0)
    window.library.select(source)
    await asyncio.sleep(1)
    await xdotool("key", "ctrl+shift+j")
    dialog = await _operation_dialog(window)
    dialog.prompt_edit.setText("The kite climbs into the clouds")
    await shoot("11-extend")
    dialog.ok_button.click()
    await until(lambda: window.library.model.rowCount() >= 2)
    extended = window.library.model.id_at(0)
    await until(lambda: (r := c.record_for(extended)) is not None and r.is_final, within=180)
    window.library.select(extended)
    window.operation_dialog = None
    window.activateWindow()  # no window manager here: give the focus back after the dialog
    await xdotool("key", "ctrl+shift+u")
    dialog = await _operation_dialog(window)
    dialog.factor_spin.setValue(2.0)
    await shoot("12-upscale")
    dialog.ok_button.click()
    await until(lambda: window.library.model.rowCount() >= 3)
    upscaled = window.library.model.id_at(0)
    await until(lambda: (r := c.record_for(upscaled)) is not None and r.is_final, within=300)
    await asyncio.sleep(3)  # posters decode off the GUI thread
    window.library.select(upscaled)
    window._on_library_current_changed(upscaled)
    await asyncio.sleep(2)
    await shoot("13-lineage")


async def storyboard(window: MainWindow, sim: Simulator, shoot: Shooter, tmp: Path) -> None:
    """A storyboard of four takes (one trimmed with I in the player, one planned), then an
    export in progress: wide and tall takes, so the film is re-encoded and letterboxed."""
    c = window.controller
    await c.start()
    await until(lambda: window.compose.model_picker.count() > 0)
    sim.pending_s, sim.running_s = 1, 2
    takes = (
        ("google/veo-3.1-fast", "A paper boat drifting down a rainy street at golden hour"),
        ("google/veo-3.1-fast", "The boat turns into a gutter, water rushing, close up"),
        ("x-ai/grok-imagine-video", "A child runs after it, splashing, seen from behind"),
        ("google/veo-3.1-fast", "The boat sails out onto a wide river at dusk"),
    )
    for model, prompt in takes:
        window.compose.model_picker.select(model)
        window.compose.prompt.set_text(prompt)
        await xdotool("key", "ctrl+Return")
        await until(window.compose.generate_button.isEnabled)
    await until(lambda: window.library.model.rowCount() >= len(takes), within=60)
    await until(
        lambda: all(
            (r := window.library.model.record(window.library.model.id_at(i))) is not None
            and r.is_final
            for i in range(window.library.model.rowCount())
        ),
        within=120,
    )
    panel = window.storyboard.panel
    for i in reversed(range(len(takes))):  # oldest first: the story's order
        window.library.select(window.library.model.id_at(i))
        window._on_library_current_changed(window.library.model.id_at(i))
        await xdotool("key", "ctrl+shift+s")
    await until(lambda: panel.strip.count() == len(takes))
    window.compose.prompt.set_text("The boat reaches the sea; gulls circle above it")
    await click(panel.plan_button)
    await until(lambda: panel.strip.count() == len(takes) + 1)
    await click(panel.continue_button)
    await asyncio.sleep(3)  # posters decode off the GUI thread
    panel.strip.setCurrentRow(1)
    await until(lambda: window.player.player.duration() > 0)
    window.player.player.pause()
    window.player.seek(1500)
    await click(window.player.video)
    await xdotool("key", "i")
    await until(lambda: "in 1.50" in (panel.strip.item(1).text() if panel.strip.item(1) else ""))
    await shoot("13-storyboard")
    # The planned shot goes (it cannot be exported yet) and the film is written.
    panel.strip.setCurrentRow(len(takes))
    panel.strip.setFocus()
    await xdotool("key", "Delete")
    await until(lambda: panel.strip.count() == len(takes))
    window.storyboard.session.export(str(tmp / "paper-boat.mp4"))
    await until(lambda: panel.progress.isVisible() and panel.progress.value() > 150, within=60)
    await shoot("14-export")
    await until(lambda: not panel.progress.isVisible(), within=300)
    await shoot("15-exported")


async def prompt(window: MainWindow, sim: Simulator, shoot: Shooter, tmp: Path) -> None:
    """The prompt's tools: the assistant's proposal beside the prompt, the presets menu."""
    c = window.controller
    await c.start()
    await until(lambda: window.compose.model_picker.count() > 0 and c.backend is not None)
    form, tools = window.compose, window.prompt_tools
    for name, model, duration, aspect in (
        ("Vertical Veo, 6 s", "google/veo-3.1", 6, "9:16"),
        ("Kling wide, 10 s", "kwaivgi/kling-v3.0-std", 10, "16:9"),
        ("Sora pro, 12 s", "openai/sora-2-pro", 12, None),
    ):
        form.model_picker.select(model)
        form.params.duration.setCurrentIndex(form.params.duration.findData(duration))
        if aspect:
            form.params.aspect.setCurrentIndex(form.params.aspect.findData(aspect))
        await tools.save_preset(name, form.settings_for_preset())
    await until(lambda: len(form.presets_button.names()) == 3)
    form.model_picker.select("google/veo-3.1")
    form.prompt.set_text("a lighthouse keeper climbs the spiral stairs at dusk, storm outside")
    form.prompt.focus()
    await xdotool("key", "ctrl+shift+i")
    await until(form.proposal.accept_button.isEnabled)
    await shoot("11-proposal")
    await click(form.proposal.dismiss_button)
    await click(form.presets_button)
    await until(form.presets_button.menu_.isVisible)
    await xdotool("key", "Down")
    await shoot("12-presets")
    await xdotool("key", "Escape")


def _box(window: MainWindow, title: str) -> QWidget | None:
    for widget in QApplication.topLevelWidgets():
        if widget.isVisible() and title in widget.windowTitle() and widget is not window:
            return widget
    return None


def _question(window: MainWindow) -> QWidget | None:
    box = _box(window, "Send the same job again?")
    return box if box is not None and box.findChildren(QPushButton) else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", nargs="?", default="docs/screenshots")
    parser.add_argument(
        "--tour",
        choices=("basics", "states", "studio", "prompt", "storyboard", "operations"),
        default="basics",
    )
    parser.add_argument("--dark", action="store_true", help="a dark Fusion palette")
    parser.add_argument("--prefix", default="", help="put before each file name")
    args = parser.parse_args()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    keyring.set_keyring(MemoryKeyring())
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    app.setStyle("Fusion")
    app.setWindowIcon(QIcon(str(Path(__file__).resolve().parents[1] / "resources/videostudio.svg")))
    if args.dark:
        app.setPalette(dark_palette())
    app.setStyleSheet(STYLE)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        paths = app_paths.resolve(tmp / "data").ensure()
        configure_logging(str(paths.log_file))  # as the app does: About names the file
        sim = Simulator(pending_s=3, running_s=5, cache_dir=paths.cache_dir / "simulator")
        server = SimulatorServer(sim)
        server.start()
        live_port = free_port()
        live_url = (
            server.base_url if args.tour != "states" else f"http://127.0.0.1:{live_port}/api/v1"
        )

        def connect(key: str | None, demo: bool) -> Backend:
            demo = demo or key is None
            where = paths.for_demo().ensure() if demo else paths
            client = VideoClient(
                api_key=lambda: key or "demo-key", base_url=server.base_url if demo else live_url
            )
            return Backend.open(
                client,
                journal_path=where.journal,
                clips_dir=where.clips_dir,
                cache_dir=where.cache_dir,
                demo=demo,
            )

        keys = KeyStore()
        if args.tour == "states":
            keys.set(KEY)
        controller = StudioController(
            connect,
            keys,
            partial(verify_key, base_url=live_url),
            demo=args.tour in ("basics", "studio", "prompt", "storyboard", "operations"),
            fetch=partial(fetch_image, allow_http_loopback=True),  # the shots' web is loopback
        )
        settings = QSettings(str(paths.settings), QSettings.Format.IniFormat)
        actions = ClipActions(controller)
        window = MainWindow(controller, settings, FrameLoader(paths.cache_dir / "frames"), actions)
        screen = app.primaryScreen().geometry()
        window.setGeometry(screen)
        loop = QEventLoop(app)
        asyncio.set_event_loop(loop)
        shoot = Shooter(out, args.prefix)

        async def run() -> None:
            window.show()
            window.activateWindow()
            await xdotool("mousemove", str(screen.width() // 3), str(screen.height() // 3))
            try:
                if args.tour == "basics":
                    await basics(window, sim, shoot, tmp)
                elif args.tour == "studio":
                    await studio(window, sim, shoot, tmp)
                elif args.tour == "storyboard":
                    await storyboard(window, sim, shoot, tmp)
                elif args.tour == "prompt":
                    await prompt(window, sim, shoot, tmp)
                elif args.tour == "operations":
                    await operations(window, sim, shoot, tmp)
                else:
                    await states(window, sim, shoot, tmp, live_port)
            finally:
                window.close()
                await controller.aclose()
                server.stop()

        with loop:
            loop.run_until_complete(run())
        window.deleteLater()
        app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
