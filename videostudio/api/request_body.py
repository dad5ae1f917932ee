"""A request's JSON body, sent as a stream in which big plain strings are not copied.

A job with a big image carries it as a base64 data URL of tens of MB. ``json.dumps``
then ``.encode()`` would hold two more copies of it for the whole submit; here the
JSON around such strings is encoded once (small), and each big string is encoded
piece by piece as it is sent. The bytes on the wire are exactly ``json.dumps(value)``'s.

This is where every request body is made, so it is also where strict JSON is kept:
no NaN or Infinity, no text that is not UTF-8 (RequestBodyError, before anything is sent).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

from videostudio.api.errors import RequestBodyError

PIECE = 1 << 20  # bytes (or characters of a big string) sent at a time
BIG = 1 << 20  # strings at least this long are spliced in, not copied
# Characters json.dumps writes as they are (a data URL's): such a string needs no escaping.
_PLAIN = re.compile(r"[A-Za-z0-9+/=:;,._-]*")


def _swap(node: Any, marker: str, big: list[str]) -> Any:
    """``node`` with each big plain string moved to ``big`` and a numbered marker left.

    A plain function: a recursive closure would be a reference cycle holding the strings
    until the cyclic collector ran (the very copies this module avoids)."""
    if isinstance(node, dict):
        return {_utf8(k): _swap(v, marker, big) for k, v in node.items()}
    if isinstance(node, list):
        return [_swap(v, marker, big) for v in node]
    if isinstance(node, str) and len(node) >= BIG and _PLAIN.fullmatch(node):
        big.append(node)
        return f"{marker}{len(big) - 1}."  # the dot ends the number (1 is not 10)
    return _utf8(node) if isinstance(node, str) else node


def _utf8(text: Any) -> Any:
    if isinstance(text, str):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise RequestBodyError(
                "The request has text that is not valid UTF-8; it was not sent."
            ) from None
    return text


class JsonBody:
    """The JSON text of ``value`` as parts: encoded text, and big strings kept as they are."""

    def __init__(self, value: Any) -> None:
        marker = f"videostudio-{uuid.uuid4().hex}-"
        big: list[str] = []
        try:
            text = json.dumps(_swap(value, marker, big), allow_nan=False)
        except RequestBodyError:
            raise
        except ValueError:
            raise RequestBodyError(
                "The request has a number that is not finite (NaN or infinity); it was not sent."
            ) from None
        self._parts: list[bytes | str] = []
        for index, string in enumerate(big):
            before, text = text.split(f"{marker}{index}.", 1)
            self._parts += [before.encode(), string]
        self._parts.append(text.encode())
        self.length = sum(len(part) for part in self._parts)  # big strings are ASCII

    async def pieces(self) -> AsyncIterator[bytes]:
        """The body, at most PIECE bytes at a time (a fresh stream for each attempt)."""
        for part in self._parts:
            for start in range(0, len(part), PIECE):
                piece = part[start : start + PIECE]
                yield piece.encode("ascii") if isinstance(piece, str) else piece
