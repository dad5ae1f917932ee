"""The prompt assistant: "improve prompt" asks a chat model to rewrite a prompt for the
chosen video model, following that model family's guidance (core/prompt_guidance.py).

Used by the window and the CLI alike. Each answer is paid for: it is asked once per
request (never resent), held to the budget caps first, and its reported cost is
recorded in the journal, where spend and the caps count it. Every way it can go wrong
is an AssistantError carrying one sentence; the caller keeps the user's text as it was.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from videostudio.api.errors import ReplyCutError, VideoAPIError
from videostudio.core import failures
from videostudio.core.budget import SETTING_KEY as BUDGET_KEY
from videostudio.core.budget import Budget, over_caps
from videostudio.core.models import VideoModel
from videostudio.core.pricing import format_usd
from videostudio.core.prompt_guidance import improve_messages
from videostudio.core.validation import MAX_PROMPT_CHARS
from videostudio.services.errors import to_failure
from videostudio.services.journal import Journal

if TYPE_CHECKING:  # the window imports this module before its first paint; httpx after it
    from videostudio.api.chat import ChatAnswer
    from videostudio.api.client import VideoClient

log = logging.getLogger("videostudio.services.assistant")

MODEL_KEY = "assistant_model"  # a journal setting, shared by the window and the CLI
DEFAULT_MODEL = "google/gemini-2.5-flash-lite"  # cheap and fast; a rewrite needs no more
# What an answer may cost at most with the default model (for the caps, before asking).
ESTIMATE_USD = 0.001
MAX_TOKENS = 400  # a 120-word prompt is about 200 tokens; a runaway answer stops here
KEEP = "Your prompt is unchanged."


class AssistantError(Exception):
    """Why no proposal came: one sentence for the user (the prompt is left as it was)."""


class PromptError(AssistantError):
    """The prompt itself cannot be asked about (the user's input, not the assistant)."""


def check_prompt(prompt: str) -> None:
    """PromptError when there is nothing to improve, or too much."""
    if not prompt.strip():
        raise PromptError("Write a prompt first; the assistant improves what is there.")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise PromptError(f"The prompt is longer than {MAX_PROMPT_CHARS} characters.")


@dataclass(frozen=True)
class Proposal:
    """A rewritten prompt, what it cost (None: not reported) and who wrote it."""

    text: str
    cost_usd: float | None
    model: str

    def cost_text(self) -> str:
        if self.cost_usd is None:
            return "cost not reported"
        return format_usd(self.cost_usd) if self.cost_usd else "free"


def assistant_model(journal: Journal) -> str:
    model = journal.setting(MODEL_KEY)
    return model if isinstance(model, str) and model.strip() else DEFAULT_MODEL


def set_assistant_model(journal: Journal, model: str | None) -> None:
    """Choose the chat model (None or "": back to the default)."""
    journal.set_setting(MODEL_KEY, model.strip() if model and model.strip() else None)


class Assistant:
    """Improves prompts through the folder's client; records each paid answer in ``journal``.

    ``demo`` only changes the words ("demo money"): a demo backend's client already
    talks to the simulator.
    """

    def __init__(
        self,
        client: VideoClient,
        journal: Journal,
        *,
        demo: bool = False,
        now: Callable[[], datetime] = lambda: datetime.now().astimezone(),
    ) -> None:
        from videostudio.api.chat import ChatClient  # after the first paint: see TYPE_CHECKING

        self._chat = ChatClient(client)
        self._journal = journal
        self._demo = demo
        self._now = now

    async def improve(
        self,
        prompt: str,
        video_model: VideoModel,
        *,
        model: str | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> Proposal:
        """The prompt rewritten for ``video_model``; ``on_text`` hears it as it streams in."""
        check_prompt(prompt)
        chat_model = model or assistant_model(self._journal)
        await asyncio.to_thread(self._check_caps)  # adds the journal up: off the event loop
        try:
            answer = await self._chat.complete(
                chat_model,
                improve_messages(prompt, video_model),
                max_tokens=MAX_TOKENS,
                on_text=on_text,
            )
        except ReplyCutError:
            await asyncio.to_thread(self._record, chat_model, video_model, "cut", None)
            raise AssistantError(
                f"The answer was cut off before it ended, so it was not used. {KEEP}"
            ) from None
        except VideoAPIError as exc:
            raise AssistantError(self._sentence(exc)) from None
        text = _clean(answer.text)
        outcome = "refused" if answer.refusal else ("proposal" if text else "empty")
        await asyncio.to_thread(self._record, answer.model, video_model, outcome, answer)
        return self._proposal(prompt, text, answer)

    def _check_caps(self) -> None:
        budget = Budget.from_json(self._journal.setting(BUDGET_KEY))
        reasons = over_caps(budget, self._journal.spend(self._now()), ESTIMATE_USD)
        if reasons:
            raise AssistantError(
                f"Not asked: {'; and '.join(reasons)}. Raise the cap to use the assistant."
            )

    @staticmethod
    def _proposal(prompt: str, text: str, answer: ChatAnswer) -> Proposal:
        if answer.refusal:
            raise AssistantError(f"The assistant declined to rewrite this prompt. {KEEP}")
        if not text:
            raise AssistantError(f"The assistant's answer was empty. {KEEP}")
        if answer.finish_reason == "length":
            raise AssistantError(f"The assistant's answer ran too long and was cut. {KEEP}")
        if text == prompt.strip():
            raise AssistantError("The assistant has nothing to add: it kept the prompt as it is.")
        return Proposal(text, answer.cost, answer.model)

    def _record(
        self, model: str, video_model: VideoModel, outcome: str, answer: ChatAnswer | None
    ) -> None:
        log.info("assistant %s answered: %s", model, outcome)
        self._journal.add_assistant_call(
            model=model,
            video_model=video_model.id,
            outcome=outcome,
            cost_usd=answer.cost if answer else None,
            prompt_tokens=answer.prompt_tokens if answer else None,
            completion_tokens=answer.completion_tokens if answer else None,
        )

    def _sentence(self, exc: VideoAPIError) -> str:
        failure = to_failure(exc)
        if failure.kind == failures.AUTH:
            return (
                "The assistant needs a valid OpenRouter API key (Settings → OpenRouter API key…); "
                f"demo mode answers without one. {KEEP}"
            )
        if failure.kind == failures.OFFLINE:
            return f"The assistant cannot be reached: {failure.message} {KEEP}"
        if failure.kind == failures.CREDITS:
            money = "demo credits" if self._demo else "credits"
            return f"Not enough {money} for the assistant ({failures.CREDITS_URL}). {KEEP}"
        if failure.kind == failures.INVALID:
            return f"The assistant refused the question: {failure.message} {KEEP}"
        return f"The assistant did not answer: {failure.message} {KEEP}"


def _clean(text: str) -> str:
    """The answer without wrapping quotes or a code fence, which models sometimes add."""
    text = text.strip()
    if text.startswith("```") and text.endswith("```"):
        text = text.strip("`").strip()
    for quote in ('"', "“"):
        closing = "”" if quote == "“" else quote
        if len(text) > 1 and text.startswith(quote) and text.endswith(closing):
            text = text[1:-1].strip()
    return text
