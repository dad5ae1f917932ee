"""Keyboard and look, measured on the rendered window: Tab leaves the library, the focus ring
shows in the highlight colour, and banners and error text read in light and dark palettes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from tests.ui.conftest import Studio, until

# WCAG: 4.5 for text, 3 for a component's outline.
TEXT, OUTLINE = 4.5, 3.0


def contrast(a: QColor, b: QColor) -> float:
    def lum(c: QColor) -> float:
        def ch(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return 0.2126 * ch(c.redF()) + 0.7152 * ch(c.greenF()) + 0.0722 * ch(c.blueF())

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.fixture(params=["light", "dark"])
def palette(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    """The app's palette for the test: the platform's light one, or a dark Fusion one."""
    from videostudio.ui.shell.style import dark_palette

    before = qapp.palette()
    if request.param == "dark":
        qapp.setPalette(dark_palette())
    yield request.param
    qapp.setPalette(before)


def pixel(widget: QWidget, x: int, y: int) -> QColor:
    return QColor(widget.grab().toImage().pixel(x, y))


async def test_tab_leaves_the_library_and_arrows_move_in_it(studio: Studio) -> None:
    w = studio.window
    for prompt in ("one", "two"):
        w.compose.prompt.set_text(prompt)
        w.compose.generate_button.click()
        await until(w.compose.generate_button.isEnabled, what="the job")
    grid = w.library.grid
    await until(lambda: w.library.model.rowCount() == 2, what="two cards")
    w.activateWindow()
    grid.setFocus()
    await until(grid.hasFocus, what="focus in the library")
    grid.setCurrentIndex(w.library.model.index(0, 0))
    QTest.keyClick(grid, Qt.Key.Key_Right)
    assert grid.currentIndex().row() == 1  # arrows move within the grid
    QTest.keyClick(grid, Qt.Key.Key_Tab)
    assert grid.currentIndex().row() == 1  # not a walk through the cards
    assert not grid.hasFocus()  # Tab went on to the next widget
    assert QApplication.focusWidget() is not None


async def test_the_focus_ring_is_clear_in_light_and_dark(studio: Studio, palette: str) -> None:
    w = studio.window
    w.activateWindow()
    window_colour = w.palette().color(QPalette.ColorRole.Window)
    highlight = w.palette().color(QPalette.ColorRole.Highlight)
    for target in (
        w.compose.generate_button,
        w.compose.params.duration,
        w.compose.params.audio,
        w.compose.prompt.editor,
    ):
        target.setFocus(Qt.FocusReason.TabFocusReason)
        await until(target.hasFocus, what=f"focus on {target.objectName() or target}")
        ring = target.findChild(QWidget, "focusRing")
        assert ring is not None and ring.isVisible()
        assert ring.geometry() == target.rect()
        # Drawn on the screen where the target is: read from the whole window's picture.
        left_edge = ring.mapTo(w, ring.rect().topLeft()) + QPoint(0, ring.height() // 2)
        edge = QColor(w.grab().toImage().pixel(left_edge))
        assert contrast(edge, window_colour) >= OUTLINE, (palette, target, edge.name())
        assert contrast(edge, highlight) < 1.2  # it is the highlight colour


def _banner_text_and_ground(banner: QWidget) -> tuple[QColor, QColor]:
    label = banner.findChild(QLabel)
    assert label is not None
    label.ensurePolished()
    text = label.palette().color(QPalette.ColorRole.WindowText)
    ground = pixel(banner, banner.width() - 3, banner.height() // 2)  # beside the label
    return text, ground


async def test_banners_and_errors_read_in_light_and_dark(studio: Studio, palette: str) -> None:
    w = studio.window
    shown = [w.demo_banner, w.offline_banner, w.key_banner, w.credits_banner, w.message_banner]
    for banner in shown:
        banner.show_text("OpenRouter can't be reached; jobs you start wait here.")
    await until(lambda: all(b.isVisible() for b in shown), what="the banners")
    for banner in shown:
        text, ground = _banner_text_and_ground(banner)
        ratio = contrast(text, ground)
        assert ratio >= TEXT, (palette, banner.property("kind"), text.name(), ground.name())
        assert ground != w.palette().color(QPalette.ColorRole.Window)  # it stands out
    w.compose.problem_label.setText("Write a prompt first.")
    w.compose.problem_label.show()
    w.compose.problem_label.ensurePolished()
    error = w.compose.problem_label.palette().color(QPalette.ColorRole.WindowText)
    background = w.palette().color(QPalette.ColorRole.Window)
    assert contrast(error, background) >= TEXT, (palette, error.name())
    assert error.red() > error.blue() + 40  # still the error colour
    hint = w.compose.catalog_status
    hint.setText("Updating the model list…")
    hint.ensurePolished()
    assert contrast(hint.palette().color(QPalette.ColorRole.WindowText), background) >= TEXT
