"""The prompt's tools in the real window: the assistant's proposal beside the prompt
(Accept is one undoable edit), the prompt history (Ctrl+Up/Down, the popup) and the
presets menu; through the simulator over loopback and a real journal."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox

from tests.ui.conftest import Studio, close_studio, make_studio, until
from videostudio.core.presets import Preset
from videostudio.core.prompt_guidance import improve_messages
from videostudio.services.assistant import DEFAULT_MODEL, assistant_model
from videostudio.services.presets import PresetStore
from videostudio.simulator.chat import rewrite
from videostudio.simulator.service import Fault
from videostudio.ui.compose.history import HistoryPopup

PROMPT = "a fox crosses a frozen river"


def _expected(studio: Studio, model_id: str, prompt: str = PROMPT) -> str:
    system = improve_messages(prompt, studio.sim.models[model_id])[0]["content"]
    return rewrite(prompt, system)


def _visible(kind: type) -> object:
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
    return found[0] if found else None


async def test_the_shortcuts_are_free(studio: Studio) -> None:
    keys = [
        k.toString()
        for a in studio.window.findChildren(QAction)
        for k in a.shortcuts()
        if not k.isEmpty()
    ]
    assert keys.count(QKeySequence("Ctrl+Shift+I").toString()) == 1
    assert keys.count(QKeySequence("Ctrl+H").toString()) == 1
    assert QKeySequence("Ctrl+Up").toString() not in keys


async def test_a_proposal_streams_in_and_accept_is_undoable(studio: Studio) -> None:
    form = studio.window.compose
    form.model_picker.select("google/veo-3.1")
    form.prompt.set_text(PROMPT)
    QTest.mouseClick(form.improve_button, Qt.MouseButton.LeftButton)
    panel = form.proposal
    await until(lambda: panel.isVisible() and panel.accept_button.isEnabled(), what="proposal")
    assert panel.isVisible() and panel.text.toPlainText() == _expected(studio, "google/veo-3.1")
    assert panel.cost.text().startswith("Cost $0.0000") and form.prompt.text() == PROMPT
    backend = studio.controller.backend
    assert backend is not None
    (charge,) = backend.journal.charges()
    await until(lambda: "$0.0000" in studio.window.spend_badge.text(), what="the spend")
    QTest.mouseClick(panel.accept_button, Qt.MouseButton.LeftButton)
    assert form.prompt.text() == _expected(studio, "google/veo-3.1") and not panel.isVisible()
    QTest.keyClick(form.prompt.editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert form.prompt.text() == PROMPT
    assert studio.sim.chat_count == 1 and charge.cost_usd > 0


async def test_a_bad_answer_is_a_sentence_and_the_prompt_stays(studio: Studio) -> None:
    form = studio.window.compose
    form.prompt.set_text(PROMPT)
    for kind, words in (("cut_stream", "cut off"), ("refusal", "declined")):
        studio.sim.add_fault(Fault("chat", kind))
        form.request_improve()
        await until(lambda w=words: w in form.proposal.status.text(), what=kind)
        assert form.prompt.text() == PROMPT and not form.proposal.accept_button.isEnabled()
    form.prompt.set_text("   ")
    form.request_improve()
    await until(lambda: "Write a prompt first" in form.proposal.status.text())
    assert studio.sim.chat_count == 2  # the empty prompt was never sent


async def test_history_walks_without_losing_the_draft(studio: Studio) -> None:
    backend = studio.controller.backend
    assert backend is not None
    for prompt in ("first idea", "second idea", "first idea", "third idea"):
        backend.journal.add({"model": "google/veo-3.1", "prompt": prompt})
    await studio.window.prompt_tools.find_prompts("")
    form = studio.window.compose
    assert form.history._prompts == ["third idea", "first idea", "second idea"]
    form.prompt.set_text("my draft")
    editor = form.prompt.editor
    ctrl = Qt.KeyboardModifier.ControlModifier
    walk = [
        (Qt.Key.Key_Up, "third idea"),
        (Qt.Key.Key_Up, "first idea"),
        (Qt.Key.Key_Up, "second idea"),
        (Qt.Key.Key_Up, "second idea"),  # the oldest: it stays
        (Qt.Key.Key_Down, "first idea"),
        (Qt.Key.Key_Down, "third idea"),
        (Qt.Key.Key_Down, "my draft"),
        (Qt.Key.Key_Down, "my draft"),
    ]
    for key, shown in walk:
        QTest.keyClick(editor, key, ctrl)
        assert form.prompt.text() == shown
    QTest.keyClick(editor, Qt.Key.Key_Up, ctrl)
    QTest.keyClicks(editor, " edited")  # an entry edited while shown is the draft now
    QTest.keyClick(editor, Qt.Key.Key_Up, ctrl)
    QTest.keyClick(editor, Qt.Key.Key_Down, ctrl)
    assert form.prompt.text() == "third idea edited"

    form.history_requested.emit()
    await until(lambda: _visible(HistoryPopup), what="the history popup")
    popup = _visible(HistoryPopup)
    assert isinstance(popup, HistoryPopup)
    QTest.keyClicks(popup.search, "SECOND")
    await until(lambda: popup.list.count() == 1, what="the search")
    QTest.keyClick(popup.search, Qt.Key.Key_Return)
    assert form.prompt.text() == "second idea"
    QTest.keyClick(editor, Qt.Key.Key_Z, ctrl)
    assert form.prompt.text() == "third idea edited"


async def _name(text: str) -> None:
    await until(lambda: _visible(QInputDialog), what="the name dialog")
    dialog = _visible(QInputDialog)
    assert isinstance(dialog, QInputDialog)
    dialog.setTextValue(text)
    dialog.accept()


async def _yes() -> None:
    await until(lambda: _visible(QMessageBox), what="the question")
    box = _visible(QMessageBox)
    assert isinstance(box, QMessageBox)
    QTest.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)


async def test_presets_from_the_menu(studio: Studio, tmp_path: Path) -> None:
    form = studio.window.compose
    button = form.presets_button
    form.model_picker.select("google/veo-3.1")
    form.params.duration.setCurrentIndex(form.params.duration.findData(6))
    form.params.aspect.setCurrentIndex(form.params.aspect.findData("9:16"))
    form.prompt.set_text("kept as it is")
    button.ask_save()
    await _name("Tall")
    await until(lambda: button.names() == ["Tall"], what="the saved preset")
    form.model_picker.select("kwaivgi/kling-v3.0-std")
    apply = next(a for a in button.menu_.actions() if a.text() == "Tall")
    apply.trigger()  # one click
    await until(lambda: form.model_picker.current_id() == "google/veo-3.1", what="the preset")
    assert form.params.duration.currentData() == 6 and form.params.aspect.currentData() == "9:16"
    assert form.prompt.text() == "kept as it is"

    button.ask_rename("Tall")
    await _name("Vertical")
    await until(lambda: button.names() == ["Vertical"], what="the rename")
    out = tmp_path / "presets.json"
    button.export_requested.emit(str(out))
    await until(out.exists, what="the export")
    data = json.loads(out.read_text())
    data["presets"]["Vertical"]["duration"] = 7  # Veo 3.1 no longer takes it
    out.write_text(json.dumps(data))
    button.import_requested.emit(str(out))
    await until(lambda: "Vertical (2)" in button.names(), what="the import")
    await until(lambda: "got 7" in studio.window.message_banner.label.text(), what="the note")
    (tmp_path / "junk.json").write_bytes(b"\x00 not json")
    button.import_requested.emit(str(tmp_path / "junk.json"))
    await until(lambda: "not a presets file" in studio.window.message_banner.label.text())
    button.ask_delete("Vertical")
    await _yes()
    await until(lambda: button.names() == ["Vertical (2)"], what="the delete")


async def test_history_and_presets_are_there_at_the_next_start(studio: Studio) -> None:
    form = studio.window.compose
    form.model_picker.select("google/veo-3.1-fast")
    form.prompt.set_text("sent from the window")
    QTest.mouseClick(form.generate_button, Qt.MouseButton.LeftButton)
    await until(lambda: form.history._prompts == ["sent from the window"], what="the history")
    backend = studio.controller.backend
    assert backend is not None
    PresetStore(backend.journal).save(Preset.from_json("Kept", {"model": "google/veo-3.1"}))
    await close_studio(studio)
    again = make_studio(studio.server, studio.data)
    again.window.show()
    await again.controller.start()
    try:
        await until(lambda: again.window.compose.presets_button.names() == ["Kept"])
        await until(lambda: again.window.compose.history._prompts == ["sent from the window"])
    finally:
        await close_studio(again)


async def test_the_assistant_model_is_a_setting(studio: Studio) -> None:
    window, form = studio.window, studio.window.compose
    dialog = window.prompt_tools.ask_assistant_model(window)
    assert dialog.textValue() == DEFAULT_MODEL
    dialog.setTextValue("openai/gpt-4o-mini")
    dialog.accept()
    backend = studio.controller.backend
    assert backend is not None
    await until(lambda: assistant_model(backend.journal) == "openai/gpt-4o-mini")
    form.prompt.set_text(PROMPT)
    form.request_improve()
    await until(form.proposal.accept_button.isEnabled, what="the proposal")
    chat = next(r for r in studio.sim.requests if r["path"] == "/api/v1/chat/completions")
    assert json.loads(chat["body"])["model"] == "openai/gpt-4o-mini"  # type: ignore[arg-type]


async def test_one_press_one_question(studio: Studio) -> None:
    form = studio.window.compose
    form.prompt.set_text(PROMPT)
    studio.sim.add_fault(Fault("chat", "stall", stall_s=1.0))
    QTest.mouseClick(form.improve_button, Qt.MouseButton.LeftButton)
    assert not form.improve_button.isEnabled()  # at once: no second press can slip in
    form.request_improve()  # the shortcut pressed again meanwhile
    await until(lambda: "cut off" in form.proposal.status.text(), what="the broken answer")
    assert form.improve_button.isEnabled() and form.prompt.text() == PROMPT
    chats = [r for r in studio.sim.requests if r["path"] == "/api/v1/chat/completions"]
    assert len(chats) == 1


async def test_closing_the_window_mid_answer_leaves_nothing_running(studio: Studio) -> None:
    form = studio.window.compose
    form.prompt.set_text(PROMPT)
    studio.sim.add_fault(Fault("chat", "endless"))
    form.request_improve()
    await until(lambda: "and and" in form.proposal.text.toPlainText(), what="the endless answer")
    await close_studio(studio)  # Qt warnings and unraisable exceptions fail the test
    assert not [t for t in asyncio.all_tasks() if "_improve" in repr(t.get_coro())]
