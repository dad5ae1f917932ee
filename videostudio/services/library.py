"""The clip library: queries over the journal, done by SQLite (indexes, paging), not in Python.

Searching matches the prompt, the model and the seed; filters narrow by state,
model, date, batch and favourites; deleted clips stay in the journal as a record
but are left out unless asked for.
"""

from __future__ import annotations

from typing import Any

from videostudio.core.jobs import STOPPED, JobRecord
from videostudio.core.library import LibraryQuery, search_key
from videostudio.core.spend import NOT_BILLED_STATES
from videostudio.services.journal import Journal

_UNBILLED = ",".join(f"'{s}'" for s in sorted(NOT_BILLED_STATES))
_ORDER = {
    "date": "created_at",
    # core.spend.sorting_cost in SQL: an unbilled job (failed, expired, never sent) is $0.
    "cost": (
        f"COALESCE(cost_usd, CASE WHEN state IN ({_UNBILLED}) OR (state = '{STOPPED}'"
        " AND submitted_at IS NULL) THEN 0 ELSE COALESCE(estimate_usd, 0) END)"
    ),
    "model": "model COLLATE NOCASE",
}


def _where(query: LibraryQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if not query.include_deleted:
        clauses.append("deleted_at IS NULL")
    key = search_key(query.text)
    if key:
        # core's rule itself (the journal registers it), not LIKE: one rule for the list and
        # the live update, and no "pattern too complex" for long text.
        clauses.append("text_matches(?, prompt, model, seed)")
        params.append(key)
    if query.model:
        clauses.append("model = ?")
        params.append(query.model)
    if query.states is not None:
        clauses.append(f"state IN ({','.join('?' * len(query.states))})")
        params += list(query.states)
    if query.favourites:
        clauses.append("favourite = 1")
    if query.since is not None:
        clauses.append("created_at >= ?")
        params.append(query.since)
    if query.until is not None:
        clauses.append("created_at < ?")
        params.append(query.until)
    if query.batch is not None:
        clauses.append("batch = ?")
        params.append(query.batch)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def find(journal: Journal, query: LibraryQuery) -> list[JobRecord]:
    where, params = _where(query)
    direction = "DESC" if query.descending else "ASC"
    order = f"{_ORDER[query.sort]} {direction}, local_id {direction}"
    sql = f"SELECT * FROM jobs{where} ORDER BY {order}"  # noqa: S608 (fixed fragments)
    if query.limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [query.limit, query.offset]
    return journal.select(sql, params)


def count(journal: Journal, query: LibraryQuery) -> int:
    where, params = _where(query)
    return int(journal.scalar(f"SELECT count(*) FROM jobs{where}", params))  # noqa: S608


def models_used(journal: Journal) -> list[str]:
    """Every model with a clip in the library, for the model filter."""
    rows = journal.select_values("SELECT DISTINCT model FROM jobs WHERE deleted_at IS NULL")
    return sorted(str(r) for r in rows)
