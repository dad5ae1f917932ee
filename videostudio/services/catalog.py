"""The video model catalogue: shown at once from a disk cache, refreshed from the API.

The cache is keyed by the API base URL, so the demo's catalogue never stands
in for the real one. It is written atomically; a damaged cache is ignored.
With no usable cache (first start offline, say) the built-in snapshot shipped
in ``videostudio.core`` fills the form, labelled as such, so the window is
never left without models.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from importlib import resources
from pathlib import Path
from typing import Any

from videostudio.api.client import RetryCallback, VideoClient
from videostudio.core.catalogue import CACHED, LIVE, SNAPSHOT
from videostudio.core.models import VideoModel, parse_model_list

log = logging.getLogger("videostudio.services.catalog")


def load_snapshot() -> tuple[list[VideoModel], str]:
    """The catalogue shipped with the app, and when it was taken (e.g. "August 2026")."""
    text = resources.files("videostudio.core").joinpath("catalogue_snapshot.json").read_text()
    data = json.loads(text)
    models, _skipped = parse_model_list(data.get("data"))
    return models, str(data.get("snapshot_of") or "")


class Catalog:
    """The models list for one API. ``models`` is what the UI shows right now and
    ``source`` says where it came from (LIVE, CACHED or SNAPSHOT)."""

    def __init__(self, client: VideoClient, cache_path: Path) -> None:
        self.client = client
        self.cache_path = cache_path
        self.models: list[VideoModel] = []
        self.source = ""
        self.fetched_at: float | None = None
        self.snapshot_of = ""

    def load_cached(self) -> list[VideoModel]:
        """The disk cache, or [] (fast, sync: used before the first paint)."""
        models = self._read_cache()
        if models:
            self.models, self.source = models, CACHED
        return models

    def load_offline(self) -> list[VideoModel]:
        """The disk cache, else the built-in snapshot: a list to show before any network."""
        if self.load_cached():
            return self.models
        self.models, self.snapshot_of = load_snapshot()
        self.source, self.fetched_at = SNAPSHOT, None
        return self.models

    def _read_cache(self) -> list[VideoModel]:
        try:
            data = json.loads(self.cache_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        if not isinstance(data, dict) or data.get("base_url") != self.client.base_url:
            return []
        models, skipped = parse_model_list(data.get("data"))
        if skipped:
            log.warning("skipped %d cached model entries", len(skipped))
        self.fetched_at = float(data.get("fetched_at") or 0)
        return models

    async def refresh(self, on_retry: RetryCallback | None = None) -> list[VideoModel]:
        """Fetch the live catalogue and cache it; raises the client's errors.

        ``on_retry`` hears of each failed try before the next, so a window can say at
        once that the service cannot be reached instead of after the last retry.
        """
        models = await self.client.list_models(on_retry=on_retry)
        self.models, self.source = models, LIVE
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
