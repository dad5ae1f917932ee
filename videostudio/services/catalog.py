"""The video model catalogue: shown at once from a disk cache, refreshed from the API.

The cache is keyed by the API base URL, so the demo's catalogue never stands
in for the real one. It is written atomically; a damaged cache is ignored.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from videostudio.api.client import VideoClient
from videostudio.core.models import VideoModel, parse_model_list

log = logging.getLogger("videostudio.services.catalog")


class Catalog:
    """The models list for one API. ``models`` is what the UI shows right now."""

    def __init__(self, client: VideoClient, cache_path: Path) -> None:
        self.client = client
        self.cache_path = cache_path
        self.models: list[VideoModel] = []
        self.fetched_at: float | None = None

    def load_cached(self) -> list[VideoModel]:
        """Read the disk cache (fast, sync: used before the first paint)."""
        try:
            data = json.loads(self.cache_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        if not isinstance(data, dict) or data.get("base_url") != self.client.base_url:
            return []
        self.models, skipped = parse_model_list(data.get("data"))
        if skipped:
            log.warning("skipped %d cached model entries", len(skipped))
        self.fetched_at = float(data.get("fetched_at") or 0)
        return self.models

    async def refresh(self) -> list[VideoModel]:
        """Fetch the live catalogue and cache it; raises the client's errors."""
        models = await self.client.list_models()
        self.models = models
        self.fetched_at = time.time()
        await asyncio.to_thread(self._write, [dict(m.raw) for m in models])
        return models

    def _write(self, raw: list[dict[str, Any]]) -> None:
        payload = {"base_url": self.client.base_url, "fetched_at": self.fetched_at, "data": raw}
        try:
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.cache_path.with_name(self.cache_path.name + ".tmp")
            tmp.write_text(json.dumps(payload), encoding="utf-8")
            os.replace(tmp, self.cache_path)
        except OSError as exc:  # a cache is a convenience; say so and go on
            log.warning("cannot write the model cache %s: %s", self.cache_path, exc)
