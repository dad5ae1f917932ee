"""Frames decoded with PyAV from real simulator clips, off the GUI thread, cached, and
dropped when no longer wanted."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from tests.ui.library_data import CLIP_FRAMES, rendered_clips
from videostudio.ui.library.thumbs import CardThumbnails
from videostudio.ui.media.thumbnails import (
    FrameError,
    FrameLoader,
    FrameRequest,
    first_frame,
    frame_strip,
    last_frame,
)


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return rendered_clips(tmp_path_factory.getbasetemp() / "library-clips")


@pytest.fixture
def loader(tmp_path: Path) -> FrameLoader:
    loader = FrameLoader(tmp_path / "cache", parallel=1)
    yield loader
    loader.stop()
    loader.deleteLater()


def hue_at(frame_index: int) -> float:
    """The background hue the simulator paints at a frame (render.py: 0.55 + 0.35 t)."""
    return ((0.55 + 0.35 * frame_index / CLIP_FRAMES) % 1.0) * 360


def background_hue(image: QImage, x: int = 3, y: int = 3) -> float:
    return QColor(image.pixel(x, y)).hsvHueF() * 360


def test_first_and_last_frames_are_the_clips_ends(clips: list[Path]) -> None:
    wide = clips[0]
    first = first_frame(wide)
    last = last_frame(wide)
    assert (first.width(), first.height()) == (320, 180)  # never scaled up
    assert (last.width(), last.height()) == (320, 180)
    assert abs(background_hue(first) - hue_at(0)) < 6
    assert abs(background_hue(last) - hue_at(CLIP_FRAMES - 1)) < 6
    small = first_frame(clips[1], QSize(64, 64))  # 9:16 fits the box by its height
    assert small.height() == 64 and small.width() < 40


def test_a_strip_holds_evenly_spread_distinct_frames(clips: list[Path]) -> None:
    count = 12
    strip = frame_strip(clips[0], count, QSize(80, 45))
    assert strip.width() == 80 * count and 43 <= strip.height() <= 45  # even sizes for FFmpeg
    tiles = [strip.copy(i * 80, 0, 80, strip.height()) for i in range(count)]
    assert len({bytes(t.constBits()) for t in tiles}) == count
    for i, tile in enumerate(tiles):
        wanted = int((i + 0.5) / count * CLIP_FRAMES)  # first frame at or after the target
        assert abs(background_hue(tile, 1, 1) - hue_at(wanted)) < 6, i


def test_a_file_that_is_not_a_video_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(2000))
    with pytest.raises(FrameError, match=r"broken\.mp4"):
        first_frame(bad)
    with pytest.raises(FrameError, match="cannot be opened"):
        last_frame(tmp_path / "missing.mp4")


def test_loader_decodes_off_the_gui_thread_and_caches_by_mtime(
    qtbot: QtBot, loader: FrameLoader, clips: list[Path], tmp_path: Path
) -> None:
    clip = tmp_path / "clip.mp4"
    shutil.copyfile(clips[0], clip)
    with qtbot.waitSignal(loader.ready, timeout=20_000) as got:
        loader.request("a", FrameRequest(clip))
    key, image = got.args
    assert key == "a"
    assert abs(background_hue(image) - hue_at(0)) < 6
    cached = list((tmp_path / "cache").rglob("*.jpg"))
    assert len(cached) == 1
    # The same clip again comes from the disk cache; a clip saved again gets a new entry.
    with qtbot.waitSignal(loader.ready, timeout=20_000):
        loader.request("b", FrameRequest(clip))
    assert list((tmp_path / "cache").rglob("*.jpg")) == cached
    stat = clip.stat()
    os.utime(clip, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    with qtbot.waitSignal(loader.ready, timeout=20_000):
        loader.request("c", FrameRequest(clip))
    assert len(list((tmp_path / "cache").rglob("*.jpg"))) == 2


def test_requests_no_longer_wanted_are_dropped(
    qtbot: QtBot, loader: FrameLoader, clips: list[Path]
) -> None:
    done: list[str] = []
    loader.ready.connect(lambda key, _image: done.append(key))
    for key in ("row1", "row2", "row3", "row4"):
        loader.request(key, FrameRequest(clips[key == "row3"], "strip", QSize(64, 36), 8))
    # The view scrolled: rows 2 and 4 left it before their turn came.
    loader.keep({"row1", "row3"})
    assert loader.pending() == ["row3"]
    qtbot.waitUntil(lambda: not loader.busy(), timeout=20_000)
    assert sorted(done) == ["row1", "row3"]
    assert loader.started == ["row1", "row3"]


def test_keep_leaves_other_users_of_a_shared_loader_alone(
    loader: FrameLoader, clips: list[Path]
) -> None:
    loader.request("card:p1", FrameRequest(clips[0]))
    loader.request("card:p2", FrameRequest(clips[0]))
    loader.request("player:last", FrameRequest(clips[0], "last"))
    loader.keep(set(), scope="card:")
    assert loader.pending() == ["player:last"]


def test_card_thumbnails_remember_posters_and_unreadable_clips(
    qtbot: QtBot, loader: FrameLoader, clips: list[Path], tmp_path: Path
) -> None:
    thumbs = CardThumbnails(loader, posters_kept=2)
    assert thumbs.poster(1, str(clips[0])) is None  # queued
    with qtbot.waitSignal(thumbs.poster_ready, timeout=20_000) as got:
        pass
    assert got.args == [1]
    image = thumbs.poster(1, str(clips[0]))
    assert image is not None and not image.isNull()
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    assert thumbs.poster(2, str(bad)) is None
    qtbot.waitUntil(lambda: thumbs.unreadable(2), timeout=20_000)
    started = len(loader.started)
    assert thumbs.poster(2, str(bad)) is None
    assert len(loader.started) == started  # not decoded again and again
    # The LRU keeps the newest posters only.
    for local_id in (3, 4):
        thumbs.poster(local_id, str(clips[1]))
    qtbot.waitUntil(lambda: not loader.busy(), timeout=20_000)
    assert thumbs.poster(3, str(clips[1])) is not None
    assert thumbs.poster(1, str(clips[0])) is None  # evicted, queued again
