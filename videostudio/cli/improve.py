"""``videostudio improve``: a prompt rewritten for a video model by the prompt assistant;
the proposal on stdout, its cost on stderr."""

from __future__ import annotations

import argparse
import sys

from videostudio.cli.common import Env, models_of
from videostudio.cli.generate import find_model
from videostudio.cli.output import EXIT_API, EXIT_OK, EXIT_USAGE, CliError, say
from videostudio.services.assistant import Assistant, AssistantError, PromptError, check_prompt


async def improve(args: argparse.Namespace, env: Env) -> int:
    try:
        check_prompt(args.prompt)  # bad input: said before anything is asked of the network
    except PromptError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    video_model = find_model(await models_of(env), args.model)
    assistant = Assistant(env.client, env.journal, demo=env.demo)
    try:
        proposal = await assistant.improve(args.prompt, video_model, model=args.assistant_model)
    except AssistantError as exc:
        raise CliError(str(exc), EXIT_API) from None
    say(proposal.text, sys.stdout)
    money = " (demo money)" if env.demo else ""
    say(f"Cost: {proposal.cost_text()}{money}, by {proposal.model}.")
    return EXIT_OK
