"""A job as this app keeps it: its local state, from "queued" to "saved".

The API only knows jobs it has accepted. Locally a job starts earlier
(queued, then submitting, before any id exists) and ends later (saved, once
the clip is on disk and checked). The journal stores these records; the
queue panel and the CLI show them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from videostudio.core.models import CANCELLED, COMPLETED, EXPIRED, FAILED, IN_PROGRESS, PENDING

QUEUED = "queued"  # journaled, not sent: safe to send
SUBMITTING = "submitting"  # the POST is (or was) on its way
UNKNOWN = "unknown"  # sent, no reply: may have been created; never resent by itself
REJECTED = "rejected"  # the server refused the submit: nothing was created
DOWNLOADING = "downloading"  # completed on the server, the file is on its way
NOT_SAVED = "not_saved"  # completed and paid for, but the file could not be written (disk...)
SAVED = "saved"  # every output is on disk and matches its recorded size and hash
STOPPED = "stopped"  # the user stopped watching (the job may still run and be billed)

# States nothing more happens to without the user (NOT_SAVED is tried again at the next start).
FINAL_STATES = frozenset({REJECTED, SAVED, STOPPED, FAILED, CANCELLED, EXPIRED, UNKNOWN})
# States that are watched (polled or downloaded) until they end.
WATCHED_STATES = frozenset({PENDING, IN_PROGRESS, COMPLETED, DOWNLOADING})

LABELS = {
    QUEUED: "Queued",
    SUBMITTING: "Submitting",
    UNKNOWN: "May have been submitted",
    REJECTED: "Refused",
    PENDING: "Pending",
    IN_PROGRESS: "In progress",
    COMPLETED: "Completed",
    DOWNLOADING: "Downloading",
    NOT_SAVED: "Not saved",
    SAVED: "Saved",
    STOPPED: "Stopped watching",
    FAILED: "Failed",
    CANCELLED: "Cancelled",
    EXPIRED: "Expired",
}


def state_label(state: str) -> str:
    """Words for a state; an unknown server status is shown as it came."""
    return LABELS.get(state, state.replace("_", " ").capitalize())


@dataclass(frozen=True)
class Output:
    """One saved output file of a job, with the proof that it is the one downloaded."""

    index: int
    path: str
    size: int
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "path": self.path, "size": self.size, "sha256": self.sha256}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Output:
        return cls(int(data["index"]), str(data["path"]), int(data["size"]), str(data["sha256"]))


@dataclass(frozen=True)
class JobRecord:
    """One row of the journal. ``request`` is the POST body exactly as sent (or to be sent)."""

    local_id: int
    state: str
    model: str
    prompt: str
    request: dict[str, Any]
    job_id: str | None = None
    remote_status: str | None = None
    error: str | None = None
    error_kind: str | None = None  # see core.failures
    error_field: str | None = None  # the request field a refusal concerns, when known
    estimate_usd: float | None = None
    cost_usd: float | None = None
    path: str | None = None  # where the clip (output 0) is or will be saved
    size_bytes: int | None = None
    outputs: tuple[Output, ...] = ()  # every output saved so far, with size and SHA-256
    output_count: int | None = None  # how many outputs the server reported
    note: str | None = None  # something the user should know that is not an error
    seed: int | None = None  # the seed sent (the app picks one when the user did not)
    favourite: bool = False
    deleted_at: float | None = None  # moved to the trash by the user; the row stays as a record
    restored: bool = False  # from a backup: history, not driven until the user releases it
    retried_as: int | None = None  # the local id of the job that sent this one again
    over_budget: bool = False  # the user chose to send it past a budget cap, that once
    batch: str | None = None
    source_job: int | None = None  # the local job this one works on (extend, edit, upscale)
    operation: str | None = None  # how: a core.operations.Operation value
    created_at: float = 0.0
    submitted_at: float | None = None
    finished_at: float | None = None  # the server reported a terminal state
    saved_at: float | None = None
    updated_at: float = 0.0

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def missing_outputs(self) -> int:
        """How many outputs of a saved job could not be fetched (gone from the server)."""
        if self.state != SAVED or not self.output_count:
            return 0
        return max(self.output_count - len(self.outputs), 0)

    @property
    def label(self) -> str:
        missing = self.missing_outputs
        if missing:
            return f"Saved, {missing} of {self.output_count} outputs missing"
        return state_label(self.state)

    def with_(self, **changes: Any) -> JobRecord:
        return replace(self, **changes)

    def parameters(self) -> dict[str, Any]:
        """The request's generation parameters, without the model, prompt and images."""
        skip = {"model", "prompt", "frame_images", "input_references"}
        return {k: v for k, v in self.request.items() if k not in skip}

    def image_roles(self) -> list[str]:
        roles = [str(i.get("frame_type")) for i in self.request.get("frame_images") or []]
        return roles + ["reference"] * len(self.request.get("input_references") or [])


def saving_again(started: list[JobRecord]) -> str:
    """What a start says about the paid jobs it tries to save again ("" when none): each
    is tried once per start, while the server may still have the result."""
    ids = [r.local_id for r in started if r.state == NOT_SAVED]
    if not ids:
        return ""
    if len(ids) == 1:
        return f"Saving job {ids[0]} again: it was paid for but not saved."
    listed = ", ".join(str(i) for i in ids)
    return f"Saving jobs {listed} again: they were paid for but not saved."
