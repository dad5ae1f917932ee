"""Saved clips on disk: where a job's file goes, its JSON sidecar, and a validity check.

The sidecar keeps everything needed to understand or recreate a clip without
the app: prompt, model, every parameter, seed, job id, cost and timestamps.
Image inputs are described (role, type, size, SHA-256), not embedded.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from videostudio import __version__
from videostudio.core.jobs import JobRecord
from videostudio.core.naming import clip_file_name

SIDECAR_VERSION = 1


def clip_path(record: JobRecord, clips_dir: Path) -> Path:
    """The final path for a job's clip (inside ``clips_dir``, whatever the server said)."""
    name = clip_file_name(record.prompt, record.job_id or str(record.local_id), record.created_at)
    path = (clips_dir / name).resolve()
    if path.parent != clips_dir.resolve():  # belt and braces: names are sanitised already
        raise ValueError(f"refusing a clip path outside {clips_dir}")
    return path


def sidecar_path(clip: Path) -> Path:
    return clip.with_suffix(".json")


def is_valid_clip(path: Path) -> bool:
    """A non-empty MP4 (an ``ftyp`` box first), as the download left it."""
    try:
        with path.open("rb") as f:
            head = f.read(12)
    except OSError:
        return False
    return len(head) >= 12 and head[4:8] == b"ftyp"


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat() if ts else None


def _describe_images(request: dict[str, Any]) -> list[dict[str, Any]]:
    described = []
    parts = [(p, str(p.get("frame_type"))) for p in request.get("frame_images") or []]
    parts += [(p, "reference") for p in request.get("input_references") or []]
    for part, role in parts:
        url = str((part.get("image_url") or {}).get("url", ""))
        item: dict[str, Any] = {"role": role}
        head, sep, data = url.partition(",")
        if url.startswith("data:") and sep:
            raw = base64.b64decode(data, validate=False)
            item.update(
                type=head[5:].split(";")[0],
                bytes=len(raw),
                sha256=hashlib.sha256(raw).hexdigest(),
            )
        else:
            item["url"] = url
        described.append(item)
    return described


def sidecar(record: JobRecord) -> dict[str, Any]:
    """The sidecar's content for a saved job."""
    request = record.request
    return {
        "videostudio_sidecar": SIDECAR_VERSION,
        "app_version": __version__,
        "prompt": record.prompt,
        "model": record.model,
        "parameters": record.parameters(),
        "seed": request.get("seed"),
        "images": _describe_images(request),
        "job_id": record.job_id,
        "cost_usd": record.cost_usd,
        "estimate_usd": record.estimate_usd,
        "created_at": _iso(record.created_at),
        "submitted_at": _iso(record.submitted_at),
        "completed_at": _iso(record.finished_at),
        "saved_at": _iso(record.saved_at),
        "file": Path(record.path).name if record.path else None,
    }


def write_sidecar(record: JobRecord, clip: Path) -> Path:
    """Write ``clip``'s sidecar atomically (temp file, fsync, rename)."""
    target = sidecar_path(clip)
    tmp = target.with_name(target.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(sidecar(record), f, indent=2, ensure_ascii=False)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, target)
    return target
