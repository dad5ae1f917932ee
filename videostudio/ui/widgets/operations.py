"""The operations on a saved clip, as every menu that offers them names them."""

from __future__ import annotations

# (operation, menu text, shortcut): the card menu, the player's Iterate menu and the Clip menu.
OPERATIONS = (
    ("extend", "Extend…", "Ctrl+Shift+J"),
    ("edit", "Edit…", "Ctrl+E"),
    ("upscale", "Upscale…", "Ctrl+Shift+U"),
)
COMPARE_SOURCE = ("Compare with its source", "Ctrl+Shift+K")
