"""The simulated video service: catalogue, jobs, their clock, faults and clips.

Pure bookkeeping, no HTTP: ``server.py`` puts it on a socket. Thread-safe,
because the HTTP server answers each connection on its own thread.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import itertools
import json
import secrets
import string
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from videostudio.core.models import (
    COMPLETED,
    EXPIRED,
    FAILED,
    IN_PROGRESS,
    PENDING,
    GenerationRequest,
    VideoModel,
)
from videostudio.core.pricing import estimate_for, frame_size
from videostudio.core.validation import validate_request
from videostudio.simulator.render import ClipSpec, render_clip, render_size

ENDPOINTS = ("submit", "poll", "content", "models", "storage")
FAULT_KINDS = ("status", "reset", "truncate", "stall", "malformed", "wrong_type", "odd_status")
# Prompt markers that ask the simulator for an unhappy ending (demo and tests).
OUTCOME_MARKERS = {"[simulate:failed]": FAILED, "[simulate:expired]": EXPIRED}
FAILURE_MESSAGE = "The provider could not generate this video (simulated failure)."


def load_catalogue() -> list[dict[str, Any]]:
    text = resources.files("videostudio.core").joinpath("catalogue_snapshot.json").read_text()
    return list(json.loads(text)["data"])


@dataclass
class Fault:
    """One scripted misbehaviour, used ``times`` times on matching requests.

    kind: status (an error reply: ``status``, optional ``retry_after`` seconds),
    reset (connection reset; on submit, after the job was created), truncate
    (half the body, then close), stall (send nothing for ``stall_s``),
    malformed (a 200 with broken JSON), wrong_type (a 200 of the wrong type),
    odd_status (a poll reply with a status the docs do not list, and an extra field).
    """

    endpoint: str
    kind: str
    status: int = 500
    retry_after: float | None = None
    stall_s: float = 30.0
    times: int = 1
    job_id: str | None = None
    message: str | None = None  # the error message, for kind "status"
    field: str | None = None  # error.metadata.field, for kind "status"

    def __post_init__(self) -> None:
        if self.endpoint not in ENDPOINTS or self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {self.endpoint}/{self.kind}")


@dataclass
class SimJob:
    id: str
    request: GenerationRequest
    created: float
    outcome: str
    cost: float | None
    generation_id: str
    clip: Future[Path] | None = None
    images: dict[str, Path] = field(default_factory=dict)


class Simulator:
    """An OpenRouter-compatible video service in memory.

    ``pending_s`` / ``running_s`` set how long a job stays in each state on
    ``clock`` (0 and 0 complete a job by its first poll). ``api_key`` set means
    only that key is accepted; otherwise any non-empty Bearer key is.
    """

    def __init__(
        self,
        *,
        pending_s: float = 0.0,
        running_s: float = 0.0,
        api_key: str | None = None,
        clock: Callable[[], float] = time.time,
        cache_dir: Path | None = None,
        credits_usd: float | None = None,
        retention_s: float = 24 * 3600,
        jobs_file: Path | None = None,
    ) -> None:
        self.pending_s = pending_s
        self.running_s = running_s
        self.api_key = api_key
        self.clock = clock
        self.credits_usd = credits_usd
        self.retention_s = retention_s
        self.jobs_file = jobs_file  # one JSON line per created job; reloaded on start
        self.cache_dir = cache_dir or Path(tempfile.gettempdir()) / "videostudio-simulator"
        self.catalogue = load_catalogue()
        self.models = {m["id"]: VideoModel.from_json(m) for m in self.catalogue}
        self.jobs: dict[str, SimJob] = {}
        self.faults: list[Fault] = []
        self.requests: list[dict[str, Any]] = []  # every request seen, for tests
        self.submit_count = 0
        self.signing_secret = secrets.token_bytes(16)
        self.storage_base: str | None = None  # set by the server when it has a storage host
        self._lock = threading.Lock()
        self._renderer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sim-render")
        self._ids = itertools.count(1)
        if jobs_file is not None:
            self._load(jobs_file)

    # -- persistence (the demo and the standalone server survive restarts) --------------

    @staticmethod
    def _persist(path: Path, job: SimJob, body: dict[str, Any]) -> None:
        line = {
            "id": job.id,
            "request": body,
            "created": job.created,
            "outcome": job.outcome,
            "cost": job.cost,
            "generation_id": job.generation_id,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")

    def _load(self, path: Path) -> None:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return
        for line in lines:
            try:
                item = json.loads(line)
                req = GenerationRequest.from_json(item["request"])
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a kill
            job = SimJob(
                item["id"],
                req,
                float(item["created"]),
                item["outcome"],
                item["cost"],
                item["generation_id"],
            )
            if job.outcome == COMPLETED:
                job.images = self._save_frames(req)
            self.jobs[job.id] = job
            self.submit_count += 1

    # -- faults ------------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def take_fault(self, endpoint: str, job_id: str | None = None) -> Fault | None:
        """The next scripted fault for this request, consuming one of its uses."""
        with self._lock:
            for fault in self.faults:
                if fault.endpoint == endpoint and fault.job_id in (None, job_id):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(entry)

    # -- auth ------------------------------------------------------------------------

    def check_auth(self, header: str | None) -> str | None:
        """None when authorised, else the 401 message."""
        if not header or not header.startswith("Bearer ") or not header[7:].strip():
            return "Missing Authentication header"
        if self.api_key is not None and not hmac.compare_digest(header[7:].strip(), self.api_key):
            return "Invalid API key"
        return None

    # -- jobs ------------------------------------------------------------------------

    def submit(self, body: Any) -> tuple[int, dict[str, Any]]:
        """Validate and create a job; returns (status, JSON body)."""
        if not isinstance(body, dict):
            return 400, error_body(400, "The request body must be a JSON object.")
        try:
            req = GenerationRequest.from_json(body)
        except ValueError as exc:
            return 400, error_body(400, f"Invalid request: {exc}")
        model = self.models.get(req.model)
        if model is None:
            return 404, error_body(404, f"No video model named {req.model!r}.")
        if not model.generates_from_prompt and req.previous_job_id is None:
            return 400, error_body(400, f"{model.name} edits existing videos and needs a source.")
        problems = validate_request(req, model)
        if problems:
            first = problems[0]
            return 400, error_body(400, first.message, {"field": first.field})
        estimate = estimate_for(model, req)
        with self._lock:
            if self.credits_usd is not None and (estimate.usd or 0) > self.credits_usd:
                return 402, error_body(
                    402, "Insufficient credits. Add more using https://openrouter.ai/credits"
                )
            if self.credits_usd is not None:
                self.credits_usd -= estimate.usd or 0
            self.submit_count += 1
            job_id = f"gen-vid-{int(time.time())}-{_random_token(20)}"
            outcome = next(
                (o for marker, o in OUTCOME_MARKERS.items() if marker in (req.prompt or "")),
                COMPLETED,
            )
            job = SimJob(
                id=job_id,
                request=req,
                created=self.clock(),
                outcome=outcome,
                cost=estimate.usd,
                generation_id=f"gen-{int(time.time())}-{next(self._ids):06d}",
            )
            self.jobs[job_id] = job
            if self.jobs_file is not None:
                self._persist(self.jobs_file, job, body)
        if outcome == COMPLETED:
            job.images = self._save_frames(req)
        return 202, {"id": job_id, "polling_url": f"/api/v1/videos/{job_id}", "status": PENDING}

    def status_of(self, job: SimJob) -> str:
        age = self.clock() - job.created
        if age < self.pending_s:
            return PENDING
        if age < self.pending_s + self.running_s:
            return IN_PROGRESS
        if job.outcome == COMPLETED and age > self.pending_s + self.running_s + self.retention_s:
            return EXPIRED
        return job.outcome

    def job_body(self, job: SimJob, api_base: str) -> dict[str, Any]:
        status = self.status_of(job)
        body: dict[str, Any] = {
            "id": job.id,
            "polling_url": f"/api/v1/videos/{job.id}",
            "status": status,
        }
        if status == COMPLETED:
            self._start_render(job)  # ahead of the download that usually follows
            expires = int(time.time() + self.retention_s)
            body["generation_id"] = job.generation_id
            body["unsigned_urls"] = [f"{api_base}/videos/{job.id}/content?index=0"]
            if self.storage_base:
                body["urls"] = [self.signed_url(job.id, 0, expires)]
                body["expires_at"] = expires
            body["usage"] = {"cost": job.cost, "is_byok": False}
        elif status == FAILED:
            body["error"] = FAILURE_MESSAGE
        elif status == EXPIRED:
            body["error"] = "The generated video has expired and is no longer available."
        return body

    def clip_path(self, job: SimJob, timeout_s: float = 300) -> Path:
        return self._start_render(job).result(timeout=timeout_s)

    def _start_render(self, job: SimJob) -> Future[Path]:
        with self._lock:
            if job.clip is None:
                job.clip = self._renderer.submit(self._render, job)
            return job.clip

    # -- signed storage URLs -------------------------------------------------------------

    def signed_url(self, job_id: str, index: int, expires: int) -> str:
        sig = self._sign(f"{job_id}/{index}/{expires}")
        return f"{self.storage_base}/signed/{job_id}/{index}.mp4?expires={expires}&sig={sig}"

    def check_signature(self, job_id: str, index: int, expires: str, sig: str) -> bool:
        if not expires.isdigit() or int(expires) < time.time():
            return False
        return hmac.compare_digest(self._sign(f"{job_id}/{index}/{expires}"), sig)

    def _sign(self, text: str) -> str:
        return hmac.new(self.signing_secret, text.encode(), hashlib.sha256).hexdigest()[:32]

    # -- clips -----------------------------------------------------------------------------

    def _save_frames(self, req: GenerationRequest) -> dict[str, Path]:
        """Keep first/last frame images sent as data URLs, for the clip to show."""
        saved: dict[str, Path] = {}
        for part in req.frame_images:
            head, _, data = part.url.partition(",")
            if not head.startswith("data:image/") or ";base64" not in head:
                continue  # remote URLs cannot be fetched offline; the clip is drawn without them
            try:
                raw = base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                continue
            path = self.cache_dir / "frames" / hashlib.sha256(raw).hexdigest()
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                path.write_bytes(raw)
            saved[part.role] = path
        return saved

    def _render(self, job: SimJob) -> Path:
        req = job.request
        width, height = render_size(*frame_size(req.resolution, req.aspect_ratio, req.size))
        model = self.models[req.model]
        first = job.images.get("first_frame")
        last = job.images.get("last_frame")
        spec = ClipSpec(
            width=width,
            height=height,
            duration_s=req.duration or (model.supported_durations or (4,))[0],
            prompt=req.prompt or "",
            model=req.model,
            first_frame=str(first) if first else None,
            last_frame=str(last) if last else None,
        )
        out = self.cache_dir / "clips" / f"{spec.cache_key()}.mp4"
        if not out.exists():
            render_clip(spec, out)
        return out

    def close(self) -> None:
        self._renderer.shutdown(wait=True, cancel_futures=True)


def error_body(code: int, message: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """The documented error envelope."""
    error: dict[str, Any] = {"code": code, "message": message}
    if metadata is not None:
        error["metadata"] = metadata
    return {"error": error}


def _random_token(n: int) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(n))
