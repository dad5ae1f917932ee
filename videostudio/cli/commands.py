"""Which command runs where: the ones that need no key or network open just the journal."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable

from videostudio.cli import jobs, listing
from videostudio.cli.common import Env, open_env, open_journal
from videostudio.cli.generate import generate

NETWORKED: dict[str, Callable[[argparse.Namespace, Env], Awaitable[int]]] = {
    "generate": generate,
    "models": listing.models,
    "resume": jobs.resume,
    "retry": jobs.retry,
    "save": jobs.save,
}
LOCAL = {
    "jobs": listing.jobs,
    "library": listing.library,
    "spend": listing.spend,
    "budget": listing.budget,
    "journal": listing.journal_command,
}


async def main(args: argparse.Namespace) -> int:
    if args.command in LOCAL:
        paths, journal = open_journal(args)
        try:
            return await LOCAL[args.command](args, journal, paths)
        finally:
            journal.close()
    async with open_env(args) as env:
        return await NETWORKED[args.command](args, env)
