"""Presets kept in the folder's journal (shared by the window and the CLI), their files,
and the check against the catalogue that every use goes through."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from videostudio.core.models import VideoModel
from videostudio.core.presets import (
    MAX_FILE_BYTES,
    Preset,
    PresetError,
    check_name,
    export_text,
    parse_file,
    quoted,
)
from videostudio.services.journal import Journal


def for_model(preset: Preset, models: Iterable[VideoModel]) -> tuple[Preset, list[str]]:
    """The preset as ``models`` allow it now, and what was left out (PresetError: no model)."""
    model = next((m for m in models if m.id == preset.model), None)
    if model is None:
        raise PresetError(
            f"The preset {preset.name!r} is for {quoted(preset.model)[1:-1]}, "
            "which is no longer offered."
        )
    return preset.checked(model)


class PresetStore:
    """Named presets in ``journal``; names are compared without case."""

    def __init__(self, journal: Journal) -> None:
        self._journal = journal

    def all(self) -> list[Preset]:
        """Every readable preset, by name (one that no longer reads is left out)."""
        found = []
        for name, settings in self._journal.presets().items():
            try:
                found.append(Preset.from_json(name, settings))
            except PresetError:
                continue
        return found

    def get(self, name: str) -> Preset:
        wanted = name.strip().casefold()
        for preset in self.all():
            if preset.name.casefold() == wanted:
                return preset
        names = ", ".join(p.name for p in self.all()) or "none yet"
        raise PresetError(f"There is no preset {name!r} (presets: {names}).")

    def save(self, preset: Preset) -> Preset:
        """Save (or replace) the preset under its checked name."""
        preset = Preset.from_json(check_name(preset.name), preset.to_json())
        self._journal.save_preset(preset.name, preset.to_json())
        return preset

    def rename(self, old: str, new: str) -> None:
        new = check_name(new)
        current = self.get(old)
        if not self._journal.rename_preset(current.name, new):
            raise PresetError(f"There is already a preset called {new!r}.")

    def delete(self, name: str) -> None:
        if not self._journal.delete_preset(self.get(name).name):
            raise PresetError(f"There is no preset {name!r}.")

    def export(self, path: Path, names: Iterable[str] = ()) -> int:
        """Write the named presets (all when none are named) to ``path``; how many."""
        chosen = [self.get(n) for n in names] or self.all()
        if not chosen:
            raise PresetError("There are no presets to export.")
        part = path.with_name(path.name + ".part")
        try:
            part.write_text(export_text(chosen), encoding="utf-8")
            os.replace(part, path)
        except OSError as exc:
            part.unlink(missing_ok=True)
            raise PresetError(f"Cannot write {path}: {exc.strerror}.") from None
        return len(chosen)

    def import_file(
        self, path: Path, models: Iterable[VideoModel]
    ) -> tuple[list[tuple[Preset, list[str]]], list[str]]:
        """Import a presets file: each preset checked against ``models`` and saved under a
        name of its own (an existing preset is never replaced). Returns what was saved with
        what was left out of each, and why any preset could not be imported."""
        try:
            with path.open("rb") as f:
                data = f.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise PresetError(f"Cannot read {path}: {exc.strerror}.") from None
        catalogue = list(models)
        taken = {p.name.casefold() for p in self.all()}
        saved, skipped = [], []
        for found in parse_file(data, path.name):
            try:
                preset, notes = for_model(found, catalogue)
            except PresetError as exc:
                skipped.append(str(exc))
                continue
            name = _free_name(preset.name, taken)
            taken.add(name.casefold())
            saved.append((self.save(Preset.from_json(name, preset.to_json())), notes))
        return saved, skipped


def _free_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name (2)``, ``name (3)``… when it is taken."""
    candidate, number = name, 1
    while candidate.casefold() in taken:
        number += 1
        candidate = f"{name} ({number})"
    return candidate
