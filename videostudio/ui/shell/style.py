"""The window's look: a few rules on top of the platform style (Fusion on Linux).

No literal colours that only work on one background: ``STYLE`` uses palette
roles, and ``themed_style`` blends the state colours (error, warning, info)
with the current palette, checking that text stays readable (WCAG contrast)
in light and dark palettes alike. ``FocusRing`` draws a clear ring in the
highlight colour around whatever has keyboard focus, which Fusion itself
barely marks on buttons, combo boxes, check boxes and text areas.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLabel,
    QMenu,
    QMenuBar,
    QScrollArea,
    QWidget,
)

STYLE = """
QLabel#sectionTitle { font-weight: 600; margin-top: 6px; }
QFrame#imageZone { border: 2px dashed palette(mid); border-radius: 8px; }
QFrame#imageZone[dragging="true"] { border-color: palette(highlight); }
QFrame#imageTile { border: 1px solid palette(mid); border-radius: 4px; }
QLabel#placeholder { background: palette(base); }
QPushButton#generate { font-weight: 600; padding: 6px 18px; }
QLabel#estimate { font-weight: 600; }
QToolButton#valueChip { border: 1px solid palette(mid); border-radius: 4px; padding: 3px 8px; }
QToolButton#valueChip:focus { border-color: palette(highlight); }
QToolButton#valueChip::menu-indicator { image: none; width: 0; }
QToolButton#segment { border: 1px solid palette(mid); padding: 2px 10px; }
QToolButton#segment:checked { background: palette(highlight); color: palette(highlighted-text);
                              border-color: palette(highlight); }
QLabel#caption { color: palette(placeholder-text); }
QFrame#banner { border-radius: 4px; padding: 2px; }
"""

# State colours, as hues: blended with the palette below, never used as they are.
ERROR = QColor("#d93025")
WARNING = QColor("#e37400")
DEMO = QColor("#f9ab00")
INFO = QColor("#1a73e8")
BANNER_KINDS = {
    "error": ERROR,
    "credits": ERROR,
    "offline": WARNING,
    "demo": DEMO,
    "info": INFO,
}
TEXT_CONTRAST = 4.5  # WCAG AA for body text
BORDER_CONTRAST = 3.0  # WCAG for user interface components


def mix(a: QColor, b: QColor, amount: float) -> QColor:
    """``a`` blended into ``b``: amount 0 is ``b``, 1 is ``a``."""
    return QColor.fromRgbF(
        a.redF() * amount + b.redF() * (1 - amount),
        a.greenF() * amount + b.greenF() * (1 - amount),
        a.blueF() * amount + b.blueF() * (1 - amount),
    )


def _luminance(color: QColor) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(color.redF())
        + 0.7152 * channel(color.greenF())
        + 0.0722 * channel(color.blueF())
    )


def contrast(a: QColor, b: QColor) -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable(hue: QColor, background: QColor, text: QColor, minimum: float) -> QColor:
    """``hue`` moved toward the palette's text colour until it reads on ``background``."""
    for step in range(11):
        color = mix(text, hue, step / 10)
        if contrast(color, background) >= minimum:
            return color
    return text


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def themed_style(palette: QPalette) -> str:
    """The rules whose colours depend on the palette: state colours blended with it."""
    window = palette.color(QPalette.ColorRole.Window)
    text = palette.color(QPalette.ColorRole.WindowText)
    error = readable(ERROR, window, text, TEXT_CONTRAST).name()
    border = readable(ERROR, window, text, BORDER_CONTRAST).name()
    secondary = readable(mix(text, window, 0.55), window, text, TEXT_CONTRAST).name()
    warning = readable(WARNING, window, text, TEXT_CONTRAST).name()
    rules = [
        f"QLabel#hint {{ color: {secondary}; }}",
        f"QLabel#inlineMessage {{ color: {error}; }}",
        'QLabel#inlineMessage[problem="false"], QLabel#note { color: palette(window-text); }',
        f'QLabel[problem="true"] {{ color: {error}; }}',
        'QComboBox[problem="true"], QSpinBox[problem="true"], QDoubleSpinBox[problem="true"],'
        ' QCheckBox[problem="true"], QToolButton[problem="true"],'
        f' QPlainTextEdit[problem="true"] {{ border: 2px solid {border}; border-radius: 3px; }}',
        f"QLabel#placeholder {{ color: {secondary}; }}",
        # Money over a cap, beside Generate and in the status bar.
        'QLabel#estimate[over="true"], QToolButton#spendBadge[over="true"]'
        f" {{ color: {warning}; }}",
    ]
    # Fusion outlines a radio button in a darker window colour: faint on a light window,
    # lost on a dark one. The ring is drawn here at the contrast a control needs.
    ring = readable(mix(text, window, 0.5), window, text, BORDER_CONTRAST).name()
    dot = palette.color(QPalette.ColorRole.Text).name()
    rules += [
        "QRadioButton::indicator { width: 12px; height: 12px; border-radius: 7px;"
        f" border: 1px solid {ring}; background: palette(base); }}",
        "QRadioButton::indicator:checked { background: qradialgradient(cx: 0.5, cy: 0.5,"
        f" radius: 0.5, fx: 0.5, fy: 0.5, stop: 0 {dot}, stop: 0.45 {dot},"
        " stop: 0.55 palette(base)); }",
        "QRadioButton::indicator:disabled { border-color: palette(mid); }",
    ]
    strength = 0.28 if is_dark(palette) else 0.14
    for kind, hue in BANNER_KINDS.items():
        background = mix(hue, window, strength)
        foreground = readable(hue, background, text, TEXT_CONTRAST)
        selector = f'QFrame#banner[kind="{kind}"]'
        rules.append(f"{selector} {{ background: {background.name()}; }}")
        rules.append(f"{selector} QLabel {{ color: {foreground.name()}; }}")
    return "\n".join(rules)


def dark_palette() -> QPalette:
    """A dark Fusion palette (for screenshots and tests of the dark look)."""
    palette = QPalette()
    role = QPalette.ColorRole
    for which, color in (
        (role.Window, "#2b2b2b"),
        (role.WindowText, "#e8e8e8"),
        (role.Base, "#1e1e1e"),
        (role.AlternateBase, "#2f2f2f"),
        (role.ToolTipBase, "#3a3a3a"),
        (role.ToolTipText, "#e8e8e8"),
        (role.PlaceholderText, "#9a9a9a"),
        (role.Text, "#e8e8e8"),
        (role.Button, "#353535"),
        (role.ButtonText, "#e8e8e8"),
        (role.BrightText, "#ff6b6b"),
        (role.Highlight, "#3d8ee8"),
        (role.HighlightedText, "#ffffff"),
        (role.Link, "#7ab4f5"),
        (role.LinkVisited, "#b48ef5"),
        (role.Light, "#4a4a4a"),
        (role.Midlight, "#404040"),
        (role.Mid, "#5a5a5a"),
        (role.Dark, "#202020"),
        (role.Shadow, "#101010"),
    ):
        palette.setColor(which, QColor(color))
    for which in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, which, QColor("#7a7a7a"))
    return palette


class _Ring(QWidget):
    """The ring itself: a see-through child over the focused widget's edge, so it moves,
    scrolls and hides with it and no parent's edge ever clips it."""

    def __init__(self, target: QWidget) -> None:
        super().__init__(target)
        self.setObjectName("focusRing")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setGeometry(target.rect())
        target.installEventFilter(self)
        self.raise_()
        self.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        target = self.parentWidget()
        if watched is target and target is not None:
            if event.type() == QEvent.Type.Resize:
                self.setGeometry(target.rect())
            elif event.type() == QEvent.Type.ChildAdded:
                self.raise_()
        return False

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = self.palette().color(QPalette.ColorGroup.Active, QPalette.ColorRole.Highlight)
        painter.setPen(QPen(colour, RING_WIDTH))
        inset = RING_WIDTH / 2
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(inset, inset, -inset, -inset), 3, 3)


RING_WIDTH = 2


class FocusRing(QObject):
    """Keeps one ring on the widget that has keyboard focus, in every window of the app."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ring: _Ring | None = None
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._on_app_focus_changed)

    @property
    def target(self) -> QWidget | None:
        """The widget the ring is on (None when none is)."""
        ring = self._ring
        return ring.parentWidget() if ring is not None and shiboken6.isValid(ring) else None

    def _on_app_focus_changed(self, _old: QWidget | None, now: QWidget | None) -> None:
        if self._ring is not None and shiboken6.isValid(self._ring):
            self._ring.deleteLater()
        self._ring = None
        if now is None or isinstance(now, (QMenu, QMenuBar, QLabel)) or now.isWindow():
            return  # a label with links marks its focused link itself
        if isinstance(now, QScrollArea):
            return  # a panel that scrolls (a click on its background): not a control
        if now.window().windowFlags() & Qt.WindowType.Popup == Qt.WindowType.Popup:
            return  # a completer's list or a menu: its own highlight shows the place
        target = now
        owner = now.parentWidget()
        if isinstance(owner, (QComboBox, QAbstractSpinBox)):
            target = owner  # ring the whole editable combo or spin box, not its text field
        self._ring = _Ring(target)
