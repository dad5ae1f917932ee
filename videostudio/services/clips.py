"""Saved clips on disk: where a job's files go, their JSON sidecar, and the proof check.

The sidecar keeps everything needed to understand or recreate a clip without
the app: prompt, model, every parameter, seed, job id, cost and timestamps.
Image inputs are described (role, type, size, SHA-256), not embedded.

A file at a clip's path counts as that clip only when its size and SHA-256 match
what the journal recorded when it was downloaded: nothing else already at the
destination is trusted, or replaced: a taken name makes the clip take a free one
(``boat-2.mp4``), and a sidecar is written only over a sidecar of the app's own,
known by its content.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from videostudio import __version__
from videostudio.core.jobs import SAVED, JobRecord, Output
from videostudio.core.naming import clip_file_name
from videostudio.services.images import ImageStore

SIDECAR_VERSION = 1
SIDECAR_MAX_BYTES = 4 << 20  # far more than any sidecar (a prompt is 10,000 characters)


def clip_path(record: JobRecord, clips_dir: Path) -> Path:
    """The final path for a job's clip (inside ``clips_dir``, whatever the server said)."""
    name = clip_file_name(record.prompt, record.job_id or str(record.local_id), record.created_at)
    path = (clips_dir / name).resolve()
    if path.parent != clips_dir.resolve():  # belt and braces: names are sanitised already
        raise ValueError(f"refusing a clip path outside {clips_dir}")
    return path


def output_path(first: Path, index: int) -> Path:
    """Output 0 is ``first``; the job's further outputs are ``name-2.mp4``, ``name-3.mp4``..."""
    return first if index == 0 else first.with_name(f"{first.stem}-{index + 1}{first.suffix}")


def partial_path(dest: Path, job_id: str) -> Path:
    """Where ``dest`` is written until checked: hidden, beside it, and named for this job,
    so a partial file left by another job is never continued."""
    tag = hashlib.sha256(job_id.encode()).hexdigest()[:12]
    return dest.with_name(f".{dest.name}.{tag}.part")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def matches(path: Path, output: Output) -> bool:
    """True when ``path`` holds exactly the recorded output (size first: it is cheap)."""
    try:
        return path.stat().st_size == output.size and file_sha256(path) == output.sha256
    except OSError:
        return False


def changed_files(record: JobRecord) -> list[str]:
    """The outputs of ``record`` that exist but are not the file saved (size or SHA-256
    differ): something else took their place, and it may be the user's."""
    return [
        o.path for o in record.outputs if os.path.lexists(o.path) and not matches(Path(o.path), o)
    ]


def file_missing(record: JobRecord) -> bool:
    """True for a saved clip none of whose files is there any more."""
    paths = [o.path for o in record.outputs] or ([record.path] if record.path else [])
    return record.state == SAVED and bool(paths) and not any(os.path.exists(p) for p in paths)


def sidecar_path(clip: Path) -> Path:
    return clip.with_suffix(".json")


def numbered(path: Path, n: int) -> Path:
    """``boat.mp4`` -> ``boat-2.mp4`` (n = 2), ``boat-3.mp4``..."""
    return path if n == 1 else path.with_name(f"{path.stem}-{n}{path.suffix}")


def free_name(first: Path, record: JobRecord) -> Path:
    """``first``, or the first of ``boat-2.mp4``, ``boat-3.mp4``... where every output of
    ``record`` and its sidecar can go without replacing a file the app did not write for
    this job (its own outputs, checked by size and SHA-256, and its own sidecar are kept)."""
    count = max(record.output_count or 1, 1)
    recorded = {o.path: o for o in record.outputs}

    def ours(path: Path) -> bool:
        output = recorded.get(str(path))
        if output is not None:
            return matches(path, output)
        return path.suffix == ".json" and is_our_sidecar(path, record.job_id)

    n = 1
    while True:
        candidate = numbered(first, n)
        wanted = [output_path(candidate, i) for i in range(count)] + [sidecar_path(candidate)]
        if all(ours(p) for p in wanted if os.path.lexists(p)):
            return candidate
        n += 1


def free_file(path: Path) -> Path:
    """``path``, or the first free one of ``name-2.ext``, ``name-3.ext``..."""
    n = 1
    while os.path.lexists(numbered(path, n)):
        n += 1
    return numbered(path, n)


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat() if ts else None


def _describe_images(request: dict[str, Any], images: ImageStore | None) -> list[dict[str, Any]]:
    described = []
    parts = [(p, str(p.get("frame_type"))) for p in request.get("frame_images") or []]
    parts += [(p, "reference") for p in request.get("input_references") or []]
    for part, role in parts:
        kind = next((k for k in ("image_url", "audio_url", "video_url") if k in part), "image_url")
        url = str((part.get(kind) or {}).get("url", ""))
        if images is not None:
            described.append({"role": role, **images.describe(url)})
        else:
            described.append({"role": role, "url": url[:200]})
    return described


def sidecar(record: JobRecord, images: ImageStore | None = None) -> dict[str, Any]:
    """The sidecar's content for a saved job."""
    request = record.request
    return {
        "videostudio_sidecar": SIDECAR_VERSION,
        "app_version": __version__,
        "prompt": record.prompt,
        "model": record.model,
        "parameters": record.parameters(),
        "seed": request.get("seed"),
        "images": _describe_images(request, images),
        "job_id": record.job_id,
        "source_job": (
            {"local_id": record.source_job, "operation": record.operation}
            if record.source_job is not None
            else None
        ),
        "cost_usd": record.cost_usd,
        "estimate_usd": record.estimate_usd,
        "created_at": _iso(record.created_at),
        "submitted_at": _iso(record.submitted_at),
        "completed_at": _iso(record.finished_at),
        "saved_at": _iso(record.saved_at),
        "file": Path(record.path).name if record.path else None,
        "outputs": [
            {"index": o.index, "file": Path(o.path).name, "bytes": o.size, "sha256": o.sha256}
            for o in record.outputs
        ],
    }


class NotOurFileError(FileExistsError):
    """A file the app did not write is where it would write; it is left alone."""


def is_our_sidecar(path: Path, job_id: str | None = None) -> bool:
    """True when ``path`` is a sidecar this app wrote (known by its content, not its name),
    of job ``job_id`` when given."""
    try:
        with path.open("rb") as f:
            data = f.read(SIDECAR_MAX_BYTES + 1)
        value = json.loads(data) if len(data) <= SIDECAR_MAX_BYTES else None
    except (OSError, ValueError, RecursionError):
        return False
    if not isinstance(value, dict) or not isinstance(value.get("videostudio_sidecar"), int):
        return False
    return job_id is None or value.get("job_id") == job_id


def write_sidecar(record: JobRecord, clip: Path, images: ImageStore | None = None) -> Path:
    """Write ``clip``'s sidecar atomically (temp file, fsync, rename), readable by the user
    only (it holds the prompt). Raises NotOurFileError rather than replace a file there that
    is not one of this app's sidecars."""
    target = sidecar_path(clip)
    if os.path.lexists(target) and not is_our_sidecar(target):
        raise NotOurFileError(f"{target.name} is not a file videostudio wrote; it was kept")
    text = json.dumps(sidecar(record, images), indent=2, ensure_ascii=False) + "\n"
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(text.encode("utf-8", "backslashreplace"))  # a lone surrogate stays an escape
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, target)
    return target
