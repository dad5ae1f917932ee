"""OpenRouter's chat completions (POST /chat/completions) on the video client's connection.

The same key and origin rules as the video calls (the key only to the API origin,
scrubbed from every reply). An answer is paid for, so nothing is resent; it is read
as server-sent events with bounded memory (an event, and the answer, each have a cap),
and an answer that stops before its ``[DONE]`` is a ReplyCutError: a part of an
answer is never handed back as if it were the whole.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from videostudio.api.bodies import (
    ERROR_CAP,
    JSON_CAP,
    parse_json,
    quote_header,
    scrub_text,
    secret_tail,
)
from videostudio.api.client import (
    VideoClient,
    _never_sent,
    _read_bounded,
    _transport_error,
    raw_pieces,
)
from videostudio.api.errors import (
    APITimeoutError,
    ReplyCutError,
    ResponseFormatError,
    error_for_status,
)
from videostudio.api.transfer import status_error

MAX_ANSWER_CHARS = 32_000  # far more than any prompt; a longer answer is not one
MAX_EVENT_BYTES = 256 << 10  # one server-sent event (a chunk of a few words, or usage)
MAX_MODEL_CHARS = 200  # the model the server says answered: a name, not a payload
TextCallback = Callable[[str], None]


@dataclass(frozen=True)
class ChatAnswer:
    """A whole answer: its text (or the model's refusal), why it ended, and its usage."""

    text: str
    refusal: str | None
    finish_reason: str | None
    cost: float | None  # usage.cost in USD, when the server reported it
    prompt_tokens: int | None
    completion_tokens: int | None
    model: str


class _Answer:
    """An answer being put together from a reply's chunks (streamed or not)."""

    def __init__(self, model: str, on_text: TextCallback | None) -> None:
        self.model = model
        self.secret: str | None = None  # the key the question carried, scrubbed from the text
        self.text: list[str] = []
        self.size = 0
        self.refusal: list[str] = []
        self.finish: str | None = None
        self.usage: dict[str, Any] = {}
        self._on_text = on_text

    def add(self, chunk: Any, part: str) -> None:
        """Take in one chunk (``part``: "delta" when streamed, "message" when not)."""
        if not isinstance(chunk, dict):
            raise ResponseFormatError("An answer chunk is not a JSON object.")
        error = chunk.get("error")
        if isinstance(error, dict):
            code = error.get("code")
            status = code if isinstance(code, int) and 400 <= code < 600 else 502
            raise error_for_status(status, str(error.get("message", "")), {"error": error})
        said = chunk.get("model")
        if isinstance(said, str) and 0 < len(said) <= MAX_MODEL_CHARS and said.isprintable():
            self.model = said
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            raise ResponseFormatError("An answer chunk has no 'choices' array.")
        for choice in choices[:1]:
            body = choice.get(part) if isinstance(choice, dict) else None
            if not isinstance(body, dict):
                raise ResponseFormatError(f"An answer's choice has no '{part}'.")
            if isinstance(choice.get("finish_reason"), str):
                self.finish = choice["finish_reason"]
            if isinstance(body.get("refusal"), str):
                self.refusal.append(body["refusal"])
            content = body.get("content")
            if isinstance(content, str) and content:
                self.size += len(content)
                if self.size > MAX_ANSWER_CHARS:
                    raise ResponseFormatError(
                        f"The answer is longer than {MAX_ANSWER_CHARS:,} characters; not read."
                    )
                self.text.append(content)
                if self._on_text is not None:
                    self._on_text(self._shown())

    def _shown(self) -> str:
        """The text so far, scrubbed of the key, less an end that may be the key's start
        (a key split across chunks is scrubbed only once it is whole)."""
        text = self._scrubbed(self.text)
        return text[: len(text) - secret_tail(text, self.secret)]

    def _scrubbed(self, parts: list[str]) -> str:
        # A lone surrogate (a \\ud800 escape) cannot be shown, stored or printed.
        text = "".join(parts).encode("utf-8", "replace").decode("utf-8")
        return scrub_text(text, self.secret)

    def whole(self) -> ChatAnswer:
        def count(name: str) -> int | None:
            value = self.usage.get(name)
            return value if isinstance(value, int) else None

        cost = self.usage.get("cost")
        return ChatAnswer(
            text=self._scrubbed(self.text),
            refusal=self._scrubbed(self.refusal) or None,
            finish_reason=self.finish,
            cost=float(cost) if isinstance(cost, (int, float)) and cost >= 0 else None,
            prompt_tokens=count("prompt_tokens"),
            completion_tokens=count("completion_tokens"),
            model=self.model,
        )


class _Events:
    """The data of each server-sent event in a byte stream (comments skipped), bounded."""

    def __init__(self) -> None:
        self._line = bytearray()
        self._data: list[bytes] = []
        self._size = 0

    def feed(self, raw: bytes) -> list[bytes]:
        done: list[bytes] = []
        self._line += raw
        while (end := _line_end(self._line)) >= 0:
            line = bytes(self._line[:end])
            del self._line[: end + (self._line[end : end + 2] == b"\r\n") + 1]
            if not line:
                if self._data:
                    done.append(b"\n".join(self._data))
                self._data, self._size = [], 0
            elif line.startswith(b"data:"):
                value = line[5:].removeprefix(b" ")
                self._data.append(value)
                self._size += len(value)
        if len(self._line) + self._size > MAX_EVENT_BYTES:
            raise ResponseFormatError(
                f"An event of the answer is larger than {MAX_EVENT_BYTES >> 10} KiB; not read."
            )
        return done


def _took(events: list[bytes], answer: _Answer, secret: str | None) -> bool:
    """Add the events' chunks to ``answer``; True at [DONE] (what follows is not read)."""
    for data in events:
        if data.strip() == b"[DONE]":
            return True
        answer.add(parse_json(data, secret), "delta")
    return False


def _line_end(buffer: bytearray) -> int:
    """Where the first whole line ends (LF, CRLF or a lone CR, as the SSE format allows);
    -1 while none has (a CR last may be the start of a CRLF)."""
    lf, cr = buffer.find(b"\n"), buffer.find(b"\r")
    if cr < 0 or 0 <= lf < cr:
        return lf
    return cr if cr + 1 < len(buffer) else -1


class ChatClient:
    """Chat completions through a VideoClient (its connection pool, key and origin)."""

    def __init__(self, client: VideoClient) -> None:
        self._client = client

    async def complete(
        self,
        model: str,
        messages: list[dict[str, str]],
        *,
        stream: bool = True,
        max_tokens: int | None = None,
        on_text: TextCallback | None = None,
    ) -> ChatAnswer:
        """One answer; ``on_text`` hears the text so far as it streams in; ``max_tokens``
        caps its length (and so its cost).

        Raises the client's errors: APIStatusError subclasses for error replies (or an
        error event mid-stream), ReplyCutError when the answer stopped early,
        APIConnectionError / APITimeoutError, ResponseFormatError for a reply that is
        not an answer.
        """
        body: dict[str, Any] = {"model": model, "messages": messages, "stream": stream}
        if max_tokens is not None:
            body["max_tokens"] = max_tokens  # bounds what one answer can cost
        accept = "text/event-stream" if stream else "application/json"
        deadline = self._client.timeouts.chat
        answer = _Answer(model, on_text)
        try:
            async with (
                asyncio.timeout(deadline),
                self._client.open_post("/chat/completions", body, accept=accept, call="chat") as (
                    resp,
                    secret,
                ),
            ):
                answer.secret = secret
                await self._read(resp, secret, answer)
        except TimeoutError:
            raise APITimeoutError(f"The assistant did not answer within {deadline:g} s.") from None
        except httpx.TransportError as exc:
            if _never_sent(exc):
                raise _transport_error(exc, "Asking the assistant") from None
            raise ReplyCutError(
                f"The connection broke before the answer was complete ({type(exc).__name__})."
            ) from None
        except httpx.HTTPError as exc:
            raise ResponseFormatError(
                f"The assistant's reply could not be read ({type(exc).__name__})."
            ) from None
        return answer.whole()

    @staticmethod
    async def _read(resp: httpx.Response, secret: str | None, answer: _Answer) -> None:
        if resp.has_redirect_location:
            location = quote_header(resp.headers.get("location"), secret)
            raise ResponseFormatError(
                f"The server redirected the question to {location}; the redirect was not followed."
            )
        if not 200 <= resp.status_code < 300:
            body = await _read_bounded(resp, ERROR_CAP, truncate=True)
            raise status_error(resp.status_code, body, resp.headers, secret)
        coding = resp.headers.get("content-encoding", "identity").strip().lower()
        if coding != "identity":
            raise ResponseFormatError(f"The answer came compressed ({quote_header(coding, None)}).")
        ctype = resp.headers.get("content-type", "")
        if ctype.startswith("text/event-stream"):
            # Stop at [DONE]: a server that keeps sending after it cannot hold a whole
            # answer hostage; the call's deadline ends one that never gets there.
            events = _Events()
            async with raw_pieces(resp) as pieces:
                async for raw in pieces:
                    if _took(events.feed(raw), answer, secret):
                        return
            if _took(events.feed(b"\n"), answer, secret):  # a last line ended by a lone CR
                return
            raise ReplyCutError("The answer stopped before its end; it was not used.")
        if "json" not in ctype:
            shown = quote_header(ctype, secret) if ctype else "no type"
            raise ResponseFormatError(f"The server replied with {shown} instead of an answer.")
        answer.add(
            parse_json(await _read_bounded(resp, JSON_CAP, truncate=False), secret), "message"
        )
