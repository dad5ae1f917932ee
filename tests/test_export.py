"""The export engine: one MP4 from trimmed shots, checked by decoding it with PyAV."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import IO

import pytest

from tests.export_media import BLACK_Y, level, make_clip, near, read_film
from videostudio.services.export import (
    ExportCancelledError,
    ExportError,
    ExportShot,
    Progress,
    clean_partials,
    export,
    export_async,
    free_name,
)

FPS = 24


def _levels(frames: range) -> list[int]:
    return [level(i) for i in frames]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("clips")
    return {
        "a": make_clip(d / "a.mp4", frames=48, bframes=2),
        "b": make_clip(d / "b.mp4", frames=72, bframes=2),
        "silent": make_clip(d / "silent.mp4", frames=48, audio=False),
        "tall": make_clip(d / "tall.mp4", size=(96, 160), frames=24, audio=False),
        "fast": make_clip(d / "fast.mp4", fps=30, frames=30),
    }


def test_same_format_keyframe_trims_are_stream_copied_exactly(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    shots = [
        ExportShot(clips["a"], label="shot 1", meta={"clip": 1, "job_id": "j1", "prompt": "one"}),
        ExportShot(clips["b"], trim_in=0.5, trim_out=2.5, meta={"clip": 2, "prompt": "two"}),
        ExportShot(clips["a"], trim_in=1.0),
    ]
    result = export(shots, tmp_path / "film.mp4")
    assert result.mode == "copy"
    film = read_film(result.path)
    assert film.centre == _levels(range(48)) + _levels(range(12, 60)) + _levels(range(24, 48))
    assert film.frames == 48 + 48 + 24
    assert film.duration_s == pytest.approx(5.0, abs=1 / FPS)
    assert film.audio_s == pytest.approx(5.0, abs=1 / FPS)
    side = json.loads(result.sidecar.read_text())
    assert [
        (s["clip"], s["job_id"], s["prompt"], s["in_s"], s["out_s"]) for s in side["shots"]
    ] == [
        (1, "j1", "one", 0.0, 2.0),
        (2, None, "two", 0.5, 2.5),
        (None, None, None, 1.0, 2.0),
    ]
    assert side["sha256"] and side["bytes"] == result.path.stat().st_size
    assert _leftovers(tmp_path) == []


def test_trims_off_keyframes_are_re_encoded_to_the_exact_frame(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    shots = [ExportShot(clips["a"], trim_in=0.3, trim_out=1.7), ExportShot(clips["b"], trim_in=2.1)]
    result = export(shots, tmp_path / "film.mp4")
    assert result.mode == "reencode"
    assert "in point is not on a keyframe" in result.note
    film = read_film(result.path)
    wanted = _levels(range(7, 41)) + _levels(range(50, 72))
    assert film.frames == len(wanted)
    assert all(near(got, want) for got, want in zip(film.centre, wanted, strict=True))
    assert film.duration_s == pytest.approx(len(wanted) / FPS, abs=1 / FPS)


def test_other_sizes_are_letterboxed_and_silence_fills_shots_without_audio(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    shots = [ExportShot(clips["a"]), ExportShot(clips["tall"]), ExportShot(clips["silent"])]
    result = export(shots, tmp_path / "film.mp4")
    assert result.mode == "reencode"
    film = read_film(result.path)
    assert film.size == (160, 96)
    assert film.frames == 48 + 24 + 48
    tall = range(48, 72)
    assert all(film.edge[i] <= BLACK_Y + 3 for i in tall)  # bars at the sides, not stretched
    assert all(near(film.centre[i], level(i - 48)) for i in tall)
    assert not any(film.edge[i] <= BLACK_Y + 3 for i in range(48))
    assert film.audio_s == pytest.approx(5.0, abs=1 / FPS)


def test_a_chosen_size_and_another_frame_rate(clips: dict[str, Path], tmp_path: Path) -> None:
    shots = [ExportShot(clips["a"], trim_out=1.0), ExportShot(clips["fast"])]
    result = export(shots, tmp_path / "film.mp4", size=(320, 320))
    film = read_film(result.path)
    assert film.size == (320, 320)
    assert film.frames == 24 + 24  # one second of 30 fps becomes 24 frames at the film's rate
    assert film.duration_s == pytest.approx(2.0, abs=1 / FPS)
    assert film.edge[0] > BLACK_Y + 3  # a wide picture in a square: bars above and below only


def test_silent_shots_only_give_a_film_without_audio(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    result = export([ExportShot(clips["silent"])] * 2, tmp_path / "film.mp4")
    assert result.mode == "copy"
    assert read_film(result.path).audio_s is None


def test_a_missing_or_damaged_shot_is_named_and_nothing_is_written(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(clips["a"].read_bytes()[:3000])
    with pytest.raises(ExportError, match=r"Shot 2 cannot be exported: .*gone\.mp4 is missing"):
        export([ExportShot(clips["a"]), ExportShot(tmp_path / "gone.mp4")], out / "film.mp4")
    with pytest.raises(ExportError, match=r"Job #7 cannot be exported: .*damaged"):
        export([ExportShot(damaged, label="job #7")], out / "film.mp4")
    assert not out.exists() or list(out.iterdir()) == []


def test_a_trim_outside_the_clip_is_refused_with_its_length(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    with pytest.raises(ExportError, match=r"Shot 1: .*which is 2\.00 s long"):
        export([ExportShot(clips["a"], trim_in=1.0, trim_out=5.0)], tmp_path / "film.mp4")
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_gives_a_sentence_and_leaves_no_file(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    class FullDisk:
        """A file that takes 4 KiB, then reports what a full disk reports."""

        def __init__(self, path: Path) -> None:
            self.file = path.open("xb")
            self.written = 0

        def write(self, data: bytes) -> int:
            self.written += len(data)
            if self.written > 4096:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.file.write(data)

        def __getattr__(self, name: str) -> object:
            return getattr(self.file, name)

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self.file.close()

    def opener(path: Path) -> IO[bytes]:
        return FullDisk(path)  # type: ignore[return-value]

    with pytest.raises(ExportError, match="The disk is full") as caught:
        export(
            [ExportShot(clips["a"]), ExportShot(clips["b"])], tmp_path / "film.mp4", opener=opener
        )
    assert "partial file was removed" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_cancel_stops_and_leaves_nothing(clips: dict[str, Path], tmp_path: Path) -> None:
    cancel = threading.Event()
    seen: list[Progress] = []

    def on_progress(progress: Progress) -> None:
        seen.append(progress)
        cancel.set()

    with pytest.raises(ExportCancelledError):
        export(
            [ExportShot(clips["b"], trim_in=0.3)] * 3,
            tmp_path / "film.mp4",
            on_progress=on_progress,
            cancel=cancel,
        )
    assert seen
    assert list(tmp_path.iterdir()) == []


async def test_progress_tells_time_left_and_reaches_the_end(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    seen: list[Progress] = []
    result = await export_async(
        [ExportShot(clips["a"], trim_in=0.3)] * 2, tmp_path / "film.mp4", on_progress=seen.append
    )
    assert result.path.exists()
    assert seen[0].seconds_left is not None
    assert seen[-1].done == seen[-1].total == 2 * 41
    assert seen[-1].fraction == 1.0
    assert [p.done for p in seen] == sorted(p.done for p in seen)


def test_a_taken_name_is_never_overwritten(clips: dict[str, Path], tmp_path: Path) -> None:
    theirs = tmp_path / "film.mp4"
    theirs.write_bytes(b"someone else's film")
    first = export([ExportShot(clips["a"])], theirs, overwrite=True)
    assert first.path.name == "film-2.mp4"
    assert "film.mp4 was taken" in first.note
    assert theirs.read_bytes() == b"someone else's film"
    again = export([ExportShot(clips["silent"])], tmp_path / "film-2.mp4")
    assert again.path.name == "film-2-2.mp4"
    replaced = export([ExportShot(clips["silent"])], tmp_path / "film-2.mp4", overwrite=True)
    assert replaced.path.name == "film-2.mp4"  # an earlier export of the app may be replaced
    assert read_film(replaced.path).audio_s is None
    assert free_name(theirs).name == "film-3.mp4"
    assert free_name(theirs, overwrite=True).name == "film-2.mp4"


def test_an_export_killed_midway_leaves_nothing_after_the_next_start(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    """A real process is killed while it writes; the next export's start sweeps its partial."""
    out = tmp_path / "out"
    child = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from videostudio.services.export import ExportShot, export

        def on_progress(progress):
            print("writing", flush=True)
            sys.stdin.readline()  # wait here, mid-file, until killed

        shot = ExportShot(Path({str(clips["b"])!r}), trim_in=0.3)
        export([shot] * 3, Path({str(out / "film.mp4")!r}), on_progress=on_progress)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", child],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=dict(os.environ),
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"writing\n"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.stdin is not None
    proc.stdin.close()
    proc.stdout.close()
    names = sorted(p.name for p in out.iterdir())
    assert "film.mp4" not in names
    assert any(n.endswith(".export-part") for n in names)  # the file it was writing
    assert clean_partials(out)
    result = export([ExportShot(clips["a"])], out / "film.mp4")
    assert result.path.name == "film.mp4"
    assert sorted(p.name for p in out.iterdir()) == ["film.json", "film.mp4"]


def test_the_next_start_sweeps_a_dead_exports_partial(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = tmp_path / f".film.mp4.{proc.stdout.strip()}-0123abcd.export-part"
    dead.write_bytes(b"half a film")
    export([ExportShot(clips["a"])], tmp_path / "other.mp4")
    assert not dead.exists()
