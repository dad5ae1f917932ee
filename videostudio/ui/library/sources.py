"""The library's sources over the journal: pages, counts, models and batches, by SQLite."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from videostudio.core.jobs import JobRecord
from videostudio.core.library import LibraryQuery
from videostudio.services import library
from videostudio.services.journal import Journal


@dataclass(frozen=True)
class JournalSources:
    """What LibraryPanel asks for, answered by services.library over one journal."""

    journal: Journal

    def pages(self, query: LibraryQuery, offset: int, limit: int) -> list[JobRecord]:
        return library.find(self.journal, replace(query, offset=offset, limit=limit))

    def count(self, query: LibraryQuery) -> int:
        return library.count(self.journal, query)

    def models(self) -> list[str]:
        return library.models_used(self.journal)

    def batch(self, name: str) -> list[int]:
        """A batch's jobs in the order they were made (for "batch · 3 of 8")."""
        query = LibraryQuery(batch=name, sort="date", descending=False)
        return [r.local_id for r in library.find(self.journal, query)]


class BackendSources:
    """The same answers for whichever journal the window shows now (demo or live); none
    while no backend is open."""

    def __init__(self, journal: Callable[[], Journal | None]) -> None:
        self._journal = journal

    def _sources(self) -> JournalSources | None:
        journal = self._journal()
        return JournalSources(journal) if journal is not None else None

    def pages(self, query: LibraryQuery, offset: int, limit: int) -> list[JobRecord]:
        sources = self._sources()
        return sources.pages(query, offset, limit) if sources else []

    def count(self, query: LibraryQuery) -> int:
        sources = self._sources()
        return sources.count(query) if sources else 0

    def models(self) -> list[str]:
        sources = self._sources()
        return sources.models() if sources else []

    def batch(self, name: str) -> list[int]:
        sources = self._sources()
        return sources.batch(name) if sources else []
