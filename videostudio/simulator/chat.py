"""The simulated chat completions endpoint: checks a request, writes the answer, prices it.

Deterministic: the answer is the user's prompt tidied up, then one short sentence for
each line of guidance the system message gave (``- topic: advice, more advice``), so a
test knows the answer from the request. No HTTP here: ``server.py`` frames it as JSON
or as server-sent events.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

# Prices per million tokens (input, output), as OpenRouter lists them for these models.
CHAT_MODELS: dict[str, tuple[float, float]] = {
    "google/gemini-2.5-flash-lite": (0.10, 0.40),
    "google/gemini-2.5-flash": (0.30, 2.50),
    "openai/gpt-4o-mini": (0.15, 0.60),
    "anthropic/claude-3.5-haiku": (0.80, 4.00),
}
DEFAULT_CHAT_MODEL = "google/gemini-2.5-flash-lite"
ROLES = ("system", "developer", "user", "assistant", "tool")
REFUSAL = "I can't help with rewriting this prompt."
_GUIDANCE_LINE = re.compile(r"^\s*-\s*([A-Za-z ]{2,30}):\s*(.+?)\s*$")


@dataclass(frozen=True)
class ChatAnswer:
    """What the simulated model answers: text (or a refusal) and what it costs."""

    id: str
    model: str
    content: str
    refusal: str | None
    prompt_tokens: int
    completion_tokens: int
    cost: float
    created: int

    @property
    def finish_reason(self) -> str:
        return "content_filter" if self.refusal else "stop"

    def usage(self) -> dict[str, Any]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "cost": self.cost,
            "is_byok": False,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "cost_details": {
                "upstream_inference_cost": None,
                "upstream_inference_prompt_cost": 0.0,
                "upstream_inference_completions_cost": 0.0,
            },
            "completion_tokens_details": {"reasoning_tokens": 0, "image_tokens": 0},
        }

    def completion(self) -> dict[str, Any]:
        """The non-streamed reply (``object: chat.completion``)."""
        return {
            "id": self.id,
            "provider": "Simulator",
            "model": self.model,
            "object": "chat.completion",
            "created": self.created,
            "choices": [
                {
                    "logprobs": None,
                    "finish_reason": self.finish_reason,
                    "native_finish_reason": self.finish_reason,
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": None if self.refusal else self.content,
                        "refusal": self.refusal,
                        "reasoning": None,
                    },
                }
            ],
            "system_fingerprint": None,
            "usage": self.usage(),
        }

    def chunks(self, piece_chars: int = 24) -> list[dict[str, Any]]:
        """The streamed reply's events: role, text in pieces, the finish, then usage alone."""
        pieces = [
            self.content[i : i + piece_chars] for i in range(0, len(self.content), piece_chars)
        ]
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
        deltas += [{"content": piece} for piece in pieces]
        if self.refusal:
            deltas.append({"refusal": self.refusal})
        events = [self._chunk([{"index": 0, "delta": d, "finish_reason": None}]) for d in deltas]
        finish = self.finish_reason
        events.append(
            self._chunk(
                [
                    {
                        "index": 0,
                        "delta": {"content": ""},
                        "finish_reason": finish,
                        "native_finish_reason": finish,
                    }
                ]
            )
        )
        events.append({**self._chunk([]), "usage": self.usage()})
        return events

    def _chunk(self, choices: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "id": self.id,
            "provider": "Simulator",
            "model": self.model,
            "object": "chat.completion.chunk",
            "created": self.created,
            "choices": choices,
        }


def _text_of(content: Any) -> str | None:
    """A message's text: a string, or the text parts of a content list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        if all(isinstance(t, str) for t in texts):
            return "\n".join(texts)  # type: ignore[arg-type]  # checked just above
    return None


def check_chat(body: Any) -> tuple[str, list[tuple[str, str]], bool] | str:
    """(model, [(role, text)], stream) for a valid request, else the 400 message."""
    if not isinstance(body, dict):
        return "The request body must be a JSON object."
    model = body.get("model", DEFAULT_CHAT_MODEL)
    if not isinstance(model, str) or model not in CHAT_MODELS:
        return f"{model} is not a valid model ID"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: expected a non-empty array"
    parsed = []
    for index, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        text = _text_of(message.get("content")) if isinstance(message, dict) else None
        if role not in ROLES or text is None:
            return f"messages[{index}]: expected a role ({', '.join(ROLES)}) and text content"
        parsed.append((str(role), text))
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        return "stream: expected a boolean"
    limit = body.get("max_tokens")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        return "max_tokens: expected a positive integer"
    return model, parsed, stream


def rewrite(prompt: str, guidance: str) -> str:
    """The prompt tidied, then the first advice of each guidance line as a sentence."""
    text = " ".join(prompt.split())
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    if text[-1] not in ".!?":
        text += "."
    extra = []
    for line in guidance.splitlines():
        match = _GUIDANCE_LINE.match(line)
        if match:
            topic, advice = match.group(1).strip(), match.group(2).split(",")[0].strip()
            extra.append(f"{topic.capitalize()}: {advice.rstrip('.')}.")
    return " ".join([text, *extra])


def _tokens(text: str) -> int:
    return max(1, (len(text) + 3) // 4)


def answer(
    model: str, messages: list[tuple[str, str]], call_id: str, *, refuse: bool, empty: bool
) -> ChatAnswer:
    """The answer to a checked request: the last user message rewritten with the guidance."""
    guidance = "\n".join(text for role, text in messages if role in ("system", "developer"))
    prompt = next((text for role, text in reversed(messages) if role == "user"), "")
    content = "" if refuse or empty else rewrite(prompt, guidance)
    refusal = REFUSAL if refuse else None
    prompt_tokens = sum(_tokens(text) for _, text in messages)
    completion_tokens = _tokens(refusal or content) if (refusal or content) else 0
    price_in, price_out = CHAT_MODELS[model]
    cost = round((prompt_tokens * price_in + completion_tokens * price_out) / 1e6, 10)
    return ChatAnswer(
        call_id, model, content, refusal, prompt_tokens, completion_tokens, cost, int(time.time())
    )
