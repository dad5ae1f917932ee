"""What the library shows: a query over saved clips and running jobs (search, filter, sort)."""

from __future__ import annotations

from dataclasses import dataclass

from videostudio.core.jobs import JobRecord

SORTS = ("date", "cost", "model")
# Longer search text is cut here: no prompt is longer (core/validation.MAX_PROMPT_CHARS).
MAX_SEARCH_CHARS = 10_000


def search_key(text: str) -> str:
    """The search text as it is matched: trimmed, cut to a prompt's length, case-folded."""
    return text.strip()[:MAX_SEARCH_CHARS].casefold()


def text_matches(key: str, prompt: str | None, model: str | None, seed: object) -> bool:
    """THE search rule (``key`` from ``search_key``), used by the SQL list (as a function
    registered on the journal's connection) and by the live update alike: the prompt or the
    model contains it, case-folded (so "STRASSE" finds "straße"), or it is the seed."""
    if not key:
        return True
    return (
        key in (prompt or "").casefold()
        or key in (model or "").casefold()
        or (seed is not None and str(seed) == key)
    )


@dataclass(frozen=True)
class LibraryQuery:
    """Text matches the prompt, the model or the seed; the rest narrow and order the list."""

    text: str = ""
    model: str | None = None
    states: tuple[str, ...] | None = None  # None: every state
    favourites: bool = False
    since: float | None = None  # created at or after (epoch seconds)
    until: float | None = None  # created before
    batch: str | None = None
    sort: str = "date"
    descending: bool = True
    include_deleted: bool = False
    limit: int | None = None
    offset: int = 0

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}")

    def matches(self, record: JobRecord) -> bool:
        """This query's rule for one record (the SQL list's, in Python), so a job that
        arrives live is shown only when the list would show it."""
        if record.deleted_at is not None and not self.include_deleted:
            return False
        if not text_matches(search_key(self.text), record.prompt, record.model, record.seed):
            return False
        if self.model and record.model != self.model:
            return False
        if self.states is not None and record.state not in self.states:
            return False
        if self.favourites and not record.favourite:
            return False
        if self.since is not None and record.created_at < self.since:
            return False
        if self.until is not None and record.created_at >= self.until:
            return False
        return self.batch is None or record.batch == self.batch
