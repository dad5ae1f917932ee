"""Reading replies that may be hostile: bounded decoding, bounded JSON, the key scrubbed.

A server (or anything posing as one) can send a reply of gigabytes, a gzip bomb
(1 MB on the wire, 1 GiB decoded), JSON nested 100,000 deep or the API key echoed
back. Everything here counts DECODED bytes against a cap and stops there, turns every
decoding failure into ResponseFormatError, and replaces the key in every string of a
decoded JSON reply, so nothing past this module can hold it.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from videostudio.api.errors import ResponseFormatError

JSON_CAP = 4 << 20  # poll replies and the model list (the live catalogue is about 60 KiB)
ERROR_CAP = 16 << 10  # error bodies: a message and a little metadata
MAX_JSON_DEPTH = 64  # the API's replies nest 4 levels deep
REDACTED = "[redacted]"
MIN_SECRET = 8  # shorter "keys" would scrub ordinary words


class BoundedBody:
    """Decodes a body (identity, gzip or deflate) into at most ``cap`` bytes.

    ``feed`` takes the bytes as they came off the wire and returns False once the body
    is over the cap: with ``truncate`` the first ``cap`` bytes are kept and reading
    should stop; without it ResponseFormatError is raised. zlib is asked for at most
    ``cap + 1`` bytes per call, so a bomb never inflates past the cap in memory.
    """

    def __init__(self, encoding: str | None, cap: int, *, truncate: bool = False) -> None:
        coding = (encoding or "identity").strip().lower()
        if coding not in ("identity", "gzip", "x-gzip", "deflate"):
            raise ResponseFormatError(f"The reply uses an unsupported encoding ({coding[:40]}).")
        self._coding = coding
        self._cap = cap
        self._truncate = truncate
        self._raw_cap = cap + (64 << 10)  # compressed data is never much larger than its output
        self._raw = 0
        self._out = bytearray()
        self._zlib: Any = self._decompressor() if coding != "identity" else None
        self._raw_deflate_tried = False
        self.complete = False  # True when the cap was reached (truncate mode)

    def _decompressor(self) -> Any:
        if self._coding == "deflate":
            return zlib.decompressobj(zlib.MAX_WBITS)  # zlib-wrapped, as RFC 9110 says
        return zlib.decompressobj(16 + zlib.MAX_WBITS)

    def feed(self, raw: bytes) -> bool:
        """Add wire bytes; False when nothing more should be read."""
        self._raw += len(raw)
        if self._raw > self._raw_cap and not self._truncate:
            raise self._too_large()
        if self._zlib is None:
            return self._keep(raw)
        data = raw
        while data:
            room = self._cap - len(self._out) + 1
            try:
                out = self._zlib.decompress(data, room)
            except zlib.error:
                if self._coding == "deflate" and not self._raw_deflate_tried and not self._out:
                    # Some servers send raw deflate without the zlib wrapper.
                    self._raw_deflate_tried = True
                    self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise ResponseFormatError("The reply's compressed data is corrupt.") from None
            if not self._keep(out):
                return False
            data = self._zlib.unconsumed_tail
            if self._zlib.eof:
                data = self._zlib.unused_data  # the next gzip member, if any
                if data:
                    self._zlib = self._decompressor()
        return self._raw <= self._raw_cap

    def _keep(self, out: bytes) -> bool:
        if len(self._out) + len(out) > self._cap:
            if not self._truncate:
                raise self._too_large()
            self._out += out[: self._cap - len(self._out)]
            self.complete = True
            return False
        self._out += out
        return True

    def _too_large(self) -> ResponseFormatError:
        return ResponseFormatError(
            f"The reply is larger than any the API sends (over {self._cap >> 10} KiB); "
            "it was not read."
        )

    def value(self) -> bytes:
        """The decoded body; raises when a compressed body stopped in the middle."""
        cut = self._zlib is not None and not self._zlib.eof and (self._raw or self._out)
        if cut and not self._truncate:
            raise ResponseFormatError("The reply's compressed data is cut short.")
        return bytes(self._out)


def parse_json(data: bytes, secret: str | None) -> Any:
    """Parse a reply's JSON and scrub ``secret`` from every string in it.

    Raises ResponseFormatError for invalid or absurdly nested JSON; json's own
    RecursionError and UnicodeDecodeError never escape.
    """
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        raise ResponseFormatError("The server's reply is not valid JSON.") from None
    return scrub(value, secret)


def scrub(value: Any, secret: str | None, depth: int = 0) -> Any:
    """``value`` with ``secret`` replaced in every string (keys included), at any depth."""
    if depth > MAX_JSON_DEPTH:
        raise ResponseFormatError("The server's reply is nested too deeply to be an API reply.")
    if isinstance(value, str):
        return scrub_text(value, secret)
    if isinstance(value, list):
        return [scrub(v, secret, depth + 1) for v in value]
    if isinstance(value, dict):
        return {scrub_text(str(k), secret): scrub(v, secret, depth + 1) for k, v in value.items()}
    return value


def scrub_text(text: str, secret: str | None) -> str:
    """``text`` with ``secret`` (a key of at least 8 characters) replaced."""
    if secret and len(secret) >= MIN_SECRET and secret in text:
        return text.replace(secret, REDACTED)
    return text


def secret_tail(text: str, secret: str | None) -> int:
    """How many characters at the end of ``text`` begin ``secret`` (a key cut off there,
    or not yet all arrived); 0 when none, or fewer than MIN_SECRET."""
    if not secret or len(secret) < MIN_SECRET:
        return 0
    for n in range(min(len(secret) - 1, len(text)), MIN_SECRET - 1, -1):
        if text.endswith(secret[:n]):
            return n
    return 0


def scrub_cut(text: str, secret: str | None) -> str:
    """``text`` scrubbed, also of a key cut off at its end (a body read up to a cap)."""
    text = scrub_text(text, secret)
    tail = secret_tail(text, secret)
    return text[: len(text) - tail] + REDACTED if tail else text


def quote_header(value: str | None, secret: str | None, limit: int = 80) -> str:
    """A header value from the server, fit to quote in an error message."""
    text = scrub_text(value or "", secret)
    text = "".join(c if c.isprintable() else "?" for c in text)
    return repr(text[:limit] + ("..." if len(text) > limit else ""))
