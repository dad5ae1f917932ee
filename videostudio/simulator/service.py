"""The simulated video service: catalogue, jobs, their clock, faults and clips.

Pure bookkeeping, no HTTP: ``server.py`` puts it on a socket. Thread-safe,
because the HTTP server answers each connection on its own thread.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import hashlib
import hmac
import itertools
import json
import re
import secrets
import string
import struct
import tempfile
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from email.utils import formatdate
from importlib import resources
from pathlib import Path
from typing import Any

from videostudio.core.media import MAX_VIDEO_BYTES, MediaRejectedError
from videostudio.core.models import (
    COMPLETED,
    EXPIRED,
    FAILED,
    IN_PROGRESS,
    PENDING,
    GenerationRequest,
    VideoModel,
)
from videostudio.core.operations import (
    UPSCALE_SOURCE_SECONDS,
    Operation,
    SourceClip,
    operation_of,
)
from videostudio.core.pricing import estimate_for, frame_size
from videostudio.core.validation import validate_request
from videostudio.services.media import probe
from videostudio.simulator.chat import ChatAnswer, answer, check_chat
from videostudio.simulator.render import ClipSpec, render_clip, render_size

ENDPOINTS = ("submit", "poll", "content", "models", "storage", "chat")
FAULT_KINDS = (
    # the network and the service having a bad day
    "status",
    "reset",
    "truncate",
    "stall",
    "stall_body",
    "malformed",
    "wrong_type",
    "odd_status",
    # a hostile or broken server
    "endless",  # chat: an answer that never ends
    "trickle",
    "huge",
    "gzip_bomb",
    "deep_json",
    "bad_gzip",
    "redirect",
    "lying_length",
    "echo_key",
    "hostile_id",
    "same_id",
    "cut_body",
    "ftyp_garbage",
    "zeros",
    "wrong_range",
    # chat completions: an answer cut mid-stream, a refusal, an empty answer, an error event
    "cut_stream",
    "refusal",
    "empty_answer",
    "stream_error",
)
# Prompt markers that ask the simulator for an unhappy ending (demo and tests).
SIM_IMAGE = "sim-image:"  # how a job remembers an image, audio or video it was sent (SHA-256)
OUTCOME_MARKERS = {"[simulate:failed]": FAILED, "[simulate:expired]": EXPIRED}
# "[simulate:outputs=3]": a job with three outputs (three distinct clips).
OUTPUTS_MARKER = re.compile(r"\[simulate:outputs=([1-8])\]")
FAILURE_MESSAGE = "The provider could not generate this video (simulated failure)."


def load_catalogue() -> list[dict[str, Any]]:
    text = resources.files("videostudio.core").joinpath("catalogue_snapshot.json").read_text()
    return list(json.loads(text)["data"])


@dataclass
class Fault:
    """One scripted misbehaviour, used ``times`` times on matching requests.

    The network and the service:
    status (an error reply: ``status``, optional ``retry_after`` seconds),
    reset (connection reset; on submit, after the job was created), truncate
    (half the body, then close), stall (send nothing for ``stall_s``), stall_body
    (headers and half the clip, then nothing for ``stall_s``), malformed (a 200 with
    broken JSON), wrong_type (a 200 of the wrong type), odd_status (a poll reply with
    a status the docs do not list, and an extra field).

    A hostile or broken server:
    trickle (the reply's headers one byte every ``interval_s``), huge (a JSON reply of
    ``size_mb`` MB, with a Content-Length when ``with_length``), gzip_bomb (a gzip JSON
    reply of about 1 MB that inflates to 1 GiB), deep_json (JSON nested 100,000 deep),
    bad_gzip (a body marked gzip that is not), redirect (a 307 to ``redirect_to``, or
    to itself: a loop), lying_length (a clip announced as 10 GB), echo_key (the caller's
    key sent back: in a \\u-escaped error message on submit and content, in a failed
    job's ``error`` on poll, in a model's description on models), hostile_id (a submit
    or poll reply carrying ``reply_id`` as the job id), same_id (a submit that creates
    a job but replies with the previous job's id), cut_body (40 % of the clip with no
    Content-Length, then close), ftyp_garbage (the clip's ftyp box, then random bytes),
    zeros (``size_mb`` MB of zeros as the clip, no Content-Length), wrong_range (a 206
    that ignores the requested offset: the whole clip, labelled as such).

    Chat completions (endpoint "chat"): cut_stream (half the answer, then the connection
    drops: no [DONE]; not streamed, half the JSON), refusal (the model declines),
    empty_answer (an answer with no text), stream_error (an error event mid-stream, as
    OpenRouter sends when the provider fails after the reply began).
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
    interval_s: float = 2.0  # trickle: seconds between bytes
    size_mb: int = 500  # huge, zeros: how much to send
    with_length: bool = True  # huge: announce the size
    redirect_to: str | None = None  # redirect: where (None: the same URL, a loop)
    reply_id: str | None = None  # hostile_id: the id to reply with
    index: int | None = None  # content, storage: only this output of the job (None: any)

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
    outputs: int = 1
    clips: dict[int, Future[Path]] = field(default_factory=dict)  # output index -> its file
    images: dict[str, Path] = field(default_factory=dict)  # first_frame, last_frame, reference
    owner: str = ""  # a hash of the key that made it: jobs are private to their key
    source: Path | None = None  # the video an extension, edit or upscale works on
    measured: SourceClip | None = None  # that video (or an avatar's audio), as measured


@dataclass(frozen=True)
class ClipFile:
    """A clip as served: its path, size and the validators a resumed download checks."""

    path: Path
    size: int
    etag: str  # strong: the same bytes keep the same tag
    last_modified: str  # an HTTP date


def clip_file(path: Path) -> ClipFile:
    st = path.stat()
    tag = hashlib.sha256(f"{path}:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}".encode())
    return ClipFile(
        path, st.st_size, f'"{tag.hexdigest()[:32]}"', formatdate(st.st_mtime, usegmt=True)
    )


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
        record_requests: bool = True,
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
        self.record_requests = record_requests  # off in the demo: it would only grow
        self.submit_count = 0
        self.chat_count = 0  # chat completions answered (each one billed)
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
            "owner": job.owner,
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
                outputs=_outputs_of(req),
                owner=str(item.get("owner") or ""),
            )
            if job.outcome == COMPLETED:
                job.images = self._frames_of(req)
                job.source = self._source_of(req)
            self.jobs[job.id] = job
            self.submit_count += 1

    # -- faults ------------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def take_fault(
        self, endpoint: str, job_id: str | None = None, index: int | None = None
    ) -> Fault | None:
        """The next scripted fault for this request (of output ``index``, for content),
        consuming one of its uses."""
        with self._lock:
            for fault in self.faults:
                if (
                    fault.endpoint == endpoint
                    and fault.job_id in (None, job_id)
                    and fault.index in (None, index)
                ):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def record(self, entry: dict[str, Any]) -> None:
        if self.record_requests:
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

    def submit(self, body: Any, key: str = "") -> tuple[int, dict[str, Any]]:
        """Validate and create a job for the caller's ``key``; returns (status, JSON body)."""
        if not isinstance(body, dict):
            return 400, error_body(400, "The request body must be a JSON object.")
        try:
            req = GenerationRequest.from_json(body)
        except ValueError as exc:
            return 400, error_body(400, f"Invalid request: {exc}")
        model = self.models.get(req.model)
        if model is None:
            return 404, error_body(404, f"No video model named {req.model!r}.")
        problems = validate_request(req, model)
        if problems:
            first = problems[0]
            return 400, error_body(400, first.message, {"field": first.field})
        owner = _owner(key)
        saved = self._save_media(req)
        req = self._slim(req)  # a job keeps hashes of its media, not megabytes of base64
        try:
            source, measured = self._source(req, model, owner)
        except _RefusedError as refused:
            return refused.status, error_body(refused.status, str(refused), refused.metadata)
        estimate = estimate_for(model, req, measured)
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
                outputs=_outputs_of(req),
                owner=owner,
                source=source,
                measured=measured,
            )
            self.jobs[job_id] = job
            if self.jobs_file is not None:
                self._persist(self.jobs_file, job, req.to_json())
        if outcome == COMPLETED:
            job.images = saved
        return 202, {"id": job_id, "polling_url": f"/api/v1/videos/{job_id}", "status": PENDING}

    def chat(self, body: Any, fault: Fault | None) -> tuple[int, dict[str, Any] | ChatAnswer, bool]:
        """Answer a chat completion: (200, the answer, stream?) or (status, error body, False)."""
        checked = check_chat(body)
        if isinstance(checked, str):
            return 400, error_body(400, checked), False
        model, messages, stream = checked
        kind = fault.kind if fault else None
        call_id = f"gen-{int(time.time())}-{_random_token(20)}"
        reply = answer(
            model, messages, call_id, refuse=kind == "refusal", empty=kind == "empty_answer"
        )
        with self._lock:
            if self.credits_usd is not None and reply.cost > self.credits_usd:
                return 402, error_body(402, "Insufficient credits."), False
            if self.credits_usd is not None:
                self.credits_usd -= reply.cost
            self.chat_count += 1
        return 200, reply, stream

    def _source(
        self, req: GenerationRequest, model: VideoModel, owner: str
    ) -> tuple[Path | None, SourceClip | None]:
        """The video a job works on (or an avatar's audio) and its measure, or _RefusedError."""
        operation = operation_of(model, req)
        if req.previous_job_id is not None:
            path = self._previous_clip(req, owner)
        elif operation in (Operation.EDIT, Operation.UPSCALE, Operation.AVATAR):
            kind = "audio" if operation is Operation.AVATAR else "video"
            found = self._media_path(req.references_of(kind)[0].url)
            if found is None:
                raise _RefusedError(
                    400, f"The {kind} reference could not be fetched.", "input_references"
                )
            path = found
        else:
            return None, None
        try:
            measured = probe(path, need="audio" if operation is Operation.AVATAR else "video")
        except MediaRejectedError as exc:
            raise _RefusedError(
                400, f"The source cannot be used: {exc}", "input_references"
            ) from None
        if operation is Operation.UPSCALE:
            low, high = UPSCALE_SOURCE_SECONDS
            if not low <= measured.seconds <= high or path.stat().st_size > MAX_VIDEO_BYTES:
                raise _RefusedError(
                    400,
                    f"An upscale source is {low:g}-{high:g} s and at most "
                    f"{MAX_VIDEO_BYTES // 2**20} MB; this one is {measured.seconds:g} s.",
                    "input_references",
                )
        return (None if operation is Operation.AVATAR else path), measured

    def _previous_clip(self, req: GenerationRequest, owner: str) -> Path:
        """The clip of the completed job of this key that ``previous_job_id`` names."""
        previous = self.jobs.get(req.previous_job_id or "")
        if previous is None or previous.owner != owner:  # another key's job is not found either
            raise _RefusedError(404, "Video generation job not found", "previous_job_id")
        status = self.status_of(previous)
        if status != COMPLETED:
            raise _RefusedError(
                400,
                f"previous_job_id names a job that is not completed ({status}).",
                "previous_job_id",
            )
        if previous.request.model != req.model:
            raise _RefusedError(
                400,
                f"previous_job_id names a job of {previous.request.model}; a continuation "
                f"runs on the same model.",
                "previous_job_id",
            )
        return self.clip_path(previous)

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
            for index in range(job.outputs):
                self._start_render(job, index)  # ahead of the download that usually follows
            expires = int(time.time() + self.retention_s)
            indexes = range(job.outputs)
            body["generation_id"] = job.generation_id
            body["unsigned_urls"] = [
                f"{api_base}/videos/{job.id}/content?index={i}" for i in indexes
            ]
            if self.storage_base:
                body["urls"] = [self.signed_url(job.id, i, expires) for i in indexes]
                body["expires_at"] = expires
            body["usage"] = {"cost": job.cost, "is_byok": False}
        elif status == FAILED:
            body["error"] = FAILURE_MESSAGE
        elif status == EXPIRED:
            body["error"] = "The generated video has expired and is no longer available."
        return body

    def clip_path(self, job: SimJob, index: int = 0, timeout_s: float = 300) -> Path:
        """The file of output ``index`` (rendered on first use, then cached by content)."""
        return self._start_render(job, index).result(timeout=timeout_s)

    def _start_render(self, job: SimJob, index: int) -> Future[Path]:
        with self._lock:
            if index not in job.clips:
                job.clips[index] = self._renderer.submit(self._render, job, index)
            return job.clips[index]

    def publish(self, files: list[Path]) -> SimJob:
        """A completed job whose outputs are these files (benchmarks, big-file tests)."""
        with self._lock:
            job_id = f"gen-vid-{int(time.time())}-{_random_token(20)}"
            job = SimJob(
                id=job_id,
                request=GenerationRequest(model="google/veo-3.1", prompt="published"),
                created=self.clock() - self.pending_s - self.running_s,
                outcome=COMPLETED,
                cost=0.0,
                generation_id=f"gen-{int(time.time())}-{next(self._ids):06d}",
                outputs=len(files),
            )
            for index, path in enumerate(files):
                done: Future[Path] = Future()
                done.set_result(path)
                job.clips[index] = done
            self.jobs[job_id] = job
        return job

    def last_job_id(self) -> str | None:
        """The id of the job created last (for the same_id fault)."""
        with self._lock:
            return next(reversed(self.jobs), None)

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

    def _save_media(self, req: GenerationRequest) -> dict[str, Path]:
        """Keep the data-URL media of a job: first/last frames and the first image reference
        (which the clip shows), and audio and video (which it is measured from)."""
        saved: dict[str, Path] = {}
        for part in req.images:
            raw = _data_bytes(part.url)
            if raw is None:
                continue  # remote URLs cannot be fetched offline; the clip is drawn without them
            path = self.cache_dir / "frames" / hashlib.sha256(raw).hexdigest()
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                path.write_bytes(raw)
            if part.kind == "image_url":
                saved.setdefault(part.role, path)
        return saved

    @staticmethod
    def _slim(req: GenerationRequest) -> GenerationRequest:
        """``req`` with each data-URL part replaced by ``sim-image:<sha256>``."""
        images = []
        for part in req.images:
            raw = _data_bytes(part.url)
            url = f"{SIM_IMAGE}{hashlib.sha256(raw).hexdigest()}" if raw is not None else part.url
            images.append(dataclasses.replace(part, url=url))
        return dataclasses.replace(req, images=tuple(images))

    def _media_path(self, url: str) -> Path | None:
        if not url.startswith(SIM_IMAGE):
            return None
        path = self.cache_dir / "frames" / url.removeprefix(SIM_IMAGE)
        return path if path.exists() else None

    def _frames_of(self, req: GenerationRequest) -> dict[str, Path]:
        """The saved frames and reference image a reloaded job refers to."""
        found: dict[str, Path] = {}
        for part in req.images:
            path = self._media_path(part.url)
            if path is not None and part.kind == "image_url":
                found.setdefault(part.role, path)
        return found

    def _source_of(self, req: GenerationRequest) -> Path | None:
        """A reloaded job's source video (its previous job's clip, or its video reference)."""
        previous = self.jobs.get(req.previous_job_id or "")
        if previous is not None:
            return self.clip_path(previous)
        videos = req.references_of("video")
        return self._media_path(videos[0].url) if videos else None

    def _render(self, job: SimJob, index: int) -> Path:
        req = job.request
        model = self.models[req.model]
        operation = operation_of(model, req)
        measured = job.measured
        if measured is None and (job.source is not None or operation is Operation.AVATAR):
            measured = job.measured = self._measure_again(job)
        width, height = render_size(*frame_size(req.resolution, req.aspect_ratio, req.size))
        seconds: float = req.duration or (model.supported_durations or (4,))[0]
        if operation is Operation.UPSCALE and measured is not None:
            factor = req.upscale_factor or 1.0
            width = round(measured.width * factor / 2) * 2  # uncapped: the point of it
            height = round(measured.height * factor / 2) * 2
        elif job.source is not None and measured is not None:
            width, height = measured.width, measured.height  # edits and extensions keep the frame
        if operation in (Operation.EDIT, Operation.UPSCALE, Operation.AVATAR) and measured:
            seconds = measured.seconds
        first = job.images.get("first_frame")
        last = job.images.get("last_frame")
        reference = job.images.get("reference")
        prompt = req.prompt or ""
        if job.outputs > 1:  # each output a distinct clip
            prompt = f"{prompt} (output {index + 1} of {job.outputs})"
        spec = ClipSpec(
            width=width,
            height=height,
            duration_s=seconds,
            prompt=prompt,
            model=req.model,
            first_frame=str(first) if first else None,
            last_frame=str(last) if last else None,
            seed=req.seed,
            operation=str(operation),
            source_video=str(job.source) if job.source else None,
            reference_image=str(reference) if reference else None,
        )
        out = self.cache_dir / "clips" / f"{spec.cache_key()}.mp4"
        if not out.exists():
            render_clip(spec, out)
        return out

    def _measure_again(self, job: SimJob) -> SourceClip | None:
        """A reloaded job's source measure (not persisted: the file says it again)."""
        audio = job.request.references_of("audio")
        path = job.source or (self._media_path(audio[0].url) if audio else None)
        try:
            return probe(path) if path is not None else None
        except MediaRejectedError:
            return None

    def close(self) -> None:
        self._renderer.shutdown(wait=True, cancel_futures=True)


class _RefusedError(Exception):
    """A submit the API would answer with an error: status, message, the field at fault."""

    def __init__(self, status: int, message: str, field_name: str) -> None:
        super().__init__(message)
        self.status = status
        self.metadata = {"field": field_name}


def _owner(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _data_bytes(url: str) -> bytes | None:
    """The bytes of a base64 data URL, or None for anything else."""
    head, _, data = url.partition(",")
    if not head.startswith("data:") or ";base64" not in head:
        return None
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


def error_body(code: int, message: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """The documented error envelope."""
    error: dict[str, Any] = {"code": code, "message": message}
    if metadata is not None:
        error["metadata"] = metadata
    return {"error": error}


def sparse_mp4(path: Path, size: int) -> Path:
    """Write an MP4-shaped file of ``size`` bytes (ftyp, moov, a sparse mdat) for big-file tests.

    The mdat is a hole in the file: no disk space and no time to create, yet every
    byte is served and checked like a real clip's.
    """
    ftyp = struct.pack(">I4s4sI4s4s", 24, b"ftyp", b"isom", 512, b"isom", b"mp41")
    moov = struct.pack(">I4s", 16, b"moov") + b"\0" * 8
    mdat_size = size - len(ftyp) - len(moov)
    mdat = struct.pack(">I4sQ", 1, b"mdat", mdat_size)  # 64-bit size: works past 4 GiB
    with path.open("wb") as f:
        f.write(ftyp + moov + mdat)
        f.truncate(size)
    return path


def _outputs_of(req: GenerationRequest) -> int:
    marker = OUTPUTS_MARKER.search(req.prompt or "")
    return int(marker.group(1)) if marker else 1


@functools.lru_cache(maxsize=1)
def gzip_bomb(decoded_mib: int = 1024) -> bytes:
    """A valid gzip of a JSON object padded to ``decoded_mib`` MiB: about 1 KB per MiB.

    Each MiB of padding is compressed after a full flush, which resets the
    compressor, so every MiB compresses to the same bytes and the bomb is built by
    repetition in a fraction of a second instead of compressing a GiB.
    """
    head, block, tail = b'{"padding": "', b" " * (1 << 20), b'"}'
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = deflate.compress(head) + deflate.flush(zlib.Z_FULL_FLUSH)
    segment = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    last = deflate.compress(tail) + deflate.flush()
    crc = zlib.crc32(head)
    for _ in range(decoded_mib):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + decoded_mib * len(block) + len(tail)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    trailer = struct.pack("<II", crc, size & 0xFFFFFFFF)
    return header + first + segment * decoded_mib + last + trailer


def _random_token(n: int) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(n))
