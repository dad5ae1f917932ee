"""File names built from prompts and server data, made safe for every file system.

A job id or prompt comes from outside; it must never steer a path (``../``,
``/``, drive letters, NUL, reserved Windows names) or make one too long.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

_UNSAFE = re.compile(r"[^\w\-]+")
_WINDOWS_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(10)),
    *(f"lpt{i}" for i in range(10)),
}


def safe_component(text: str, max_len: int = 48, fallback: str = "clip") -> str:
    """One safe path component: letters, digits, '-' and '_' only, never empty or '.'/'..'."""
    text = unicodedata.normalize("NFKC", text)
    slug = _UNSAFE.sub("-", text).strip("-_").lower()[:max_len].strip("-_")
    if not slug or slug in _WINDOWS_RESERVED:
        return fallback
    return slug


def clip_file_name(prompt: str, job_id: str, created_at: float) -> str:
    """``20261125-131500-a-paper-boat-abcd1234.mp4``: sortable, readable, unique per job."""
    stamp = datetime.fromtimestamp(created_at, UTC).strftime("%Y%m%d-%H%M%S")
    tail = safe_component(job_id, max_len=64, fallback="job")[-8:]
    return f"{stamp}-{safe_component(prompt, 40)}-{tail}.mp4"
