"""What the library shows: a query over saved clips and running jobs (search, filter, sort)."""

from __future__ import annotations

from dataclasses import dataclass

SORTS = ("date", "cost", "model")


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
