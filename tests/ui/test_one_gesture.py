"""One gesture, one paid job: double clicks, repeated and held Ctrl+Enter, in the real window.

Every job here really goes to the simulator over loopback; the counts are the
journal's rows and the POSTs the simulator received.
"""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton

from tests.ui.conftest import Studio, answer, question_box, until
from videostudio.core.jobs import UNKNOWN, JobRecord
from videostudio.simulator.service import Fault

CTRL = Qt.KeyboardModifier.ControlModifier


def jobs(studio: Studio) -> list[JobRecord]:
    backend = studio.controller.backend
    return backend.journal.find() if backend is not None else []


def posts(studio: Studio) -> int:
    return sum(1 for r in studio.sim.requests if r["method"] == "POST")


async def settled(studio: Studio, count: int) -> None:
    """Until ``count`` jobs are journaled and every journaled job was accepted."""
    await until(
        lambda: len(jobs(studio)) >= count and all(r.job_id for r in jobs(studio)),
        what=f"{count} accepted job(s)",
    )
    await ready(studio)


def press_ctrl_enter(studio: Studio) -> None:
    QTest.keyClick(studio.window.compose.prompt.editor, Qt.Key.Key_Return, CTRL)


async def ready(studio: Studio) -> None:
    """Until Generate can be pressed again (a person's next press comes later than this)."""
    await until(studio.window.compose.generate_button.isEnabled, what="Generate to be ready")


def double_click(button: QPushButton) -> None:
    """What a real double click delivers: press, release, press + double-click, release."""
    QTest.mousePress(button, Qt.MouseButton.LeftButton)
    QTest.mouseRelease(button, Qt.MouseButton.LeftButton)
    QTest.mousePress(button, Qt.MouseButton.LeftButton)
    QTest.mouseDClick(button, Qt.MouseButton.LeftButton)
    QTest.mouseRelease(button, Qt.MouseButton.LeftButton)


async def test_a_double_click_on_generate_sends_one_job(studio: Studio) -> None:
    studio.window.compose.prompt.set_text("a paper boat on a rainy street")
    double_click(studio.window.compose.generate_button)
    await settled(studio, 1)
    assert len(jobs(studio)) == 1
    assert posts(studio) == 1
    assert question_box() is None  # the second click met a busy button, nothing to ask


async def test_generate_is_busy_until_the_job_is_journaled(studio: Studio) -> None:
    w = studio.window
    assert not w.generate_action.autoRepeat()
    w.compose.prompt.set_text("a red kite over green hills")
    QTest.mouseClick(w.compose.generate_button, Qt.MouseButton.LeftButton)
    # At once, before the journal is written: visibly busy, the shortcut too.
    assert w.compose.generate_button.text() == "Sending…"
    assert not w.compose.generate_button.isEnabled()
    assert not w.generate_action.isEnabled()
    assert jobs(studio) == []
    await until(lambda: jobs(studio), what="the journaled job")
    await until(lambda: w.compose.generate_button.isEnabled(), what="Generate to be ready again")
    assert w.compose.generate_button.text() == "Generate"
    assert w.generate_action.isEnabled()


async def test_three_quick_ctrl_enter_send_one_job_when_the_repeat_is_declined(
    studio: Studio,
) -> None:
    studio.window.compose.prompt.set_text("a lighthouse in a storm")
    press_ctrl_enter(studio)
    await until(lambda: jobs(studio), what="the first job")
    await ready(studio)
    press_ctrl_enter(studio)
    text = await answer("Don't send")
    assert "You sent this exact request" in text
    assert "billed again" in text
    await ready(studio)
    press_ctrl_enter(studio)
    await answer("Don't send")
    await settled(studio, 1)
    assert len(jobs(studio)) == 1
    assert posts(studio) == 1


async def test_answering_yes_sends_the_same_job_again(studio: Studio) -> None:
    studio.window.compose.prompt.set_text("a lighthouse in a storm")
    press_ctrl_enter(studio)
    await until(lambda: jobs(studio), what="the first job")
    await ready(studio)
    press_ctrl_enter(studio)
    await answer("Send again")
    await settled(studio, 2)
    assert len(jobs(studio)) == 2
    assert posts(studio) == 2


async def test_a_held_key_sends_one_job(studio: Studio) -> None:
    editor = studio.window.compose.prompt.editor
    studio.window.compose.prompt.set_text("a field of sunflowers")
    QTest.simulateEvent(editor, True, Qt.Key.Key_Return, CTRL, "", False)
    await until(lambda: jobs(studio), what="the first job")
    for _ in range(12):  # the keyboard's auto-repeat while the key stays down
        QTest.simulateEvent(editor, True, Qt.Key.Key_Return, CTRL, "", True)
        await asyncio.sleep(0)  # the loop runs between repeats, as it would
    QTest.simulateEvent(editor, False, Qt.Key.Key_Return, CTRL, "", False)
    await settled(studio, 1)
    assert len(jobs(studio)) == 1
    assert posts(studio) == 1
    assert question_box() is None  # nothing to answer: a held key is one press


async def test_a_different_request_is_not_questioned(studio: Studio) -> None:
    studio.window.compose.prompt.set_text("a quiet harbour")
    press_ctrl_enter(studio)
    await until(lambda: jobs(studio), what="the first job")
    await ready(studio)
    studio.window.compose.prompt.set_text("a quiet harbour at night")
    press_ctrl_enter(studio)
    await settled(studio, 2)
    assert posts(studio) == 2


async def test_submitting_again_a_job_that_may_exist_asks_first(studio: Studio) -> None:
    studio.sim.add_fault(Fault("submit", "reset"))  # created on the server, the reply lost
    studio.window.compose.prompt.set_text("a quiet harbour")
    studio.window.compose.generate_button.click()
    await until(lambda: jobs(studio) and jobs(studio)[0].state == UNKNOWN, what="unknown")
    library = studio.window.library
    local_id = jobs(studio)[0].local_id
    await until(lambda: library.select(local_id), what="its card")
    library.resubmit_requested.emit(local_id)  # the card's "Submit again…"
    details = await answer("Cancel", "Submit this job again?", "Cancel")
    assert "may already exist on the server and be billed" in details
    assert len(jobs(studio)) == 1
    assert posts(studio) == 1
    library.resubmit_requested.emit(local_id)
    await answer("Submit again", "Submit this job again?", "Cancel")
    await until(lambda: len(jobs(studio)) == 2, what="the second job")
    await until(lambda: posts(studio) == 2, what="its submit")


async def test_a_job_sent_again_asks_before_it_is_sent_again_once_more(studio: Studio) -> None:
    studio.sim.add_fault(Fault("submit", "status", status=400, message="Bad duration"))
    studio.window.compose.prompt.set_text("a quiet harbour")
    studio.window.compose.generate_button.click()
    await until(lambda: jobs(studio) and jobs(studio)[0].is_final, what="the refusal")
    library = studio.window.library
    local_id = jobs(studio)[0].local_id
    await until(lambda: library.select(local_id), what="its card")
    library.resubmit_requested.emit(local_id)  # refused: nothing was created, no question
    await until(lambda: len(jobs(studio)) == 2, what="the second job")
    await until(lambda: posts(studio) == 2, what="its submit")
    library.resubmit_requested.emit(local_id)
    details = await answer("Don't send", "Send it again?", "Don't send")
    assert details == f"Job {local_id} was already sent again as job 2. Send another?"
    assert len(jobs(studio)) == 2
    library.resubmit_requested.emit(local_id)
    await answer("Send another", "Send it again?", "Don't send")
    await until(lambda: len(jobs(studio)) == 3, what="the third job")
    await until(lambda: posts(studio) == 3, what="its submit")
    assert jobs(studio)[0].retried_as == 3


async def test_retry_failed_of_a_batch_skips_the_jobs_sent_again_already(studio: Studio) -> None:
    studio.sim.add_fault(Fault("submit", "status", status=400, message="Bad duration", times=2))
    studio.window.compose.prompt.set_text("variations of a fox")
    studio.window.open_variations()
    panel = studio.window.batch
    panel.random_seeds.setChecked(True)
    panel.seed_count.setValue(2)
    await until(lambda: len(panel.requests()) == 2, what="two jobs planned")
    panel.send_button.click()
    await until(lambda: len(jobs(studio)) == 2 and all(r.is_final for r in jobs(studio)))
    batch = jobs(studio)[0].batch
    assert batch is not None
    studio.window.library.retry_batch_requested.emit(batch)
    await answer("Send again", "Send 2 job(s) again?", "Cancel")
    await until(lambda: len(jobs(studio)) == 4 and posts(studio) == 4, what="the replacements")
    await until(lambda: all(r.state == "saved" for r in jobs(studio)[2:]), what="saved")
    studio.window.library.retry_batch_requested.emit(batch)  # again, after they were saved
    await until(
        lambda: (
            "No job of this batch needs sending again (2 were sent again already)."
            in studio.window.statusBar().currentMessage()
        ),
        what="the word",
    )
    assert question_box() is None
    assert posts(studio) == 4
