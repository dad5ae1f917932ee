"""Extend, edit, upscale, references and avatars in the simulator: refused as the API refuses,
rendered so a decoder can check them (PyAV), billed with the estimate's rules. Over loopback
with raw HTTP, and through the official SDK."""

from __future__ import annotations

import base64
import io
import struct
import wave
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from openrouter import OpenRouter, errors
from openrouter.utils import BackoffStrategy, RetryConfig

from videostudio.core.models import GenerationRequest, VideoModel
from videostudio.core.operations import SourceClip
from videostudio.core.pricing import estimate_for
from videostudio.simulator.render import PORTRAIT_BOX, REFERENCE_BOX
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Simulator

KEY = {"Authorization": "Bearer sk-or-v1-owner"}
SEEDANCE = "bytedance/seedance-2.5"
UPSCALER = "black-forest-labs/flux-video-upscale"


Rgb = tuple[float, float, float]


def solid(size: tuple[int, int], rgb: tuple[int, int, int]) -> av.VideoFrame:
    width, height = size
    pixels = bytes((*rgb, 255)) * (width * height)
    return av.VideoFrame.from_bytes(pixels, width, height, format="rgba")


def make_mp4(path: Path, size: tuple[int, int], seconds: float, rgb: tuple[int, int, int]) -> Path:
    """A real H.264 clip of one colour (a source the tests know the pixels of)."""
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for i in range(round(seconds * 24)):
            frame = solid(size, rgb)
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def wav_bytes(seconds: float) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * round(8000 * seconds))
    return buf.getvalue()


def png_bytes(rgb: tuple[int, int, int], side: int = 32) -> bytes:
    """A PNG of one colour, written with the stdlib."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\0" + bytes(rgb) * side for _ in range(side))
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def data_url(mime: str, raw: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(raw).decode()}"


def part(kind: str, url: str) -> dict[str, Any]:
    return {"type": kind, kind: {"url": url}}


@dataclass
class Picture:
    """One decoded frame: its size and RGB bytes (row by row)."""

    width: int
    height: int
    rgb: bytes

    def mean(self, box: tuple[float, float, float, float]) -> Rgb:
        """The mean colour of the middle of a box given in fractions of the frame."""
        x, y, bw, bh = box
        xs = range(int((x + bw * 0.3) * self.width), int((x + bw * 0.7) * self.width))
        ys = range(int((y + bh * 0.3) * self.height), int((y + bh * 0.7) * self.height))
        sums = [0, 0, 0]
        for row in ys:
            for col in xs:
                at = (row * self.width + col) * 3
                for c in range(3):
                    sums[c] += self.rgb[at + c]
        n = len(xs) * len(ys)
        return (sums[0] / n, sums[1] / n, sums[2] / n)


def far(a: Rgb, b: Rgb | tuple[int, int, int]) -> float:
    return max(abs(p - q) for p, q in zip(a, b, strict=True))


def frames(path: Path) -> tuple[list[Picture], float]:
    """Every frame, and the stream's length in seconds."""
    pictures = []
    with av.open(str(path)) as clip:
        stream = clip.streams.video[0]
        for frame in clip.decode(video=0):
            plane = frame.reformat(format="rgb24").planes[0]
            raw = bytes(plane)
            rows = b"".join(
                raw[r * plane.line_size : r * plane.line_size + frame.width * 3]
                for r in range(frame.height)
            )
            pictures.append(Picture(frame.width, frame.height, rows))
        seconds = float(stream.duration * stream.time_base) if stream.duration else 0.0
    return pictures, seconds


class Api:
    """The simulator over loopback, as a caller with one key."""

    def __init__(self, server: SimulatorServer, headers: dict[str, str] = KEY) -> None:
        self.server, self.headers = server, headers

    def submit(self, body: dict[str, Any]) -> httpx.Response:
        return httpx.post(
            f"{self.server.base_url}/videos", json=body, headers=self.headers, timeout=120
        )

    def finish(self, body: dict[str, Any], tmp: Path) -> tuple[Path, float]:
        """Submit, poll to the end, download: the clip and the billed cost."""
        reply = self.submit(body)
        assert reply.status_code == 202, reply.text
        job_id = reply.json()["id"]
        polled = httpx.get(
            f"{self.server.base_url}/videos/{job_id}", headers=self.headers, timeout=120
        ).json()
        assert polled["status"] == "completed"
        clip = httpx.get(
            f"{self.server.base_url}/videos/{job_id}/content", headers=self.headers, timeout=300
        )
        path = tmp / f"{job_id}.mp4"
        path.write_bytes(clip.content)
        return path, polled["usage"]["cost"]

    def made(self, body: dict[str, Any]) -> str:
        reply = self.submit(body)
        assert reply.status_code == 202, reply.text
        return str(reply.json()["id"])


def _error(reply: httpx.Response) -> tuple[int, str, str | None]:
    error = reply.json()["error"]
    return reply.status_code, error["message"], (error.get("metadata") or {}).get("field")


def test_previous_job_id_must_name_a_completed_job_of_the_same_key_and_model(
    server: SimulatorServer, sim: Simulator
) -> None:
    now = [1000.0]
    sim.clock = lambda: now[0]
    api = Api(server)
    source = api.made({"model": SEEDANCE, "prompt": "a kite", "duration": 4, "resolution": "480p"})
    extend = {"model": SEEDANCE, "prompt": "higher", "duration": 4, "previous_job_id": source}
    unknown = api.submit({**extend, "previous_job_id": "gen-vid-1-AAAAAAAAAAAAAAAAAAAA"})
    assert _error(unknown)[0] == 404
    other_key = Api(server, {"Authorization": "Bearer sk-or-v1-stranger"}).submit(extend)
    assert _error(other_key)[0] == 404  # another key's job is not even found
    now[0], sim.pending_s = 2000.0, 10  # the source is done; a new job waits 10 s
    running = api.made({"model": SEEDANCE, "prompt": "later", "duration": 4})
    status, message, field = _error(api.submit({**extend, "previous_job_id": running}))
    assert (status, field) == (400, "previous_job_id") and "not completed" in message
    veo = {"model": "google/veo-3.1-fast", "prompt": "x", "duration": 4, "previous_job_id": source}
    status, message, field = _error(api.submit(veo))
    assert (status, field) == (400, "previous_job_id") and "cannot continue" in message
    flux = {**extend, "model": "black-forest-labs/flux-3-video", "duration": 5}
    status, message, field = _error(api.submit(flux))
    assert (status, field) == (400, "previous_job_id") and "same model" in message
    assert api.submit(extend).status_code == 202


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"model": "google/veo-3.1-fast", "prompt": "x", "upscale_factor": 2}, "upscale_factor"),
        ({"model": "google/veo-3.1-fast", "prompt": "x", "creativity": 1}, "creativity"),
        ({"model": UPSCALER, "upscale_factor": 5}, "upscale_factor"),
        ({"model": UPSCALER, "upscale_factor": 1.2}, "upscale_factor"),
        ({"model": UPSCALER, "upscale_factor": 2, "creativity": 7}, "creativity"),
        ({"model": "google/veo-3.1-fast", "prompt": "x", "session_id": "s" * 257}, "session_id"),
        (
            {"model": "google/veo-3.1-fast", "prompt": "x", "callback_url": "http://a.example/h"},
            "callback_url",
        ),
        ({"model": "google/veo-3.1-fast", "prompt": "x", "callback_url": "hook"}, "callback_url"),
    ],
)
def test_out_of_range_fields_get_a_400_naming_the_field(
    server: SimulatorServer, body: dict[str, Any], field: str
) -> None:
    status, _, named = _error(Api(server).submit(body))
    assert (status, named) == (400, field)


def test_a_session_id_of_256_characters_and_an_https_callback_pass(server: SimulatorServer) -> None:
    body = {"model": "google/veo-3.1-fast", "prompt": "x", "duration": 4}
    body |= {"session_id": "s" * 256, "callback_url": "https://hooks.example/video"}
    assert Api(server).submit(body).status_code == 202


def test_a_reference_of_a_modality_the_model_does_not_take_is_refused(
    server: SimulatorServer, sim: Simulator
) -> None:
    audio = part("audio_url", data_url("audio/wav", wav_bytes(1)))
    veo = {"model": "google/veo-3.1-fast", "prompt": "x", "duration": 4}
    status, message, _ = _error(Api(server).submit({**veo, "input_references": [audio]}))
    assert status == 400
    assert message == 'model "google/veo-3.1-fast" does not accept audio input references'
    video = part("video_url", "https://example.com/a.mp4")
    _, message, _ = _error(Api(server).submit({**veo, "input_references": [video]}))
    assert message == 'model "google/veo-3.1-fast" does not accept video input references'
    # A catalogue that sends input_modalities is read before the table.
    raw = dict(sim.models["google/veo-3.1-fast"].raw, input_modalities=["image", "audio"])
    sim.models["google/veo-3.1-fast"] = VideoModel.from_json(raw)
    try:
        assert Api(server).submit({**veo, "input_references": [audio]}).status_code == 202
    finally:
        sim.models["google/veo-3.1-fast"] = VideoModel.from_json(
            next(m for m in sim.catalogue if m["id"] == "google/veo-3.1-fast")
        )


def test_an_extension_continues_from_the_last_frame_and_is_longer(
    server: SimulatorServer, sim: Simulator, tmp_path: Path
) -> None:
    api = Api(server)
    base = {"model": SEEDANCE, "resolution": "480p", "aspect_ratio": "16:9"}
    source, _ = api.finish({**base, "prompt": "a kite", "duration": 4, "seed": 1}, tmp_path)
    source_id = source.stem
    extended, billed = api.finish(
        {**base, "prompt": "it climbs", "duration": 4, "previous_job_id": source_id}, tmp_path
    )
    before, before_s = frames(source)
    after, after_s = frames(extended)
    assert after_s == pytest.approx(before_s + 4, abs=0.1)
    assert (after[0].width, after[0].height) == (before[0].width, before[0].height)
    # The source plays first, then the new part opens on the source's last frame
    # (compared away from the text and the moving bar).
    corner = (0.0, 0.0, 0.1, 0.1)
    assert far(after[len(before) - 1].mean(corner), before[-1].mean(corner)) < 6
    assert far(after[len(before)].mean(corner), before[-1].mean(corner)) < 6
    assert far(after[-1].mean(corner), before[-1].mean(corner)) > 6  # and then moves on
    request = GenerationRequest(
        SEEDANCE, prompt="it climbs", duration=4, resolution="480p", previous_job_id=source_id
    )
    assert billed == pytest.approx(estimate_for(sim.models[SEEDANCE], request).usd)


def test_an_edit_keeps_the_source_length_and_an_upscale_multiplies_its_size(
    server: SimulatorServer, sim: Simulator, tmp_path: Path
) -> None:
    api = Api(server)
    clip = make_mp4(tmp_path / "blue.mp4", (160, 90), 1.5, (20, 40, 200))
    video = part("video_url", data_url("video/mp4", clip.read_bytes()))
    edited, edit_cost = api.finish(
        {"model": "runway/aleph-2", "prompt": "make it dusk", "input_references": [video]},
        tmp_path,
    )
    source, source_s = frames(clip)
    after, after_s = frames(edited)
    assert after_s == pytest.approx(source_s, abs=0.05) and len(after) == len(source)
    assert (after[0].width, after[0].height) == (160, 90)
    assert far(after[0].mean((0, 0.3, 1, 0.4)), source[0].mean((0, 0.3, 1, 0.4))) > 20
    assert edit_cost == pytest.approx(0.56)  # 1.5 s x 28 c = 42 c: the 56 c minimum
    upscaled, upscale_cost = api.finish(
        {"model": UPSCALER, "upscale_factor": 2, "creativity": 1, "input_references": [video]},
        tmp_path,
    )
    big, big_s = frames(upscaled)
    assert (big[0].width, big[0].height) == (320, 180)
    assert big_s == pytest.approx(source_s, abs=0.05) and len(big) == len(source)
    assert far(big[0].mean((0, 0, 1, 1)), source[0].mean((0, 0, 1, 1))) < 6
    # 320 x 180 = 0.0576 MP x 1.5 s x 10.5 c (creative)
    assert upscale_cost == pytest.approx(0.0576 * 1.5 * 0.105)
    request = GenerationRequest(UPSCALER, upscale_factor=2, creativity=1)
    estimate = estimate_for(sim.models[UPSCALER], request, SourceClip(160, 90, 1.5))
    assert upscale_cost == pytest.approx(estimate.usd)


def test_an_upscaler_refuses_a_job_id_and_a_source_too_long(
    server: SimulatorServer, tmp_path: Path
) -> None:
    api = Api(server)
    status, _, field = _error(
        api.submit({"model": UPSCALER, "upscale_factor": 2, "previous_job_id": "gen-vid-1"})
    )
    assert (status, field) == (400, "previous_job_id")
    long = make_mp4(tmp_path / "long.mp4", (32, 18), 21, (0, 0, 0))
    video = part("video_url", data_url("video/mp4", long.read_bytes()))
    status, message, _ = _error(
        api.submit({"model": UPSCALER, "upscale_factor": 2, "input_references": [video]})
    )
    assert status == 400 and "1-20 s" in message


def test_references_and_avatars_show_on_the_frames(server: SimulatorServer, tmp_path: Path) -> None:
    api = Api(server)
    red = part("image_url", data_url("image/png", png_bytes((230, 20, 20))))
    referenced, _ = api.finish(
        {
            "model": "x-ai/grok-imagine-video",
            "prompt": "a scene",
            "duration": 1,
            "resolution": "480p",
            "input_references": [red],
        },
        tmp_path,
    )
    shot = frames(referenced)[0][0]
    assert far(shot.mean(REFERENCE_BOX), (230, 20, 20)) < 25
    green = part("image_url", data_url("image/png", png_bytes((20, 200, 40))))
    voice = part("audio_url", data_url("audio/wav", wav_bytes(2.0)))
    talking, cost = api.finish(
        {"model": "heygen/avatar-iv", "prompt": "hello", "input_references": [green, voice]},
        tmp_path,
    )
    pictures, seconds = frames(talking)
    assert seconds == pytest.approx(2.0, abs=0.05)
    box = (PORTRAIT_BOX[0], PORTRAIT_BOX[1], PORTRAIT_BOX[2], PORTRAIT_BOX[3] / 2)
    assert far(pictures[0].mean(box), (20, 200, 40)) < 25
    assert cost == pytest.approx(2.0 * 0.05)
    no_voice = api.submit(
        {"model": "heygen/avatar-iv", "prompt": "hi", "input_references": [green]}
    )
    assert _error(no_voice)[:1] == (400,)


def _sdk(server: SimulatorServer) -> OpenRouter:
    return OpenRouter(
        api_key="sk-or-v1-sdk",
        server_url=server.base_url,
        retry_config=RetryConfig("none", BackoffStrategy(1, 1, 1, 1), False),
    )


def test_the_official_sdk_extends_upscales_and_meets_the_same_refusals(
    server: SimulatorServer, tmp_path: Path
) -> None:
    with _sdk(server) as sdk:
        source = sdk.video_generation.generate(
            model=SEEDANCE, prompt="a kite", duration=4, resolution="480p", session_id="batch-1"
        )
        assert sdk.video_generation.get_generation(job_id=source.id).status == "completed"
        extension = sdk.video_generation.generate(
            model=SEEDANCE, prompt="higher", duration=4, previous_job_id=source.id
        )
        done = sdk.video_generation.get_generation(job_id=extension.id)
        assert done.status == "completed" and done.usage is not None
        assert done.usage.cost == pytest.approx(854 * 480 * 24 * 4 / 1024 * 0.0000064)
        with pytest.raises(errors.NotFoundResponseError):
            sdk.video_generation.generate(
                model=SEEDANCE, prompt="x", duration=4, previous_job_id="gen-vid-1-nope"
            )
        with pytest.raises(errors.BadRequestResponseError, match="upscale"):
            sdk.video_generation.generate(model=UPSCALER, upscale_factor=9.0)
        with pytest.raises(errors.BadRequestResponseError, match="does not accept audio"):
            sdk.video_generation.generate(
                model="google/veo-3.1-fast",
                prompt="x",
                duration=4,
                input_references=[
                    {"type": "audio_url", "audio_url": {"url": "https://example.com/a.mp3"}}
                ],
            )
        clip = make_mp4(tmp_path / "src.mp4", (160, 90), 1.0, (200, 200, 20))
        upscale = sdk.video_generation.generate(
            model=UPSCALER,
            upscale_factor=1.5,
            creativity=0,
            input_references=[
                {
                    "type": "video_url",
                    "video_url": {"url": data_url("video/mp4", clip.read_bytes())},
                }
            ],
        )
        polled = sdk.video_generation.get_generation(job_id=upscale.id)
        assert polled.usage is not None
        # 160 x 90 x 1.5 = 240 x 135 = 0.0324 MP x 1 s x 7.5 c (precise)
        assert polled.usage.cost == pytest.approx(240 * 135 / 1e6 * 1.0 * 0.075)
