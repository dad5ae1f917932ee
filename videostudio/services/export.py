"""Export a storyboard's shots to one MP4, with PyAV, off the caller's thread.

Two ways, chosen per export:

- **Stream copy** when every shot has the same codec, size, frame rate, pixel format,
  codec headers and audio layout, *and* every cut falls on a clean keyframe (an in
  point on a keyframe, an out point on a keyframe or at the clip's end). Packets are
  copied with their timestamps shifted: disk speed, no quality loss.
- **Re-encode** (H.264 + AAC) otherwise: each shot is decoded from its in point,
  letterboxed into the output size (the first shot's, or a chosen one; never
  stretched), resampled to the first shot's frame rate, and encoded; shots without
  audio get silence when any shot has audio.

Why not cut copies on the nearest keyframe, or re-encode only the first GOP? Moving
a trim to a keyframe breaks the promise that trims are exact; splicing a re-encoded
GOP into copied H.264 needs a second set of codec headers in one track, which many
players refuse. So a copy is made only where it is exact, and anything else is
re-encoded: every export is frame-exact and plays anywhere.

The file is written to a hidden partial file beside the destination, fsynced, then
linked to a free final name (never over a file the app did not write). A partial file
left by a killed export is removed at the next export into that folder. A sidecar
JSON beside the film names each shot's source clip, job, prompt, in and out.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import itertools
import json
import logging
import math
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import IO, Any

import av
import av.audio.fifo
import av.filter

from videostudio import __version__
from videostudio.core.storyboard import Cut, TrimError, cut
from videostudio.services.clips import file_sha256

log = logging.getLogger("videostudio.services.export")

EXPORT_SIDECAR_VERSION = 1
AUDIO_RATE = 48_000
VIDEO_OPTIONS = {"preset": "veryfast", "crf": "23"}  # libx264's defaults, at a quick preset
AUDIO_BITRATE = 128_000
PROGRESS_EVERY_S = 0.1
_PART = ".export-part"
_PART_NAME = re.compile(r"^\..+\.(\d+)-[0-9a-f]{8}" + re.escape(_PART) + "$")
_active_parts: set[Path] = set()  # this process's exports in progress (never cleaned up)
_active_lock = threading.Lock()

Opener = Callable[[Path], IO[bytes]]


class ExportError(Exception):
    """A sentence for the user: why the export did not start, or stopped."""


class ExportCancelledError(ExportError):
    """The user cancelled; nothing was left behind."""


@dataclass(frozen=True)
class ExportShot:
    """A shot to export: its file and trim, how to name it, and what the sidecar says."""

    path: Path
    trim_in: float = 0.0
    trim_out: float | None = None
    label: str = ""  # e.g. "shot 2 (job #14)"
    meta: dict[str, Any] = field(default_factory=dict)  # clip, job_id, prompt


@dataclass(frozen=True)
class Progress:
    done: int  # output frames written
    total: int
    seconds_left: float | None  # None until there is a rate to go by

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


@dataclass(frozen=True)
class ExportResult:
    path: Path
    sidecar: Path
    mode: str  # "copy" or "reencode"
    duration_s: float
    width: int
    height: int
    note: str = ""  # e.g. why it re-encoded, or that the name was taken


@dataclass(frozen=True)
class _Source:
    """What a shot's file holds, read once before anything is written."""

    codec: str
    width: int
    height: int
    fps: Fraction
    pix_fmt: str
    extradata: bytes
    frame_count: int
    clean_keyframes: frozenset[int]  # frame indexes where a copy may start or stop
    audio: tuple[str, int, int] | None  # codec, rate, channels

    def copy_key(self) -> tuple[Any, ...]:
        return (self.codec, self.width, self.height, self.fps, self.pix_fmt, self.extradata)


@dataclass(frozen=True)
class _Planned:
    shot: ExportShot
    source: _Source
    cut: Cut


def _name(shot: ExportShot, index: int) -> str:
    return shot.label or f"shot {index + 1}"


def _frame_index(pts: int, time_base: Fraction, start: int, fps: Fraction) -> int:
    return round((pts - start) * time_base * fps)


# A source's streams are described by its header (MP4 and MOV): no need to read and decode
# its first seconds to learn them, which is most of the time an open takes.
_QUICK_OPEN = {"probesize": "32", "analyzeduration": "0"}


def _open(path: Path) -> av.container.InputContainer:
    """Open a source quickly; again the slow way if its header did not say enough."""
    container = av.open(str(path), options=_QUICK_OPEN)
    video = container.streams.video
    if video and (not video[0].codec_context.width or video[0].codec_context.pix_fmt is None):
        container.close()
        container = av.open(str(path))
    return container


class _Sources:
    """The sources of one export, each opened once (an open is most of a copy's cost) and
    read again from its start or its in point by whoever seeks it."""

    def __init__(self) -> None:
        self._open: dict[Path, av.container.InputContainer] = {}
        self.probed: dict[Path, _Source] = {}  # a clip used twice is read once

    def get(self, path: Path) -> av.container.InputContainer:
        if path not in self._open:
            container = _open(path)
            if container.streams.video:
                container.streams.video[0].thread_type = "AUTO"  # before any decode
            self._open[path] = container
        return self._open[path]

    def close(self) -> None:
        for container in self._open.values():
            container.close()
        self._open.clear()


def _probe(shot: ExportShot, index: int, sources: _Sources | None = None) -> _Source:
    """Read a shot's streams and keyframes; ExportError naming the shot if it cannot."""
    name = _name(shot, index)
    if not shot.path.is_file():
        raise ExportError(f"{name.capitalize()} cannot be exported: {shot.path} is missing.")
    own = sources is None
    sources = sources or _Sources()
    if shot.path in sources.probed:
        return sources.probed[shot.path]
    try:
        with contextlib.ExitStack() as done:
            if own:
                done.callback(sources.close)
            container = sources.get(shot.path)
            if not container.streams.video:
                raise ExportError(f"{name.capitalize()}: {shot.path} has no video.")
            video = container.streams.video[0]
            fps = Fraction(video.average_rate or video.guessed_rate or 0)
            if fps <= 0 or video.time_base is None:
                raise ExportError(f"{name.capitalize()}: {shot.path} has no frame rate.")
            audio = container.streams.audio[0] if container.streams.audio else None
            ctx = video.codec_context
            pts_list: list[int] = []
            keys: list[int] = []
            for packet in container.demux(video):
                if packet.pts is None or not packet.size:
                    continue
                if packet.is_keyframe:
                    keys.append(len(pts_list))
                pts_list.append(packet.pts)
            if not pts_list:
                raise ExportError(f"{name.capitalize()}: {shot.path} has no frames.")
            start = min(pts_list)
            tb = Fraction(video.time_base)
            found = sources.probed[shot.path] = _Source(
                codec=ctx.name,
                width=ctx.width,
                height=ctx.height,
                fps=fps,
                pix_fmt=str(ctx.pix_fmt),
                extradata=bytes(ctx.extradata or b""),
                frame_count=len(pts_list),
                clean_keyframes=_clean_keyframes(pts_list, keys, tb, start, fps),
                audio=(
                    (audio.codec_context.name, audio.rate, audio.codec_context.channels)
                    if audio is not None
                    else None
                ),
            )
            return found
    except ExportError:
        raise
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise ExportError(
            f"{name.capitalize()} cannot be exported: {shot.path} is damaged ({exc})."
        ) from None


def _clean_keyframes(
    pts: list[int], keys: list[int], tb: Fraction, start: int, fps: Fraction
) -> frozenset[int]:
    """Keyframes (as frame indexes) that split the stream: every packet before one in
    decode order is shown before it and every packet after it is shown after it."""
    n = len(pts)
    prefix_max = [0] * n
    suffix_min = [0] * n
    high = -(2**62)
    for i, p in enumerate(pts):
        prefix_max[i] = high
        high = max(high, p)
    low = 2**62
    for i in range(n - 1, -1, -1):
        low = min(low, pts[i])
        suffix_min[i] = low
    return frozenset(
        _frame_index(pts[k], tb, start, fps)
        for k in keys
        if prefix_max[k] < pts[k] and suffix_min[k] == pts[k]
    )


def plan(shots: Sequence[ExportShot], sources: _Sources | None = None) -> list[_Planned]:
    """Probe every shot and check every trim before anything is written."""
    if not shots:
        raise ExportError("The storyboard has no shots to export.")
    planned = []
    for index, shot in enumerate(shots):
        source = _probe(shot, index, sources)
        try:
            kept = cut(shot.trim_in, shot.trim_out, source.frame_count, float(source.fps))
        except TrimError as exc:
            raise ExportError(f"{_name(shot, index).capitalize()}: {exc}") from None
        planned.append(_Planned(shot, source, kept))
    return planned


def copy_refusal(planned: Sequence[_Planned]) -> str:
    """Why the shots cannot be stream-copied exactly, or "" when they can."""
    first = planned[0].source
    for index, p in enumerate(planned):
        name = _name(p.shot, index)
        if p.source.copy_key() != first.copy_key():
            return f"{name} differs from the first shot in codec, size or frame rate"
        if p.source.audio != first.audio:
            return f"{name}'s audio differs from the first shot's"
        if p.cut.first != 0 and p.cut.first not in p.source.clean_keyframes:
            return f"{name}'s in point is not on a keyframe"
        if p.cut.end != p.source.frame_count and p.cut.end not in p.source.clean_keyframes:
            return f"{name}'s out point is not on a keyframe"
    return ""


# -- partial files -----------------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_partials(folder: Path) -> list[Path]:
    """Remove partial files left in ``folder`` by exports that died; returns them."""
    removed: list[Path] = []
    with _active_lock:
        active = set(_active_parts)
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for path in entries:
        match = _PART_NAME.match(path.name)
        if match is None or path in active:
            continue
        pid = int(match.group(1))
        if pid == os.getpid() or not _pid_alive(pid):
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    if removed:
        log.info("removed %d partial export file(s) in %s", len(removed), folder)
    return removed


@contextlib.contextmanager
def _partial(dest: Path) -> Iterator[Path]:
    """A hidden partial file beside ``dest`` that is removed unless it was moved away."""
    part = dest.with_name(f".{dest.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}{_PART}")
    with _active_lock:
        _active_parts.add(part)
    try:
        yield part
    finally:
        with contextlib.suppress(OSError):
            part.unlink()
        with _active_lock:
            _active_parts.discard(part)


def sidecar_of(film: Path) -> Path:
    return film.with_suffix(".json")


def written_by_app(film: Path) -> bool:
    """True when ``film`` is an export of this app, unchanged since (its sidecar says so)."""
    try:
        data = json.loads(sidecar_of(film).read_text(encoding="utf-8"))
        return (
            isinstance(data, dict)
            and data.get("videostudio_export") is not None
            and data.get("bytes") == film.stat().st_size
            and data.get("sha256") == file_sha256(film)
        )
    except (OSError, ValueError):
        return False


def free_name(dest: Path, *, overwrite: bool = False) -> Path:
    """``dest``, or ``name-2.mp4``, ``name-3.mp4``... when it (or its sidecar) is taken.

    With ``overwrite`` an earlier export of the app may be replaced; nothing else ever is.
    """

    def taken(path: Path) -> bool:
        exists = path.exists() or sidecar_of(path).exists()
        return exists and not (overwrite and path.exists() and written_by_app(path))

    candidate = dest
    number = 2
    while taken(candidate):
        candidate = dest.with_name(f"{dest.stem}-{number}{dest.suffix}")
        number += 1
    return candidate


def _place(part: Path, dest: Path, *, replace: bool) -> None:
    """Give the finished file its name; without ``replace`` never over an existing file."""
    if replace:
        os.replace(part, dest)
        return
    try:
        os.link(part, dest)  # fails if dest appeared meanwhile: nothing is clobbered
    except FileExistsError:
        raise ExportError(f"{dest} appeared during the export; export again.") from None
    except OSError:  # a file system without hard links
        if dest.exists():
            raise ExportError(f"{dest} appeared during the export; export again.") from None
        os.replace(part, dest)
    else:
        part.unlink()


def _default_opener(path: Path) -> IO[bytes]:
    return path.open("xb")


# -- the writers -------------------------------------------------------------------------------


class _Ticker:
    """Progress in output frames, with time left from the rate so far; checks cancel."""

    def __init__(
        self,
        total: int,
        on_progress: Callable[[Progress], None] | None,
        cancel: threading.Event | None,
    ) -> None:
        self.total = total
        self.done = 0
        self._on_progress = on_progress
        self._cancel = cancel
        self._start = time.monotonic()
        self._last = 0.0

    def step(self, frames: int = 1) -> None:
        if self._cancel is not None and self._cancel.is_set():
            raise ExportCancelledError("The export was cancelled; nothing was written.")
        self.done += frames
        now = time.monotonic()
        if self._on_progress is not None and (now - self._last >= PROGRESS_EVERY_S):
            self._last = now
            self._report(now)

    def finish(self) -> None:
        self.done = self.total
        if self._on_progress is not None:
            self._report(time.monotonic())

    def _report(self, now: float) -> None:
        elapsed = now - self._start
        left = None
        if self.done and elapsed > 0:
            left = elapsed / self.done * (self.total - self.done)
        assert self._on_progress is not None  # noqa: S101 (checked by the callers)
        self._on_progress(Progress(min(self.done, self.total), self.total, left))


def _write_copy(
    container: av.container.OutputContainer,
    planned: Sequence[_Planned],
    tick: _Ticker,
    sources: _Sources,
) -> None:
    """Copy each shot's packets between its cuts, shifted to follow the shot before.

    Timestamps stay integers in each source stream's time base (PyAV rescales them
    to the film's): the loop runs once per packet, so no fraction is made in it.
    """
    fps = planned[0].source.fps
    offset = Fraction(0)  # where the shot starts in the film, in seconds
    last: dict[str, tuple[int, Fraction]] = {}  # the last decode time muxed, per kind
    out_video: Any = None
    out_audio: Any = None
    for p in planned:
        src = sources.get(p.shot.path)
        video = src.streams.video[0]
        audio = src.streams.audio[0] if src.streams.audio else None
        if out_video is None:  # the film's streams are the first shot's
            out_video = container.add_stream_from_template(video)
            if audio is not None:
                out_audio = container.add_stream_from_template(audio)
        if out_audio is None:
            audio = None
        in_s = Fraction(p.cut.first) / fps
        end_s = Fraction(p.cut.end) / fps
        spans = {"video": _Span(video, in_s, end_s, offset)}
        if audio is not None:
            spans["audio"] = _Span(audio, in_s, end_s, offset)
        src.seek(spans["video"].first, stream=video, backward=True)
        shift: int | None = None
        for kind, span in spans.items():
            if kind in last:  # the last decode time, in this shot's time base
                ts, tb = last[kind]
                span.last_dts = math.floor(ts * tb / span.tb)
        for packet in src.demux([video] if audio is None else [video, audio]):
            pts, dts = packet.pts, packet.dts
            if pts is None or dts is None or not packet.size:
                continue
            is_video = packet.stream is video
            span = spans["video" if is_video else "audio"]
            if pts < span.first or pts >= span.end:
                continue  # a clean out point: nothing after it is needed before it
            pts += span.offset
            dts += span.offset
            if is_video:
                if shift is None:
                    # Every shot's decode times run behind by the same amount, so they
                    # rise across the cuts whatever each shot's B-frame delay.
                    shift = span.max_delay - (pts - dts)
                dts -= shift
                tick.step()
            if dts <= span.last_dts:
                dts = span.last_dts + 1
            if dts > pts:
                if not is_video:
                    continue  # an audio packet overlapping the shot before
                pts = dts
            span.last_dts = dts
            packet.stream = out_video if is_video else out_audio
            packet.time_base = span.tb
            packet.pts, packet.dts = pts, dts
            container.mux(packet)
        for kind, span in spans.items():
            last[kind] = (span.last_dts, span.tb)
        offset += Fraction(p.cut.frames) / fps


class _Span:
    """A shot's cut in one source stream's own time units, and where it goes in the film."""

    def __init__(self, stream: Any, in_s: Fraction, end_s: Fraction, offset_s: Fraction) -> None:
        self.tb = Fraction(stream.time_base or 0)
        start = _stream_start(stream)
        self.first = start + round(in_s / self.tb)
        self.end = start + round(end_s / self.tb)
        self.offset = round(offset_s / self.tb) - self.first  # source time -> film time
        self.max_delay = round(_MAX_DELAY / self.tb)
        self.last_dts = -(2**62)


# Decode times of copied shots are moved back by this much (in seconds): more than any
# B-frame delay, so no shot's first decode time falls before the previous shot's last.
_MAX_DELAY = Fraction(1, 2)


def _stream_start(stream: Any) -> int:
    start = stream.start_time
    return int(start) if start is not None else 0


def _letterbox(width: int, height: int, out_w: int, out_h: int) -> tuple[int, int]:
    """The largest even size with the source's aspect that fits the output."""
    scale = min(out_w / width, out_h / height)
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def _scaler(stream: Any, out_w: int, out_h: int) -> av.filter.Graph | None:
    ctx = stream.codec_context
    if (ctx.width, ctx.height) == (out_w, out_h) and str(ctx.pix_fmt) == "yuv420p":
        return None
    w, h = _letterbox(ctx.width, ctx.height, out_w, out_h)
    graph = av.filter.Graph()
    nodes = [
        graph.add_buffer(template=stream),
        graph.add("scale", f"{w}:{h}"),
        graph.add(
            "pad", f"{out_w}:{out_h}:{(out_w - w) // 2 // 2 * 2}:{(out_h - h) // 2 // 2 * 2}:black"
        ),
        graph.add("setsar", "1"),
        graph.add("format", "yuv420p"),
        graph.add("buffersink"),
    ]
    for a, b in itertools.pairwise(nodes):
        a.link_to(b)
    graph.configure()
    return graph


def _silence(samples: int) -> av.AudioFrame:
    frame = av.AudioFrame(format="fltp", layout="stereo", samples=samples)
    for plane in frame.planes:
        plane.update(bytes(plane.buffer_size))
    frame.sample_rate = AUDIO_RATE
    return frame


class _AudioOut:
    """The film's AAC track: samples in, 1024-sample frames encoded and muxed."""

    def __init__(self, container: av.container.OutputContainer) -> None:
        self.container = container
        self.stream = container.add_stream("aac", rate=AUDIO_RATE, layout="stereo")
        self.stream.bit_rate = AUDIO_BITRATE
        self.fifo = av.audio.fifo.AudioFifo()
        self.written = 0  # samples handed to the fifo
        self.pts = 0

    def add(self, frame: av.AudioFrame) -> None:
        frame.pts = None
        self.fifo.write(frame)
        self.written += frame.samples
        self._drain(final=False)

    def pad_to(self, samples: int) -> None:
        if samples > self.written:
            self.add(_silence(samples - self.written))

    def _drain(self, *, final: bool) -> None:
        size = self.stream.codec_context.frame_size or 1024
        while self.fifo.samples >= size or (final and self.fifo.samples):
            frame = self.fifo.read(min(size, self.fifo.samples))
            if frame is None:
                break
            frame.pts = self.pts
            self.pts += frame.samples
            self.container.mux(self.stream.encode(frame))

    def close(self) -> None:
        self._drain(final=True)
        self.container.mux(self.stream.encode(None))


def _write_reencode(
    container: av.container.OutputContainer,
    planned: Sequence[_Planned],
    size: tuple[int, int],
    tick: _Ticker,
    sources: _Sources,
) -> None:
    out_w, out_h = size
    fps = planned[0].source.fps
    video_out = container.add_stream("libx264", rate=fps, options=dict(VIDEO_OPTIONS))
    video_out.width, video_out.height, video_out.pix_fmt = out_w, out_h, "yuv420p"
    video_out.codec_context.time_base = Fraction(1) / fps
    audio_out = _AudioOut(container) if any(p.source.audio for p in planned) else None
    frames_out = 0
    for p in planned:
        shot_frames = round(Fraction(p.cut.frames) / p.source.fps * fps)
        end_sample = round(Fraction(frames_out + shot_frames) / fps * AUDIO_RATE)
        src = sources.get(p.shot.path)
        video = src.streams.video[0]
        shot_audio = None
        if audio_out is not None and src.streams.audio:
            shot_audio = _ShotAudio(src.streams.audio[0], p.cut.in_s, audio_out, end_sample)
        shot = _ShotVideo(src, video, p, fps, _scaler(video, out_w, out_h))
        frames_out += shot.encode(shot_frames, frames_out, video_out, container, tick, shot_audio)
        if audio_out is not None:
            if shot_audio is not None:
                shot_audio.finish()
            audio_out.pad_to(end_sample)
    container.mux(video_out.encode(None))
    if audio_out is not None:
        audio_out.close()


class _ShotAudio:
    """One shot's audio: resampled, cut to the shot's span, added to the film's track."""

    def __init__(self, stream: Any, in_s: float, out: _AudioOut, end_sample: int) -> None:
        self.stream = stream
        self.in_s = in_s
        self.out = out
        self.end_sample = end_sample
        self.resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
        self.fifo = av.audio.fifo.AudioFifo()
        self.skip: int | None = None  # samples before the in point, once known

    def decode(self, packet: av.Packet[Any]) -> None:
        for frame in packet.decode():
            if self.skip is None:
                t = float((frame.pts or 0) * Fraction(frame.time_base or 0))
                self.skip = round((self.in_s - t) * AUDIO_RATE)
            for resampled in self.resampler.resample(frame):  # type: ignore[arg-type]
                resampled.pts = None
                self.fifo.write(resampled)
            self._move()

    def _move(self) -> None:
        if self.skip is None:
            return
        if self.skip < 0:  # the audio starts after the in point: silence first
            self.out.add(_silence(-self.skip))
            self.skip = 0
        if self.skip:
            taken = min(self.skip, self.fifo.samples)
            if taken:
                self.fifo.read(taken)
                self.skip -= taken
            if self.skip:
                return
        wanted = self.end_sample - self.out.written
        count = min(wanted, self.fifo.samples)
        if count > 0:
            frame = self.fifo.read(count)
            if frame is not None:
                self.out.add(frame)

    def finish(self) -> None:
        for resampled in self.resampler.resample(None):
            resampled.pts = None
            self.fifo.write(resampled)
        self._move()

    @property
    def full(self) -> bool:
        return self.out.written >= self.end_sample


class _ShotVideo:
    """One shot's pictures: decoded from its in point, letterboxed, at the film's rate."""

    def __init__(
        self,
        src: av.container.InputContainer,
        video: Any,
        planned: _Planned,
        fps: Fraction,
        scaler: av.filter.Graph | None,
    ) -> None:
        self.src, self.video, self.p, self.fps, self.scaler = src, video, planned, fps, scaler
        self.tb = Fraction(video.time_base or 0)
        self.start = _stream_start(video)

    def _index(self, frame: av.VideoFrame) -> int | None:
        if frame.pts is None:
            return None
        return _frame_index(frame.pts, self.tb, self.start, self.p.source.fps)

    def _wanted(self, k: int) -> int:
        """The source frame shown at the shot's k-th output frame (frame rates may differ)."""
        return self.p.cut.first + int(Fraction(k) * self.p.source.fps / self.fps)

    def encode(
        self,
        count: int,
        first_out: int,
        video_out: Any,
        container: av.container.OutputContainer,
        tick: _Ticker,
        shot_audio: _ShotAudio | None,
    ) -> int:
        """Encode ``count`` frames from the in point on; returns how many were written."""
        cut_first = self.p.cut.first
        at = self.start + round(Fraction(cut_first) / self.p.source.fps / self.tb)
        self.src.seek(at, stream=self.video, backward=True)
        written = 0
        last: av.VideoFrame | None = None

        def emit(frame: av.VideoFrame) -> None:
            nonlocal written
            out = frame
            if self.scaler is not None:
                self.scaler.push(frame)
                out = self.scaler.pull()  # type: ignore[assignment]
            out.pts = first_out + written
            out.time_base = Fraction(1) / self.fps
            out.pict_type = av.video.frame.PictureType.NONE
            container.mux(video_out.encode(out))
            written += 1
            tick.step()

        def take(frame: av.VideoFrame) -> None:
            nonlocal last
            index = self._index(frame)
            if index is None or index < cut_first:
                return
            last = frame
            while written < count and self._wanted(written) <= index:
                emit(frame)

        streams = [self.video] if shot_audio is None else [self.video, shot_audio.stream]
        for packet in self.src.demux(streams):
            if shot_audio is not None and packet.stream is shot_audio.stream:
                if not shot_audio.full:
                    shot_audio.decode(packet)
                continue
            if written >= count:
                if shot_audio is None or shot_audio.full:
                    break
                continue
            for frame in packet.decode():
                take(frame)  # type: ignore[arg-type]
        if written < count:
            for frame in self.video.codec_context.decode(None):
                take(frame)
        while written < count and last is not None:  # a file that ran short: hold its end
            emit(last)
        return written


# -- the entry points --------------------------------------------------------------------------


def export(
    shots: Sequence[ExportShot],
    dest: Path,
    *,
    reencode: bool = False,
    size: tuple[int, int] | None = None,
    overwrite: bool = False,
    on_progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    opener: Opener = _default_opener,
) -> ExportResult:
    """Export ``shots`` to ``dest`` (or a free name beside it); blocking: run it in a thread.

    Refuses before writing anything when a shot is missing, damaged or badly trimmed.
    """
    sources = _Sources()
    try:
        return _export(shots, dest, sources, reencode, size, overwrite, on_progress, cancel, opener)
    finally:
        sources.close()


def _export(
    shots: Sequence[ExportShot],
    dest: Path,
    sources: _Sources,
    reencode: bool,
    size: tuple[int, int] | None,
    overwrite: bool,
    on_progress: Callable[[Progress], None] | None,
    cancel: threading.Event | None,
    opener: Opener,
) -> ExportResult:
    planned = plan(shots, sources)
    refusal = "" if reencode or size is not None else copy_refusal(planned)
    mode = "copy" if not (reencode or size is not None or refusal) else "reencode"
    first = planned[0].source
    out_w, out_h = size or (first.width // 2 * 2, first.height // 2 * 2)
    if out_w < 2 or out_h < 2:
        raise ExportError(f"{out_w}×{out_h} is too small for a film.")
    folder = dest.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"Cannot create the folder {folder}: {exc.strerror}.") from None
    clean_partials(folder)
    final = free_name(dest, overwrite=overwrite)
    total = sum(round(Fraction(p.cut.frames) / p.source.fps * first.fps) for p in planned)
    tick = _Ticker(total, on_progress, cancel)
    log.info("export of %d shot(s) to %s by %s", len(planned), final, mode)
    try:
        with _partial(final) as part, _partial(sidecar_of(final)) as side_part:
            with opener(part) as f:
                with av.open(f, mode="w", format="mp4") as container:
                    if mode == "copy":
                        _write_copy(container, planned, tick, sources)
                    else:
                        _write_reencode(container, planned, (out_w, out_h), tick, sources)
                f.flush()
                os.fsync(f.fileno())
            duration = float(sum(p.cut.duration_s for p in planned))
            width, height = (out_w, out_h) if mode == "reencode" else (first.width, first.height)
            meta = _sidecar(planned, final, part, mode, (width, height), duration)
            with side_part.open("x", encoding="utf-8") as s:
                json.dump(meta, s, indent=2, ensure_ascii=False)
                s.write("\n")
                s.flush()
                os.fsync(s.fileno())
            replace = final.exists()  # only an earlier export of the app (free_name checked)
            _place(part, final, replace=replace)
            os.replace(side_part, sidecar_of(final))
    except ExportError:
        raise
    except (OSError, av.FFmpegError) as exc:
        raise _failure(exc, final) from None
    tick.finish()
    notes = []
    if refusal:
        notes.append(f"Re-encoded: {refusal}.")
    if final != dest:
        notes.append(f"{dest.name} was taken; saved as {final.name}.")
    return ExportResult(final, sidecar_of(final), mode, duration, width, height, " ".join(notes))


def _failure(exc: BaseException, final: Path) -> ExportError:
    """A sentence for a failed write; PyAV wraps the file's own error (a full disk) in its."""
    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, OSError):
        cause = cause.__context__ or cause.__cause__
    if isinstance(cause, OSError) and cause.errno in (errno.ENOSPC, errno.EDQUOT):
        return ExportError(
            f"The disk is full: the export to {final} stopped and its partial file was "
            "removed. Free some space and export again."
        )
    if isinstance(cause, OSError):
        return ExportError(f"The export to {final} failed: {cause.strerror or cause}.")
    return ExportError(f"The export to {final} failed while encoding: {exc}.")


async def export_async(shots: Sequence[ExportShot], dest: Path, **options: Any) -> ExportResult:
    """``export`` on a worker thread, so the event loop (and the window) never waits."""
    return await asyncio.to_thread(export, shots, dest, **options)


def _sidecar(
    planned: Sequence[_Planned],
    final: Path,
    part: Path,
    mode: str,
    size: tuple[int, int],
    duration: float,
) -> dict[str, Any]:
    shots = []
    at = 0.0
    for index, p in enumerate(planned):
        shots.append(
            {
                "index": index + 1,
                "file": str(p.shot.path),
                **{k: p.shot.meta.get(k) for k in ("clip", "job_id", "prompt")},
                "in_s": round(p.cut.in_s, 6),
                "out_s": round(p.cut.out_s, 6),
                "starts_at_s": round(at, 6),
            }
        )
        at += p.cut.duration_s
    return {
        "videostudio_export": EXPORT_SIDECAR_VERSION,
        "app_version": __version__,
        "file": final.name,
        "bytes": part.stat().st_size,
        "sha256": file_sha256(part),
        "mode": mode,
        "width": size[0],
        "height": size[1],
        "fps": float(planned[0].source.fps),
        "duration_s": round(duration, 6),
        "shots": shots,
    }


def measure(path: Path) -> tuple[int, float]:
    """A clip's frame count and frame rate, as the export counts them (ExportError if not)."""
    source = _probe(ExportShot(path), 0)
    return source.frame_count, float(source.fps)
