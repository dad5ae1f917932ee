"""The networked commands: they open the key, the client and the folder's lock."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable

from videostudio.cli import catalogue, jobs
from videostudio.cli.common import Env, open_env
from videostudio.cli.generate import generate
from videostudio.cli.improve import improve
from videostudio.cli.presets import networked as presets

NETWORKED: dict[str, Callable[[argparse.Namespace, Env], Awaitable[int]]] = {
    "generate": generate,
    "improve": improve,
    "preset": presets,
    "models": catalogue.models,
    "resume": jobs.resume,
    "retry": jobs.retry,
    "save": jobs.save,
}


async def main(args: argparse.Namespace) -> int:
    async with open_env(args) as env:
        return await NETWORKED[args.command](args, env)
