"""Chat completions: the simulator answers like OpenRouter (the official SDK is the judge),
and our chat client reads its answers, streamed or not, and refuses broken ones."""

from __future__ import annotations

import asyncio
import gc
import json
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from openrouter import OpenRouter, errors
from openrouter.utils import BackoffStrategy, RetryConfig

from videostudio.api.bodies import ERROR_CAP
from videostudio.api.chat import MAX_EVENT_BYTES, ChatClient
from videostudio.api.client import Timeouts, VideoClient
from videostudio.api.errors import (
    APITimeoutError,
    AuthenticationError,
    BadGatewayError,
    BadRequestError,
    ReplyCutError,
    ResponseFormatError,
)
from videostudio.simulator.chat import REFUSAL, rewrite
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Fault, Simulator

MODEL = "google/gemini-2.5-flash-lite"
GUIDANCE = "Rewrite the prompt.\n- camera: slow dolly-in, crane up\n- avoid: on-screen text, logos"
MESSAGES = [
    {"role": "system", "content": GUIDANCE},
    {"role": "user", "content": "a red fox  trots through snow"},
]
EXPECTED = "A red fox trots through snow. Camera: slow dolly-in. Avoid: on-screen text."


def _sdk(server: SimulatorServer, **kw: Any) -> OpenRouter:
    return OpenRouter(
        server_url=server.base_url,
        retry_config=RetryConfig("none", BackoffStrategy(1, 1, 1, 1), False),
        **kw,
    )


def test_the_rewrite_follows_the_prompt_and_its_guidance() -> None:
    assert rewrite("a red fox  trots through snow", GUIDANCE) == EXPECTED
    assert rewrite("a cat", "") == "A cat."
    assert rewrite("   ", GUIDANCE) == ""


def test_the_official_sdk_reads_answers_streamed_and_not(
    server: SimulatorServer, sim: Simulator
) -> None:
    with _sdk(server, api_key="sk-or-v1-sdk") as sdk:
        whole = sdk.chat.send(model=MODEL, messages=MESSAGES)
        text, usage, finish = "", None, None
        with sdk.chat.send(model=MODEL, messages=MESSAGES, stream=True) as events:
            for chunk in events:
                for choice in chunk.choices:
                    text += choice.delta.content or ""
                    finish = choice.finish_reason or finish
                usage = chunk.usage or usage
    assert whole.choices[0].message.content == EXPECTED
    assert whole.choices[0].finish_reason == "stop"
    assert whole.usage is not None and whole.usage.cost is not None and whole.usage.cost > 0
    assert text == EXPECTED and finish == "stop"
    assert usage is not None and usage.cost == whole.usage.cost
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    chats = [r for r in sim.requests if r["path"] == "/api/v1/chat/completions"]
    assert [r["headers"]["Accept"] for r in chats] == ["application/json", "text/event-stream"]
    assert sim.chat_count == 2


def test_the_official_sdk_maps_the_chat_errors(
    server: SimulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    with _sdk(server) as anonymous, pytest.raises(errors.UnauthorizedResponseError):
        anonymous.chat.send(model=MODEL, messages=MESSAGES)
    with _sdk(server, api_key="sk-or-v1-sdk") as sdk:
        with pytest.raises(errors.BadRequestResponseError) as bad:
            sdk.chat.send(model="no/such-model", messages=MESSAGES)
        assert "no/such-model" in bad.value.message
    raw = httpx.post(
        f"{server.base_url}/chat/completions",
        content=b"{not json",
        headers={"Authorization": "Bearer k", "Content-Type": "application/json"},
    )
    assert raw.status_code == 400 and raw.json()["error"]["code"] == 400
    empty = httpx.post(
        f"{server.base_url}/chat/completions",
        json={"model": MODEL, "messages": []},
        headers={"Authorization": "Bearer k"},
    )
    assert empty.status_code == 400 and "messages" in empty.json()["error"]["message"]


def test_the_official_sdk_sees_a_cut_stream_fail(server: SimulatorServer, sim: Simulator) -> None:
    sim.add_fault(Fault("chat", "cut_stream"))
    with (
        _sdk(server, api_key="sk-or-v1-sdk") as sdk,
        pytest.raises(httpx.TransportError),
        sdk.chat.send(model=MODEL, messages=MESSAGES, stream=True) as events,
    ):
        for _ in events:
            pass


@pytest.fixture
async def chat(client: VideoClient) -> ChatClient:
    return ChatClient(client)


@pytest.mark.parametrize("stream", [True, False])
async def test_our_client_reads_the_answer_and_its_cost(
    chat: ChatClient, sim: Simulator, stream: bool
) -> None:
    seen: list[str] = []
    answer = await chat.complete(MODEL, MESSAGES, stream=stream, on_text=seen.append)
    assert answer.text == EXPECTED and answer.refusal is None
    assert answer.finish_reason == "stop" and answer.model == MODEL
    assert answer.cost is not None and answer.cost > 0
    assert seen[-1] == EXPECTED
    if stream:  # the text grows as it streams in
        assert len(seen) > 2 and all(EXPECTED.startswith(s) for s in seen)
    request = next(r for r in sim.requests if r["path"] == "/api/v1/chat/completions")
    assert request["headers"]["Authorization"] == "Bearer sk-or-v1-test-key"
    assert json.loads(request["body"]) == {"model": MODEL, "messages": MESSAGES, "stream": stream}


@pytest.mark.parametrize("stream", [True, False])
async def test_a_cut_answer_is_an_error_not_a_short_answer(
    chat: ChatClient, sim: Simulator, stream: bool
) -> None:
    sim.add_fault(Fault("chat", "cut_stream"))
    seen: list[str] = []
    with pytest.raises(ReplyCutError):
        await chat.complete(MODEL, MESSAGES, stream=stream, on_text=seen.append)
    if stream:
        assert seen and seen[-1] != EXPECTED  # some text came, and was not the whole


async def test_refusals_empty_answers_and_error_events(chat: ChatClient, sim: Simulator) -> None:
    sim.add_fault(Fault("chat", "refusal"))
    refused = await chat.complete(MODEL, MESSAGES)
    assert refused.text == "" and refused.refusal == REFUSAL
    assert refused.finish_reason == "content_filter" and refused.cost is not None
    sim.add_fault(Fault("chat", "empty_answer"))
    empty = await chat.complete(MODEL, MESSAGES, stream=False)
    assert empty.text == "" and empty.refusal is None
    sim.add_fault(Fault("chat", "stream_error"))
    with pytest.raises(BadGatewayError, match="Provider returned error"):
        await chat.complete(MODEL, MESSAGES)
    sim.add_fault(Fault("chat", "status", status=429))
    with pytest.raises(Exception, match="Rate limit") as limited:
        await chat.complete(MODEL, MESSAGES)
    assert getattr(limited.value, "status_code", None) == 429
    with pytest.raises(BadRequestError):
        await chat.complete("no/such-model", MESSAGES)
    assert sim.chat_count == 3  # the refusal, the empty answer and the cut one


async def test_no_key_is_a_401(server: SimulatorServer) -> None:
    async with VideoClient(api_key=None, base_url=server.base_url) as client:
        with pytest.raises(AuthenticationError):
            await ChatClient(client).complete(MODEL, MESSAGES)


def _canned(body: bytes, ctype: str = "text/event-stream") -> VideoClient:
    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=pieces(), headers={"Content-Type": ctype})

    return VideoClient(
        api_key="sk-or-v1-secret-key",
        base_url="https://api.test/api/v1",
        transport=httpx.MockTransport(reply),
    )


def _event(content: str) -> bytes:
    chunk = {"choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}]}
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


async def test_hostile_streams_are_refused_with_bounded_memory() -> None:
    huge = b"data: " + b"x" * (MAX_EVENT_BYTES + 10)  # no end of line, ever
    async with _canned(huge) as client:
        with pytest.raises(ResponseFormatError, match="larger than"):
            await ChatClient(client).complete(MODEL, MESSAGES)
    endless = _event("word " * 1000) * 10 + b"data: [DONE]\n\n"
    async with _canned(endless) as client:
        with pytest.raises(ResponseFormatError, match="longer than"):
            await ChatClient(client).complete(MODEL, MESSAGES)
    echoed = _event("the key is sk-or-v1-secret-key") + b"data: [DONE]\n\n"
    async with _canned(echoed) as client:
        answer = await ChatClient(client).complete(MODEL, MESSAGES)
    assert "sk-or-v1-secret-key" not in answer.text and "[redacted]" in answer.text
    async with _canned(b"<html>hi</html>", "text/html") as client:
        with pytest.raises(ResponseFormatError, match="instead of an answer"):
            await ChatClient(client).complete(MODEL, MESSAGES, stream=False)


async def test_a_redirect_is_not_followed_and_max_tokens_is_sent() -> None:
    seen: list[httpx.Request] = []

    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(307, headers={"Location": "https://elsewhere.test/steal"})

    async with VideoClient(
        api_key="sk-or-v1-secret-key",
        base_url="https://api.test/api/v1",
        transport=httpx.MockTransport(reply),
    ) as client:
        with pytest.raises(ResponseFormatError, match="not followed"):
            await ChatClient(client).complete(MODEL, MESSAGES, max_tokens=50)
    (request,) = seen
    assert json.loads(request.content)["max_tokens"] == 50


def test_the_simulator_checks_max_tokens(server: SimulatorServer) -> None:
    bad = httpx.post(
        f"{server.base_url}/chat/completions",
        json={"model": MODEL, "messages": MESSAGES, "max_tokens": 0},
        headers={"Authorization": "Bearer k"},
    )
    assert bad.status_code == 400 and "max_tokens" in bad.json()["error"]["message"]


KEY = "sk-or-v1-0123456789abcdef0123456789abcdef"


class Hostile:
    """A chat server on loopback TCP that answers every question with ``pieces`` (chunked),
    then holds the connection open (``hang``) or closes it."""

    def __init__(self) -> None:
        self.pieces: Callable[[], Iterator[bytes]] = lambda: iter(())
        self.status = b"200 OK"
        self.ctype = b"text/event-stream"
        self.hang = False
        self.sent = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(
                b"HTTP/1.1 "
                + self.status
                + b"\r\nContent-Type: "
                + self.ctype
                + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            for piece in self.pieces():
                writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.sent += len(piece)
                await writer.drain()  # the client stopped reading: this raises
            if self.hang:
                await reader.read()  # until the client goes
            else:
                writer.write(b"0\r\n\r\n")
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def hostile() -> AsyncIterator[tuple[Hostile, ChatClient]]:
    server = Hostile()
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    # No async-generator hooks, as on the window's qasync loop: a stream left half-read
    # would then close itself at garbage collection, an "unraisable exception".
    hooks = sys.get_asyncgen_hooks()
    sys.set_asyncgen_hooks(None, None)
    try:
        async with VideoClient(
            api_key=KEY,
            base_url=f"http://127.0.0.1:{port}/api/v1",
            timeouts=Timeouts(chat=2.0),
        ) as client:
            yield server, ChatClient(client)
        gc.collect()
    finally:
        sys.set_asyncgen_hooks(*hooks)
        listener.close()
        await listener.wait_closed()


def _lines(*events: bytes) -> Callable[[], Iterator[bytes]]:
    return lambda: iter(events)


async def test_a_key_split_across_chunks_never_shows(hostile: tuple[Hostile, ChatClient]) -> None:
    server, chat = hostile
    half = len(KEY) // 2
    server.pieces = _lines(
        _event(f"use {KEY[:half]}"), _event(f"{KEY[half:]} at dusk"), b"data: [DONE]\n\n"
    )
    seen: list[str] = []
    answer = await chat.complete(MODEL, MESSAGES, on_text=seen.append)
    assert answer.text == "use [redacted] at dusk"
    assert not any(KEY[:12] in text for text in seen) and seen[-1] == answer.text


async def test_a_key_cut_at_the_error_cap_is_scrubbed(hostile: tuple[Hostile, ChatClient]) -> None:
    server, chat = hostile
    server.status, server.ctype = b"400 Bad Request", b"text/plain"
    padding = b"x" * (ERROR_CAP - 30)
    server.pieces = _lines(padding + f"bad key {KEY} rest".encode())
    with pytest.raises(BadRequestError) as refused:
        await chat.complete(MODEL, MESSAGES)
    said = f"{refused.value} {refused.value.body}"  # the message, and the body kept with it
    assert KEY[:12] not in said and said.endswith("bad key [redacted]")


async def test_an_answer_after_done_is_not_waited_for(hostile: tuple[Hostile, ChatClient]) -> None:
    server, chat = hostile
    server.pieces, server.hang = _lines(_event("a fox"), b"data: [DONE]\n\n"), True
    assert (await chat.complete(MODEL, MESSAGES)).text == "a fox"


async def test_lone_carriage_returns_end_lines(hostile: tuple[Hostile, ChatClient]) -> None:
    server, chat = hostile
    server.pieces = _lines(_event("a fox").replace(b"\n", b"\r"), b"data: [DONE]\r", b"\r")
    assert (await chat.complete(MODEL, MESSAGES)).text == "a fox"


def _flood() -> Iterator[bytes]:
    yield b"data: "
    for _ in range(100 << 4):  # 100 MB on one line, made as it is sent
        yield b"x" * (64 << 10)


@pytest.mark.parametrize(
    ("pieces", "hang", "error", "said"),
    [
        (
            _lines(_event("a fox"), b'data: {"choices": "\xff\xfe"}\n\n'),
            True,
            ResponseFormatError,
            "not valid JSON",
        ),
        (_flood, False, ResponseFormatError, "larger than"),
        (lambda: (_event("word ") for _ in range(10)), True, APITimeoutError, "did not answer"),
    ],
    ids=["invalid-utf8", "100MB-line", "never-ends"],
)
async def test_a_broken_stream_is_closed_not_left_to_the_collector(
    hostile: tuple[Hostile, ChatClient],
    pieces: Callable[[], Iterator[bytes]],
    hang: bool,
    error: type[Exception],
    said: str,
) -> None:
    server, chat = hostile
    server.pieces, server.hang = pieces, hang
    with pytest.raises(error, match=said):
        await chat.complete(MODEL, MESSAGES)
    assert server.sent < 16 << 20  # read no further than the cap (and what was in flight)


async def test_a_lone_surrogate_is_replaced(hostile: tuple[Hostile, ChatClient]) -> None:
    server, chat = hostile
    server.pieces = _lines(_event("a \ud800 fox"), b"data: [DONE]\n\n")
    text = (await chat.complete(MODEL, MESSAGES)).text
    assert text == "a ? fox" and text.encode("utf-8")
