"""Server text made safe to show: control characters escaped, never interpreted.

A server's message or a prompt may carry terminal escape sequences or bidi
overrides; printed raw they could repaint the terminal or disguise a line.
"""

from __future__ import annotations

import unicodedata

# Bidi embeddings, overrides and isolates reorder what follows them on screen.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with control characters (and bidi controls) shown as escapes."""
    return "".join(
        _escape(ch) if unicodedata.category(ch) == "Cc" or ch in _BIDI else ch for ch in text
    )


def clip_name(prompt: str, limit: int = 24) -> str:
    """A clip named for people, by the start of its prompt: “A red fox in snow…”."""
    words = printable(" ".join(prompt.split()))
    if not words:
        return "the clip without a prompt"
    if len(words) > limit:
        cut = words[: limit + 1].rsplit(" ", 1)[0] if " " in words[:limit] else words[:limit]
        words = cut.rstrip(" ,.;:") + "…"
    return f"“{words}”"
