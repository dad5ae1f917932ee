"""Input that costs money, in the real window with real events: a stray wheel changes no
setting, every shortcut has one binding, loading a clip's settings can be undone, Continue
leaves the seed free, and a number typed out of range is refused where it is typed."""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QShortcut, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDoubleSpinBox, QWidget

from tests.ui.conftest import Studio, png_file, question_box, until
from tests.ui.test_iterate import make_clip, posts

CTRL = Qt.KeyboardModifier.ControlModifier


def wheel(widget: QWidget, notches: int = -1) -> None:
    """A mouse wheel turned over the middle of ``widget`` (delivered like the system's)."""
    at = QPointF(widget.rect().center())
    event = QWheelEvent(
        at,
        QPointF(widget.mapToGlobal(at)),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


async def test_a_wheel_over_unfocused_settings_scrolls_the_panel(studio: Studio) -> None:
    w = studio.window
    w.resize(960, 600)  # the form scrolls
    w.compose.model_picker.select("kwaivgi/kling-v3.0-std")
    w.compose.advanced.set_expanded(True)
    await until(
        lambda: w.compose.form_scroll.verticalScrollBar().maximum() > 0, what="a scrolling form"
    )
    w.compose.prompt.focus()
    duration, model, estimate = (
        w.compose.params.duration.currentData(),
        w.compose.model_picker.current_id(),
        (w.compose.estimate.text()),
    )
    scale = w.compose.advanced.control("cfg_scale")
    bar = w.compose.form_scroll.verticalScrollBar()
    for target in (
        w.compose.params.duration,
        w.compose.params.resolution,
        w.compose.model_picker,
        scale,
        w.compose.params.seed,
    ):
        before = bar.value()
        wheel(target)
        assert bar.value() > before or bar.value() == bar.maximum(), target.accessibleName()
        bar.setValue(0)
    assert w.compose.params.duration.currentData() == duration
    assert w.compose.model_picker.current_id() == model
    assert w.compose.advanced.values() == {}
    assert w.compose.estimate.text() == estimate
    assert w.compose.prompt.editor.hasFocus()  # a wheel takes no focus either
    # With focus the wheel is a deliberate choice and changes the value.
    w.compose.params.duration.setFocus()
    await until(w.compose.params.duration.hasFocus, what="focus on Duration")
    wheel(w.compose.params.duration)
    assert w.compose.params.duration.currentData() != duration


def key_sequences(window: QWidget) -> Counter[str]:
    """Every key sequence a QAction or QShortcut of ``window`` answers to (each once per
    object), the dialogs' own counted with their dialog, not the window."""
    counts: Counter[str] = Counter()
    for obj in (*window.findChildren(QAction), *window.findChildren(QShortcut)):
        owner = obj.parent()
        if isinstance(owner, QWidget) and owner.window() is not window:
            continue
        keys = obj.shortcuts() if isinstance(obj, QAction) else [obj.key()]
        for text in {k.toString() for k in keys if not k.isEmpty()}:
            counts[text] += 1
    return counts


async def test_every_shortcut_has_one_binding_per_window(studio: Studio) -> None:
    w = studio.window
    w.compose.prompt.set_text("a fox")
    w.open_variations()
    w.open_spend()
    w.open_key_dialog()
    windows = [w, *(d for d in (w.batch_dialog, w.spend_dialog, w.key_dialog) if d is not None)]
    assert len(windows) == 4
    for window in windows:
        counts = key_sequences(window)
        repeats = {k: n for k, n in counts.items() if n > 1}
        assert repeats == {}, f"{window.windowTitle()}: {repeats}"
    assert "Ctrl+F" in key_sequences(w)
    for dialog in windows[1:]:
        dialog.close()


async def test_ctrl_f_in_the_library_goes_to_its_search(studio: Studio) -> None:
    w = studio.window
    await make_clip(studio, "find me")
    grid = w.library.grid
    w.activateWindow()
    grid.setFocus()
    await until(grid.hasFocus, what="focus in the library")
    QTest.keyClick(grid, Qt.Key.Key_F, CTRL)
    await until(w.library.search.hasFocus, what="focus in the search box")


async def test_use_these_settings_is_undone_by_ctrl_z(studio: Studio, tmp_path: object) -> None:
    w = studio.window
    record = await make_clip(studio, "a red kite", duration=6)
    # A new draft: another prompt, duration, a fixed seed and a first frame.
    w.compose.prompt.set_text("my new idea")
    w.compose.params.duration.setCurrentIndex(w.compose.params.duration.findData(8))
    w.compose.params.seed_fixed.setChecked(True)
    w.compose.params.seed.setValue(4242)
    w.compose.images.files_added.emit([str(png_file(tmp_path / "start.png", "#ff0000"))])  # type: ignore[operator]
    await until(lambda: len(w.compose.images.tile_ids()) == 1, what="the draft's image")
    w.activateWindow()
    w.library.select(record.local_id)
    w.compose.prompt.focus()
    QTest.keyClick(w.compose.prompt.editor, Qt.Key.Key_U, CTRL)
    await until(lambda: w.compose.prompt.text() == "a red kite", what="the clip's settings")
    await until(lambda: not w.compose.images.tile_ids(), what="the clip's (no) images")
    assert w.compose.params.duration.currentData() == 6
    assert w.compose.prompt.editor.hasFocus()
    QTest.keyClick(w.compose.prompt.editor, Qt.Key.Key_Z, CTRL)
    await until(lambda: w.compose.prompt.text() == "my new idea", what="the draft back")
    assert w.compose.params.duration.currentData() == 8
    assert w.compose.params.seed_fixed.isChecked() and w.compose.params.seed.value() == 4242
    await until(lambda: len(w.compose.images.tile_ids()) == 1, what="the draft's image back")
    (part,) = studio.controller.images.parts()
    assert part.role == "first_frame"
    # Typing after a load is undone first, as in any text box; then the load.
    w.library.vary_requested.emit([record.local_id])
    await until(lambda: w.compose.prompt.text() == "a red kite", what="the varied settings")
    QTest.keyClicks(w.compose.prompt.editor, "!")
    QTest.keyClick(w.compose.prompt.editor, Qt.Key.Key_Z, CTRL)
    assert w.compose.prompt.text() == "a red kite"
    QTest.keyClick(w.compose.prompt.editor, Qt.Key.Key_Z, CTRL)
    await until(lambda: w.compose.prompt.text() == "my new idea", what="the draft back after Vary")


async def test_continue_is_undone_and_leaves_the_seed_free(studio: Studio) -> None:
    w = studio.window
    record = await make_clip(studio, "a train leaving", duration=4)
    w.compose.prompt.set_text("before continuing")
    w.library.continue_requested.emit(record.local_id, record.path or "")
    await until(lambda: w.compose.prompt.text() == "a train leaving", what="the settings")
    await until(lambda: len(studio.controller.images.parts()) == 1, what="the last frame")
    assert not w.compose.params.seed_fixed.isChecked()  # a continuation is a new take
    seeds = {record.seed}
    for n, prompt in enumerate(("the train in a tunnel", "the train at night", "the station")):
        w.compose.prompt.set_text(prompt)
        w.compose.generate_button.click()
        await until(lambda n=n: len(posts(studio)) == n + 2, what=f"job {n + 2}")
        assert question_box() is None  # nothing asks "same job again?"
        seeds.add(posts(studio)[-1]["seed"])  # type: ignore[arg-type]
        await until(w.compose.generate_button.isEnabled, what="Generate ready")
    assert len(seeds) == 4  # four clips, four seeds
    w.compose.prompt.focus()
    w.library.continue_requested.emit(record.local_id, record.path or "")
    await until(lambda: w.compose.prompt.text() == "a train leaving", what="the settings again")
    QTest.keyClick(w.compose.prompt.editor, Qt.Key.Key_Z, CTRL)
    await until(lambda: w.compose.prompt.text() == "the station", what="the draft before Continue")


async def test_a_number_out_of_range_is_refused_where_it_is_typed(studio: Studio) -> None:
    w = studio.window
    w.compose.model_picker.select("kwaivgi/kling-v3.0-std")
    w.compose.advanced.set_expanded(True)
    scale = w.compose.advanced.control("cfg_scale")
    assert isinstance(scale, QDoubleSpinBox)
    assert "0 to 1" in scale.toolTip()  # the range is shown before anything is typed
    w.activateWindow()
    scale.setFocus()
    await until(scale.hasFocus, what="focus on the scale")
    scale.lineEdit().selectAll()
    QTest.keyClicks(scale, "7.5")
    assert scale.lineEdit().text() == "7.5"  # what was typed stays in view, not 0.5
    assert scale.property("problem") is True
    assert "7.5 is out of range" in scale.toolTip() and "0 to 1" in scale.toolTip()
    QTest.keyClick(scale, Qt.Key.Key_Tab)
    assert w.compose.advanced.values() == {}  # not clamped to 1, nor to anything else
    assert scale.property("problem") is True  # still marked, still saying why
    scale.setFocus()
    scale.lineEdit().selectAll()
    QTest.keyClicks(scale, "0.75")
    QTest.keyClick(scale, Qt.Key.Key_Tab)
    assert w.compose.advanced.values() == {"cfg_scale": 0.75}
    assert scale.property("problem") is False
    # The seed says its range too, and refuses a seed the API cannot take.
    seed = w.compose.params.seed
    w.compose.params.seed_fixed.setChecked(True)
    assert "0 to 2147483647" in seed.toolTip()
    seed.setFocus()
    seed.lineEdit().selectAll()
    QTest.keyClicks(seed, "9999999999")
    assert seed.lineEdit().text() == "9999999999"  # the tenth digit is not dropped unseen
    assert seed.property("problem") is True
    assert "9999999999 is out of range" in seed.toolTip()
    QTest.keyClick(seed, Qt.Key.Key_Tab)
    assert 0 <= seed.value() <= 2147483647
    assert seed.property("problem") is True
