"""Every clip is reproducible: when the user fixed no seed and the model takes one, pick it.

The seed is chosen before the job is journaled, so the journal, the sidecar and
"use these settings" all know the seed that was really sent.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable

from videostudio.core.models import GenerationRequest, VideoModel
from videostudio.core.validation import MAX_SEED


def random_seed(below: Callable[[int], int] = secrets.randbelow) -> int:
    return below(MAX_SEED + 1)


def with_seed(
    request: GenerationRequest, model: VideoModel, below: Callable[[int], int] = secrets.randbelow
) -> GenerationRequest:
    """``request`` with a random seed when it has none and ``model`` accepts one."""
    if request.seed is not None or not model.seed:
        return request
    return dataclasses.replace(request, seed=random_seed(below))
