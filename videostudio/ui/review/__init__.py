"""Watching clips: the player, the compare grid and their transport."""
