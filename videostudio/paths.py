"""Where videostudio keeps things, decided once by the composition roots (app and CLI).

Defaults follow QStandardPaths: the journal and settings in the app data
folder, the catalogue in the cache folder, clips in the user's videos folder.
``--data-dir`` / ``VIDEOSTUDIO_DATA_DIR`` moves everything (clips included)
under one folder, so tests and scripts never touch the user's own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from videostudio import APP_NAME
from videostudio.services.private import new_dir, private_dir

DATA_DIR_ENV = "VIDEOSTUDIO_DATA_DIR"


@dataclass(frozen=True)
class Paths:
    data_dir: Path
    cache_dir: Path
    clips_dir: Path

    @property
    def journal(self) -> Path:
        return self.data_dir / "journal.sqlite3"

    @property
    def settings(self) -> Path:
        return self.data_dir / "settings.ini"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "videostudio.log"

    @property
    def catalogue(self) -> Path:
        return self.cache_dir / "models.json"

    @property
    def simulator_cache(self) -> Path:
        return self.cache_dir / "simulator"

    def for_demo(self) -> Paths:
        """Demo jobs and clips apart from real ones (the simulator's jobs are not billed)."""
        return Paths(self.data_dir / "demo", self.cache_dir / "demo", self.clips_dir / "demo")

    def ensure(self) -> Paths:
        """Make the folders: the data and cache folders private (they hold the prompts),
        the clips folder private when the app creates it."""
        private_dir(self.data_dir)
        private_dir(self.cache_dir)
        new_dir(self.clips_dir)
        return self


def resolve(data_dir: str | os.PathLike[str] | None = None) -> Paths:
    """The folders for this run: an explicit data dir, the environment's, or the platform's."""
    chosen = data_dir or os.environ.get(DATA_DIR_ENV)
    if chosen:
        root = Path(chosen).expanduser().resolve()
        return Paths(data_dir=root, cache_dir=root / "cache", clips_dir=root / "clips")
    from PySide6.QtCore import QCoreApplication, QStandardPaths  # only when really needed

    QCoreApplication.setApplicationName(APP_NAME)
    loc = QStandardPaths.StandardLocation

    def where(kind: QStandardPaths.StandardLocation, fallback: Path) -> Path:
        found = QStandardPaths.writableLocation(kind)
        return Path(found) if found else fallback

    home = Path.home()
    return Paths(
        data_dir=where(loc.AppDataLocation, home / f".{APP_NAME}"),
        cache_dir=where(loc.CacheLocation, home / f".{APP_NAME}" / "cache"),
        clips_dir=where(loc.MoviesLocation, home / "Videos") / APP_NAME,
    )
