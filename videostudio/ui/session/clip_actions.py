"""What the library and the player ask of a clip: iterate from it, mark it, move it, compare.

A view-model beside StudioController (which owns the backend): the journal work and file
work run off the UI thread; the window gets back drafts to load, compare items to show
and words to say. Anything that could send a paid job goes through the controller,
which asks first.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from videostudio.core.failures import sentences
from videostudio.core.jobs import NOT_SAVED, REJECTED, SAVED, UNKNOWN, JobRecord
from videostudio.core.models import EXPIRED, FAILED, GenerationRequest
from videostudio.core.operations import Operation, SourceClip, models_for
from videostudio.core.options import options_of
from videostudio.core.pricing import format_usd
from videostudio.core.seeds import random_seed
from videostudio.core.spend import cost_text
from videostudio.core.text import clip_name
from videostudio.services.clips import changed_files
from videostudio.services.images import is_ref
from videostudio.services.operations import OperationError, cannot, chain, measure, prepare
from videostudio.ui.desktop import TrashReceipt, move_to_trash, restore
from videostudio.ui.library.cards import files
from videostudio.ui.media.thumbnails import FrameError, last_frame
from videostudio.ui.review.compare import CompareItem
from videostudio.ui.session.operation_dialog import Choice, Offer
from videostudio.ui.session.studio import StudioController
from videostudio.ui.tasks import owned_slot

# The results whose "use these settings" offers their operation again.
REOFFERED = (Operation.EXTEND, Operation.EDIT, Operation.UPSCALE)
# Jobs of a batch that "Retry failed" sends again: they ended without a clip.
RETRYABLE = frozenset({FAILED, REJECTED, EXPIRED, UNKNOWN})


@dataclass(frozen=True)
class Draft:
    """Everything a clip was made with, to load back into the form."""

    request: GenerationRequest  # images are left out: they come as ``images``
    options: dict[str, Any]
    images: list[tuple[bytes, str, str]]  # (data, name, role)
    note: str = ""  # what the status bar says once it is loaded


class ClipActions(QObject):
    """Signals: draft_ready(Draft), offer_ready(Offer: open the operation dialog),
    compare_ready(list[CompareItem]), changed(JobRecord),
    undo_offered(str text) and undo_gone()."""

    draft_ready = Signal(object)
    offer_ready = Signal(object)
    compare_ready = Signal(list)
    changed = Signal(object)
    undo_offered = Signal(str)
    undo_gone = Signal()

    def __init__(self, studio: StudioController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.tasks = studio.tasks
        self._undo: tuple[list[int], TrashReceipt] | None = None
        self._files_lock = asyncio.Lock()  # deletes and undos one at a time

    def _name(self, local_id: int) -> str:
        record = self.studio.record_for(local_id)
        return clip_name(record.prompt) if record is not None else "the clip"

    def _records(self, ids: list[int]) -> list[JobRecord]:
        found = (self.studio.record_for(i) for i in ids)
        return [r for r in found if r is not None]

    # -- iterate ------------------------------------------------------------------------------

    async def _draft_of(self, local_id: int, *, new_seed: bool = False, note: str = "") -> Draft:
        backend = self.studio.backend
        record = self.studio.record_for(local_id)
        if backend is None or record is None:
            raise LookupError("That clip is not in this journal any more.")
        request = GenerationRequest.from_json(record.request)
        images: list[tuple[bytes, str, str]] = []
        missing = 0
        name = clip_name(record.prompt)
        for number, part in enumerate(request.images, start=1):
            if is_ref(part.url):
                try:
                    data = await asyncio.to_thread(backend.journal.images.read, part.url)
                except LookupError:
                    missing += 1
                    continue
                images.append((data, f"image {number} of {name}", part.role))
        if missing:
            note = sentences(note, f"{missing} image(s) of that job are no longer stored")
        seed = random_seed() if new_seed and request.seed is not None else request.seed
        plain = dataclasses.replace(request, images=(), seed=seed, provider=None)
        return Draft(plain, options_of(request.provider), images, note)

    @owned_slot(int)
    async def use_settings(self, local_id: int) -> None:
        """Load everything job ``local_id`` was made with into the form (or, for an extend,
        edit or upscale, offer that operation again as it was set up)."""
        record = self.studio.record_for(local_id)
        if record is not None and await self._offer_again(record):
            return
        name = self._name(local_id)
        self.draft_ready.emit(
            await self._draft_of(local_id, note=f"Loaded the settings of {name}. Ctrl+Z undoes.")
        )

    @owned_slot(list)
    async def vary(self, ids: list[int]) -> None:
        """The same settings with a new seed (the first clip asked for)."""
        if ids:
            self.draft_ready.emit(
                await self._draft_of(
                    ids[0],
                    new_seed=True,
                    note=f"The settings of {self._name(ids[0])} with a new seed. Ctrl+Z undoes.",
                )
            )

    @owned_slot(int, str)
    async def continue_from(self, local_id: int, path: str) -> None:
        """A new draft with the same settings, starting from the clip's last frame."""
        try:
            image = await asyncio.to_thread(last_frame, Path(path))
        except FrameError as exc:
            self.studio.notice.emit(
                sentences("Cannot read the clip's last frame:", str(exc)), "error"
            )
            return
        draft = await self._draft_of(
            local_id,
            note=f"Continuing from the last frame of {self._name(local_id)}. Ctrl+Z undoes.",
        )
        kept = [i for i in draft.images if i[2] != "first_frame"]
        free = dataclasses.replace(draft.request, seed=None)  # a new take, not a repeat
        self.draft_ready.emit(dataclasses.replace(draft, request=free, images=kept))
        self.studio.images.add_frame(image, "first_frame")

    # -- extend, edit, upscale ----------------------------------------------------------------

    @owned_slot(int, str)
    async def offer(self, local_id: int, operation: str) -> None:
        """Measure the clip and offer ``operation`` on it (the dialog opens on offer_ready)."""
        record = self.studio.record_for(local_id)
        if record is None:
            return
        await self._offer(Offer(Operation(operation), record, SourceClip(0, 0, 0), []))

    async def _offer(self, wanted: Offer) -> None:
        record, operation = wanted.record, wanted.operation
        models = models_for(self.studio.models, operation, record.model)
        if not models:
            self.studio.notice.emit(cannot(self.studio.models, operation, record.model), "info")
            return
        try:
            source = await asyncio.to_thread(measure, record)
        except OperationError as exc:
            self.studio.notice.emit(str(exc), "error")
            return
        self.offer_ready.emit(dataclasses.replace(wanted, source=source, models=models))

    @owned_slot(object)
    async def operate(self, choice: Choice) -> None:
        """Read the clip (off the UI thread) and send the job through the controller."""
        record = self.studio.record_for(choice.local_id)
        if record is None:
            return
        try:
            prepared = await asyncio.to_thread(
                prepare,
                choice.operation,
                record,
                self.studio.models,
                model_id=choice.model_id,
                prompt=choice.prompt,
                duration=choice.duration,
                factor=choice.factor,
                creativity=choice.creativity,
            )
        except OperationError as exc:
            self.studio.notice.emit(str(exc), "error")
            return
        self.studio.send_prepared(prepared)

    def compare_with_source(self, local_id: int) -> None:
        """The result beside the clip it was made from, in the compare grid."""
        record = self.studio.record_for(local_id)
        if record is None or record.source_job is None:
            self.studio.notice.emit("This clip was made from a prompt; it has no source.", "info")
            return
        self.compare([record.source_job, local_id])

    def chain_of(self, local_id: int) -> list[JobRecord]:
        """The clips a result came from, first source first (for the lineage line)."""
        record = self.studio.record_for(local_id)
        if record is None:
            return []

        def get(source_id: int) -> JobRecord:
            found = self.studio.record_for(source_id)
            if found is None:
                raise KeyError(source_id)
            return found

        return chain(record, get)

    async def _offer_again(self, record: JobRecord) -> bool:
        """ "Use these settings" on a result of an operation: the same operation, set up the
        same way, on the same source. False when the record is not such a result."""
        source = self.studio.record_for(record.source_job) if record.source_job else None
        if source is None or record.operation not in {o.value for o in REOFFERED}:
            return False
        request = record.request
        await self._offer(
            Offer(
                Operation(str(record.operation)),
                source,
                SourceClip(0, 0, 0),
                [],
                prompt=str(request.get("prompt") or ""),
                model_id=record.model,
                duration=request.get("duration"),
                factor=request.get("upscale_factor"),
                creativity=request.get("creativity"),
            )
        )
        return True

    # -- marks, files -------------------------------------------------------------------------

    @owned_slot(list, bool)
    async def set_favourite(self, ids: list[int], on: bool) -> None:
        backend = self.studio.backend
        if backend is None:
            return
        for record in self._records(ids):
            updated = await asyncio.to_thread(backend.journal.update, record.local_id, favourite=on)
            self.changed.emit(updated)

    @owned_slot(list)
    async def delete(self, ids: list[int]) -> None:
        """Move the clips' files to the system trash; the journal keeps a record of it.

        Idempotent and one at a time: a clip already deleted is left alone (a second
        delete in the same moment changes nothing, and keeps the first one's Undo). A file
        that is no longer the one saved (its size or SHA-256 differ) is trashed only when
        the user says so."""
        backend = self.studio.backend
        if backend is None:
            return
        async with self._files_lock:
            current = [await asyncio.to_thread(self.studio.record_for, i) for i in ids]
            records = [r for r in current if r is not None and r.deleted_at is None]
            running = [r for r in records if not r.is_final]
            records = [r for r in records if r.is_final]
            if running and not records:
                self.studio.notice.emit(
                    "Running jobs are not deleted; stop watching them first.", "info"
                )
                return
            records = await self._confirm_changed(records)
            if not records:
                return
            receipt = await asyncio.to_thread(move_to_trash, [f for r in records for f in files(r)])
            now = self.studio.clock()
            done = [r for r in records if receipt.covers(files(r))]
            for record in done:
                updated = await asyncio.to_thread(
                    backend.journal.update, record.local_id, deleted_at=now
                )
                self.changed.emit(updated)
            for why in receipt.errors.values():
                self.studio.notice.emit(why, "error")
            if not done:
                return
            self._undo = ([r.local_id for r in done], receipt)
            what = clip_name(done[0].prompt) if len(done) == 1 else f"{len(done)} clips"
            self.undo_offered.emit(f"Moved {what} to the trash.")

    async def _confirm_changed(self, records: list[JobRecord]) -> list[JobRecord]:
        """``records`` less those whose file was changed since it was saved, unless the user
        says to trash them anyway."""
        found = await asyncio.to_thread(lambda: {r.local_id: changed_files(r) for r in records})
        names = [Path(p).name for paths in found.values() for p in paths]
        if not names:
            return records
        verb = "is not the file that was" if len(names) == 1 else "are not the files that were"
        if await self.studio.ask(
            "Move a changed file to the trash?",
            f"{', '.join(names)} {verb} saved (the size or content changed since). "
            "It may be yours now.",
            "Move to trash",
            "Keep it",
        ):
            return records
        return [r for r in records if not found[r.local_id]]

    @owned_slot()
    async def undo(self) -> None:
        """Put the last delete's files back (once: a second Undo does nothing). A clip whose
        files are no longer in the trash is back in the library, shown as missing."""
        backend = self.studio.backend
        if backend is None:
            return
        async with self._files_lock:
            if self._undo is None:
                return
            ids, receipt = self._undo
            self._undo = None
            for why in await asyncio.to_thread(restore, receipt):
                self.studio.notice.emit(why, "error")
            for local_id in ids:
                updated = await asyncio.to_thread(backend.journal.update, local_id, deleted_at=None)
                self.changed.emit(updated)
            self.undo_gone.emit()

    @owned_slot(int, str)
    async def save_to(self, local_id: int, dest: str) -> None:
        """A paid clip that could not be saved: download it again, to ``dest``."""
        backend = self.studio.backend
        if backend is None:
            return
        try:
            await backend.jobs.save_again(local_id, Path(dest))
        except ValueError as exc:
            self.studio.notice.emit(str(exc), "error")

    @owned_slot(QImage, str)
    async def save_frame(self, image: QImage, dest: str) -> None:
        ok = await asyncio.to_thread(lambda: image.save(dest, "PNG"))  # type: ignore[call-overload]
        if ok:
            self.studio.notice.emit(f"Saved the frame to {dest}", "info")
        else:
            self.studio.notice.emit(f"Could not save the frame to {dest}.", "error")

    # -- compare and batches ------------------------------------------------------------------

    def compare(self, ids: list[int]) -> None:
        records = [r for r in self._records(ids) if r.state == SAVED and r.path]
        items = [
            CompareItem(
                local_id=r.local_id,
                path=Path(r.path or ""),
                model=r.model,
                seed=r.seed,
                cost=cost_text(r),
                favourite=r.favourite,
                prompt=r.prompt,
            )
            for r in records[:4]
        ]
        if len(items) < 2:
            self.studio.notice.emit("Choose 2 to 4 saved clips to compare.", "info")
            return
        self.compare_ready.emit(items)

    @owned_slot(str)
    async def retry_batch(self, batch: str) -> None:
        """Send the batch's jobs that ended without a clip again (asks first: it is paid)."""
        backend = self.studio.backend
        if backend is None:
            return
        records = await asyncio.to_thread(backend.journal.find)
        ended = [r for r in records if r.batch == batch and r.state in RETRYABLE]
        failed = [r for r in ended if r.retried_as is None]  # not those sent again already
        if not failed:
            done = f" ({len(ended)} were sent again already)" if ended else ""
            self.studio.notice.emit(f"No job of this batch needs sending again{done}.", "info")
            return
        estimate = sum(r.estimate_usd or 0 for r in failed)
        unknown = sum(r.state == UNKNOWN for r in failed)
        warning = f" {unknown} of them may already exist and be billed." if unknown else ""
        if not await self.studio.ask(
            f"Send {len(failed)} job(s) again?",
            f"They ended without a clip; sending them again makes new paid jobs "
            f"(≈ {format_usd(estimate)}).{warning}",
            "Send again",
        ):
            return
        for record in failed:
            await self.studio.send_again(record.local_id)

    def can_save_to(self, local_id: int) -> bool:
        record = self.studio.record_for(local_id)
        return record is not None and record.state == NOT_SAVED
