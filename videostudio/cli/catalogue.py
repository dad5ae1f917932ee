"""``videostudio models``: the catalogue with capabilities and prices."""

from __future__ import annotations

import argparse
import json

from videostudio.cli.common import Env, models_of
from videostudio.cli.output import EXIT_OK, table
from videostudio.core.models import GenerationRequest
from videostudio.core.pricing import estimate_for


async def models(args: argparse.Namespace, env: Env) -> int:
    found = await models_of(env)
    if not args.all:
        found = [m for m in found if m.generates_from_prompt]
    if args.json:
        print(json.dumps({"data": [dict(m.raw) for m in found]}, indent=2))
        return EXIT_OK
    rows = [("MODEL", "DURATIONS", "RESOLUTIONS", "ASPECT", "AUDIO", "SEED", "PRICE (8 s)")]
    for m in found:
        durations = m.supported_durations or ()
        duration = 8 if 8 in durations else (durations[-1] if durations else None)
        price = estimate_for(m, GenerationRequest(m.id, duration=duration)).label()
        rows.append(
            (
                m.id,
                _compact(durations),
                ",".join(m.supported_resolutions or ()) or "-",
                ",".join(m.supported_aspect_ratios or ()) or "-",
                "yes" if m.generate_audio else "no",
                "yes" if m.seed else "no",
                "-" if duration is None else price if duration == 8 else f"{price} ({duration} s)",
            )
        )
    table(rows)
    return EXIT_OK


def _compact(values: tuple[int, ...]) -> str:
    """[2,3,4,5] -> '2-5'; [4,6,8] -> '4,6,8'."""
    if not values:
        return "-"
    if len(values) > 2 and list(values) == list(range(values[0], values[-1] + 1)):
        return f"{values[0]}-{values[-1]}"
    return ",".join(map(str, values))
