"""The prompt assistant: a rewrite for the chosen video model, paid once, counted in spend
and the caps; every failure a sentence. Through the simulator over loopback, a real
journal, and the CLI as a user runs it."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from tests.test_cli import _run
from videostudio.api.client import VideoClient
from videostudio.cli.output import EXIT_USAGE
from videostudio.core.budget import SETTING_KEY, Budget
from videostudio.core.models import VideoModel
from videostudio.core.pricing import format_usd
from videostudio.core.prompt_guidance import SILENT, guidance_for, improve_messages
from videostudio.core.spend import Charge, spend_of
from videostudio.core.validation import MAX_PROMPT_CHARS
from videostudio.services.assistant import (
    DEFAULT_MODEL,
    Assistant,
    AssistantError,
    set_assistant_model,
)
from videostudio.services.journal import Journal
from videostudio.simulator.chat import rewrite
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Fault, Simulator

PROMPT = "a lighthouse keeper climbs the stairs at dusk"


def _model(sim: Simulator, model_id: str) -> VideoModel:
    return sim.models[model_id]


def _expected(sim: Simulator, model_id: str, prompt: str = PROMPT) -> str:
    system = improve_messages(prompt, _model(sim, model_id))[0]["content"]
    return rewrite(prompt, system)


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    j = Journal(tmp_path / "journal.sqlite3")
    yield j  # type: ignore[misc]
    j.close()


def _chats(sim: Simulator) -> list[dict[str, object]]:
    return [r for r in sim.requests if r["path"] == "/api/v1/chat/completions"]


def test_each_family_gets_its_own_guidance(sim: Simulator) -> None:
    veo = guidance_for(_model(sim, "google/veo-3.1"))
    hailuo = guidance_for(_model(sim, "minimax/hailuo-2.3"))
    assert "dialogue" in veo.audio and hailuo.audio == SILENT
    assert veo != guidance_for(_model(sim, "kwaivgi/kling-v3.0-pro"))
    sora = _model(sim, "openai/sora-2-pro")
    system = improve_messages(PROMPT, sora)[0]["content"]
    assert "4 to 20 seconds" in system and sora.name in system
    assert all(line in system for line in guidance_for(sora).lines())


def test_charges_count_in_their_day_and_month() -> None:
    now = datetime(2026, 3, 10, 12, 0).astimezone()
    charges = [
        Charge(now.timestamp(), "m", 0.0004),
        Charge(datetime(2026, 3, 1, 8, 0).astimezone().timestamp(), "m", 0.5),
        Charge(datetime(2026, 2, 27, 8, 0).astimezone().timestamp(), "m", 2.0),
    ]
    spend = spend_of([], now, charges)
    assert spend.today.actual == pytest.approx(0.0004)
    assert spend.month.actual == pytest.approx(0.5004)
    assert spend.all_time.actual == pytest.approx(2.5004) and spend.by_model["m"].jobs == 3
    assert format_usd(0.0004) == "$0.0004" and format_usd(0.000007) == "$0.000007"
    assert format_usd(0.5) == "$0.50"


async def test_a_proposal_is_paid_once_and_counted_in_spend(
    client: VideoClient, journal: Journal, sim: Simulator
) -> None:
    streamed: list[str] = []
    assistant = Assistant(client, journal)
    proposal = await assistant.improve(
        PROMPT, _model(sim, "google/veo-3.1"), on_text=streamed.append
    )
    assert proposal.text == _expected(sim, "google/veo-3.1")
    assert streamed[-1] == proposal.text and len(streamed) > 1
    assert proposal.model == DEFAULT_MODEL and proposal.cost_usd and proposal.cost_usd > 0
    assert proposal.cost_text().startswith("$0.0000")
    assert sim.chat_count == 1 and len(_chats(sim)) == 1
    spend = journal.spend(datetime.now().astimezone())
    assert spend.today.actual == pytest.approx(proposal.cost_usd)
    assert spend.by_model[DEFAULT_MODEL].jobs == 1


async def test_the_assistant_model_is_a_setting(
    client: VideoClient, journal: Journal, sim: Simulator
) -> None:
    set_assistant_model(journal, "openai/gpt-4o-mini")
    proposal = await Assistant(client, journal).improve(PROMPT, _model(sim, "alibaba/wan-2.6"))
    assert proposal.model == "openai/gpt-4o-mini"
    assert json.loads(_chats(sim)[0]["body"])["model"] == "openai/gpt-4o-mini"  # type: ignore[arg-type]
    set_assistant_model(journal, "")
    await Assistant(client, journal).improve(PROMPT, _model(sim, "alibaba/wan-2.6"))
    assert json.loads(_chats(sim)[1]["body"])["model"] == DEFAULT_MODEL  # type: ignore[arg-type]


async def test_a_cap_already_reached_stops_the_question(
    client: VideoClient, journal: Journal, sim: Simulator
) -> None:
    journal.add_assistant_call(
        model=DEFAULT_MODEL, video_model=None, outcome="proposal", cost_usd=0.05
    )
    journal.set_setting(SETTING_KEY, Budget(daily=0.05).to_json())
    with pytest.raises(AssistantError, match=r"Not asked: .*daily cap"):
        await Assistant(client, journal).improve(PROMPT, _model(sim, "google/veo-3.1"))
    assert sim.chat_count == 0


@pytest.mark.parametrize(
    ("kind", "words", "recorded"),
    [
        ("refusal", "declined", "refused"),
        ("empty_answer", "was empty", "empty"),
        ("cut_stream", "cut off", "cut"),
        ("stream_error", "did not answer", None),
    ],
)
async def test_bad_answers_are_sentences(
    client: VideoClient,
    journal: Journal,
    sim: Simulator,
    kind: str,
    words: str,
    recorded: str | None,
) -> None:
    sim.add_fault(Fault("chat", kind))
    with pytest.raises(AssistantError, match=words) as error:
        await Assistant(client, journal).improve(PROMPT, _model(sim, "google/veo-3.1"))
    assert "unchanged" in str(error.value)
    outcomes = journal.select_values("SELECT outcome FROM assistant_calls")
    assert outcomes == ([recorded] if recorded else [])
    billed = journal.charges()
    assert len(billed) == (1 if recorded in ("refused", "empty") else 0)


async def test_no_prompt_no_key_and_offline(
    server: SimulatorServer, journal: Journal, sim: Simulator
) -> None:
    veo = _model(sim, "google/veo-3.1")
    async with VideoClient(api_key=None, base_url=server.base_url) as anonymous:
        with pytest.raises(AssistantError, match="Write a prompt first"):
            await Assistant(anonymous, journal).improve("  \n", veo)
        with pytest.raises(AssistantError, match="needs a valid OpenRouter API key"):
            await Assistant(anonymous, journal).improve(PROMPT, veo)
    async with VideoClient(api_key="k", base_url="http://127.0.0.1:9/api/v1") as offline:
        with pytest.raises(AssistantError, match="cannot be reached"):
            await Assistant(offline, journal).improve(PROMPT, veo)
    assert sim.chat_count == 0 and journal.charges() == []


def test_the_cli_prints_the_proposal_and_its_cost(sim: Simulator) -> None:
    proc = _run("improve", "--demo", "-p", PROMPT, "-m", "minimax/hailuo-2.3")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == _expected(sim, "minimax/hailuo-2.3")
    assert "Cost: $0.0000" in proc.stderr and "demo money" in proc.stderr
    spent = json.loads(_run("spend", "--demo", "--json").stdout)
    assert spent["today"]["actual_usd"] > 0 and DEFAULT_MODEL in spent["by_model"]
    empty = _run("improve", "--demo", "-p", " ")
    assert empty.returncode != 0 and "Write a prompt first" in empty.stderr
    assert "Traceback" not in empty.stderr


@pytest.mark.parametrize(
    ("prompt", "said"), [(" ", "Write a prompt first"), ("x" * (MAX_PROMPT_CHARS + 1), "longer")]
)
def test_the_cli_calls_a_bad_prompt_a_usage_error(
    server: SimulatorServer, sim: Simulator, prompt: str, said: str
) -> None:
    env = {"OPENROUTER_API_KEY": "sk-or-v1-cli", "OPENROUTER_BASE_URL": server.base_url}
    proc = _run("improve", "-p", prompt, env=env)
    assert proc.returncode == EXIT_USAGE and said in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and sim.requests == []  # nothing asked of the API


def test_the_cli_says_when_the_answer_was_cut(server: SimulatorServer, sim: Simulator) -> None:
    sim.add_fault(Fault("chat", "cut_stream"))
    env = {"OPENROUTER_API_KEY": "sk-or-v1-cli", "OPENROUTER_BASE_URL": server.base_url}
    proc = _run("improve", "-p", PROMPT, env=env)
    assert proc.returncode == 3 and proc.stdout == ""
    assert "cut off before it ended" in proc.stderr and "Traceback" not in proc.stderr


def test_the_assistants_spend_counts_against_a_video_cap() -> None:
    from videostudio import paths as app_paths

    journal = Journal(app_paths.resolve(None).for_demo().ensure().journal)
    journal.add_assistant_call(
        model=DEFAULT_MODEL, video_model=None, outcome="proposal", cost_usd=0.5
    )
    journal.close()
    assert _run("budget", "--demo", "--daily", "0.6").returncode == 0
    proc = _run(
        "generate", "--demo", "-p", "a heron", "-m", "google/veo-3.1-fast", "--duration", "4"
    )
    assert proc.returncode == 2 and "daily cap" in proc.stderr and "$0.50 spent" in proc.stderr
