"""The key dialog's Test is a question, not a job: one short attempt, an answer in words
(issue 15 §8)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest

from videostudio.api.errors import APIConnectionError
from videostudio.services.backend import KEY_CHECK_S, UNREACHABLE, verify_key


class BlackHole:
    """A loopback server that accepts every connection and never answers."""

    def __init__(self) -> None:
        self.connections = 0
        self._held: list[asyncio.StreamWriter] = []

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._held.append(writer)

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/api/v1"

    async def close(self) -> None:
        for writer in self._held:
            writer.close()
        self.server.close()
        await self.server.wait_closed()


@pytest.fixture
async def black_hole() -> AsyncIterator[tuple[BlackHole, str]]:
    hole = BlackHole()
    url = await hole.start()
    yield hole, url
    await hole.close()


def refused_url() -> str:
    """A loopback port nothing listens on (bound, then closed: connecting is refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v1"


async def test_a_refused_port_is_answered_in_words() -> None:
    with pytest.raises(APIConnectionError) as raised:
        await verify_key("sk-or-v1-test", refused_url())
    assert str(raised.value) == UNREACHABLE == "OpenRouter can't be reached: check your connection."


async def test_a_server_that_never_answers_gets_one_attempt(
    black_hole: tuple[BlackHole, str],
) -> None:
    hole, url = black_hole
    with pytest.raises(APIConnectionError, match=r"^OpenRouter can't be reached: check your"):
        await verify_key("sk-or-v1-test", url, time_limit=0.5)
    assert hole.connections == 1  # one question, not five silent retries
    assert KEY_CHECK_S <= 3  # the dialog's own limit: an answer within 3 s
