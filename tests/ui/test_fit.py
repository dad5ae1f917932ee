"""The window fits the screens creators use: 1024x640, 1280x800 and 1366x768.

Every visible widget's text, every library card and every compare caption is measured with
the font metrics it is drawn with; a money, seed or duration figure that is elided or
clipped fails. The main actions are on screen at the smallest size, the prompt is in view
with the cursor after its text, and one key switches a big player and a big library.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSettings, Qt
from PySide6.QtGui import QTextDocumentFragment
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QLabel,
    QStyle,
    QStyleOptionComboBox,
    QStyleOptionViewItem,
    QWidget,
)

from tests.ui.conftest import Studio, close_studio, make_studio, until
from videostudio.core.jobs import SAVED
from videostudio.ui.library.delegate import card_texts
from videostudio.ui.library.model import CARD_ROLE
from videostudio.ui.shell.main_window import BROWSE, LAYOUT_KEY, REVIEW, MainWindow
from videostudio.ui.widgets.fit import FittedLabel, figures

SIZES = ((1024, 640), (1280, 800), (1366, 768))
PROMPTS = (
    "A lighthouse in a storm, waves breaking over the rocks at dusk, wide shot",
    "Timelapse of clouds over a mountain lake",
    "A red kite over green hills",
)


def _plain(text: str) -> str:
    return QTextDocumentFragment.fromHtml(text).toPlainText() if "<" in text else text


def _shown(widget: QWidget) -> bool:
    return widget.isVisible() and not widget.visibleRegion().isEmpty()


def _cut_in_widget(widget: QWidget) -> str | None:
    """Why a figure in ``widget``'s text is not fully shown, or None."""
    if isinstance(widget, QLabel):
        shown = _plain(widget.text())
        full = widget.full_text() if isinstance(widget, FittedLabel) else shown
        room = widget.contentsRect().width() - 2 * widget.margin() - max(0, widget.indent())
        if widget.wordWrap():
            needed_h = widget.heightForWidth(widget.width())
            fits = needed_h <= widget.height() or not figures(shown)
        else:
            fits = not figures(shown) or widget.fontMetrics().horizontalAdvance(shown) <= room
    elif isinstance(widget, QAbstractButton):
        shown = full = widget.text().replace("&", "")
        fits = not figures(shown) or widget.sizeHint().width() <= widget.width()
    elif isinstance(widget, QComboBox):
        shown = full = widget.currentText()
        option = QStyleOptionComboBox()
        widget.initStyleOption(option)
        field = widget.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField
        )
        fits = not figures(shown) or widget.fontMetrics().horizontalAdvance(shown) <= field.width()
    else:
        return None
    lost = [f for f in figures(full) if f not in figures(shown)]
    if lost:
        return f"elided {lost} in {shown!r}"
    if not fits:
        return f"clipped {figures(shown)} in {shown!r} ({widget.width()} px)"
    seen = widget.visibleRegion().boundingRect()
    if figures(shown) and seen.width() < widget.width():  # a parent cuts it off
        return f"hidden part of {shown!r}: {seen.width()} of {widget.width()} px in view"
    return None


def _cut_cards(window: MainWindow) -> list[str]:
    grid = window.library.grid
    delegate = grid.card_delegate
    found = []
    for row in range(window.library.model.rowCount()):
        index = window.library.model.index(row, 0)
        rect = grid.visualRect(index)
        if not rect.intersects(grid.viewport().rect()):
            continue
        card = index.data(CARD_ROLE)
        option = QStyleOptionViewItem()
        option.font = grid.font()
        rects = delegate.rects(rect, option.font)
        _lines, meta = card_texts(card, option.font, rects)
        lost = [f for f in figures(card.meta) if f not in figures(meta)]
        wide = grid.fontMetrics().horizontalAdvance(meta) > rects.meta.width()
        if lost or wide:
            found.append(f"card {card.record.local_id}: {meta!r} of {card.meta!r}")
    return found


def _cuts(window: MainWindow) -> list[str]:
    widgets = [window, *window.findChildren(QWidget)]
    found = [
        f"{type(w).__name__} {w.objectName()}: {why}"
        for w in widgets
        if _shown(w) and (why := _cut_in_widget(w))
    ]
    return found + _cut_cards(window)


async def _resize(window: MainWindow, width: int, height: int) -> None:
    window.resize(width, height)
    await until(lambda: window.size().width() == width and window.size().height() == height)
    await until(window.layout_settled, what="the layout at the new size")


async def _make_clips(studio: Studio) -> list[int]:
    w = studio.window
    for prompt in PROMPTS:
        w.compose.prompt.set_text(prompt)
        await until(w.compose.generate_button.isEnabled, what="Generate ready")
        w.compose.generate_button.click()
        await until(lambda p=prompt: any(r.prompt == p for r, _ in studio.events))
    ids = sorted({r.local_id for r, _ in studio.events})
    for local_id in ids:
        await until(lambda i=local_id: studio.states(i)[-1:] == [SAVED], what=f"clip {local_id}")
    return ids


async def test_no_figure_is_cut_at_any_size(studio: Studio) -> None:
    w = studio.window
    ids = await _make_clips(studio)
    # A long passing message with figures in it: it wraps, it is not cut mid-word.
    studio.controller.notice.emit(
        "Saved the clip of seed 1772656057 that cost $0.40 (4 s) into the clips folder; "
        "you can use a key for the next one or keep using demo mode for free.",
        "progress",
    )
    for layout in (BROWSE, REVIEW):
        w.set_layout(layout)
        for width, height in SIZES:
            await _resize(w, width, height)
            cuts = _cuts(w)
            assert cuts == [], "\n".join([str((layout, width, height)), *cuts])
    # The compare grid's captions, at each size.
    w.clip_actions.compare(ids)
    await until(lambda: w.stage.currentWidget() is w.compare, what="the compare grid")
    for width, height in SIZES:
        await _resize(w, width, height)
        await until(
            lambda: all("s" in t.caption.full_text() for t in w.compare.tiles),
            what="the clips' lengths in the captions",
        )
        assert _cuts(w) == [], ("compare", width, height)


async def test_the_model_list_shows_every_price_whole(studio: Studio) -> None:
    picker = studio.window.compose.model_picker
    picker.showPopup()
    try:
        view = picker.view()
        await until(view.isVisible, what="the model list")
        header = view.header()

        def columns() -> int:
            return sum(header.sectionSize(c) for c in range(header.count()))

        # No column is cut off by the list's edge (the list widens itself once shown).
        await until(lambda: columns() <= view.viewport().width(), what="a list wide enough")
        assert [picker.model().headerData(c, Qt.Orientation.Horizontal) for c in range(3)] == [
            "Model",
            "Vendor",
            "Price",
        ]
        metrics = view.fontMetrics()
        for row in range(picker.count()):
            price = picker.model().index(row, 2).data()
            assert figures(price) or price == "price unknown"
            assert metrics.horizontalAdvance(price) <= header.sectionSize(2)
    finally:
        picker.hidePopup()


async def test_at_1024x640_the_main_actions_and_the_prompt_are_in_view(studio: Studio) -> None:
    w = studio.window
    await _resize(w, 1024, 640)
    await until(lambda: w.controller.key is not None)
    w.controller.set_demo(True)  # the demo banner and its "Add API key…" / "Use OpenRouter"
    await until(w.demo_banner.isVisible, what="the demo banner")
    await until(w.layout_settled)
    inside = w.rect()
    for widget in (
        w.compose.generate_button,
        w.compose.estimate,
        w.statusBar(),
        w.demo_button,
        w.compose.prompt.editor,
    ):
        top_left = widget.mapTo(w, widget.rect().topLeft())
        assert inside.contains(QRect(top_left, widget.size())), widget
        assert _shown(widget), widget


async def test_the_prompt_is_in_view_at_launch_with_the_cursor_after_it(studio: Studio) -> None:
    text = "A paper boat on a rainy street, low tracking shot"
    data = studio.data.parent / "again"
    data.mkdir()
    kept = QSettings(str(data / "settings.ini"), QSettings.Format.IniFormat)
    kept.setValue("draft/prompt", text)
    kept.sync()
    again = make_studio(studio.server, data)
    again.window.resize(1024, 640)
    again.window.show()
    await again.controller.start()
    try:
        editor = again.window.compose.prompt.editor
        await until(lambda: _shown(editor), what="the prompt in view")
        assert editor.toPlainText() == text
        assert editor.textCursor().position() == len(text)
        QTest.keyClicks(editor, " at dusk")
        assert editor.toPlainText() == text + " at dusk"
    finally:
        await close_studio(again)


async def test_a_first_run_fits_the_screen(studio: Studio) -> None:
    fresh = make_studio(studio.server, studio.data / "fresh")
    try:
        fresh.window.show()
        area = fresh.window.screen().availableGeometry()
        assert area.contains(fresh.window.frameGeometry())
        assert fresh.window.width() <= area.width() and fresh.window.height() <= area.height()
    finally:
        await close_studio(fresh)


async def test_one_key_switches_a_big_player_and_a_big_library(studio: Studio) -> None:
    w = studio.window
    await _make_clips(studio)
    await _resize(w, 1280, 800)
    w.set_layout(BROWSE)
    await until(w.layout_settled)
    grid = w.library.grid
    assert grid.viewport().height() >= 2 * grid.gridSize().height()  # two full rows of cards
    w.activateWindow()
    QTest.keyClick(w, Qt.Key.Key_F6)
    assert w.layout_mode() == REVIEW
    assert w.layout_action.shortcut().toString() == LAYOUT_KEY
    await until(w.layout_settled)
    assert w.player.video.height() >= 400
    QTest.keyClick(w, Qt.Key.Key_F6)
    assert w.layout_mode() == BROWSE
