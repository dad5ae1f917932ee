"""Shared fixtures: the simulator on real loopback TCP, a client with a recorded clock,
schema checks of every request body, and an isolated in-memory keychain."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import httpx
import keyring
import pytest
from jsonschema import Draft202012Validator
from keyring.backend import KeyringBackend
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from videostudio.api.client import VideoClient
from videostudio.api.retry import RetryPolicy
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Simulator

SPEC_PATH = Path(__file__).parent / "data" / "openrouter-video-openapi.json"
_URI = "urn:openrouter-video-openapi"


class Schemas:
    """Validators for the official schema's components."""

    def __init__(self) -> None:
        doc = json.loads(SPEC_PATH.read_text())
        resource = Resource.from_contents(doc, default_specification=DRAFT202012)
        self._registry = Registry().with_resource(_URI, resource)
        self._cache: dict[str, Draft202012Validator] = {}

    def validator(self, name: str) -> Draft202012Validator:
        if name not in self._cache:
            self._cache[name] = Draft202012Validator(
                {"$ref": f"{_URI}#/components/schemas/{name}"}, registry=self._registry
            )
        return self._cache[name]

    def errors(self, name: str, instance: Any) -> list[str]:
        return [e.message for e in self.validator(name).iter_errors(instance)]


@pytest.fixture(scope="session")
def schemas() -> Schemas:
    return Schemas()


class MemoryKeyring(KeyringBackend):
    """An in-memory keychain so no test touches the user's real one."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.store:
            raise keyring.errors.PasswordDeleteError("not found")
        del self.store[(service, username)]


@pytest.fixture(autouse=True)
def data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test (and every process it starts) keeps its journal and clips to itself."""
    path = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("VIDEOSTUDIO_DATA_DIR", str(path))
    monkeypatch.setenv("XDG_DATA_HOME", str(path / "xdg"))  # the trash of the test's own
    return path


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def sim(tmp_path_factory: pytest.TempPathFactory) -> Simulator:
    # Clips are cached by content across the session, so each is rendered once.
    cache = tmp_path_factory.getbasetemp() / "sim-cache"
    return Simulator(cache_dir=cache)


@pytest.fixture
def server(sim: Simulator, schemas: Schemas) -> Iterator[SimulatorServer]:
    with SimulatorServer(sim) as srv:
        yield srv
    # Every submit body our client sent must satisfy the official request schema
    # (raw httpx calls in the simulator tests send invalid bodies on purpose).
    for entry in sim.requests:
        ours = entry["headers"].get("User-Agent", "").startswith("videostudio/")
        if ours and entry["method"] == "POST" and entry["body"]:
            body = json.loads(entry["body"])
            assert schemas.errors("VideoGenerationRequest", body) == [], body


class Sleeps:
    """An injected sleep that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def canned_client(reply: Callable[[httpx.Request], httpx.Response], sleeps: Sleeps) -> VideoClient:
    """A client whose every request is answered by ``reply`` (narrow wire cases only)."""
    return VideoClient(
        api_key="k",
        base_url="https://api.test/api/v1",
        transport=httpx.MockTransport(reply),
        sleep=sleeps,
    )


@pytest.fixture
async def client(server: SimulatorServer, sleeps: Sleeps) -> Any:
    async with VideoClient(
        api_key="sk-or-v1-test-key",
        base_url=server.base_url,
        retry=RetryPolicy(rng=lambda: 0.0),
        sleep=sleeps,
    ) as c:
        yield c


def states_of(events: list[tuple[Any, Any]], local_id: int) -> list[str]:
    """The journaled states one job went through, in order, from (record, activity) events."""
    seen: list[str] = []
    for record, activity in events:
        if record.local_id == local_id and activity is None and record.state not in seen[-1:]:
            seen.append(record.state)
    return seen


class VirtualTime:
    """A clock and a sleep that share virtual time: waits pass at once, order is kept.

    Given to the simulator (job ages), the client (retry waits) and the job
    service (poll intervals), a job that "takes" minutes runs in milliseconds.
    """

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        self.now += max(delay, 0.0)
        await asyncio.sleep(0)


@pytest.fixture
def vtime(sim: Simulator) -> VirtualTime:
    clock = VirtualTime()
    sim.clock = clock
    return clock
