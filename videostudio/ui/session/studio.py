"""The studio view-model: the window's async entry points, talking to the services.

Widgets emit intents and take setters; this QObject holds the async slots, the
current backend (demo or live), the draft's images and the key. Everything
slow (network, journal commits, image decoding, file copies) is awaited here,
off the UI thread or on the event loop, never blocking it.

What the window says about the connection comes from real answers (the model
list, the key check, every poll and submit), never from merely having a key.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import hashlib
import itertools
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from videostudio.core import failures
from videostudio.core.budget import SETTING_KEY, Budget, cap_note, confirmations
from videostudio.core.failures import Failure, sentences
from videostudio.core.jobs import (
    QUEUED,
    REJECTED,
    STOPPED,
    SUBMITTING,
    UNKNOWN,
    JobRecord,
    saving_again,
)
from videostudio.core.models import (
    COMPLETED,
    IN_PROGRESS,
    PENDING,
    GenerationRequest,
    VideoModel,
)
from videostudio.core.operations import SourceClip
from videostudio.core.options import provider_field
from videostudio.core.pricing import estimate_for
from videostudio.core.seeds import with_seed
from videostudio.core.spend import Spend
from videostudio.core.validation import Problem, validate_for_sending
from videostudio.services.activity import Activity
from videostudio.services.errors import to_failure
from videostudio.services.instance import ring
from videostudio.services.journal import AlreadyRetriedError, Journal
from videostudio.services.keychain import KeychainUnavailableError, KeyStore
from videostudio.services.operations import Prepared, session_of
from videostudio.services.redact import register_secret
from videostudio.services.remote_image import fetch_image
from videostudio.services.spending import OverBudgetError, cap_refusals
from videostudio.ui.compose.draft_images import DraftImages, ImageFetcher
from videostudio.ui.session.link import Link
from videostudio.ui.tasks import TaskGroup, owned_slot

if TYPE_CHECKING:  # the backend (httpx) is opened after the first paint
    from videostudio.services.backend import Backend

log = logging.getLogger(__name__)


def _open_if_present(journal: Path) -> Journal | None:
    return Journal(journal) if journal.is_file() else None  # never a new, empty one


BackendFactory = Callable[[str | None, bool], "Backend"]  # (key, demo wanted) -> backend
KeyTester = Callable[[str], Any]  # async: raises on a bad key
# How often a window that does not run its folder's jobs looks at the journal.
OWNER_POLL_S = 2.0
# The same request again within this many seconds is probably a slip: ask first.
DUPLICATE_WINDOW_S = 30.0
# Trying to reach the service again while it cannot be reached (then every minute).
RECONNECT_DELAYS = (5.0, 10.0, 20.0, 40.0, 60.0)
ACCEPTED = frozenset({PENDING, IN_PROGRESS, COMPLETED})
# What to do next, as the window offers it (the CLI has its own words).
WHAT_NEXT = {
    failures.FORBIDDEN: "Choose another model, or check this key's limits on openrouter.ai.",
    failures.TOO_LARGE: "Remove an image or use smaller ones, then press Generate again.",
    failures.NOT_FOUND: "Refresh the model list (F5) and choose another model.",
}


@dataclass
class Question:
    """A decision only the user can make (e.g. a second paid job). The window shows it
    and sets ``answer``; closing it any other way answers the safe ``False``."""

    title: str
    text: str
    yes: str  # the button that goes ahead
    no: str
    answer: asyncio.Future[bool]


def _copy(src: str, dest: str) -> None:
    """Copy via a temporary file so a failed copy never leaves half a clip at ``dest``."""
    tmp = f"{dest}.part"
    shutil.copyfile(src, tmp)
    os.replace(tmp, dest)


def _store_images(backend: Backend, kept: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(reference, role) for each (data URL, role); https addresses are kept as they are."""
    request = {
        "input_references": [{"type": "image_url", "image_url": {"url": u}} for u, _ in kept]
    }
    stored = backend.journal.images.externalize(request)["input_references"]
    return [(p["image_url"]["url"], role) for p, (_, role) in zip(stored, kept, strict=True)]


def _read_images(backend: Backend, refs: list[tuple[str, str]]) -> list[tuple[bytes, str, str]]:
    found = []
    for number, (ref, role) in enumerate(refs, start=1):
        try:
            found.append((backend.journal.images.read(ref), f"draft image {number}", role))
        except LookupError:
            continue  # gone from the store (or kept in the other mode's): the draft goes on
    return found


def _fingerprint(request: GenerationRequest) -> str:
    body = json.dumps(request.to_json(), sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


class StudioController(QObject):
    """Signals: see below; each one is a setter call on the window. ``images`` is the
    draft's images (their own view-model); ``tasks`` owns every async slot's work."""

    models_changed = Signal(list, str)  # models, a note on where they come from ("" = live)
    jobs_reset = Signal(object)  # {local id: state} of a new backend (Signal(dict) drops int keys)
    job_changed = Signal(object, object)  # JobRecord, Activity | None
    mode_changed = Signal(bool)  # demo?
    link_changed = Signal(str, str)  # state (see ui.link), status-bar text
    banner = Signal(str, str, float)  # cause, text ("" = gone), next try at (clock; 0 = none)
    notice = Signal(str, str)  # text, kind: info | progress (status bar) | error (banner)
    question = Signal(object)  # Question
    sending = Signal(bool)  # a Generate is on its way to the journal
    key_needed = Signal(str, bool)  # why the key dialog should open, is it a problem
    problems = Signal(list)  # [Problem] for the draft
    key_status = Signal(str, bool, bool)  # text, error, busy
    key_rejected = Signal()  # the key just tested was refused: do not offer to use it
    key_state = Signal(bool, bool, str)  # has key, session only, keychain error
    submitted = Signal(int)  # local id of the newest job
    spend_changed = Signal(object, object, bool)  # Spend, Budget, demo?
    draft_images_kept = Signal(str)  # JSON [[reference, role]...] of the draft's images
    raise_requested = Signal()  # the app was launched again: come to the front
    history_shown = Signal()  # the journal opened early (``preview``) can be shown

    def __init__(
        self,
        connect: BackendFactory,
        keys: KeyStore,
        test_key: KeyTester,
        parent: QObject | None = None,
        *,
        demo: bool = False,
        fetch: ImageFetcher = fetch_image,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(parent)
        self._connect = connect
        self._keys = keys
        self._test_key = test_key
        self.clock = clock
        self._sleep = sleep
        self.demo_wanted = demo
        self.key: str | None = None
        self.backend: Backend | None = None
        self.preview: Journal | None = None  # the likely journal, until a backend opens
        self.models: list[VideoModel] = []
        self.link = Link()
        self.reconnect_delays = RECONNECT_DELAYS
        self._keychain_error = ""
        self._switching = asyncio.Lock()
        self.tasks = TaskGroup(self._on_task_failed)
        self.images = DraftImages(self.tasks, fetch, self)
        self._reconnect: asyncio.Task[Any] | None = None
        self._sending = False
        # request fingerprint -> (when it was journaled, its job): a repeat within the window
        # asks first, unless that job was refused (nothing was created or billed)
        self._recent: dict[str, tuple[float, int]] = {}
        self._announce: set[int] = set()  # jobs started here whose fate the status bar tells
        self._in_flight: set[int] = set()  # jobs seen on their way to the server
        self._shown: tuple[Any, ...] = ()
        self._spend_soon: asyncio.Task[Any] | None = None
        self._money_seen: tuple[Budget, Spend] | None = None  # as last sent to the window

    # -- start-up and backends ------------------------------------------------------------

    async def show_history(self, journal: Path) -> None:
        """Open the journal the window will most likely use, so the library fills before
        the network side, the key and the backend are ready (it needs none of them)."""
        if self.backend is not None or self.preview is not None:
            return
        try:
            preview = await asyncio.to_thread(_open_if_present, journal)
        except Exception:  # the backend opens it again and says what is wrong
            log.exception("the journal could not be opened early")
            return
        if preview is None:
            return
        if self.backend is None:
            self.preview = preview
            self.history_shown.emit()
        else:
            preview.close()

    def _close_preview(self) -> None:
        if self.preview is not None:
            self.preview.close()
            self.preview = None

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

    @owned_slot(bool)
    async def set_demo(self, demo: bool) -> None:
        """The menu's toggle: the built-in simulator or the real service, at any time."""
        if not demo and self.key is None:
            self.mode_changed.emit(True)  # still demo: nothing to connect with
            self.key_needed.emit("Add your OpenRouter API key to make real clips.", False)
            return
        self.demo_wanted = demo
        if self.backend is None or self.backend.demo != demo:
            await self._switch_backend()

    async def _switch_backend(self) -> None:
        async with self._switching:  # one switch (or close) at a time
            self._stop_reconnecting()
            old, self.backend = self.backend, None  # nothing may use it while it closes
            if old is not None:
                await old.aclose()
            # Off the UI thread: TLS set-up, the journal's check and the demo server's start.
            backend = await asyncio.to_thread(
                self._connect, self.key, self.demo_wanted or self.key is None
            )
            self.backend = backend
            self._recent.clear()
            self._money_seen = None  # another journal, another spend
            self._announce.clear()
            self._in_flight.clear()
            backend.jobs.subscribe(self._on_job)
            backend.jobs.subscribe_connectivity(self._on_connectivity)
            backend.jobs.ask_over_budget = functools.partial(self._ask_at_send, backend)
            self.mode_changed.emit(backend.demo)
            self.link = Link(demo=backend.demo, base_url=backend.client.base_url)
            self._show_link()
            self.models = backend.catalog.load_offline()
            self.models_changed.emit(self.models, self._catalog_note(backend, None))
            self.jobs_reset.emit(await asyncio.to_thread(backend.journal.states))
            self._close_preview()  # the library reads the backend's journal now
            self.refresh_spend()
            if backend.driving:
                await self._drive(backend)
            else:
                self._observe(backend)
        await self._check_link(backend)

    # -- one data folder, one driver -------------------------------------------------------

    async def _drive(self, backend: Backend) -> None:
        """This window runs the folder's jobs: answer the doorbell, resume what is unfinished."""
        self.banner.emit("owner", "", 0.0)
        await backend.folder.serve(functools.partial(self._on_ring, backend))
        if again := saving_again(await backend.jobs.resume()):
            self.notice.emit(again, "info")

    def _observe(self, backend: Backend) -> None:
        """Another videostudio runs this folder's jobs: show them, take over when it ends."""
        owner = backend.folder.owner().describe()
        self.banner.emit(
            "owner",
            f"The jobs of this folder are being run by {owner}. The window shows them, "
            "hands new ones to it, and takes over when it finishes.",
            0.0,
        )
        self.tasks.spawn(self._watch_owner(backend))

    async def _watch_owner(self, backend: Backend) -> None:
        seen = {r.local_id: r.updated_at for r in await asyncio.to_thread(backend.journal.find)}
        while self.backend is backend:
            await self._sleep(OWNER_POLL_S)
            if self.backend is not backend:
                return
            for record in await asyncio.to_thread(backend.journal.find):
                if seen.get(record.local_id) != record.updated_at:
                    seen[record.local_id] = record.updated_at
                    self._on_job(record, None)  # the owner's progress, as the journal says it
            if backend.folder.try_acquire():
                await self._drive(backend)
                return

    async def _on_ring(self, backend: Backend, request: dict[str, Any]) -> dict[str, Any]:
        """Another videostudio at the door: jobs handed over, or a second launch."""
        if request.get("op") == "wake":
            return {"ok": True, "adopted": len(await backend.jobs.adopt())}
        if request.get("op") == "raise":
            self.raise_requested.emit()
            return {"ok": True}
        return {"ok": False, "error": "unknown request"}

    async def _hand_over(self, backend: Backend, count: int) -> None:
        what = "The job was" if count == 1 else f"{count} jobs were"
        reply = await ring(backend.folder.folder, {"op": "wake"})
        owner = backend.folder.owner().describe()
        if reply and reply.get("ok"):
            self.notice.emit(f"{what} handed to {owner}, which runs this folder's jobs.", "info")
        else:
            self.notice.emit(
                f"{what} journaled; {owner} did not answer, so it is sent when that ends.",
                "info",
            )

    async def _check_link(self, backend: Backend) -> None:
        """Ask the service for its model list and whether the key works, together."""
        await asyncio.gather(self._refresh_models(backend), self._check_key(backend))
        if self.backend is backend and self.link.reachable is False:
            self._reconnect_later(backend)

    async def _refresh_models(self, backend: Backend) -> None:
        def on_retry(notice: Any) -> None:  # the first failed try already says it
            if self.backend is backend and to_failure(notice.error).kind == failures.OFFLINE:
                self._update_link(reachable=False, retry_at=self.clock() + notice.delay)

        try:
            models = await backend.catalog.refresh(on_retry=on_retry)
        except Exception as exc:  # noqa: BLE001 (every failure becomes a message)
            if self.backend is not backend:
                return  # switched or closed meanwhile: not worth a message
            failure = to_failure(exc)
            if failure.kind == failures.OFFLINE:
                self._update_link(reachable=False)
            self.models_changed.emit(self.models, self._catalog_note(backend, failure))
            return
        if self.backend is backend:
            self.models = models
            self._update_link(reachable=True)
            self.models_changed.emit(models, "")

    async def _check_key(self, backend: Backend) -> None:
        if backend.demo or self.key is None:
            return
        try:
            await self._test_key(self.key)
        except Exception as exc:  # noqa: BLE001 (the answer is shown, not raised)
            if self.backend is not backend:
                return
            failure = to_failure(exc)
            if failure.kind == failures.AUTH:
                self._update_link(reachable=True, key_ok=False, key_problem=failure.message)
            elif failure.kind == failures.OFFLINE:
                self._update_link(reachable=False)
            return
        if self.backend is backend:
            self._update_link(reachable=True, key_ok=True)

    def _catalog_note(self, backend: Backend, failure: Failure | None) -> str:
        catalog = backend.catalog
        return self.link.catalog_note(
            catalog.source, catalog.snapshot_of, catalog.fetched_at, failure
        )

    def _reconnect_later(self, backend: Backend) -> None:
        if self._reconnect is None or self._reconnect.done():
            self._reconnect = self.tasks.spawn(self._reconnecting(backend))

    async def _reconnecting(self, backend: Backend) -> None:
        """While the service cannot be reached, try again now and then (the banner counts
        down), so the window says so as soon as it is back, even with no job running."""
        delays = itertools.chain(self.reconnect_delays, itertools.repeat(self.reconnect_delays[-1]))
        for delay in delays:
            self._update_link(reachable=False, retry_at=self.clock() + delay)
            await self._sleep(delay)
            if self.backend is not backend:
                return
            await asyncio.gather(self._refresh_models(backend), self._check_key(backend))
            if self.link.reachable is not False:
                return

    def _stop_reconnecting(self) -> None:
        if self._reconnect is not None:
            self._reconnect.cancel()
            self._reconnect = None

    @owned_slot()
    async def retry_models(self) -> None:
        """F5 and the banner's Try again: ask the service now."""
        backend = self.backend
        if backend is not None:
            self._stop_reconnecting()
            await self._check_link(backend)

    def _on_task_failed(self, error: BaseException) -> None:
        self.notice.emit(sentences("Something went wrong:", str(error)), "error")

    async def aclose(self) -> None:
        """Stop the window's pending work, then the backend (its jobs stay in the journal)."""
        await self.tasks.aclose()
        self._close_preview()
        async with self._switching:
            old, self.backend = self.backend, None
            if old is not None:
                await old.aclose()

    # -- what the window says about the connection -----------------------------------------

    def _update_link(self, **changes: Any) -> None:
        self.link = self.link.with_(**changes)
        self._show_link()

    def _show_link(self) -> None:
        link = self.link
        shown = (link.state, link.status, link.offline_text, link.retry_at, link.key_text)
        if shown == self._shown:
            return
        self._shown = shown
        self.link_changed.emit(link.state, link.status)
        self.banner.emit("offline", link.offline_text, link.retry_at)
        self.banner.emit("auth", link.key_text, 0.0)

    # -- job events -------------------------------------------------------------------------

    def _on_job(self, record: JobRecord, activity: Activity | None) -> None:
        self.job_changed.emit(record, activity)
        if activity is None:
            self.refresh_spend()
        if activity is not None:
            failure = activity.failure
            if failure is None:
                self._update_link(reachable=True)  # bytes are arriving
            elif failure.kind == failures.AUTH:
                self._update_link(reachable=True, key_ok=False, key_problem=failure.message)
            if failure is not None and record.local_id in self._announce and not record.job_id:
                self.notice.emit(self.link.waiting_words(failure), "progress")
            return
        if record.job_id and record.state not in (UNKNOWN, STOPPED):
            self._update_link(reachable=True, key_ok=True)  # the service took our key
        if record.state in (QUEUED, SUBMITTING):
            self._in_flight.add(record.local_id)
        elif record.state in ACCEPTED and record.local_id in self._in_flight:
            self._in_flight.discard(record.local_id)
            self._on_submit_accepted(record)
        elif record.state == REJECTED:
            self._on_job_rejected(record)
        elif record.state == UNKNOWN and record.local_id in self._announce:
            self._announce.discard(record.local_id)
            self.notice.emit(
                "No answer came to the submit: the job may exist and be billed. "
                "It was not sent again; see its row in the queue.",
                "info",
            )

    def _on_submit_accepted(self, record: JobRecord) -> None:
        self.banner.emit("credits", "", 0.0)  # a submit was taken: those causes are gone
        self.banner.emit("refused", "", 0.0)
        if record.local_id in self._announce:
            self._announce.discard(record.local_id)
            self.notice.emit(
                f"Job started: {self.link.service} accepted it; the clip is saved when done.",
                "info",
            )

    def _on_job_rejected(self, record: JobRecord) -> None:
        self._in_flight.discard(record.local_id)
        self._recent = {k: v for k, v in self._recent.items() if v[1] != record.local_id}
        if record.local_id in self._announce:
            self._announce.discard(record.local_id)
            self.notice.emit("", "info")  # not "sending" any more; the banner says why
        kind = record.error_kind or ""
        message = record.error or "The server refused the job."
        if kind == failures.BUDGET:  # held here at a cap (the user was asked), not by the server
            self.notice.emit(f"Job {record.local_id} not sent: over the budget.", "info")
            return
        if kind == failures.AUTH:
            self._update_link(reachable=True, key_ok=False, key_problem=message)
            self.key_needed.emit(sentences(f"{self.link.service} refused the key:", message), True)
            return
        self._update_link(reachable=True, key_ok=True)
        if kind == failures.CREDITS:
            self.banner.emit(
                "credits",
                sentences(message, "Then press Generate again: your prompt and settings are kept"),
                0.0,
            )
        elif kind == failures.INVALID:
            self.problems.emit([Problem(record.error_field or "", message)])
        else:
            what_next = WHAT_NEXT.get(kind, Failure(kind, message).hint)
            self.banner.emit("refused", sentences("The job was refused:", message, what_next), 0.0)

    def _on_connectivity(self, failure: Failure | None) -> None:
        if failure is None:
            self._update_link(reachable=True)
        else:
            self._update_link(reachable=False, retry_at=self.clock() + (failure.retry_in or 0))

    # -- the draft ---------------------------------------------------------------------------

    def set_model(self, model: VideoModel | None) -> None:
        self.images.set_model(model)

    def build_request(
        self,
        prompt: str,
        model_id: str,
        params: dict[str, Any],
        options: dict[str, Any] | None = None,
    ) -> GenerationRequest:
        return GenerationRequest(
            model=model_id,
            prompt=prompt.strip() or None,
            images=self.images.parts(),
            provider=provider_field(model_id, options or {}),
            **params,
        )

    def estimate(self, prompt: str, model: VideoModel, params: dict[str, Any]) -> tuple[str, str]:
        """The label beside Generate and its tooltip (which SKU priced it)."""
        result = estimate_for(model, self.build_request(prompt, model.id, params))
        return result.label(), result.basis

    def cap_note(self, prompt: str, model: VideoModel, params: dict[str, Any]) -> str:
        """What this draft would do to the budget's caps ("over today's cap by $0.30"), from
        the spend last shown ("" when it fits, or before the spend is known)."""
        usd = estimate_for(model, self.build_request(prompt, model.id, params)).usd
        if self._money_seen is None or usd is None:
            return ""
        return cap_note(*self._money_seen, usd)

    def price(self, request: GenerationRequest) -> float | None:
        """One request's estimate in USD (None: the model's SKUs cannot price it)."""
        model = next((m for m in self.models if m.id == request.model), None)
        return estimate_for(model, request).usd if model is not None else None

    @owned_slot()
    async def keep_draft_images(self) -> None:
        """Put the draft's images in the image store, so the draft survives a restart."""
        backend = self.backend
        kept = self.images.kept()
        if backend is None:
            return
        refs = await asyncio.to_thread(_store_images, backend, kept)
        self.draft_images_kept.emit(json.dumps(refs))

    async def restore_draft_images(self, kept: str) -> None:
        """The draft's images of the last run, from the image store (those still there)."""
        backend = self.backend
        try:
            refs = [(str(r), str(role)) for r, role in json.loads(kept or "[]")]
        except (ValueError, TypeError):
            return
        if backend is None or not refs or self.images.count():
            return
        found = await asyncio.to_thread(_read_images, backend, refs)
        await self.images.add_data(found)
        addresses = [ref for ref, _ in refs if ref.startswith("https://")]
        if addresses:
            self.images.add_urls(addresses)

    # -- asking the user ---------------------------------------------------------------------

    async def ask(self, title: str, text: str, yes: str, no: str = "Cancel") -> bool:
        """The user's answer to a question the window shows (False when dismissed)."""
        question = Question(title, text, yes, no, asyncio.get_running_loop().create_future())
        self.question.emit(question)
        return await question.answer

    # -- generating ------------------------------------------------------------------------

    def _set_sending(self, sending: bool) -> None:
        self._sending = sending
        self.sending.emit(sending)

    def generate(
        self,
        prompt: str,
        model: VideoModel,
        params: dict[str, Any],
        options: dict[str, Any] | None = None,
    ) -> None:
        """One gesture, one job: ignored while the previous Generate is still on its way."""
        if self._sending:
            return
        if self.backend is None:
            self.notice.emit("Connecting; press Generate again in a moment.", "info")
            return
        self._set_sending(True)  # before any event can bring a second press
        request = self.build_request(prompt, model.id, params, options)
        self.tasks.spawn(self._send([request], repeat_check=True))

    def generate_batch(
        self,
        requests: list[GenerationRequest],
        on_journaled: Callable[[list[JobRecord]], None] | None = None,
    ) -> None:
        """A batch (variations, a storyboard's planned shots): one journal transaction, one
        batch id; ``on_journaled`` hears of the jobs once they are in the journal."""
        if self._sending or not requests:
            return
        if self.backend is None:
            self.notice.emit("Connecting; send the batch again in a moment.", "info")
            return
        self._set_sending(True)
        self.tasks.spawn(self._send(requests, repeat_check=False, on_journaled=on_journaled))

    def send_prepared(self, prepared: Prepared) -> None:
        """An operation on a clip (extend, edit, upscale): one gesture, one job, through the
        same checks, estimate, caps and repeat question as Generate."""
        if self._sending:
            return
        if self.backend is None:
            self.notice.emit("Connecting; try again in a moment.", "info")
            return
        self._set_sending(True)
        self.tasks.spawn(
            self._send(
                [prepared.request],
                repeat_check=True,
                source=prepared.source,
                lineage=prepared.lineage,
            )
        )

    async def _send(
        self,
        requests: list[GenerationRequest],
        *,
        repeat_check: bool,
        on_journaled: Callable[[list[JobRecord]], None] | None = None,
        source: SourceClip | None = None,
        lineage: tuple[int, str] | None = None,
    ) -> None:
        """Check, price, hold to the budget, journal and start. ``source`` and ``lineage``:
        what a one-job operation (extend, edit, upscale) works on, and where it came from."""
        try:
            backend = self.backend
            models = {m.id: m for m in self.models}
            checked: list[GenerationRequest] = []
            problems: list[Problem] = []
            for request in requests:
                model = models.get(request.model)
                if model is None:
                    problems.append(Problem("", f"The model {request.model} is not in the list."))
                    continue
                request = with_seed(request, model)  # every clip reproducible
                problems += validate_for_sending(request, model)
                checked.append(request)
            self.problems.emit(problems)
            if backend is None or problems:
                return
            if repeat_check and not await self._not_a_repeat(requests[0]):
                return
            estimates = [estimate_for(models[r.model], r, source).usd for r in checked]
            over_budget = await self._within_budget(backend, estimates)
            if over_budget is None:
                return
            batch = uuid.uuid4().hex[:12] if len(checked) > 1 else None
            if batch is not None:  # OpenRouter groups a batch's jobs by their session_id
                checked = [dataclasses.replace(r, session_id=session_of(batch)) for r in checked]
            try:
                records = await backend.jobs.enqueue(
                    checked,
                    estimates=estimates,
                    batch=batch,
                    start=backend.driving,
                    over_budget=over_budget,
                    lineage=[lineage] * len(checked) if lineage else None,
                )
            except Exception as exc:  # noqa: BLE001 (the journal could not be written)
                self.notice.emit(sentences("The job was not started:", str(exc)), "error")
                return
            if on_journaled is not None:
                on_journaled(records)
            if not backend.driving:
                self.submitted.emit(records[0].local_id)
                await self._hand_over(backend, len(records))
                return
            for asked, sent, record in zip(requests, checked, records, strict=True):
                # As asked (a seed the app picks differs each time) and as sent (a clip's
                # settings loaded back carry the very seed): either one again is a repeat.
                for request in (asked, sent):
                    self._recent[_fingerprint(request)] = (self.clock(), record.local_id)
                self._announce.add(record.local_id)
            if not records[0].job_id and not records[0].is_final:
                what = "the job" if len(records) == 1 else f"{len(records)} jobs"
                self.notice.emit(f"Sending {what} to {self.link.service}…", "progress")
            self.submitted.emit(records[0].local_id)
        finally:
            self._set_sending(False)

    async def _within_budget(self, backend: Backend, estimates: list[float | None]) -> bool | None:
        """Caps refuse unless overridden for this submit; big or costly submits ask first.
        None: not sent; True: sent past a cap, as the user chose; False: within the caps."""
        budget = Budget.from_json(await asyncio.to_thread(backend.journal.setting, SETTING_KEY))
        reasons = await asyncio.to_thread(cap_refusals, backend.journal, estimates)
        if reasons and not await self._send_over_budget(backend, reasons):
            self.notice.emit("Not sent: over the budget. Nothing was paid.", "info")
            return None
        asks = confirmations(budget, estimates, demo=backend.demo)
        # An override of a cap was the question already.
        title = "Send these demo jobs?" if backend.demo else "Send these paid jobs?"
        question = (title, " ".join(asks), "Send", "Don't send")
        if asks and not reasons and not await self.ask(*question):
            return None
        return bool(reasons)

    async def _send_over_budget(self, backend: Backend, reasons: list[str]) -> bool:
        money = "demo money, not real" if backend.demo else "real money"
        return await self.ask(
            "Over your budget",
            sentences("Not sent:", "; and ".join(reasons), f"This is {money}")
            + " You can send it anyway, this once, or change the budget (Settings).",
            "Send anyway, this once",
            "Don't send",
        )

    async def _ask_at_send(self, backend: Backend, record: JobRecord, reasons: list[str]) -> bool:
        """The driver's question for a job that reached a cap as it was about to be sent."""
        if self.backend is not backend:
            return False
        return await self._send_over_budget(backend, [f"job {record.local_id}: {reasons[0]}"])

    @staticmethod
    def _money(backend: Backend) -> tuple[Budget, Spend]:
        budget = Budget.from_json(backend.journal.setting(SETTING_KEY))
        return budget, backend.journal.spend(datetime.now().astimezone())

    def refresh_spend(self) -> None:
        """Totals again, a moment after jobs change (one computation for a burst of events)."""
        if self._spend_soon is None or self._spend_soon.done():
            self._spend_soon = self.tasks.spawn(self._emit_spend())

    async def _emit_spend(self) -> None:
        await self._sleep(0.3)
        backend = self.backend
        if backend is not None:
            budget, spend = await asyncio.to_thread(self._money, backend)
            if self.backend is backend:
                self._money_seen = (budget, spend)
                self.spend_changed.emit(spend, budget, backend.demo)

    @owned_slot(object)
    async def set_budget(self, budget: Budget) -> None:
        backend = self.backend
        if backend is None:
            return
        await asyncio.to_thread(backend.journal.set_setting, SETTING_KEY, budget.to_json())
        which = "demo budget" if backend.demo else "budget"
        self.notice.emit(f"Saved the {which}: {budget.describe()}.", "info")
        self.refresh_spend()

    async def _not_a_repeat(self, request: GenerationRequest) -> bool:
        """True to go ahead: the request is new, or the user wants the same one again."""
        now = self.clock()
        self._recent = {k: v for k, v in self._recent.items() if now - v[0] < DUPLICATE_WINDOW_S}
        sent, _local_id = self._recent.get(_fingerprint(request), (None, 0))
        if sent is None:
            return True
        billed = "" if self.link.demo else ", billed again"
        return await self.ask(
            "Send the same job again?",
            f"You sent this exact request {max(1, round(now - sent))} s ago. Sending it again "
            f"starts a second job{billed}.",
            "Send again",
            "Don't send",
        )

    @owned_slot(int)
    async def stop_job(self, local_id: int) -> None:
        if self.backend is not None:
            await self.backend.jobs.stop_watching(local_id)

    @owned_slot(int)
    async def resubmit(self, local_id: int) -> None:
        record = self.record_for(local_id)
        if self.backend is None or record is None:
            return
        if record.state == UNKNOWN and not await self.ask(
            "Submit this job again?",
            "This job may already exist on the server and be billed. Submitting it again "
            "starts a second job, billed again.",
            "Submit again",
        ):
            return
        new = await self.send_again(local_id)
        if new is not None:
            self._announce.add(new.local_id)
            self.submitted.emit(new.local_id)

    async def send_again(self, local_id: int) -> JobRecord | None:
        """A new job for ``local_id``; asks first when it was sent again already or would
        break a cap (None: not sent)."""
        backend = self.backend
        again = over_budget = False
        while backend is not None:
            try:
                return await backend.jobs.submit_again(
                    local_id, again=again, over_budget=over_budget
                )
            except AlreadyRetriedError as exc:
                if not await self.ask("Send it again?", str(exc), "Send another", "Don't send"):
                    return None
                again = True
            except OverBudgetError as exc:
                if not await self._send_over_budget(backend, exc.reasons):
                    self.notice.emit("Not sent: over the budget. Nothing was paid.", "info")
                    return None
                over_budget = True
            except ValueError as exc:
                self.notice.emit(str(exc), "error")
                return None
        return None

    @owned_slot(str, str)
    async def save_copy(self, src: str, dest: str) -> None:
        try:
            await asyncio.to_thread(_copy, src, dest)
        except OSError as exc:
            self.notice.emit(sentences("Could not save a copy:", str(exc.strerror or exc)), "error")
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
            if failure.kind == failures.AUTH:
                self.key_status.emit(
                    sentences(
                        "OpenRouter refused this key:",
                        failure.message,
                        "Check that you copied all of it, or create a new key",
                    ),
                    True,
                    False,
                )
                self.key_rejected.emit()
                return
            lead = "" if failure.kind == failures.OFFLINE else "The key could not be tested:"
            self.key_status.emit(
                sentences(
                    lead,
                    failure.message,
                    "You can still save it; it is checked again when the app connects",
                ),
                True,
                False,
            )
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
        self.demo_wanted = False  # a new key is a wish to make real clips
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
