"""Delete and Undo in the real window: idempotent and race-free, the user's replaced file
asked about, an emptied trash shown as a missing file (issue 15 §3)."""

from __future__ import annotations

from pathlib import Path

from tests.ui.conftest import Studio, answer, until
from tests.ui.test_iterate import make_clip
from videostudio.ui.library.model import CARD_ROLE

TRIALS = 8


def _trash(data_dir: Path) -> Path:
    return data_dir / "xdg" / "Trash" / "files"  # the test's own trash (XDG_DATA_HOME)


def _badge(studio: Studio, local_id: int) -> str:
    model = studio.window.library.model
    return str(model.index_of(local_id).data(CARD_ROLE).badge)


async def test_two_deletes_in_the_same_moment_then_undo_bring_everything_back(
    studio: Studio, data_dir: Path
) -> None:
    w = studio.window
    record = await make_clip(studio, "delete me twice")
    clip = Path(record.path or "")
    side = clip.with_suffix(".json")
    journal = studio.controller.backend.journal  # type: ignore[union-attr]
    offers: list[str] = []
    w.clip_actions.undo_offered.connect(offers.append)
    for trial in range(TRIALS):
        offers.clear()
        # Two deletes of the same clip in the same moment: two tasks racing on the loop.
        w.library.delete_requested.emit([record.local_id])
        w.library.delete_requested.emit([record.local_id])
        await until(lambda: journal.get(record.local_id).deleted_at is not None, what="deleted")
        await until(lambda: offers, what="the undo offer")
        assert not clip.exists() and not side.exists(), trial
        w.library.undo_requested.emit()
        w.library.undo_requested.emit()  # a second Undo does nothing
        await until(lambda: journal.get(record.local_id).deleted_at is None, what="undone")
        await until(lambda: clip.exists() and side.exists(), what="both files back")
        # The second delete did nothing: one offer.
        assert offers == ["Moved “delete me twice” to the trash."], trial
        assert list(_trash(data_dir).iterdir()) == [], trial
        await until(
            lambda: w.library.model.row_of(record.local_id) is not None, what="the card back"
        )
        assert _badge(studio, record.local_id) == "Saved"


async def test_a_file_changed_since_it_was_saved_is_trashed_only_if_the_user_says_so(
    studio: Studio,
) -> None:
    w = studio.window
    record = await make_clip(studio, "the user replaced it")
    clip = Path(record.path or "")
    clip.write_bytes(b"the user's own edit of the clip")
    journal = studio.controller.backend.journal  # type: ignore[union-attr]
    w.library.delete_requested.emit([record.local_id])
    text = await answer("Keep it", "Move a changed file to the trash?", safe="Keep it")
    assert f"{clip.name} is not the file that was saved (the size or content" in text
    assert clip.read_bytes() == b"the user's own edit of the clip"
    assert journal.get(record.local_id).deleted_at is None
    w.library.delete_requested.emit([record.local_id])
    await answer("Move to trash", "Move a changed file to the trash?", safe="Keep it")
    await until(lambda: journal.get(record.local_id).deleted_at is not None, what="deleted")
    assert not clip.exists()


async def test_undo_after_the_trash_was_emptied_shows_the_clip_as_missing(
    studio: Studio, data_dir: Path
) -> None:
    w = studio.window
    record = await make_clip(studio, "emptied")
    clip = Path(record.path or "")
    journal = studio.controller.backend.journal  # type: ignore[union-attr]
    notices: list[str] = []
    studio.controller.notice.connect(lambda text, kind: notices.append(text))
    w.library.delete_requested.emit([record.local_id])
    await until(lambda: not clip.exists(), what="the clip in the trash")
    await until(w.library.undo_bar.isVisible, what="the undo bar")
    for path in _trash(data_dir).iterdir():  # the user empties the trash
        path.unlink()
    w.library.undo_requested.emit()
    await until(lambda: journal.get(record.local_id).deleted_at is None, what="undone")
    await until(lambda: w.library.model.row_of(record.local_id) is not None, what="the card")
    assert any(f"{clip.name} is no longer in the trash" in n for n in notices), notices
    assert _badge(studio, record.local_id) == "File missing"
