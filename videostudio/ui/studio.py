"""The studio view-model: the window's async entry points, talking to the services.

Widgets emit intents and take setters; this QObject holds the async slots, the
current backend (demo or live), the draft's images and the key. Everything
slow (network, journal commits, image decoding, file copies) is awaited here,
off the UI thread or on the event loop, never blocking it.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, Signal, Slot
from PySide6.QtGui import QImage

from videostudio.core import failures
from videostudio.core.failures import Failure
from videostudio.core.images import MAX_INPUT_BYTES, ImageRejectedError
from videostudio.core.jobs import REJECTED, JobRecord
from videostudio.core.models import GenerationRequest, ImagePart, VideoModel
from videostudio.core.pricing import estimate_for
from videostudio.core.validation import Problem, validate_request
from videostudio.services.backend import Backend
from videostudio.services.errors import to_failure
from videostudio.services.jobs import Activity
from videostudio.services.keychain import KeychainUnavailableError, KeyStore
from videostudio.services.redact import register_secret
from videostudio.ui.imaging import PreparedImage, prepare_image, remote_image

log = logging.getLogger("videostudio.ui")

ROLES = ("reference", "first_frame", "last_frame")
BackendFactory = Callable[[str | None], Backend]
KeyTester = Callable[[str], Any]  # async: raises on a bad key


def owned_slot(*types: type) -> Callable[[Callable[..., Any]], Any]:
    """An async Qt slot whose task the controller owns: closing cancels and awaits it,
    so no job, journal or socket work outlives the window."""

    def decorate(method: Callable[..., Any]) -> Any:
        @Slot(*types)
        @functools.wraps(method)
        def slot(self: StudioController, *args: Any) -> asyncio.Task[Any]:
            task = asyncio.ensure_future(method(self, *args))
            self._pending.add(task)
            task.add_done_callback(self._slot_done)
            return task

        return slot

    return decorate


@dataclass
class DraftImage:
    image: PreparedImage
    role: str = "reference"


def _read_image_file(path: str) -> PreparedImage:
    file = Path(path)
    size = file.stat().st_size
    if size > MAX_INPUT_BYTES:
        raise ImageRejectedError(
            f"{file.name} is {size / 2**20:.0f} MB; images over "
            f"{MAX_INPUT_BYTES // 2**20} MB are not read. Use a smaller image."
        )
    return prepare_image(file.read_bytes(), file.name)


def _qimage_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs say bytes; Qt wants str
    return bytes(data.data())


def _copy(src: str, dest: str) -> None:
    """Copy via a temporary file so a failed copy never leaves half a clip at ``dest``."""
    tmp = f"{dest}.part"
    shutil.copyfile(src, tmp)
    os.replace(tmp, dest)


class StudioController(QObject):
    """Signals: see below; each one is a setter call on the window."""

    models_changed = Signal(list, str)  # models, status text ("" when live and fresh)
    jobs_reset = Signal(list)  # every record of the (new) backend
    job_changed = Signal(object, object)  # JobRecord, Activity | None
    mode_changed = Signal(bool)  # demo?
    connectivity = Signal(str)  # banner text; "" when connected
    notice = Signal(str, str)  # text, kind: info | error | credits
    key_needed = Signal(str)  # why the key dialog should open
    problems = Signal(list)  # [Problem] for the draft
    image_added = Signal(int, QImage, str, str)  # id, thumbnail, name, note
    image_removed = Signal(int)
    image_roles = Signal(int, list, str)  # id, allowed roles, current role
    image_message = Signal(str)
    key_status = Signal(str, bool, bool)  # text, error, busy
    key_state = Signal(bool, bool, str)  # has key, session only, keychain error
    submitted = Signal(int)  # local id of the newest job

    def __init__(
        self,
        connect: BackendFactory,
        keys: KeyStore,
        test_key: KeyTester,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._connect = connect
        self._keys = keys
        self._test_key = test_key
        self.key: str | None = None
        self.backend: Backend | None = None
        self.models: list[VideoModel] = []
        self._images: dict[int, DraftImage] = {}
        self._image_ids = itertools.count(1)
        self._model: VideoModel | None = None
        self._keychain_error = ""
        self._switching = asyncio.Lock()
        self._pending: set[asyncio.Task[Any]] = set()

    # -- start-up and backends ------------------------------------------------------------

    @owned_slot()
    async def start(self) -> None:
        """Read the key (off the UI thread), then open the matching backend."""
        try:
            self.key = await asyncio.to_thread(self._keys.get)
        except KeychainUnavailableError as exc:
            self._keychain_error = str(exc)
            self.notice.emit(f"{exc} Running in demo mode.", "info")
        register_secret(self.key)
        await self._switch_backend()

    async def _switch_backend(self) -> None:
        async with self._switching:  # one switch (or close) at a time
            old, self.backend = self.backend, None  # nothing may use it while it closes
            if old is not None:
                await old.aclose()
            backend = self._connect(self.key)
            self.backend = backend
            backend.jobs.subscribe(self._on_job)
            backend.jobs.subscribe_connectivity(self._on_connectivity)
            self.mode_changed.emit(backend.demo)
            self.connectivity.emit("")
            cached = backend.catalog.load_cached()
            if cached:
                self.models = cached
                self.models_changed.emit(cached, "Updating the model list…")
            self.jobs_reset.emit(await asyncio.to_thread(backend.journal.find))
            await backend.jobs.resume()
        await self.refresh_models()

    async def refresh_models(self) -> None:
        backend = self.backend
        if backend is None:
            return
        try:
            models = await backend.catalog.refresh()
        except Exception as exc:  # noqa: BLE001 (every failure becomes a message)
            if self.backend is not backend:
                return  # switched or closed meanwhile: not worth a message
            failure = to_failure(exc)
            status = f"Could not update the model list: {failure.message}" + (
                " Showing the saved list." if self.models else ""
            )
            self.models_changed.emit(self.models, status)
            if failure.kind == failures.AUTH:
                self.key_needed.emit(failure.message)
            return
        if self.backend is backend:
            self.models = models
            self.models_changed.emit(models, "")

    @owned_slot()
    async def retry_models(self) -> None:
        await self.refresh_models()

    def _slot_done(self, task: asyncio.Task[Any]) -> None:
        self._pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a window action failed", exc_info=task.exception())
            self.notice.emit(f"Something went wrong: {task.exception()}", "error")

    async def aclose(self) -> None:
        """Stop the window's pending work, then the backend (its jobs stay in the journal)."""
        current = asyncio.current_task()
        pending = [t for t in self._pending if t is not current]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        async with self._switching:
            old, self.backend = self.backend, None
            if old is not None:
                await old.aclose()

    # -- job events -------------------------------------------------------------------------

    def _on_job(self, record: JobRecord, activity: Activity | None) -> None:
        self.job_changed.emit(record, activity)
        if activity is not None or record.error_kind is None:
            return
        if record.state == REJECTED and record.error_kind == failures.AUTH:
            self.key_needed.emit(record.error or "The API key was refused.")
        elif record.state == REJECTED and record.error_kind == failures.CREDITS:
            self.notice.emit(record.error or "Not enough credits.", "credits")
        elif record.state == REJECTED and record.error_kind == failures.INVALID:
            message = record.error or "The server refused the request."
            self.problems.emit([Problem(record.error_field or "", message)])
        elif record.state == REJECTED:
            failure = Failure(record.error_kind, record.error or "The server refused the job.")
            self.notice.emit(f"The job was refused: {failure}", "error")

    def _on_connectivity(self, failure: Failure | None) -> None:
        if failure is None:
            self.connectivity.emit("")
        else:
            wait = f" Retrying in {failure.retry_in:.0f} s." if failure.retry_in else ""
            self.connectivity.emit(
                f"No connection to the video service.{wait} "
                "Your jobs are safe and will continue by themselves."
            )

    # -- the draft ---------------------------------------------------------------------------

    def set_model(self, model: VideoModel | None) -> None:
        self._model = model
        for image_id, draft in self._images.items():
            allowed = self.allowed_roles()
            if draft.role not in allowed:
                draft.role = "reference"
            self.image_roles.emit(image_id, allowed, draft.role)

    def allowed_roles(self) -> list[str]:
        frames = (self._model.supported_frame_images or ()) if self._model else ()
        return ["reference", *[r for r in ROLES[1:] if r in frames]]

    def build_request(
        self, prompt: str, model_id: str, params: dict[str, Any]
    ) -> GenerationRequest:
        images = tuple(ImagePart(d.image.url, d.role) for d in self._images.values())
        return GenerationRequest(
            model=model_id, prompt=prompt.strip() or None, images=images, **params
        )

    def estimate(self, prompt: str, model: VideoModel, params: dict[str, Any]) -> tuple[str, str]:
        """The label beside Generate and its tooltip (which SKU priced it)."""
        result = estimate_for(model, self.build_request(prompt, model.id, params))
        return result.label(), result.basis

    @owned_slot(list)
    async def add_files(self, paths: list[str]) -> None:
        for path in paths:
            await self._add(functools.partial(_read_image_file, path), Path(path).name)

    @owned_slot(list)
    async def add_urls(self, urls: list[str]) -> None:
        for url in urls:
            await self._add(functools.partial(remote_image, url), url)

    @owned_slot(QImage)
    async def add_qimage(self, image: QImage) -> None:
        copy = image.copy()  # the clipboard's image may change under us
        await self._add(lambda: prepare_image(_qimage_bytes(copy), "pasted image"), "pasted image")

    async def _add(self, prepare: Callable[[], PreparedImage], name: str) -> None:
        self.image_message.emit(f"Preparing {name}…")
        try:
            image = await asyncio.to_thread(prepare)
        except (ImageRejectedError, OSError) as exc:
            text = str(exc) if isinstance(exc, ImageRejectedError) else f"Cannot read {name}: {exc}"
            self.image_message.emit(text)
            return
        image_id = next(self._image_ids)
        draft = DraftImage(image)
        allowed = self.allowed_roles()
        used = {d.role for d in self._images.values()}
        if "first_frame" in allowed and "first_frame" not in used:
            draft.role = "first_frame"  # the most common wish: start the clip from it
        self._images[image_id] = draft
        self.image_added.emit(image_id, image.thumbnail, image.name, image.note)
        self.image_roles.emit(image_id, allowed, draft.role)
        self.image_message.emit(f"{image.name}: {image.note}." if image.note else "")

    def remove_image(self, image_id: int) -> None:
        if self._images.pop(image_id, None) is not None:
            self.image_removed.emit(image_id)

    def set_image_role(self, image_id: int, role: str) -> None:
        if image_id in self._images:
            self._images[image_id].role = role

    def image_count(self) -> int:
        return len(self._images)

    # -- generating ------------------------------------------------------------------------

    @owned_slot(str, object, dict)
    async def generate(self, prompt: str, model: VideoModel, params: dict[str, Any]) -> None:
        backend = self.backend
        if backend is None:
            return
        request = self.build_request(prompt, model.id, params)
        problems = validate_request(request, model)
        self.problems.emit(problems)
        if problems:
            return
        estimate = estimate_for(model, request).usd
        try:
            (record,) = await backend.jobs.enqueue([request], estimates=[estimate])
        except Exception as exc:  # noqa: BLE001 (the journal could not be written)
            self.notice.emit(f"The job was not started: {exc}", "error")
            return
        self.submitted.emit(record.local_id)

    @owned_slot(int)
    async def stop_job(self, local_id: int) -> None:
        if self.backend is not None:
            await self.backend.jobs.stop_watching(local_id)

    @owned_slot(int)
    async def resubmit(self, local_id: int) -> None:
        if self.backend is None:
            return
        try:
            record = await self.backend.jobs.submit_again(local_id)
        except ValueError as exc:
            self.notice.emit(str(exc), "error")
            return
        self.submitted.emit(record.local_id)

    @owned_slot(str, str)
    async def save_copy(self, src: str, dest: str) -> None:
        try:
            await asyncio.to_thread(_copy, src, dest)
        except OSError as exc:
            self.notice.emit(f"Could not save a copy: {exc.strerror or exc}", "error")
            return
        self.notice.emit(f"Saved a copy to {dest}", "info")

    def record_for(self, local_id: int) -> JobRecord | None:
        if self.backend is None:
            return None
        try:
            return self.backend.journal.get(local_id)
        except KeyError:
            return None

    # -- the key -----------------------------------------------------------------------------

    def emit_key_state(self) -> None:
        self.key_state.emit(self.key is not None, self._keys.session_only, self._keychain_error)

    @owned_slot(str)
    async def test_key(self, key: str) -> None:
        self.key_status.emit("Testing the key with OpenRouter…", False, True)
        try:
            await self._test_key(key)
        except Exception as exc:  # noqa: BLE001 (shown to the user)
            failure = to_failure(exc)
            self.key_status.emit(f"The key did not work: {failure}", True, False)
            return
        self.key_status.emit("The key works.", False, False)

    @owned_slot(str)
    async def save_key(self, key: str) -> None:
        self.key_status.emit("Saving to the keychain…", False, True)
        try:
            await asyncio.to_thread(self._keys.set, key)
        except KeychainUnavailableError as exc:
            self._keychain_error = str(exc)
            self.key_status.emit(str(exc), True, False)
            self.emit_key_state()
            return
        await self._use_key(key, "Saved in your keychain.")

    @owned_slot(str)
    async def use_session_key(self, key: str) -> None:
        self._keys.set_for_session(key)
        await self._use_key(key, "Using the key until you quit; it was not saved.")

    async def _use_key(self, key: str, status: str) -> None:
        self.key = key.strip()
        register_secret(self.key)
        self.key_status.emit(status, False, False)
        self.emit_key_state()
        await self._switch_backend()

    @owned_slot()
    async def remove_key(self) -> None:
        try:
            await asyncio.to_thread(self._keys.delete)
        except KeychainUnavailableError as exc:
            self.key_status.emit(str(exc), True, False)
            return
        self.key = None
        self.key_status.emit("The key was removed. The app is in demo mode.", False, False)
        self.emit_key_state()
        await self._switch_backend()
