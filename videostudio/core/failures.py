"""What went wrong, in the terms a user acts on (not HTTP codes).

The services turn API errors into a Failure; the window turns a Failure into
an action: open the key dialog, point at the credits page, mark a control.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

AUTH = "auth"  # 401: the key is missing or wrong
CREDITS = "credits"  # 402: not enough credits
FORBIDDEN = "forbidden"  # 403
INVALID = "invalid"  # 400: a parameter; ``field`` names it when known
TOO_LARGE = "too_large"  # 413: usually the images
NOT_FOUND = "not_found"  # 404
GONE = "gone"  # 410: the output is no longer available
RATE_LIMITED = "rate_limited"  # 429
SERVER = "server"  # 5xx
OFFLINE = "offline"  # the server could not be reached
BAD_REPLY = "bad_reply"  # the reply was not what the API documents
LOCAL = "local"  # a folder not writable...
BUDGET = "budget"  # not sent: it would break a budget cap (or its price is unknown under one)
DISK_FULL = "disk_full"  # no space left to save a paid clip
UNEXPECTED = "unexpected"  # a bug or a surprise; the job is retried, never dropped

CREDITS_URL = "https://openrouter.ai/credits"

HINTS = {
    AUTH: "Check the API key in Settings.",
    CREDITS: f"Add credits at {CREDITS_URL}.",
    FORBIDDEN: "This key may not use this model.",
    TOO_LARGE: "Use fewer or smaller images.",
    RATE_LIMITED: "Too many requests; it will retry by itself.",
    SERVER: "The service had a problem; it will retry by itself.",
    OFFLINE: "No connection; it will retry by itself.",
}


_URL = re.compile(r"https?://[^\s<>]+[^\s<>.,;:!?)]")


def sentences(*parts: str) -> str:
    """Join a server's message and our hints as full sentences, each said once.

    Every part ends with a full stop unless it has its own (a part ending in ":"
    leads into the next); empty parts, a part already said, and a part that
    only repeats a web address already given are left out; a part that starts
    with the one before replaces it.
    """
    said: list[str] = []
    for raw in parts:
        part = raw.strip()
        text = " ".join(said)
        core = part.rstrip(".!?:").strip().casefold()
        if not core or core in text.casefold():
            continue
        urls = _URL.findall(part)
        if urls and all(url in text for url in urls):
            continue
        if said and part.casefold().startswith(said[-1].rstrip(".!?:").casefold()):
            said.pop()  # "Stopped watching" + "Stopped watching. The API...": say it once
        said.append(part if part.endswith((".", "!", "?", ":", "…")) else part + ".")
    return " ".join(said)


@dataclass(frozen=True)
class Failure:
    """A problem with a kind (what to do), the server's own words, and the field it concerns."""

    kind: str
    message: str
    field: str | None = None
    retry_in: float | None = None

    @property
    def hint(self) -> str:
        return HINTS.get(self.kind, "")

    @property
    def transient(self) -> bool:
        """True when waiting may fix it (the services retry by themselves)."""
        return self.kind in (RATE_LIMITED, SERVER, OFFLINE, BAD_REPLY)

    def __str__(self) -> str:
        return sentences(self.message, self.hint)
