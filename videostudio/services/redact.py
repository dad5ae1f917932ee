"""Keeps secrets out of logs: a logging filter that blanks every registered secret.

The client never logs headers, and errors never carry them, but a key pasted
into the wrong field or echoed by a server would still reach a log line;
this is the last line of defence.
"""

from __future__ import annotations

import logging
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

from videostudio.services.private import private_file

MASK = "[redacted]"
_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(secret: str | None) -> None:
    """Blank ``secret`` in every log record from now on (short strings are ignored)."""
    if secret and len(secret.strip()) >= 8:
        with _lock:
            _secrets.add(secret.strip())


def redact(text: str) -> str:
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Attach to handlers: rewrites the formatted message and any traceback text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _secrets:
            return True
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            record.exc_text = None
        record.msg, record.args = redact(text), None
        return True


class _PrivateLog(RotatingFileHandler):
    """The log file, readable by its owner only (it names jobs and files), after each
    rotation too."""

    def _open(self) -> Any:
        private_file(Path(self.baseFilename))
        return super()._open()


def configure_logging(log_file: str | None, *, verbose: bool = False) -> None:
    """Log to ``log_file`` (INFO) and to stderr (warnings, or everything when verbose)."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    handlers: list[logging.Handler] = []
    if log_file:
        handlers.append(_PrivateLog(log_file, maxBytes=2_000_000, backupCount=2))
    stderr = logging.StreamHandler()
    stderr.setLevel(logging.DEBUG if verbose else logging.WARNING)
    handlers.append(stderr)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    # httpx logs every request line at INFO; keep it for the file, it carries no headers.
    logging.getLogger("httpcore").setLevel(logging.WARNING)
