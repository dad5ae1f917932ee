"""What is true about the connection right now, in words for the status bar, banners and notes.

Built only from answers the service gave (the model list, the key check,
polls, submits): having a key proves nothing, so a live connection starts as
"connecting" until something answers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from videostudio.core import failures
from videostudio.core.catalogue import CACHED, SNAPSHOT
from videostudio.core.failures import Failure, sentences

DEMO = "demo"
CONNECTING = "connecting"
CONNECTED = "connected"
UNREACHABLE = "unreachable"
KEY_REFUSED = "key_refused"


def service_name(base_url: str) -> str:
    """ "OpenRouter" for openrouter.ai, else the host (and port) the app really talks to."""
    parts = urlsplit(base_url)
    host = parts.hostname or base_url
    if host == "openrouter.ai" or host.endswith(".openrouter.ai"):
        return "OpenRouter"
    return parts.netloc or host


@dataclass(frozen=True)
class Link:
    """The connection to one backend. ``reachable`` and ``key_ok`` are None until known."""

    demo: bool = True
    base_url: str = ""
    reachable: bool | None = None
    key_ok: bool | None = None
    key_problem: str = ""  # the server's words when it refused the key
    retry_at: float = 0.0  # when the next try to reach it is due (clock time; 0 = none)

    def with_(self, **changes: Any) -> Link:
        if changes.get("reachable") is True or changes.get("key_ok") is not None:
            changes.setdefault("retry_at", 0.0)
        if changes.get("key_ok") is True:
            changes.setdefault("key_problem", "")
        return replace(self, **changes)

    @property
    def service(self) -> str:
        return "the built-in simulator" if self.demo else service_name(self.base_url)

    @property
    def state(self) -> str:
        if self.demo:
            return DEMO
        if self.key_ok is False:
            return KEY_REFUSED
        if self.reachable is False:
            return UNREACHABLE
        if self.reachable and self.key_ok:
            return CONNECTED
        return CONNECTING

    @property
    def status(self) -> str:
        """The status bar's permanent words."""
        name = self.service
        other = "" if name == "OpenRouter" else " (not openrouter.ai)"
        return {
            DEMO: "Demo mode: built-in simulator, nothing is billed",
            KEY_REFUSED: f"{name} refused the API key",
            UNREACHABLE: f"{name} can't be reached",
            CONNECTED: f"Connected to {name}{other}",
            CONNECTING: f"Connecting to {name}{other}…",
        }[self.state]

    @property
    def offline_text(self) -> str:
        if self.demo or self.reachable is not False:
            return ""
        return (
            f"{self.service} can't be reached. Jobs you start are journaled and sent when "
            "it is back; running jobs continue by themselves."
        )

    @property
    def key_text(self) -> str:
        if self.demo or self.key_ok is not False:
            return ""
        return sentences(
            f"{self.service} refused the API key:",
            self.key_problem or "the key is not valid",
            "Jobs waiting for it continue once a working key is saved",
        )

    def waiting_words(self, failure: Failure) -> str:
        """Why a journaled job is not sent yet, for the status bar."""
        if failure.kind == failures.OFFLINE:
            return f"The job is journaled and will be sent when {self.service} can be reached."
        return sentences(
            f"{self.service} asked to wait:",
            failure.message,
            "The job is journaled and will be sent by itself",
        )

    def catalog_note(
        self, source: str, snapshot_of: str, fetched_at: float | None, failure: Failure | None
    ) -> str:
        """The note under the model picker: where the list comes from, while it is not live."""
        if source == SNAPSHOT:
            said = f"Showing the built-in model list ({snapshot_of or 'shipped'})"
            if failure is None:
                return f"{said} until {self.service} sends the current one."
            changed = f"{said}; models and prices may have changed since"
            return sentences(changed, self._why_not(failure))
        if source == CACHED:
            if failure is None:
                return "Updating the model list…"
            when = time.strftime("%d %b %Y", time.localtime(fetched_at or 0))
            return sentences(f"Showing the model list saved on {when}", self._why_not(failure))
        return "" if failure is None else self._why_not(failure)

    def _why_not(self, failure: Failure) -> str:
        if failure.kind == failures.OFFLINE:
            return f"It updates when {self.service} can be reached."
        return f"Could not update the model list: {sentences(failure.message)}"
