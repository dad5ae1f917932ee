"""Where a model list comes from, as the window tells the user."""

from __future__ import annotations

LIVE = "live"  # fetched from the API in this run
CACHED = "cached"  # the last list fetched, from disk
SNAPSHOT = "snapshot"  # the list shipped with the app
