"""What a card says about a job: its badge, its details line, its files (no painting here).

Pure functions of a JobRecord, its transient Activity and the time, so the
texts are tested without a window and the delegate only paints them.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime

from videostudio.core.failures import sentences
from videostudio.core.jobs import (
    DOWNLOADING,
    NOT_SAVED,
    QUEUED,
    REJECTED,
    SAVED,
    STOPPED,
    SUBMITTING,
    UNKNOWN,
    JobRecord,
    state_label,
)
from videostudio.core.library import LibraryQuery
from videostudio.core.models import CANCELLED, COMPLETED, EXPIRED, FAILED, IN_PROGRESS, PENDING
from videostudio.core.operations import lineage_text
from videostudio.core.spend import cost_text, sorting_cost
from videostudio.services.activity import Activity
from videostudio.ui.widgets.fit import Part, join

# The state filter's groups (chips): what a user means by "running" or "failed".
RUNNING_STATES = (QUEUED, SUBMITTING, PENDING, IN_PROGRESS, COMPLETED, DOWNLOADING)
FAILED_STATES = (FAILED, REJECTED, EXPIRED, CANCELLED, NOT_SAVED, UNKNOWN)
STATE_GROUPS: dict[str, tuple[str, ...] | None] = {
    "all": None,
    "saved": (SAVED,),
    "running": RUNNING_STATES,
    "failed": FAILED_STATES,
}

# Badge tones: the delegate blends each with the palette (never a fixed colour).
OK, BUSY, WARN, BAD, NEUTRAL = "ok", "busy", "warn", "bad", "neutral"
_TONES = {SAVED: OK, STOPPED: NEUTRAL, CANCELLED: BAD, **dict.fromkeys(RUNNING_STATES, BUSY)}


@dataclass(frozen=True)
class Timed:
    """An Activity and when it arrived, so a "retrying in N s" counts down as time passes."""

    activity: Activity
    at: float


def badge(
    record: JobRecord, timed: Timed | None, now: float, *, missing: bool = False
) -> tuple[str, str]:
    """The state pill's words and tone: "Downloading 40 %", "Retrying in 12 s", "Saved"...;
    "File missing" for a saved clip whose file is gone (``missing``)."""
    if missing and record.state == SAVED:
        return "File missing", BAD
    activity = timed.activity if timed is not None else None
    if activity is not None and activity.failure is not None and timed is not None:
        wait = activity.failure.retry_in
        if wait is None:
            return "Retrying", WARN
        left = max(0, math.ceil(wait - (now - timed.at)))
        return (f"Retrying in {left} s" if left else "Retrying now"), WARN
    if record.state == DOWNLOADING and activity is not None and activity.fraction is not None:
        return f"Downloading {int(activity.fraction * 100)} %", BUSY
    if record.missing_outputs:  # short for the pill; the tooltip and the CLI say it whole
        return f"Saved, {record.missing_outputs} of {record.output_count} missing", WARN
    return state_label(record.state), _TONES.get(record.state, BAD)


def is_live(record: JobRecord, timed: Timed | None) -> bool:
    """True while the card's text changes with time (a job running or waiting to retry)."""
    return not record.is_final or timed is not None


def short_model(model: str) -> str:
    """ "google/veo-3.1-fast" -> "veo-3.1-fast": the vendor is noise on a small card."""
    return model.rsplit("/", 1)[-1]


def when_text(stamp: float, now: float) -> str:
    """14:05 today, "27 Nov" this year, "27 Nov 2025" before."""
    then, today = datetime.fromtimestamp(stamp), datetime.fromtimestamp(now)
    if then.date() == today.date():
        return then.strftime("%H:%M")
    if then.year == today.year:
        return f"{then.day} {then.strftime('%b')}"
    return f"{then.day} {then.strftime('%b %Y')}"


def meta_parts(record: JobRecord, now: float) -> list[Part]:
    """The secondary line's parts: model · duration · seed · cost · date; the duration,
    seed and cost are figures (kept whole when the card is narrow)."""
    duration = record.request.get("duration")
    added = "+" if record.operation == "extend" else ""  # an extension adds to its source
    parts = [
        (short_model(record.model), False),
        (f"{added}{duration} s" if duration else "", True),
        (f"seed {record.seed}" if record.seed is not None else "", True),
        (cost_text(record), True),
        (when_text(record.created_at, now), False),
    ]
    return [p for p in parts if p[0]]


def meta_text(record: JobRecord, now: float) -> str:
    return join(meta_parts(record, now))


def tooltip_text(record: JobRecord) -> str:
    """The whole prompt, and what went wrong when something did."""
    lines = [record.prompt or "(no prompt)", "", f"{record.model} — {record.label}"]
    if record.source_job is not None:
        lines.append(lineage_text(record.source_job, record.operation).capitalize())
    if record.error and record.state != SAVED:
        lines.append(record.error)
    if record.note:
        lines.append(record.note)
    return "\n".join(lines)


def files(record: JobRecord) -> list[str]:
    """Every saved output file of a saved job (output 0 first); [] otherwise."""
    if record.state != SAVED:
        return []
    if record.outputs:
        return [o.path for o in sorted(record.outputs, key=lambda o: o.index)]
    return [record.path] if record.path else []


def main_file(record: JobRecord) -> str | None:
    """Output 0 of a saved job: what plays, what the thumbnail shows."""
    found = files(record)
    return found[0] if found else None


def sort_key(query: LibraryQuery, record: JobRecord) -> tuple[float | str, int]:
    """Where the query's ORDER BY (services/library.py) puts a record, ascending."""
    if query.sort == "cost":
        return (sorting_cost(record), record.local_id)
    if query.sort == "model":
        return (record.model.casefold(), record.local_id)
    return (record.created_at, record.local_id)


def midnight(now: float) -> float:
    """The start of today, local time."""
    day = datetime.fromtimestamp(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return day.timestamp()


DATE_RANGES = ("all", "today", "7 days", "30 days")


def since_for(date_range: str, now: float | None = None) -> float | None:
    """The ``since`` of a date filter choice."""
    now = time.time() if now is None else now
    if date_range == "today":
        return midnight(now)
    if date_range == "7 days":
        return now - 7 * 86400
    if date_range == "30 days":
        return now - 30 * 86400
    return None


def labelled(label: str, detail: str) -> str:
    """ "Label: detail", without saying the label twice when the detail starts with it."""
    if detail.casefold().startswith(label.casefold()):
        return sentences(detail)
    return f"{label}: {sentences(detail)}"


def status_line(record: JobRecord, timed: Timed | None, now: float) -> str:
    """A job's state in a sentence, with the reason and a live countdown ("Completed —
    retrying in 12 s: …"); shown under the player for the chosen job."""
    activity = timed.activity if timed is not None else None
    if activity is not None and activity.failure is not None and timed is not None:
        wait = (activity.failure.retry_in or 0) - (now - timed.at)
        when = f"retrying in {wait:.0f} s" if wait >= 0.5 else "retrying now"
        return f"{record.label} — {when}: {sentences(activity.failure.message)}"
    if record.error and record.state != SAVED:
        return labelled(record.label, record.error)
    if record.note:
        return labelled(record.label, record.note)
    if record.remote_status and record.remote_status not in (record.state, "completed"):
        return f"{record.label} ({record.remote_status})"  # a status the docs do not list
    return record.label


def elapsed_text(record: JobRecord, now: float) -> str:
    """m:ss since the job was sent (or made); it keeps counting until the clip is saved."""
    start = record.submitted_at or record.created_at
    end = None  # still going (downloading included): count up to now
    if record.state == SAVED:
        end = record.saved_at
    elif record.is_final:
        end = record.finished_at or record.updated_at
    seconds = max(0, int((end or now) - start))
    return f"{seconds // 60}:{seconds % 60:02d}"
