"""Renders the simulator's clips: a real, playable H.264 MP4 per job, as providers return.

Frames are painted with QPainter (the prompt, the sent first/last frames, a moving
bar) and encoded with PyAV's FFmpeg (libx264). Qt's own recorder is not used: it
hangs on PySide6 6.10/6.11 (design/environment.md) and only encodes MPEG-4 Part 2.
Painting text needs a QGuiApplication, so a clip is rendered in a child process
(``python -m videostudio.simulator.render SPEC.json``): the HTTP server stays free
of Qt and works the same in the demo, the tests and standalone.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

FPS = 24
TAKES = 7  # seeds give this many looks, so renders are shared (and cached) between jobs
# Long side cap: the demo stays quick while keeping the requested shape.
MAX_LONG_SIDE = 1280


@dataclass(frozen=True)
class ClipSpec:
    """What a clip shows: its pixel size, length and the text and frames in it."""

    width: int
    height: int
    duration_s: float  # the new seconds; an edit or upscale takes its source's instead
    prompt: str
    model: str
    first_frame: str | None = None  # path of an image file
    last_frame: str | None = None
    seed: int | None = None  # another seed, another take: the colours shift (TAKES looks)
    operation: str = "generate"  # extend | edit | upscale | avatar work on a source
    source_video: str | None = None  # path of the video an extension, edit or upscale takes
    reference_image: str | None = None  # shown in a corner box (the portrait, for an avatar)

    def cache_key(self) -> str:
        fields = {**asdict(self), "seed": (self.seed or 0) % TAKES}
        raw = json.dumps(fields, sort_keys=True).encode()
        for path in (self.first_frame, self.last_frame, self.source_video, self.reference_image):
            if path:
                raw += hashlib.sha256(Path(path).read_bytes()).digest()
        return hashlib.sha256(raw).hexdigest()[:32]


# Where a reference image shows: a box in the top-right corner (fractions of the frame);
# an avatar's portrait fills the middle instead.
REFERENCE_BOX = (0.72, 0.06, 0.22, 0.22)
PORTRAIT_BOX = (0.3, 0.08, 0.4, 0.6)


def render_size(width: int, height: int) -> tuple[int, int]:
    """Scale (width, height) down to the cap, keeping even dimensions for the encoder."""
    scale = min(1.0, MAX_LONG_SIDE / max(width, height))
    return (int(width * scale) // 2 * 2, int(height * scale) // 2 * 2)


def render_clip(spec: ClipSpec, out: Path, timeout_s: float = 300) -> None:
    """Render ``spec`` to ``out`` in a child process; raise RuntimeError on failure."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"spec": asdict(spec), "out": str(out)}, f)
        spec_path = f.name
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "videostudio.simulator.render", spec_path],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    finally:
        os.unlink(spec_path)
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"clip render failed ({proc.returncode}): {proc.stderr[-2000:]}")


def _encode(spec: ClipSpec, out: Path) -> None:
    """Paint each frame with QPainter and encode H.264 with PyAV's FFmpeg (runs in the child).

    Operations on a source: an extension is the source's frames, then new frames that
    start from its last one; an edit is every source frame, tinted and captioned; an
    upscale is every source frame, scaled.
    """
    import av
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter

    # Text needs the font database, which needs an application object.
    _app = QGuiApplication.instance() or QGuiApplication([])
    width, height = spec.width, spec.height
    total = max(1, round(spec.duration_s * FPS))
    first = QImage(spec.first_frame) if spec.first_frame else None
    last = QImage(spec.last_frame) if spec.last_frame else None
    reference = QImage(spec.reference_image) if spec.reference_image else None
    image = QImage(width, height, QImage.Format.Format_RGBA8888)
    font = QFont("DejaVu Sans")

    def fill(p: QPainter, still: QImage, box: tuple[float, float, float, float]) -> None:
        x, y, w, h = box
        p.drawImage(QRectF(x * width, y * height, w * width, h * height), still)

    def cover(p: QPainter, still: QImage) -> None:
        scaled = still.scaled(
            width,
            height,
            Qt.AspectRatioMode.KeepAspectRatioByExpanding,
            Qt.TransformationMode.SmoothTransformation,
        )
        p.drawImage((width - scaled.width()) // 2, (height - scaled.height()) // 2, scaled)

    def paint(i: int, start: QImage | None = None) -> QImage:
        t = i / total
        hue = 0.55 + 0.35 * t + (spec.seed or 0) % TAKES / TAKES
        image.fill(QColor.fromHsvF(hue % 1.0, 0.55, 0.45))
        p = QPainter(image)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        # First/last frame images are shown as sent, over the first/last second.
        opening = start or first
        still = opening if (opening and i < FPS) else last if (last and i >= total - FPS) else None
        if still is not None and not still.isNull():
            cover(p, still)
        if reference is not None and not reference.isNull():
            fill(p, reference, PORTRAIT_BOX if spec.operation == "avatar" else REFERENCE_BOX)
            if spec.operation == "avatar":  # a mouth that moves with the (silent) voice
                open_h = height * (0.01 + 0.03 * abs(((i * 4) % FPS) / FPS - 0.5))
                p.fillRect(QRectF(width * 0.45, height * 0.6, width * 0.1, open_h), QColor("black"))
        # A moving bar makes motion visible and the frames distinct.
        p.fillRect(
            QRectF(t * (width - width / 8), height * 0.86, width / 8, height * 0.04),
            QColor(255, 255, 255, 200),
        )
        p.setPen(QColor("white"))
        font.setPixelSize(max(10, height // 14))
        p.setFont(font)
        margin = width * 0.06
        p.drawText(
            QRectF(margin, height * 0.12, width - 2 * margin, height * 0.62),
            int(Qt.AlignmentFlag.AlignCenter) | int(Qt.TextFlag.TextWordWrap),
            spec.prompt,
        )
        font.setPixelSize(max(8, height // 24))
        p.setFont(font)
        p.drawText(
            QRectF(margin, height * 0.76, width - 2 * margin, height * 0.08),
            int(Qt.AlignmentFlag.AlignLeft),
            f"{spec.model}   {i / FPS:05.2f}s / {spec.duration_s:g}s   simulated",
        )
        p.end()
        return image

    def reworked(source: QImage) -> QImage:
        """A source frame as an edit or upscale returns it."""
        scaled = source.scaled(
            width,
            height,
            Qt.AspectRatioMode.IgnoreAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        ).convertToFormat(QImage.Format.Format_RGBA8888)
        if spec.operation == "edit":  # the instruction shows: a tint and its words
            p = QPainter(scaled)
            tint = int(hashlib.sha256(spec.prompt.encode()).hexdigest()[:2], 16) / 255
            p.fillRect(QRectF(0, 0, width, height), QColor.fromHsvF(tint, 0.8, 0.9, 0.35))
            p.setPen(QColor("white"))
            font.setPixelSize(max(10, height // 16))
            p.setFont(font)
            p.drawText(
                QRectF(0, height * 0.02, width, height * 0.1),
                int(Qt.AlignmentFlag.AlignCenter),
                f"edit: {spec.prompt}",
            )
            p.end()
        return scaled

    with av.open(str(out), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"  # what players and providers use
        stream.options = {"preset": "ultrafast", "crf": "23"}
        pts = 0

        def put(frame_image: QImage) -> None:
            nonlocal pts
            frame = av.VideoFrame.from_bytes(
                bytes(frame_image.constBits()), width, height, format="rgba"
            )
            frame.pts = pts
            pts += 1
            container.mux(stream.encode(frame))

        tail: QImage | None = None
        if spec.source_video:
            with av.open(spec.source_video) as source:
                for decoded in source.decode(video=0):
                    rgba = decoded.reformat(format="rgba").planes[0]
                    frame_image = QImage(
                        bytes(rgba),
                        decoded.width,
                        decoded.height,
                        rgba.line_size,
                        QImage.Format.Format_RGBA8888,
                    ).copy()  # own the pixels: the buffer goes away
                    tail = frame_image
                    put(reworked(frame_image))
        if spec.operation in ("generate", "extend", "avatar") or not spec.source_video:
            for i in range(total):
                put(paint(i, tail if spec.operation == "extend" else None))
        container.mux(stream.encode(None))  # flush the encoder's delayed frames


def main(argv: list[str]) -> int:
    job = json.loads(Path(argv[0]).read_text())
    spec = ClipSpec(**job["spec"])
    out = Path(job["out"])
    tmp = out.with_name(out.name + ".rendering.mp4")
    _encode(spec, tmp)
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
