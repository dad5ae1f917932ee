"""Demo mode says demo everywhere: the Spending dialog's banner survives switching modes,
and the question before a big batch speaks of demo jobs, not paid ones."""

from __future__ import annotations

from tests.ui.conftest import Studio, answer, until
from tests.ui.test_iterate import jobs


async def switch(studio: Studio, demo: bool) -> None:
    studio.controller.set_demo(demo)
    await until(
        lambda: studio.controller.backend is not None and studio.controller.backend.demo == demo,
        what=f"{'demo' if demo else 'live'} mode",
    )


async def test_the_spending_dialog_keeps_its_demo_banner_across_switches(studio: Studio) -> None:
    w = studio.window
    await switch(studio, True)
    w.open_spend()
    dialog = w.spend_dialog
    assert dialog is not None
    await until(dialog.panel.demo_note.isVisible, what="the demo banner")
    dialog.close()
    await switch(studio, False)
    w.open_spend()
    await until(lambda: dialog.isVisible(), what="the dialog")
    await until(lambda: dialog.panel.demo_note.isHidden(), what="no banner when live")
    dialog.close()
    await switch(studio, True)
    await until(lambda: w.spend_badge.text().startswith("Demo · "), what="the demo spend")
    w.open_spend()
    await until(dialog.panel.demo_note.isVisible, what="the demo banner again")


async def test_the_batch_question_in_demo_mode_says_demo(studio: Studio) -> None:
    w = studio.window
    await switch(studio, True)
    w.compose.prompt.set_text("variations of a fox")
    w.open_variations()
    w.batch.random_seeds.setChecked(True)
    w.batch.seed_count.setValue(5)  # more than the 4 that go without asking
    await until(lambda: len(w.batch.requests()) == 5, what="five jobs planned")
    w.batch.send_button.click()
    details = await answer("Send", "Send these demo jobs?", "Don't send")
    assert "5 demo jobs" in details and "paid" not in details
    await until(lambda: len(jobs(studio)) == 5, what="five demo jobs")
