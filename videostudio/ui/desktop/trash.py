"""Move clips to the desktop's trash and put them back (Undo).

``move_to_trash`` moves every output file of the clips and each one's JSON sidecar with
QFile.moveToTrash (the freedesktop trash on Linux: Trash/files/<name> with
Trash/info/<name>.trashinfo beside it), and returns a receipt of where each file went;
``restore`` takes the receipt and moves them back, then removes what the OS's trash keeps
about each file, so the trash does not list ghosts: the freedesktop trash's .trashinfo,
the Recycle Bin's ``$I`` file beside its ``$R`` file on Windows; macOS's Trash keeps
nothing beside the file (Finder's Put Back notes live in its .DS_Store). Both block on
the file system: run them in a worker thread (``asyncio.to_thread``); they touch no widget.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QFile, QStandardPaths

from videostudio.services.clips import sidecar_path

log = logging.getLogger("videostudio.ui.desktop")


@dataclass(frozen=True)
class TrashedFile:
    """One file now in the trash: where it was, and where it is."""

    original: str
    in_trash: str


@dataclass(frozen=True)
class TrashReceipt:
    """What ``move_to_trash`` did: files moved, files already gone, and one sentence per file
    that could not be moved (keyed by its path)."""

    moved: tuple[TrashedFile, ...] = ()
    missing: tuple[str, ...] = ()
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def covers(self, paths: Iterable[str | Path]) -> bool:
        """True when none of ``paths`` is left behind (each was moved or was already gone):
        e.g. a job whose outputs these are can be marked as deleted."""
        done = {t.original for t in self.moved} | set(self.missing)
        return all(_absolute(p) in done for p in paths)


def _absolute(path: str | Path) -> str:
    # Absolute, not resolved: the .trashinfo keeps this path and Undo puts the file there.
    return os.path.abspath(path)


def with_sidecars(paths: Iterable[str | Path]) -> list[str]:
    """``paths`` (absolute, in order, once each) with each file's JSON sidecar when it has one."""
    found: list[str] = []
    for path in paths:
        main, side = _absolute(path), _absolute(sidecar_path(Path(path)))
        if main not in found:
            found.append(main)
        if side not in found and os.path.lexists(side):
            found.append(side)
    return found


def move_to_trash(paths: Iterable[str | Path]) -> TrashReceipt:
    """Move ``paths`` and their sidecars to the trash; nothing is ever deleted outright.

    A file that is not there is noted as missing (nothing to do); a file that cannot be
    moved stays where it is, with a sentence saying so in ``errors``.
    """
    moved: list[TrashedFile] = []
    missing: list[str] = []
    errors: dict[str, str] = {}
    # Qt makes the Trash folder but not a missing data folder above it (a fresh account).
    data = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    if data:
        Path(data).mkdir(parents=True, exist_ok=True)
    for path in with_sidecars(paths):
        if not os.path.lexists(path):
            missing.append(path)
            continue
        file = QFile(path)
        if file.moveToTrash():
            moved.append(TrashedFile(path, file.fileName()))
        else:
            log.warning("cannot move %s to the trash: %s", path, file.errorString())
            errors[path] = _trash_error(Path(path), file.errorString())
    return TrashReceipt(tuple(moved), tuple(missing), errors)


def _trash_error(path: Path, detail: str) -> str:
    why = "" if detail in ("", "Unknown error") else f" ({detail})"
    return (
        f"{path.name} could not be moved to the trash{why}, so it was left in {path.parent}. "
        "The drive it is on may have no trash; delete the file there if you want it gone."
    )


def restore(receipt: TrashReceipt) -> list[str]:
    """Put every file of ``receipt`` back where it was; one sentence per file that could not
    be (the rest are back). A file never overwrites one that took its place meanwhile."""
    errors: list[str] = []
    for item in receipt.moved:
        source, target = Path(item.in_trash), Path(item.original)
        if not os.path.lexists(source):
            errors.append(
                f"{target.name} is no longer in the trash (it may have been emptied), "
                f"so it could not be put back in {target.parent}."
            )
            continue
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            _move_back(source, target)
        except FileExistsError:
            errors.append(
                f"{target.name} was not put back: another file of that name is in "
                f"{target.parent} now. It is still in the trash."
            )
            continue
        except OSError as exc:
            log.warning("cannot restore %s from the trash: %s", target, exc)
            errors.append(
                f"{target.name} could not be put back in {target.parent} "
                f"({exc.strerror or exc}). It is still in the trash."
            )
            continue
        _forget_trash_info(source)
    return errors


def _move_back(source: Path, target: Path) -> None:
    """Rename ``source`` to ``target``, refusing (FileExistsError) to replace anything."""
    try:
        os.link(source, target)  # fails when target exists, unlike rename
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links (e.g. a FAT drive's .Trash-UID)
        if os.path.lexists(target):
            raise FileExistsError(str(target)) from None
        os.rename(source, target)
        return
    os.unlink(source)


def _forget_trash_info(in_trash: Path) -> None:
    """Remove what describes ``in_trash`` in the trash, the way this OS keeps it."""
    if sys.platform == "darwin":
        return  # nothing beside the file in ~/.Trash
    info = _recycle_bin_info(in_trash) if sys.platform == "win32" else _trashinfo(in_trash)
    if info is None:
        return
    try:
        info.unlink(missing_ok=True)
    except OSError as exc:  # the file is back; a stale entry in the trash is only untidy
        log.warning("cannot remove %s: %s", info, exc)


def _trashinfo(in_trash: Path) -> Path | None:
    """The freedesktop trash: Trash/files/<name> is described by Trash/info/<name>.trashinfo."""
    if in_trash.parent.name != "files":
        return None
    return in_trash.parent.parent / "info" / f"{in_trash.name}.trashinfo"


def _recycle_bin_info(in_trash: Path) -> Path | None:
    """The Recycle Bin: $R<id>.<ext> holds the file, $I<id>.<ext> its name and date."""
    if not in_trash.name.startswith("$R"):
        return None
    return in_trash.with_name("$I" + in_trash.name[2:])


def backend_name() -> str:
    """Which trash this OS's Undo tidies (for ``--self-check``)."""
    if sys.platform == "darwin":
        return "the macOS Trash (QFile.moveToTrash)"
    if sys.platform == "win32":
        return "the Recycle Bin (QFile.moveToTrash; Undo removes its $I entry)"
    return "the freedesktop trash (QFile.moveToTrash; Undo removes its .trashinfo)"
