"""Lines of details that keep their figures: money, seeds and lengths are never cut.

A line is made of parts joined by " · "; each part is a figure (kept whole) or a
word (a model name, a date) that gives way: the first word is elided first, then
dropped, then the next, as Resolve's media pool cuts the name and never the number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFontMetrics, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

SEP = " · "
MIN_ELIDED = "abcd…"  # narrower than this, a word is dropped instead
# What counts as a figure in any text: $0.40, $0.052/s, seed 1234, 4 s, 4.0 s.
FIGURE = re.compile(r"\$\d[\d,]*(?:\.\d+)?(?:/s)?|seed \d+|\b\d+(?:\.\d+)? s\b")

Part = tuple[str, bool]  # (text, is a figure)


def figures(text: str) -> list[str]:
    """The money, seed and length figures in ``text``."""
    return FIGURE.findall(text)


def join(parts: Sequence[Part]) -> str:
    return SEP.join(text for text, _ in parts if text)


def fit_line(parts: Sequence[Part], metrics: QFontMetrics, width: int) -> str:
    """``parts`` within ``width`` pixels, the figures whole."""
    current = [p for p in parts if p[0]]
    text = join(current)
    if metrics.horizontalAdvance(text) <= width:
        return text
    for i, (word, figure) in enumerate(current):
        if figure:
            continue
        others = join(current[:i] + current[i + 1 :])
        room = width - metrics.horizontalAdvance(others + SEP if others else "")
        if room >= metrics.horizontalAdvance(MIN_ELIDED):
            current[i] = (metrics.elidedText(word, Qt.TextElideMode.ElideRight, room), False)
            return join(current)
        current[i] = ("", False)
        text = join(current)
        if metrics.horizontalAdvance(text) <= width:
            return text
    return join(current)  # the figures alone (their width is the layout's to give)


class FittedLabel(QLabel):
    """One line of parts that fits its width by ``fit_line``; the whole line in the tooltip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self._parts: list[Part] = []

    def set_parts(self, parts: Sequence[Part], tip: str = "") -> None:
        self._parts = list(parts)
        self.setToolTip(tip or join(parts))
        self._fit()

    def full_text(self) -> str:
        return join(self._parts)

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(self.fontMetrics().horizontalAdvance(self.full_text()) + 2, hint.height())

    def minimumSizeHint(self) -> QSize:
        """The figures always fit."""
        hint = super().minimumSizeHint()
        figures_only = join([p for p in self._parts if p[1]])
        return QSize(self.fontMetrics().horizontalAdvance(figures_only) + 2, hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        self.setText(fit_line(self._parts, self.fontMetrics(), max(self.width(), 20)))
