"""Messages in the real window: every refusal of a drop shown, notes not dressed as errors,
server words and our hints joined as sentences said once, and an About box to report from."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QPalette, QTextDocument
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from tests.test_inputs import png_bomb
from tests.ui.conftest import Studio, png_file, until
from tests.ui.test_connection_states import banners
from videostudio.core.failures import Failure, sentences


def drop_files(studio: Studio, *paths: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    assert studio.window.compose.images.accept_mime(mime)


def zone_lines(studio: Studio) -> list[QLabel]:
    """The image zone's message lines as shown (read from the widgets, not the model)."""
    zone = studio.window.compose.images
    labels = [lab for lab in zone.findChildren(QLabel) if lab.isVisible() and lab.text()]
    return [lab for lab in labels if lab is not zone.hint]


def plain(html: str) -> str:
    doc = QTextDocument()
    doc.setHtml(html)
    return doc.toPlainText()


async def test_each_refusal_of_a_drop_is_shown(studio: Studio, tmp_path: Path) -> None:
    notes = tmp_path / "notes.png"
    notes.write_bytes(b"this is not a picture")
    whole = png_file(tmp_path / "whole.png").read_bytes()
    half = tmp_path / "half.png"
    half.write_bytes(whole[: len(whole) // 2])
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_bomb())
    good = png_file(tmp_path / "good.png")
    drop_files(studio, notes, half, good, bomb)
    await until(lambda: len(zone_lines(studio)) == 3, what="three refusals")
    await until(lambda: not any("Preparing" in lab.text() for lab in zone_lines(studio)))
    texts = [lab.text() for lab in zone_lines(studio)]
    assert texts[0].startswith("notes.png is not a PNG, JPEG, WebP or GIF")
    assert texts[1].startswith("half.png is damaged")
    assert texts[2].startswith("bomb.png") and "too large to open safely" in texts[2]
    assert len(studio.window.compose.images.tile_ids()) == 1  # the good one


async def test_a_note_is_not_shown_as_an_error(studio: Studio, tmp_path: Path) -> None:
    drop_files(studio, png_file(tmp_path / "big.png", w=4000, h=2250))
    await until(studio.window.compose.images.tile_ids, what="the tile")
    (note,) = zone_lines(studio)
    assert note.text() == "big.png: scaled down from 4000 x 2250."
    note.ensurePolished()
    text_colour = studio.window.palette().color(QPalette.ColorRole.WindowText)
    assert note.palette().color(QPalette.ColorRole.WindowText) == text_colour
    # A refusal, by contrast, is in the error colour.
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"nope")
    drop_files(studio, bad)
    await until(lambda: "bad.png" in zone_lines(studio)[0].text(), what="the refusal")
    (error,) = zone_lines(studio)
    error.ensurePolished()
    red = error.palette().color(QPalette.ColorRole.WindowText)
    assert red != text_colour and red.red() > red.green() + 60


async def test_stopped_watching_is_said_once(studio: Studio) -> None:
    studio.sim.pending_s = 30.0
    studio.window.compose.prompt.set_text("a quiet harbour")
    studio.window.compose.generate_button.click()
    await until(lambda: studio.events and studio.events[-1][0].job_id, what="the job")
    local_id = studio.events[-1][0].local_id
    studio.controller.stop_job(local_id)  # the library's intent after its confirmation
    model = studio.window.library.model
    await until(lambda: model.status_of(local_id).startswith("Stopped"), what="the stopped card")
    assert model.status_of(local_id) == (
        "Stopped watching. The API has no cancel: the job may still finish and be billed."
    )


async def test_the_credits_link_is_given_once(studio: Studio) -> None:
    studio.sim.credits_usd = 0.0
    studio.window.compose.prompt.set_text("a quiet harbour")
    studio.window.compose.generate_button.click()

    def texts() -> list[str]:
        return [plain(html) for html in banners(studio) if "credits" in html]

    await until(texts, what="the credits banner")
    (text,) = texts()
    assert text.count("https://openrouter.ai/credits") == 1
    assert text == (
        "Insufficient credits. Add more using https://openrouter.ai/credits. "
        "Then press Generate again: your prompt and settings are kept."
    )


@pytest.mark.parametrize(
    ("parts", "joined"),
    [
        (("Invalid API key", "Check the API key."), "Invalid API key. Check the API key."),
        (("The key did not work:", "Invalid API key"), "The key did not work: Invalid API key."),
        (
            ("Stopped watching", "Stopped watching. The API has no cancel"),
            "Stopped watching. The API has no cancel.",
        ),
        (
            ("Add more using https://x.test/credits", "Add credits at https://x.test/credits."),
            "Add more using https://x.test/credits.",
        ),
        (("Rate limited!", "", "  ", "Rate limited"), "Rate limited!"),
        (("Saved…", "Done?"), "Saved… Done?"),
    ],
)
def test_sentences_are_whole_and_said_once(parts: tuple[str, ...], joined: str) -> None:
    assert sentences(*parts) == joined


def test_a_failure_reads_as_sentences() -> None:
    assert str(Failure("auth", "Invalid API key")) == (
        "Invalid API key. Check the API key in Settings."
    )


def about_box() -> QMessageBox | None:
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
    return next((b for b in boxes if b.isVisible() and "About" in b.windowTitle()), None)


async def test_about_has_what_a_problem_report_needs(studio: Studio, tmp_path: Path) -> None:
    import PySide6
    from PySide6.QtCore import qVersion

    from videostudio import __version__

    log_file = tmp_path / "videostudio.log"
    handler = logging.FileHandler(log_file)
    logging.getLogger().addHandler(handler)
    try:
        (about,) = [
            a
            for a in studio.window.menuBar().actions()[-1].menu().actions()  # type: ignore[union-attr]
            if "About" in a.text()
        ]
        about.trigger()
        await until(about_box, what="the About box")
        box = about_box()
        assert box is not None
        text = plain(box.text())
        assert f"Version: {__version__}" in text
        assert f"Qt: {qVersion()}" in text
        assert f"PySide6: {PySide6.__version__}" in text
        assert f"Data folder: {studio.data}" in text
        assert f"Log file: {log_file}" in text
        assert "https://github.com/videostudio/videostudio/issues" in text
        label = next(lab for lab in box.findChildren(QLabel) if "Version" in lab.text())
        assert label.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
        box.close()
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
