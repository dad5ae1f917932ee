"""A submit stopped before its request left this machine was certainly not sent: it stays
queued (the window switching demo and live, or quitting, stops submits this way). One
stopped after it may have left is never sent again by itself.

Real TCP on loopback: a listener whose accept queue is full (connections hang before
any byte is written), a port where nothing listens, and the simulator stalling a submit.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from videostudio.api.client import VideoClient
from videostudio.api.retry import RetryPolicy
from videostudio.core.jobs import QUEUED, SUBMITTING, UNKNOWN, JobRecord
from videostudio.core.models import GenerationRequest
from videostudio.services.activity import Activity
from videostudio.services.jobs import JobService
from videostudio.services.journal import Journal
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Fault, Simulator

REQUEST = GenerationRequest.from_json(
    {"model": "google/veo-3.1-fast", "prompt": "a paper boat", "duration": 4}
)
FAST = RetryPolicy(initial=0.05, max_interval=0.1, jitter=0.0)


@pytest.fixture
def hanging_url() -> Iterator[str]:
    """An address whose connections hang in the handshake: its accept queue is full."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):  # more than the queue holds: later handshakes get no answer
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    yield f"http://127.0.0.1:{port}/api/v1"
    for s in [*fillers, listener]:
        s.close()


def _dead_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/api/v1"


async def _stopped_while(url: str, tmp_path: Path, moment: str) -> str:
    """The job's state after the service is closed at ``moment`` of its submit, and after
    the next start has looked at it."""
    journal = Journal(tmp_path / "journal.sqlite3")
    async with VideoClient(api_key="sk-or-v1-cancel", base_url=url, retry=FAST) as client:
        service = JobService(client, journal, tmp_path / "clips", outage=FAST)
        # (state, a retry notice?): the client's own notices come while the row is submitting
        reached = asyncio.Event()

        def watch(record: JobRecord, activity: Activity | None) -> None:
            if (record.state, activity is not None) == (SUBMITTING, moment == "retrying"):
                reached.set()

        service.subscribe(watch)
        (record,) = await service.enqueue([REQUEST])
        await reached.wait()
        await service.aclose()
    journal.recover_interrupted()  # what the next start does
    state = journal.get(record.local_id).state
    journal.close()
    return state


async def test_a_submit_stopped_while_connecting_stays_queued(
    hanging_url: str, tmp_path: Path
) -> None:
    assert await _stopped_while(hanging_url, tmp_path, SUBMITTING) == QUEUED


async def test_a_submit_stopped_between_refused_connections_stays_queued(tmp_path: Path) -> None:
    # "retrying": the client is waiting to try again after a refused connection.
    assert await _stopped_while(_dead_url(), tmp_path, "retrying") == QUEUED


class _Heard(Simulator):
    """Says when a request has been received whole."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.heard = threading.Event()

    def record(self, entry: dict[str, Any]) -> None:
        super().record(entry)
        self.heard.set()


async def test_a_submit_stopped_after_it_was_sent_is_never_sent_again(tmp_path: Path) -> None:
    sim = _Heard(cache_dir=tmp_path / "cache")
    sim.add_fault(Fault("submit", "stall", stall_s=30))  # read, then no answer
    with SimulatorServer(sim) as server:
        state = await _stopped_while_received(server, sim, tmp_path)
    assert state == UNKNOWN


async def _stopped_while_received(server: SimulatorServer, sim: _Heard, tmp_path: Path) -> str:
    journal = Journal(tmp_path / "journal.sqlite3")
    async with VideoClient(api_key="sk-or-v1-cancel", base_url=server.base_url) as client:
        service = JobService(client, journal, tmp_path / "clips")
        (record,) = await service.enqueue([REQUEST])
        assert await asyncio.to_thread(sim.heard.wait, 60)
        assert [r["method"] for r in sim.requests] == ["POST"]
        await service.aclose()
    journal.recover_interrupted()
    state = journal.get(record.local_id).state
    journal.close()
    return state
