"""Storyboard timing: trims snap to frames, totals add up, a trim outside its clip is refused."""

from __future__ import annotations

import pytest

from videostudio.core.storyboard import (
    Shot,
    TrimError,
    cut,
    move,
    parse_span,
    shot_cut,
    snap,
    total_seconds,
)


def test_a_trim_snaps_to_the_nearest_frames() -> None:
    kept = cut(1.01, 3.49, frame_count=192, fps=24)
    assert (kept.first, kept.end) == (24, 84)
    assert kept.frames == 60
    assert kept.duration_s == pytest.approx(2.5)
    assert snap(1.01, 24) == pytest.approx(1.0)


def test_no_trim_keeps_the_whole_clip() -> None:
    kept = shot_cut(Shot(clip=3), frame_count=100, fps=25)
    assert (kept.first, kept.end) == (0, 100)
    assert kept.out_s == pytest.approx(4.0)


def test_an_out_point_half_a_frame_past_the_end_is_the_end() -> None:
    assert cut(0, 8.01, frame_count=192, fps=24).end == 192


@pytest.mark.parametrize(("trim_in", "trim_out"), [(2.0, 9.0), (8.5, None), (-1.0, 2.0)])
def test_a_trim_outside_the_clip_is_refused_with_its_length(
    trim_in: float, trim_out: float | None
) -> None:
    with pytest.raises(TrimError, match=r"which is 8\.00 s long"):
        cut(trim_in, trim_out, frame_count=192, fps=24)


def test_a_trim_that_keeps_no_frame_is_refused() -> None:
    with pytest.raises(TrimError, match="keeps no frame"):
        cut(2.0, 2.01, frame_count=192, fps=24)


def test_totals_add_the_trimmed_lengths() -> None:
    cuts = [cut(0, None, 96, 24), cut(1.0, 2.5, 192, 24), cut(0.4, None, 75, 25)]
    assert total_seconds(cuts) == pytest.approx(4.0 + 1.5 + 2.6)


@pytest.mark.parametrize(
    ("text", "span"), [("1.5-6", (1.5, 6.0)), ("2-", (2.0, None)), ("-4", (0.0, 4.0))]
)
def test_spans_parse(text: str, span: tuple[float, float | None]) -> None:
    assert parse_span(text) == span


@pytest.mark.parametrize("text", ["", "-", "a-b", "1:2", "3"])
def test_bad_spans_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="IN-OUT"):
        parse_span(text)


def test_move_reorders_and_clamps() -> None:
    a, b, c = Shot(clip=1), Shot(clip=2), Shot(prompt="planned")
    assert move([a, b, c], 0, 2) == [b, c, a]
    assert move([a, b, c], 2, -5) == [c, a, b]
    assert move([a, b, c], 7, 0) == [a, b, c]


def test_a_shot_round_trips_through_json() -> None:
    shot = Shot(clip=None, prompt="a fox", trim_in=0.5, trim_out=2.0, continues=True)
    assert Shot.from_json(shot.to_json()) == shot
    assert shot.planned
    assert shot.trimmed
