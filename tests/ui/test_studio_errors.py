"""Errors become actions in the window: each status shows its message or opens what fixes it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QUrl

from tests.test_inputs import png_bomb
from tests.ui.conftest import Studio, png_file, until
from videostudio.simulator.service import Fault


def _generate(studio: Studio, prompt: str = "a quiet harbour") -> None:
    studio.window.compose.prompt.set_text(prompt)
    studio.window.compose.generate_button.click()


def _status(studio: Studio) -> str:
    model = studio.window.library.model
    return model.status_of(model.id_at(0)) if model.rowCount() else ""


async def test_401_opens_the_key_dialog(studio: Studio) -> None:
    studio.sim.api_key = "sk-or-v1-the-right-one"
    _generate(studio)
    await until(
        lambda: studio.window.key_dialog is not None and studio.window.key_dialog.isVisible(),
        what="the key dialog",
    )
    dialog = studio.window.key_dialog
    port = studio.server.port
    assert dialog.status.text() == f"127.0.0.1:{port} refused the key: Invalid API key."
    assert studio.window.key_banner.isVisible()
    assert _status(studio).startswith("Refused")


async def test_402_explains_credits_with_the_link(studio: Studio) -> None:
    studio.sim.credits_usd = 0.0
    _generate(studio)
    banner = studio.window.credits_banner
    await until(banner.isVisible, what="the credits banner")
    text = banner.label.text()
    assert "Insufficient credits" in text
    assert text.count("https://openrouter.ai/credits") == 2  # one link: its href and its text
    assert banner.actions_[0].text() == "Add credits…"


async def test_429_shows_retrying_in_n_seconds_on_the_row(studio: Studio) -> None:
    studio.sim.add_fault(Fault("submit", "status", status=429, retry_after=2))
    _generate(studio)
    await until(
        lambda: "retrying in 2 s: Rate limit exceeded" in _status(studio),
        what="the retry countdown",
    )
    await until(lambda: _status(studio) == "Saved", what="the clip after the wait")


async def test_5xx_while_polling_shows_retrying(studio: Studio) -> None:
    studio.sim.add_fault(Fault("poll", "status", status=503, retry_after=1, times=2))
    _generate(studio)
    await until(lambda: "retrying in 1 s" in _status(studio), what="the retry on the row")
    await until(lambda: _status(studio) == "Saved")


async def test_400_is_shown_next_to_the_control(studio: Studio) -> None:
    studio.sim.add_fault(
        Fault(
            "submit",
            "status",
            status=400,
            field="duration",
            message="Duration 4 is not available right now.",
        )
    )
    _generate(studio)
    params = studio.window.compose.params
    await until(lambda: params.duration.property("problem") is True, what="the marked control")
    assert params.duration.toolTip() == "Duration 4 is not available right now."
    assert "Duration 4 is not available" in studio.window.compose.problem_label.text()


async def test_client_side_validation_refuses_before_sending(studio: Studio) -> None:
    _generate(studio, prompt="   ")
    await until(lambda: studio.window.compose.problem_label.isVisible())
    assert "Write a prompt" in studio.window.compose.problem_label.text()
    assert studio.window.compose.prompt.editor.property("problem") is True
    assert studio.sim.requests == [r for r in studio.sim.requests if r["method"] == "GET"]


async def test_offline_shows_a_banner_and_resumes_by_itself(studio: Studio) -> None:
    studio.sim.pending_s = 1.0
    studio.sim.add_fault(Fault("poll", "reset", times=14))
    _generate(studio)
    banner = studio.window.offline_banner
    await until(banner.isVisible, what="the offline banner")
    assert "can't be reached" in banner.label.text()
    await until(lambda: _status(studio) == "Saved", within=60, what="polling to resume")
    assert not banner.isVisible()


async def test_failed_job_shows_the_servers_words(studio: Studio) -> None:
    _generate(studio, prompt="a storm [simulate:failed]")
    await until(lambda: _status(studio).startswith("Failed"))
    assert "could not generate this video (simulated failure)" in _status(studio)


@pytest.mark.parametrize(
    ("content", "name", "reason"),
    [
        (b"this is not a picture", "notes.png", "not a PNG, JPEG, WebP or GIF"),
        (None, "truncated.png", "damaged"),
        (png_bomb(), "huge.png", "too large to open safely"),
    ],
    ids=["text-renamed-png", "truncated-png", "decompression-bomb"],
)
async def test_bad_drops_are_refused_cleanly(
    studio: Studio, tmp_path: Path, content: bytes | None, name: str, reason: str
) -> None:
    path = tmp_path / name
    if content is None:
        whole = png_file(tmp_path / "whole.png").read_bytes()
        content = whole[: len(whole) // 2]
    path.write_bytes(content)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    studio.window.compose.images.accept_mime(mime)
    zone = studio.window.compose.images
    await until(
        lambda: any(reason in text for text, _kind in zone.messages()),
        what=f"the refusal ({reason})",
    )
    ((text, kind),) = zone.messages()
    assert name in text
    assert kind == "error"
    assert studio.window.compose.images.tile_ids() == []
    assert studio.controller.images.count() == 0


async def test_a_large_photo_is_scaled_down_off_the_ui_thread(
    studio: Studio, tmp_path: Path
) -> None:
    big = png_file(tmp_path / "big.png", w=4000, h=2250)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(big))])
    studio.window.compose.images.accept_mime(mime)
    await until(lambda: studio.window.compose.images.tile_ids(), what="the tile")
    assert studio.window.compose.images.messages() == [
        ("big.png: scaled down from 4000 x 2250.", "info")
    ]
    request = studio.controller.build_request("x", "google/veo-3.1-fast", {})
    assert request.images[0].url.startswith("data:image/jpeg;base64,")


@pytest.mark.parametrize(
    ("status", "message", "hint"),
    [
        (403, "This key may not use google/veo-3.1-fast.", "Choose another model"),
        (404, "No video model named 'google/veo-3.1-fast'.", "Refresh the model list (F5)"),
        (413, "Request body too large.", "Remove an image or use smaller ones"),
    ],
)
async def test_other_refusals_say_what_happened_and_what_to_do(
    studio: Studio, status: int, message: str, hint: str
) -> None:
    studio.sim.add_fault(Fault("submit", "status", status=status, message=message))
    _generate(studio)
    banner = studio.window.message_banner
    await until(banner.isVisible, what="the refusal banner")
    assert message in banner.label.text()
    assert hint in banner.label.text()
    assert _status(studio) == f"Refused: {message}"
