"""The storyboard's view-model: the journal's storyboards shown in the panel, edits
written back, trims set from the player, planned shots generated, the film exported.

Journal reads and writes, clip measuring and the export run on worker threads
(asyncio.to_thread); the export reports progress through a queued signal, so the
GUI thread only paints. Generating goes through the studio's one submit path (the
estimate is shown first, then the budget rules; one gesture sends one batch).

Signals: boards_changed(list[(id, name)], int | None current),
shots_changed(list[ShotView], float total_s, int current_row),
poster_ready(int clip, QImage), play_requested(object JobRecord),
sequence_ready(list[(Path, in ms, out ms)]), exporting(bool),
export_progress(float fraction, object seconds_left), exported(str path).
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QSize, Signal
from PySide6.QtGui import QImage

from videostudio.core.failures import sentences
from videostudio.core.images import ImageRejectedError
from videostudio.core.jobs import SAVED, JobRecord
from videostudio.core.models import GenerationRequest, ImagePart
from videostudio.core.storyboard import Shot, TrimError, cut, move
from videostudio.ui.compose.imaging import prepare_image
from videostudio.ui.media.thumbnails import FrameError, FrameLoader, FrameRequest, frame_before
from videostudio.ui.review.storyboard import ShotView
from videostudio.ui.tasks import TaskGroup, owned_slot

if TYPE_CHECKING:  # loaded on first use: they bring PyAV, which the first paint never waits for
    from videostudio.services.export import Progress
    from videostudio.services.journal import Journal
    from videostudio.services.storyboards import Storyboard, Storyboards
    from videostudio.ui.session.studio import StudioController

POSTER = QSize(320, 180)
_KEY = "storyboard:"


def _png(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs say bytes; Qt wants str
    return bytes(data.data())


class StoryboardSession(QObject):
    """The storyboards of the studio's current data folder (see the module's docstring)."""

    boards_changed = Signal(list, object)
    shots_changed = Signal(list, float, int)
    poster_ready = Signal(int, QImage)
    play_requested = Signal(object)
    sequence_ready = Signal(list)
    exporting = Signal(bool)
    export_progress = Signal(float, object)
    exported = Signal(str)

    def __init__(
        self,
        studio: StudioController,
        frames: FrameLoader | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.studio = studio
        self.frames = frames
        self.tasks = TaskGroup(self._on_task_failed)
        self.board: Storyboard | None = None
        self.row = -1
        self._lengths: dict[int, tuple[int, float]] = {}  # clip -> (frames, fps)
        self._cancel: threading.Event | None = None
        self._generating = False
        self._lock = asyncio.Lock()
        self._seen: Journal | None = None
        if frames is not None:
            frames.ready.connect(self._on_frames_ready)

    # -- reading -----------------------------------------------------------------------------

    def _journal(self) -> Journal | None:
        backend = self.studio.backend
        return backend.journal if backend is not None else None

    def _store(self) -> Storyboards | None:
        from videostudio.services.storyboards import Storyboards

        journal = self._journal()
        return Storyboards(journal) if journal is not None else None

    @owned_slot()
    async def refresh(self) -> None:
        """Show the folder's storyboards (the last one chosen, else the newest)."""
        store = self._store()
        if store is None:
            return
        if store.journal is not self._seen:  # another data folder (demo or not)
            self._seen = store.journal
            self.board = None
            self._lengths.clear()
        boards = await asyncio.to_thread(store.all)
        wanted = self.board.id if self.board is not None else None
        chosen = next((b for b in boards if b.id == wanted), boards[-1] if boards else None)
        await self._show(chosen, boards)

    async def _show(self, board: Storyboard | None, boards: list[Storyboard] | None = None) -> None:
        store = self._store()
        if boards is None and store is not None:
            boards = await asyncio.to_thread(store.all)
        self.board = board
        self.boards_changed.emit(
            [(b.id, b.name) for b in boards or []], board.id if board else None
        )
        await self._show_shots()

    async def _show_shots(self) -> None:
        journal = self._journal()
        shots = list(self.board.shots) if self.board is not None else []
        records = await asyncio.to_thread(self._records, journal, shots)
        await self._measure(records.values())
        views = [self._view(shot, records.get(shot.clip or -1)) for shot in shots]
        total = sum(v.length_s or 0.0 for v in views)
        self.row = max(-1, min(self.row, len(views) - 1))
        if self.row < 0 and views:
            self.row = 0
        self.shots_changed.emit(views, total, self.row)
        self._ask_posters(records.values())

    @staticmethod
    def _records(journal: Journal | None, shots: list[Shot]) -> dict[int, JobRecord]:
        found: dict[int, JobRecord] = {}
        if journal is None:
            return found
        for shot in shots:
            if shot.clip is not None and shot.clip not in found:
                try:
                    found[shot.clip] = journal.get(shot.clip)
                except KeyError:
                    continue
        return found

    async def _measure(self, records: object) -> None:
        from videostudio.services.export import ExportError, measure
        from videostudio.services.storyboards import clip_file

        for record in list(records):  # type: ignore[call-overload]
            path = clip_file(record)
            if record.local_id in self._lengths or path is None or record.state != SAVED:
                continue
            try:
                self._lengths[record.local_id] = await asyncio.to_thread(measure, path)
            except ExportError:
                continue

    def _view(self, shot: Shot, record: JobRecord | None) -> ShotView:
        if shot.planned:
            return ShotView(shot, None, shot.prompt)
        if record is None:
            return ShotView(shot, None, "", "not in the journal")
        length = None
        problem = "" if record.state == SAVED else record.label.lower()
        if shot.clip in self._lengths:
            frames, fps = self._lengths[record.local_id]
            try:
                length = cut(shot.trim_in, shot.trim_out, frames, fps).duration_s
            except TrimError:
                problem = "trim outside the clip"
        elif record.state == SAVED:
            problem = "the file is missing or damaged"
        return ShotView(shot, length, record.prompt, problem)

    def _ask_posters(self, records: object) -> None:
        from videostudio.services.storyboards import clip_file

        if self.frames is None:
            return
        for record in list(records):  # type: ignore[call-overload]
            path = clip_file(record)
            if path is not None and record.state == SAVED:
                self.frames.request(f"{_KEY}{record.local_id}", FrameRequest(path, "first", POSTER))

    def _on_frames_ready(self, key: str, image: QImage) -> None:
        if key.startswith(_KEY):
            self.poster_ready.emit(int(key[len(_KEY) :]), image)

    # -- editing -----------------------------------------------------------------------------

    async def _write(self, change: Callable[[Storyboards], Storyboard | None]) -> None:
        """One change to the journal, then the panel shows the result; one at a time, so
        each change starts from the one before (edits come faster than disks write)."""
        from videostudio.services.storyboards import StoryboardError

        store = self._store()
        if store is None:
            self.studio.notice.emit("The storyboard opens once the data folder is ready.", "info")
            return
        async with self._lock:
            try:
                board = await asyncio.to_thread(change, store)
            except StoryboardError as exc:
                self.studio.notice.emit(str(exc), "error")
                return
            self.board = board
        await self._show(board)

    def _shots(self) -> list[Shot]:
        return list(self.board.shots) if self.board is not None else []

    async def _edit(self, change: Callable[[list[Shot]], list[Shot] | None]) -> None:
        """Change the shots as they are when the change runs (None: no change)."""

        def write(store: Storyboards) -> Storyboard | None:
            board = self.board if self.board is not None else store.create("")
            shots = change(list(board.shots))
            return board if shots is None else store.set_shots(board.id, shots)

        await self._write(write)

    @owned_slot(int)
    async def choose(self, board_id: int) -> None:
        self.row = 0
        await self._write(lambda s: s.get(board_id))

    @owned_slot()
    async def new(self) -> None:
        self.row = -1
        await self._write(lambda s: s.create(""))

    @owned_slot(str)
    async def rename(self, name: str) -> None:
        board = self.board
        if board is not None:
            await self._write(lambda s: s.rename(board.id, name))

    @owned_slot()
    async def delete(self) -> None:
        board = self.board
        if board is None:
            return
        if board.shots and not await self.studio.ask(
            "Delete the storyboard?",
            f"{board.name} and its {len(board.shots)} shot(s) go; the clips stay in the library.",
            "Delete",
        ):
            return

        def drop(store: Storyboards) -> None:
            store.delete(board.id)

        await self._write(drop)
        await self.refresh()

    def choose_row(self, row: int) -> None:
        """The selected shot plays in the player, where I and O trim it."""
        self.row = row
        shots = self._shots()
        if 0 <= row < len(shots) and shots[row].clip is not None:
            record = self.studio.record_for(shots[row].clip or 0)
            if record is not None and record.state == SAVED:
                self.play_requested.emit(record)

    @owned_slot(int, int)
    async def move_shot(self, index: int, to: int) -> None:
        self.row = max(0, to)
        await self._edit(lambda shots: move(shots, index, to))

    @owned_slot(int)
    async def remove_shot(self, row: int) -> None:
        def remove(shots: list[Shot]) -> list[Shot] | None:
            if not 0 <= row < len(shots):
                return None
            self.row = min(row, len(shots) - 2)
            return shots[:row] + shots[row + 1 :]

        await self._edit(remove)

    @owned_slot(list, int)
    async def add_clips(self, ids: list[int], row: int = -1) -> None:
        """Library clips (by local id) into the storyboard at ``row`` (-1: the end)."""

        def add(shots: list[Shot]) -> list[Shot]:
            at = len(shots) if row < 0 else min(row, len(shots))
            self.row = at
            return shots[:at] + [Shot(clip=i) for i in ids] + shots[at:]

        await self._edit(add)

    @owned_slot(str)
    async def add_planned(self, prompt: str) -> None:
        """A planned shot (a prompt to generate later) at the end."""
        if not prompt.strip():
            self.studio.notice.emit("Write the shot's prompt in the form first.", "info")
            return

        def add(shots: list[Shot]) -> list[Shot]:
            self.row = len(shots)
            return [*shots, Shot(prompt=prompt.strip())]

        await self._edit(add)

    @owned_slot(list, int)
    async def add_paths(self, paths: list[str], row: int) -> None:
        """Files dropped from the library: each is the clip the journal saved there."""
        journal = self._journal()
        if journal is None:
            return
        wanted = {str(Path(p)) for p in paths}
        saved = await asyncio.to_thread(
            journal.rows, "SELECT local_id, path FROM jobs WHERE state=?", [SAVED]
        )
        ids = [int(r["local_id"]) for r in saved if r["path"] in wanted]
        if not ids:
            self.studio.notice.emit("Only clips from the library can be shots.", "info")
            return
        await self.add_clips(ids, row)

    def _change_shot(
        self, row: int, first: int = 0, **changes: Any
    ) -> Callable[[list[Shot]], list[Shot] | None]:
        def change(shots: list[Shot]) -> list[Shot] | None:
            if not first <= row < len(shots):
                return None
            shots[row] = shots[row].with_(**changes)
            return shots

        return change

    @owned_slot(int, bool)
    async def set_continues(self, row: int, on: bool) -> None:
        await self._edit(self._change_shot(row, 1, continues=on))

    @owned_slot(int)
    async def clear_trim(self, row: int) -> None:
        await self._edit(self._change_shot(row, trim_in=0.0, trim_out=None))

    @owned_slot(str, int, int)
    async def mark(self, which: str, ms: int, clip: int) -> None:
        """I or O in the player: the selected shot's in or out, if the player shows its clip."""
        row = self.row
        length = self._lengths.get(clip)
        refused: list[str] = []

        def change(shots: list[Shot]) -> list[Shot] | None:
            if not 0 <= row < len(shots) or shots[row].clip != clip:
                return None
            shot = shots[row]
            seconds = ms / 1000
            changed = shot.with_(trim_in=seconds) if which == "in" else shot.with_(trim_out=seconds)
            if length is not None:
                try:
                    kept = cut(changed.trim_in, changed.trim_out, *length)
                except TrimError as exc:
                    refused.append(str(exc))
                    return None
                snapped_out = None if kept.end == length[0] else kept.out_s
                changed = changed.with_(trim_in=kept.in_s, trim_out=snapped_out)
            shots[row] = changed
            return shots

        await self._edit(change)
        if refused:
            self.studio.notice.emit(refused[0], "error")

    # -- playing, exporting ----------------------------------------------------------------

    def play_all(self) -> None:
        """The saved shots as one sequence (planned ones are skipped, and said so)."""
        from videostudio.services.storyboards import clip_file

        items: list[tuple[Path, int, int]] = []
        skipped = 0
        for shot in self._shots():  # a shot without a clip, or trimmed past it, is left out
            record = self.studio.record_for(shot.clip) if shot.clip is not None else None
            path = clip_file(record) if record is not None else None
            length = self._lengths.get(shot.clip or -1)
            try:
                if record is None or path is None or length is None or record.state != SAVED:
                    raise TrimError("no clip")
                kept = cut(shot.trim_in, shot.trim_out, *length)
            except TrimError:
                skipped += 1
                continue
            items.append((path, round(kept.in_s * 1000), round(kept.out_s * 1000)))
        if skipped:
            self.studio.notice.emit(
                f"{skipped} shot(s) have no playable clip and are skipped.", "info"
            )
        self.sequence_ready.emit(items)

    def default_export(self) -> Path:
        backend = self.studio.backend
        folder = backend.clips_dir if backend is not None else Path.home()
        name = self.board.name if self.board is not None else "storyboard"
        return folder / f"{name}.mp4"

    @owned_slot(str)
    async def export(self, dest: str) -> None:
        from videostudio.services.export import ExportError
        from videostudio.services.storyboards import export_storyboard

        journal = self._journal()
        if journal is None or self._cancel is not None or not dest:
            return
        cancel = self._cancel = threading.Event()
        self.exporting.emit(True)

        def progress(p: Progress) -> None:  # on the export's thread: a queued signal
            self.export_progress.emit(p.fraction, p.seconds_left)

        try:
            result = await asyncio.to_thread(
                export_storyboard,
                journal,
                self._shots(),
                Path(dest),
                on_progress=progress,
                cancel=cancel,
            )
        except ExportError as exc:
            self.studio.notice.emit(str(exc), "info" if cancel.is_set() else "error")
            return
        finally:
            self._cancel = None
            self.exporting.emit(False)
        how = " by stream copy" if result.mode == "copy" else ""
        self.studio.notice.emit(
            sentences(f"Exported {result.path.name}{how}.", result.note), "info"
        )
        self.exported.emit(str(result.path))

    def cancel_export(self) -> None:
        if self._cancel is not None:
            self._cancel.set()

    # -- generating ------------------------------------------------------------------------

    @owned_slot(object)
    async def generate_missing(self, make: Callable[[str], GenerationRequest | None]) -> None:
        """The planned shots as one batch, from the draft's model and settings.

        A "continue" shot after a saved clip starts from that clip's last kept frame;
        one after another planned shot waits (it needs that frame) and is said so.
        """
        if self._generating or self.board is None:
            return
        self._generating = True
        try:
            await self._generate(make)
        finally:
            self._generating = False

    async def _generate(self, make: Callable[[str], GenerationRequest | None]) -> None:
        shots = self._shots()
        rows: list[int] = []
        requests: list[GenerationRequest] = []
        waiting = 0
        for row, shot in enumerate(shots):
            if not shot.planned:
                continue
            request = make(shot.prompt)
            if request is None:
                self.studio.notice.emit("Choose a model in the form first.", "error")
                return
            if shot.continues and row > 0:
                frame = await self._last_frame(shots[row - 1])
                if frame is None:
                    waiting += 1
                    continue
                kept = [i for i in request.images if i.role != "first_frame"]
                request = dataclasses.replace(
                    request, images=(*kept, ImagePart(frame, "first_frame"))
                )
            rows.append(row)
            requests.append(request)
        if not requests:
            self.studio.notice.emit(
                "Every planned shot waits for the shot before it to be generated."
                if waiting
                else "No planned shots to generate.",
                "info",
            )
            return
        prices = [self.studio.price(r) for r in requests]
        total = sum(p or 0 for p in prices)
        unknown = " (some prices are unknown)" if None in prices else ""
        wait = f" {waiting} continuing shot(s) wait for the shot before them." if waiting else ""
        if not await self.studio.ask(
            "Generate the planned shots?",
            f"{len(requests)} job(s) with {requests[0].model}, estimated ${total:.2f} in all"
            f"{unknown}.{wait}",
            "Generate",
        ):
            return
        board = self.board

        def link(records: list[JobRecord]) -> None:
            if board is None or self.board is None or self.board.id != board.id:
                return

            def fill(shots: list[Shot]) -> list[Shot]:
                for row, record in zip(rows, records, strict=True):
                    if row < len(shots) and shots[row].planned:
                        shots[row] = shots[row].with_(clip=record.local_id)
                return shots

            self.tasks.spawn(self._edit(fill))

        self.studio.generate_batch(requests, on_journaled=link)

    async def _last_frame(self, shot: Shot) -> str | None:
        """The data URL of a saved shot's last kept frame, or None."""
        from videostudio.services.storyboards import clip_file

        record = self.studio.record_for(shot.clip) if shot.clip is not None else None
        path = clip_file(record) if record is not None else None
        length = self._lengths.get(shot.clip or -1)
        if record is None or path is None or length is None or record.state != SAVED:
            return None
        kept = cut(shot.trim_in, shot.trim_out, *length)
        try:
            image = await asyncio.to_thread(frame_before, path, kept.out_s)
            prepared = await asyncio.to_thread(prepare_image, _png(image), "last frame")
        except (FrameError, ImageRejectedError) as exc:
            self.studio.notice.emit(
                sentences("Cannot read the shot's last frame:", str(exc)), "error"
            )
            return None
        return prepared.url

    def _on_task_failed(self, error: BaseException) -> None:
        self.studio.notice.emit(sentences("The storyboard action failed:", str(error)), "error")

    async def aclose(self) -> None:
        self.cancel_export()
        await self.tasks.aclose()
