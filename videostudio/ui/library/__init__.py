"""The clip library: every job and clip as a card, found by search and filters.

``LibraryPanel`` (view.py) is what the window embeds; ``sources.journal_sources``
feeds it from the journal. The model, delegate, grid and thumbnails are in their
own modules so the player and a compare view can reuse the frame decoding
(videostudio.ui.media.thumbnails).
"""
