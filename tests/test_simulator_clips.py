"""The simulator's MP4s decode in QMediaPlayer at the requested size and duration."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from tests.media import decode
from videostudio.api.client import VideoClient
from videostudio.core.models import GenerationRequest, ImagePart
from videostudio.simulator.render import FPS, ClipSpec, render_clip


def _png(color: str, w: int = 64, h: int = 36) -> str:
    image = QImage(w, h, QImage.Format.Format_RGB32)
    image.fill(QColor(color))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(bytes(data.data())).decode()


@pytest.mark.parametrize(
    ("request_", "size", "seconds"),
    [
        (
            GenerationRequest(
                model="google/veo-3.1-fast",
                prompt="wide",
                duration=4,
                resolution="720p",
                aspect_ratio="16:9",
            ),
            (1280, 720),
            4,
        ),
        (
            GenerationRequest(
                model="x-ai/grok-imagine-video",
                prompt="tall",
                duration=2,
                resolution="480p",
                aspect_ratio="9:16",
            ),
            (480, 854),
            2,
        ),
        (
            GenerationRequest(
                model="alibaba/wan-2.7",
                prompt="square",
                duration=3,
                resolution="720p",
                aspect_ratio="1:1",
            ),
            (720, 720),
            3,
        ),
    ],
    ids=["16:9", "9:16", "1:1"],
)
async def test_clip_decodes_at_the_requested_shape_and_length(
    qtbot: QtBot,
    client: VideoClient,
    tmp_path: Path,
    request_: GenerationRequest,
    size: tuple[int, int],
    seconds: int,
) -> None:
    job = await client.generate(request_)
    await client.get_generation(job.id)
    await client.download(job.id, tmp_path / "clip.mp4")
    decoded = decode(qtbot, tmp_path / "clip.mp4")
    assert decoded.error == ""
    assert set(decoded.sizes) == {size}
    assert abs(decoded.duration_ms - seconds * 1000) <= 100
    assert len(decoded.sizes) >= seconds * 24 * 0.9


async def test_first_frame_image_opens_the_clip(
    qtbot: QtBot, client: VideoClient, tmp_path: Path
) -> None:
    request = GenerationRequest(
        model="google/veo-3.1-fast",
        prompt="",
        duration=4,
        images=(ImagePart(_png("#ff0000"), "first_frame"),),
    )
    job = await client.generate(request)
    await client.get_generation(job.id)
    await client.download(job.id, tmp_path / "clip.mp4")
    decoded = decode(qtbot, tmp_path / "clip.mp4")
    assert decoded.first is not None
    corner = decoded.first.pixelColor(20, 20)  # away from the text
    assert corner.red() > 200
    assert corner.green() < 60
    assert corner.blue() < 60


def test_a_30_second_demo_clip_renders_whole(tmp_path: Path) -> None:
    """Wan 3.0 offers 30 s clips; the renderer used to die past 25 s on PySide6 6.12."""
    import av

    spec = ClipSpec(width=640, height=360, duration_s=30, prompt="thirty", model="alibaba/wan-3.0")
    out = tmp_path / "thirty.mp4"
    render_clip(spec, out)
    with av.open(str(out)) as container:
        video = container.streams.video[0]
        assert video.codec_context.name == "h264"
        frames = sum(1 for _ in container.decode(video))
    assert frames == 30 * FPS
