"""Frames of saved clips, decoded off the GUI thread."""
