"""No stuck states: offline with a saved key the form is usable at once, jobs wait, and demo
mode is one menu toggle away at any time."""

from __future__ import annotations

from pathlib import Path

from tests.ui.conftest import Studio, close_studio, make_studio, until
from tests.ui.test_connection_states import banners, dead_url, row_status, status_words
from videostudio.core.jobs import NOT_SAVED, QUEUED, SAVED, SUBMITTING, UNKNOWN
from videostudio.services.journal import Journal
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Simulator


def _state(s: Studio, local_id: int) -> str | None:
    record = s.controller.record_for(local_id)
    return record.state if record is not None else None


async def test_offline_with_a_saved_key_the_form_is_ready_and_jobs_wait(
    qapp: object, server: SimulatorServer, tmp_path: Path
) -> None:
    url, _port = dead_url()  # first start, no cache, no network
    s = make_studio(server, tmp_path / "data", live_url=url)
    s.window.show()
    await s.controller.start()
    try:
        w = s.window
        # At once, before any answer: the built-in list fills the form, labelled as such.
        assert w.compose.model_picker.current_id() == "google/veo-3.1-fast"
        assert w.compose.params.duration.count() > 0
        assert w.compose.estimate.text() == "Estimated ≈ $0.40"
        assert "built-in model list (27 August 2026)" in w.compose.catalog_status.text()
        await until(lambda: banners(s), what="the offline banner")
        assert "Jobs you start are journaled and sent when it is back" in banners(s)[0]
        assert "models and prices may have changed" in w.compose.catalog_status.text()
        # Generate journals the job; it waits for the network instead of failing.
        w.compose.prompt.set_text("a paper boat on a rainy street")
        w.compose.generate_button.click()
        await until(lambda: row_status(s).startswith("Queued"), what="the waiting job")
        assert not w.compose.problem_label.isVisible()
        await until(lambda: "will be sent when" in w.statusBar().currentMessage(), what="the word")
        # Demo mode is offered right there, and back; switching while the job's submit is
        # on its way (connections refused, the client about to try again) stops it before
        # anything was sent: it stays queued, never "may have been submitted".
        (demo_button,) = [b for b in w.offline_banner.actions_ if b.text() == "Use demo mode"]
        await until(lambda: _state(s, 1) == SUBMITTING, what="the submit on its way")
        demo_button.click()
        await until(lambda: w.windowTitle().endswith("Demo mode"), what="demo mode")
        assert "Demo mode" in status_words(s)
        assert w.demo_action.isChecked()
        await until(lambda: banners(s) == [banners(s)[0]] and "Demo mode" in banners(s)[0])
        w.demo_action.trigger()  # the menu toggle, back to live
        await until(lambda: w.windowTitle() == "videostudio", what="live mode")
        assert not w.demo_action.isChecked()
        await until(lambda: "can't be reached" in status_words(s), what="still offline")
        # The live job is back from its journal, still waiting to be sent.
        await until(lambda: "could not reach the server" in row_status(s), what="its row")
        assert _state(s, 1) in (QUEUED, SUBMITTING)
        assert UNKNOWN not in s.states(1)
    finally:
        await close_studio(s)


async def test_offline_after_a_good_start_shows_the_saved_list(
    qapp: object, sim: Simulator, server: SimulatorServer, tmp_path: Path
) -> None:
    url, port = dead_url()
    with SimulatorServer(sim, port=port):  # a first start online caches the live list
        first = make_studio(server, tmp_path / "data", live_url=url)
        first.window.show()
        await first.controller.start()
        await until(lambda: "Connected to" in status_words(first), what="the first start")
        await close_studio(first)
    again = make_studio(server, tmp_path / "data", live_url=url)
    again.window.show()
    await again.controller.start()
    try:
        w = again.window
        assert w.compose.model_picker.count() > 0
        await until(lambda: "saved on" in w.compose.catalog_status.text(), what="the note")
        assert (
            f"It updates when 127.0.0.1:{port} can be reached." in w.compose.catalog_status.text()
        )
    finally:
        await close_studio(again)


async def test_the_demo_toggle_switches_at_any_time(studio: Studio) -> None:
    w = studio.window
    assert not w.demo_action.isChecked()
    w.demo_action.trigger()
    await until(lambda: w.windowTitle().endswith("Demo mode"), what="demo mode")
    assert w.demo_banner.isVisible()
    assert w.demo_button.text() == "Use OpenRouter"
    w.demo_button.click()
    await until(lambda: "Connected to" in status_words(studio), what="live again")
    assert not w.demo_banner.isVisible()


async def test_without_a_key_live_mode_asks_for_one(studio: Studio) -> None:
    await studio.controller.remove_key()
    w = studio.window
    await until(lambda: w.windowTitle().endswith("Demo mode"), what="demo mode")
    w.demo_action.trigger()  # unchecking demo: there is nothing to connect with
    await until(lambda: w.key_dialog is not None and w.key_dialog.isVisible(), what="the dialog")
    assert w.key_dialog is not None
    assert w.key_dialog.status.text() == "Add your OpenRouter API key to make real clips."
    assert w.demo_action.isChecked()
    assert w.windowTitle().endswith("Demo mode")


async def test_the_windows_start_saves_a_paid_job_that_was_not_saved_and_says_so(
    qapp: object, server: SimulatorServer, sim: Simulator, tmp_path: Path
) -> None:
    """A full disk left job 1 "not saved"; the disk was freed: the next start saves it, once,
    sending nothing again."""
    sim.pending_s, sim.running_s = 0.0, 0.0
    body = {"model": "google/veo-3.1-fast", "prompt": "paid, not saved", "duration": 4}
    status, reply = sim.submit(body)
    assert status == 202, reply
    data = tmp_path / "data"
    journal = Journal(data / "journal.sqlite3")
    record = journal.add(body, state=NOT_SAVED)
    journal.update(
        record.local_id,
        job_id=reply["id"],
        output_count=1,
        error="Disk full: free 2 MB, then Retry.",
    )
    journal.close()
    s = make_studio(server, data)
    notices: list[str] = []
    s.controller.notice.connect(lambda text, kind: notices.append(text))
    s.window.show()
    await s.controller.start()
    try:
        await until(
            lambda: s.controller.record_for(record.local_id).state == SAVED,  # type: ignore[union-attr]
            what="the clip saved",
        )
        assert "Saving job 1 again: it was paid for but not saved." in notices
        assert sim.submit_count == 1  # ours, above: nothing sent again
    finally:
        await close_studio(s)
