"""How a card looks: one delegate paints every card, no widget per card.

``card_rects`` computes every part of a card from its rect; paint and hit-testing
(hover buttons, the scrub area) both use it, so they can never disagree. Colours
come from the palette only (state tones are blended into it, so they read in light
and dark themes); video stays black. Pixmaps made from palette colours are cached
and dropped on a palette change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
    QPolygonF,
    QTextLayout,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
    QWidget,
)

from videostudio.ui.library.cards import BAD, BUSY, NEUTRAL, OK, WARN
from videostudio.ui.library.model import CARD_ROLE, STRIP_ROLE, Card
from videostudio.ui.widgets.fit import fit_line

AnyIndex = QModelIndex | QPersistentModelIndex

PAD = 7  # around the card's content (also the gap between cards)
GAP = 5  # between the thumbnail and the text
BUTTON = 24  # hover buttons
MIN_CARD_WIDTH = 220
MAX_CARD_WIDTH = 280

# Hover buttons, right to left on the thumbnail, with their tooltips.
ACTIONS = {"favourite": "Favourite", "compare": "Compare…", "more": "More actions"}
# Hues of the state tones; saturation and lightness come from the palette.
_HUES = {OK: 130, WARN: 35, BAD: 2}


@dataclass(frozen=True)
class CardRects:
    """Where each part of a card goes, from the card's rect."""

    card: QRect
    thumb: QRect
    prompt: QRect
    meta: QRect
    buttons: dict[str, QRect]

    def hit(self, pos: QPoint) -> str | None:
        """ "favourite", "compare", "more", "thumb", "card", or None outside."""
        for name, rect in self.buttons.items():
            if rect.contains(pos):
                return name
        if self.thumb.contains(pos):
            return "thumb"
        return "card" if self.card.contains(pos) else None


def card_height(width: int, line_height: int) -> int:
    return 2 * PAD + (width - 2 * PAD) * 9 // 16 + GAP + 3 * line_height + 2


def card_rects(rect: QRect, line_height: int) -> CardRects:
    """The one layout of a card, shared by paint, hover and clicks."""
    inner = rect.adjusted(PAD, PAD, -PAD, -PAD)
    thumb = QRect(inner.left(), inner.top(), inner.width(), inner.width() * 9 // 16)
    prompt = QRect(inner.left(), thumb.bottom() + 1 + GAP, inner.width(), 2 * line_height)
    meta = QRect(inner.left(), prompt.bottom() + 3, inner.width(), line_height)
    buttons: dict[str, QRect] = {}
    x = thumb.right() - 5 - BUTTON + 1
    for name in ACTIONS:
        buttons[name] = QRect(x, thumb.top() + 5, BUTTON, BUTTON)
        x -= BUTTON + 4
    return CardRects(rect.adjusted(2, 2, -2, -2), thumb, prompt, meta, buttons)


def mix(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` moved a fraction ``t`` towards ``b``."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * t,
        a.greenF() + (b.greenF() - a.greenF()) * t,
        a.blueF() + (b.blueF() - a.blueF()) * t,
    )


def fit(size: QSize, box: QRect) -> QRect:
    """``size`` scaled to fit ``box``, centred (letterboxed)."""
    scaled = size.scaled(box.size(), Qt.AspectRatioMode.KeepAspectRatio)
    return QRect(
        box.left() + (box.width() - scaled.width()) // 2,
        box.top() + (box.height() - scaled.height()) // 2,
        scaled.width(),
        scaled.height(),
    )


def prompt_lines(text: str, font: QFont, width: int, lines: int = 2) -> list[str]:
    """``text`` wrapped to at most ``lines`` lines of ``width``, the last one elided."""
    flat = " ".join(text.split())
    layout = QTextLayout(flat, font)
    layout.beginLayout()
    starts: list[int] = []
    while len(starts) < lines:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        starts.append(line.textStart())
    layout.endLayout()
    out = [flat[a:b].rstrip() for a, b in zip(starts, [*starts[1:], len(flat)], strict=True)]
    if out:
        metrics = QFontMetrics(font)
        rest = flat[starts[-1] :]
        out[-1] = metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width)
    return out


def card_texts(card: Card, font: QFont, rects: CardRects) -> tuple[list[str], str]:
    """What a card shows as text: its prompt lines and its details line, fitted to ``rects``
    with ``font`` (paint draws exactly these; the fit test reads them)."""
    lines = prompt_lines(card.record.prompt or "(no prompt)", font, rects.prompt.width())
    return lines, fit_line(card.meta_parts, QFontMetrics(font), rects.meta.width())


@dataclass
class Hover:
    """The card under the pointer: which part, and where across the thumbnail (0..1)."""

    local_id: int
    part: str | None
    fraction: float | None = None  # set while scrubbing


class CardDelegate(QStyledItemDelegate):
    """Paints cards; hover buttons are painted and handled here (editorEvent, helpEvent).

    The view sets ``card_width`` (cards reflow) and ``hover``; ``strip_frames`` is the
    number of tiles in a scrub strip. ``scrubbed`` records the last tile painted, by id.

    Signals: clicked(str action, int local_id) for "favourite", "compare" and "more".
    """

    clicked = Signal(str, int)

    def __init__(self, strip_frames: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.card_width = 240
        self.strip_frames = strip_frames
        self.hover: Hover | None = None
        self.scrubbed: dict[int, int] = {}
        self._pixmaps: dict[tuple[str, int, int], QPixmap] = {}
        self._colors: dict[str, tuple[QColor, QColor]] = {}

    # -- geometry ----------------------------------------------------------------------------

    @staticmethod
    def line_height(option_font: QFont) -> int:
        return QFontMetrics(option_font).lineSpacing()

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        width = self.card_width
        return QSize(width, card_height(width, self.line_height(option.font)))

    def rects(self, rect: QRect, font: QFont) -> CardRects:
        return card_rects(rect, self.line_height(font))

    # -- caches --------------------------------------------------------------------------------

    def clear_cache(self) -> None:
        """Forget everything made from the palette (it changed)."""
        self._pixmaps.clear()
        self._colors.clear()

    def cache_size(self) -> int:
        return len(self._pixmaps) + len(self._colors)

    def _tone(self, palette: QPalette, tone: str) -> tuple[QColor, QColor]:
        """(background, text) of a pill in ``tone``, blended with the palette."""
        colors = self._colors.get(tone)
        if colors is None:
            base = palette.color(QPalette.ColorRole.Base)
            text = palette.color(QPalette.ColorRole.Text)
            if tone == BUSY:
                accent = palette.color(QPalette.ColorRole.Highlight)
            elif tone == NEUTRAL:
                accent = mix(base, text, 0.5)
            else:
                dark = base.lightnessF() < 0.5
                accent = QColor.fromHsl(_HUES[tone], 170, 150 if dark else 110)
            background = mix(base, accent, 0.28)
            background.setAlpha(235)
            colors = (background, mix(text, accent, 0.55))
            self._colors[tone] = colors
        return colors

    def _placeholder(self, palette: QPalette, size: QSize, dpr: float, playable: bool) -> QPixmap:
        """A palette-coloured stand-in for a thumbnail not decoded (or never to be), with a
        play mark only for a clip that plays (or will: its job still runs)."""
        key = ("placeholder" if playable else "blank", size.width(), size.height())
        pixmap = self._pixmaps.get(key)
        if pixmap is None:
            pixmap = QPixmap(size * dpr)
            pixmap.setDevicePixelRatio(dpr)
            base = palette.color(QPalette.ColorRole.Base)
            text = palette.color(QPalette.ColorRole.Text)
            pixmap.fill(mix(base, text, 0.07))
            self._pixmaps[key] = pixmap
            if not playable:
                return pixmap
            p = QPainter(pixmap)
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            side = min(size.width(), size.height()) / 5
            cx, cy = size.width() / 2, size.height() / 2
            triangle = QPolygonF(
                [
                    QPointF(cx - side * 0.4, cy - side / 2),
                    QPointF(cx + side * 0.5, cy),
                    QPointF(cx - side * 0.4, cy + side / 2),
                ]
            )
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(mix(base, text, 0.22))
            p.drawPolygon(triangle)
            p.end()
        return pixmap

    # -- painting ------------------------------------------------------------------------------

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        card: Card | None = index.data(CARD_ROLE)
        if card is None:
            return
        widget: QWidget | None = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        palette: QPalette = option.palette
        state = option.state
        selected = bool(state & QStyle.StateFlag.State_Selected)
        hovered = bool(state & QStyle.StateFlag.State_MouseOver)
        rects = self.rects(option.rect, option.font)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        panel = QStyleOptionViewItem(option)
        panel.rect = rects.card
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, panel, painter, widget)
        if hovered and not selected:
            glow = mix(
                palette.color(QPalette.ColorRole.Base),
                palette.color(QPalette.ColorRole.Highlight),
                0.12,
            )
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(glow)
            painter.drawRoundedRect(rects.card, 4, 4)
        if state & QStyle.StateFlag.State_HasFocus:
            pen = QPen(palette.color(QPalette.ColorRole.Highlight), 1.5)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(rects.card).adjusted(0.75, 0.75, -0.75, -0.75), 4, 4)
        self._paint_thumb(painter, option, index, card, rects, hovered)
        self._paint_texts(painter, option, card, rects, selected)
        painter.restore()

    def _paint_thumb(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: AnyIndex,
        card: Card,
        rects: CardRects,
        hovered: bool,
    ) -> None:
        palette: QPalette = option.palette
        thumb = rects.thumb
        local_id = card.record.local_id
        image: QImage | None = index.data(Qt.ItemDataRole.DecorationRole) if card.has_file else None
        scrub = self.hover if (hovered and self.hover and self.hover.local_id == local_id) else None
        strip: QImage | None = None
        if scrub is not None and scrub.fraction is not None and card.has_file:
            strip = index.data(STRIP_ROLE)
        path = QPainterPath()
        path.addRoundedRect(QRectF(thumb), 4, 4)
        painter.save()
        painter.setClipPath(path)
        if strip is not None and scrub is not None and scrub.fraction is not None:
            tiles = max(1, self.strip_frames)
            tile = min(tiles - 1, max(0, int(scrub.fraction * tiles)))
            width = strip.width() // tiles
            source = QRect(tile * width, 0, width, strip.height())
            painter.fillRect(thumb, Qt.GlobalColor.black)  # video stays black in every theme
            painter.drawImage(fit(source.size(), thumb), strip, source)
            self.scrubbed[local_id] = tile
        elif image is not None and not image.isNull():
            painter.fillRect(thumb, Qt.GlobalColor.black)
            painter.drawImage(fit(image.size(), thumb), image)
        else:
            dpr = painter.device().devicePixelRatioF() if painter.device() else 1.0
            playable = card.has_file or not card.record.is_final
            stand_in = self._placeholder(palette, thumb.size(), dpr, playable)
            painter.drawPixmap(thumb.topLeft(), stand_in)
            if card.unreadable:
                self._pill(painter, palette, "No preview", NEUTRAL, thumb.center(), centre=True)
        if scrub is not None and scrub.fraction is not None and card.has_file:
            x = thumb.left() + scrub.fraction * thumb.width()
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2))
            painter.drawLine(QPointF(x, thumb.top()), QPointF(x, thumb.bottom()))
        if card.progress is not None:
            bar = QRect(thumb.left(), thumb.bottom() - 4, thumb.width(), 5)
            painter.fillRect(bar, mix(palette.color(QPalette.ColorRole.Base), QColor(0, 0, 0), 0.3))
            bar.setWidth(int(thumb.width() * card.progress))
            painter.fillRect(bar, palette.color(QPalette.ColorRole.Highlight))
        painter.restore()
        # Overlays: state top-left, batch bottom-left, ×N bottom-right, buttons top-right.
        self._pill(painter, palette, card.badge, card.tone, thumb.topLeft() + QPoint(5, 5))
        small = QFontMetrics(self._small_font(painter.font()))
        bottom = thumb.bottom() - small.height() - 9
        if card.batch:
            self._pill(painter, palette, card.batch, NEUTRAL, QPoint(thumb.left() + 5, bottom))
        if card.outputs > 1:
            text = f"×{card.outputs}"
            width = small.horizontalAdvance(text) + 12
            self._pill(painter, palette, text, NEUTRAL, QPoint(thumb.right() - 4 - width, bottom))
        show_buttons = hovered and self.hover is not None and self.hover.local_id == local_id
        for name, rect in rects.buttons.items():
            favourite = name == "favourite"
            if show_buttons or (favourite and card.record.favourite):
                under = show_buttons and self.hover is not None and self.hover.part == name
                self._button(painter, palette, name, rect, card.record.favourite, under)

    def _small_font(self, font: QFont) -> QFont:
        small = QFont(font)
        small.setPointSizeF(max(6.5, font.pointSizeF() * 0.85))
        return small

    def _pill(
        self,
        painter: QPainter,
        palette: QPalette,
        text: str,
        tone: str,
        at: QPoint,
        centre: bool = False,
    ) -> None:
        font = self._small_font(painter.font())
        metrics = QFontMetrics(font)
        rect = QRect(0, 0, metrics.horizontalAdvance(text) + 12, metrics.height() + 4)
        if centre:
            rect.moveCenter(at)
        else:
            rect.moveTopLeft(at)
        background, foreground = self._tone(palette, tone)
        painter.save()
        painter.setFont(font)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(background)
        painter.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
        painter.setPen(foreground)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def _button(
        self,
        painter: QPainter,
        palette: QPalette,
        name: str,
        rect: QRect,
        favourite: bool,
        under: bool,
    ) -> None:
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        painter.save()
        painter.setPen(Qt.PenStyle.NoPen)
        back = mix(base, palette.color(QPalette.ColorRole.Highlight), 0.35 if under else 0.0)
        back.setAlpha(230)
        painter.setBrush(back)
        painter.drawEllipse(rect)
        c = QRectF(rect).center()
        r = rect.width() * 0.3
        if name == "favourite":
            star = QPolygonF()
            for i in range(10):  # five points, five notches
                radius = r if i % 2 == 0 else r * 0.45
                angle = math.radians(-90 + i * 36)
                star.append(
                    QPointF(c.x() + radius * math.cos(angle), c.y() + radius * math.sin(angle))
                )
            gold = mix(text, QColor.fromHsl(45, 230, 120), 0.85)
            painter.setPen(QPen(gold if favourite else text, 1.4))
            painter.setBrush(gold if favourite else Qt.BrushStyle.NoBrush)
            painter.drawPolygon(star)
        elif name == "compare":
            painter.setPen(QPen(text, 1.4))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(QRectF(c.x() - r, c.y() - r * 0.7, r * 0.9, r * 1.4))
            painter.drawRect(QRectF(c.x() + r * 0.1, c.y() - r * 0.7, r * 0.9, r * 1.4))
        else:
            painter.setBrush(text)
            for dx in (-r * 0.8, 0.0, r * 0.8):
                painter.drawEllipse(QPointF(c.x() + dx, c.y()), 1.6, 1.6)
        painter.restore()

    def _paint_texts(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        card: Card,
        rects: CardRects,
        selected: bool,
    ) -> None:
        palette: QPalette = option.palette
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        color = palette.color(role)
        painter.setFont(option.font)
        painter.setPen(color)
        line = self.line_height(option.font)
        lines, meta = card_texts(card, option.font, rects)
        for i, text in enumerate(lines):
            row = QRect(
                rects.prompt.left(), rects.prompt.top() + i * line, rects.prompt.width(), line
            )
            painter.drawText(row, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
        secondary = QColor(color)
        secondary.setAlphaF(0.6)
        painter.setPen(secondary)
        painter.drawText(
            rects.meta, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, meta
        )

    # -- hover buttons -------------------------------------------------------------------------

    def editorEvent(
        self, event: QEvent, model: object, option: QStyleOptionViewItem, index: AnyIndex
    ) -> bool:
        kinds = (
            QEvent.Type.MouseButtonPress,
            QEvent.Type.MouseButtonRelease,
            QEvent.Type.MouseButtonDblClick,
        )
        if event.type() not in kinds or not isinstance(event, QMouseEvent):
            return False
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        part = self.rects(option.rect, option.font).hit(event.position().toPoint())
        if part not in ACTIONS:
            return False
        if event.type() == QEvent.Type.MouseButtonRelease:
            card: Card | None = index.data(CARD_ROLE)
            if card is not None:
                self.clicked.emit(part, card.record.local_id)
        return True  # a press on a button neither selects nor plays

    def helpEvent(
        self,
        event: QHelpEvent,
        view: QAbstractItemView,
        option: QStyleOptionViewItem,
        index: AnyIndex,
    ) -> bool:
        part = self.rects(option.rect, option.font).hit(event.pos())
        if part in ACTIONS:
            card: Card | None = index.data(CARD_ROLE)
            label = ACTIONS[part]
            if part == "favourite" and card is not None and card.record.favourite:
                label = "Remove from favourites"
            QToolTip.showText(event.globalPos(), label, view)
            return True
        return super().helpEvent(event, view, option, index)
