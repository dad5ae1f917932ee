"""Storyboards in the journal, and the export and storyboard commands, as a user runs them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.export_media import level, make_clip, read_film
from videostudio.core.jobs import SAVED, Output
from videostudio.core.storyboard import Shot
from videostudio.services.clips import file_sha256
from videostudio.services.export import ExportError
from videostudio.services.journal import Journal
from videostudio.services.storyboards import StoryboardError, Storyboards, export_shots


def _saved_job(journal: Journal, clip: Path, prompt: str) -> int:
    record = journal.add({"model": "google/veo-3.1-fast", "prompt": prompt})
    output = Output(0, str(clip), clip.stat().st_size, file_sha256(clip))
    journal.update(
        record.local_id, state=SAVED, job_id=f"gen-{prompt}", path=str(clip), outputs=(output,)
    )
    return record.local_id


@pytest.fixture
def folder(tmp_path: Path) -> tuple[Path, list[int]]:
    """A data folder whose journal holds three saved clips (2 s, 3 s and 2 s)."""
    data = tmp_path / "data"
    clips = data / "clips"
    clips.mkdir(parents=True)
    journal = Journal(data / "journal.sqlite3")
    ids = [
        _saved_job(journal, make_clip(clips / "a.mp4", frames=48), "first"),
        _saved_job(journal, make_clip(clips / "b.mp4", frames=72), "second"),
        _saved_job(journal, make_clip(clips / "c.mp4", frames=48, audio=False), "third"),
    ]
    journal.close()
    return data, ids


def test_storyboards_are_named_ordered_and_survive_a_restart(
    folder: tuple[Path, list[int]],
) -> None:
    data, (a, b, _) = folder
    journal = Journal(data / "journal.sqlite3")
    boards = Storyboards(journal)
    first = boards.create("Opening")
    second = boards.create("")
    assert second.name == "Storyboard 1"
    with pytest.raises(StoryboardError, match="already called 'Opening'"):
        boards.create("Opening")
    boards.add(first.id, Shot(clip=a), Shot(clip=b, trim_in=0.5, trim_out=2.0))
    boards.add(first.id, Shot(prompt="the fox runs on", continues=True))
    boards.rename(second.id, "Ending")
    journal.close()

    again = Storyboards(Journal(data / "journal.sqlite3"))
    found = again.find("opening")
    assert [s.clip for s in found.shots] == [a, b, None]
    assert found.shots[1] == Shot(clip=b, trim_in=0.5, trim_out=2.0)
    assert found.shots[2].continues
    assert found.planned == 1
    assert [x.name for x in again.all()] == ["Opening", "Ending"]
    moved = again.set_shots(found.id, [found.shots[2], found.shots[0]])
    assert [s.clip for s in moved.shots] == [None, a]
    again.delete(second.id)
    assert [x.name for x in again.all()] == ["Opening"]
    again.journal.close()


def test_a_storyboard_write_survives_a_crash_right_after_it(
    folder: tuple[Path, list[int]],
) -> None:
    """A real process writes a storyboard and is killed at once; the write is there."""
    data, (a, _, _) = folder
    child = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from videostudio.core.storyboard import Shot
        from videostudio.services.journal import Journal
        from videostudio.services.storyboards import Storyboards

        boards = Storyboards(Journal(Path({str(data / "journal.sqlite3")!r})))
        board = boards.create("Crash test")
        boards.add(board.id, Shot(clip={a}, trim_in=1.0))
        print("written", flush=True)
        sys.stdin.readline()
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", child], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stdin is not None
    assert proc.stdout.readline() == b"written\n"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdin.close()
    proc.stdout.close()
    journal = Journal(data / "journal.sqlite3")
    assert Storyboards(journal).find("Crash test").shots == (Shot(clip=a, trim_in=1.0),)
    journal.close()


def test_export_shots_name_a_planned_missing_or_changed_clip(
    folder: tuple[Path, list[int]],
) -> None:
    data, (a, b, c) = folder
    journal = Journal(data / "journal.sqlite3")
    with pytest.raises(ExportError, match="Shot 2 is a planned prompt"):
        export_shots(journal, [Shot(clip=a), Shot(prompt="later")])
    (data / "clips" / "b.mp4").write_bytes(b"not the clip any more")
    with pytest.raises(ExportError, match=r"Shot 2 \(job #2\) cannot be exported: .* damaged"):
        export_shots(journal, [Shot(clip=a), Shot(clip=b)])
    (data / "clips" / "c.mp4").unlink()
    with pytest.raises(ExportError, match=r"Shot 1 \(job #3\) .*c\.mp4 is missing"):
        export_shots(journal, [Shot(clip=c)])
    with pytest.raises(ExportError, match=r"job #99\): the job is not in the journal"):
        export_shots(journal, [Shot(clip=99)])
    journal.close()


def _cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "videostudio", *args, "--data-dir", str(data)],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "OPENROUTER_API_KEY"},
        check=False,
    )


def test_the_export_command_cuts_jobs_into_one_film(
    folder: tuple[Path, list[int]], tmp_path: Path
) -> None:
    data, (a, b, c) = folder
    film = tmp_path / "film.mp4"
    proc = _cli(data, "export", str(a), str(b), str(c), "-o", str(film), "--trim", f"{b}:0.5-2")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(film)
    assert "Exported 3 shot(s), 5.50 s at 160×96 (re-encoded)" in proc.stderr
    decoded = read_film(film)
    assert decoded.frames == 48 + 36 + 48
    assert decoded.centre[48] in range(level(12) - 3, level(12) + 4)
    assert decoded.audio_s == pytest.approx(5.5, abs=1 / 24)
    side = json.loads(film.with_suffix(".json").read_text())
    assert [s["job_id"] for s in side["shots"]] == ["gen-first", "gen-second", "gen-third"]

    again = _cli(data, "export", str(a), "-o", str(film))
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == str(tmp_path / "film-2.mp4")
    assert "film.mp4 was taken; saved as film-2.mp4" in again.stderr

    bad = _cli(data, "export", str(a), "-o", str(film), "--trim", f"{a}:1-9")
    assert bad.returncode == 2
    assert "is outside the clip, which is 2.00 s long" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_storyboard_new_add_list_export(folder: tuple[Path, list[int]], tmp_path: Path) -> None:
    data, (a, b, _) = folder
    assert _cli(data, "storyboard", "new", "My", "film").returncode == 0
    assert _cli(data, "storyboard", "add", "My film", str(a), str(b)).returncode == 0
    trimmed = _cli(data, "storyboard", "add", "my film", str(a), "--trim", "1-")
    assert trimmed.returncode == 0, trimmed.stderr
    assert "My film has 3 shot(s)" in trimmed.stderr
    listed = _cli(data, "storyboard", "list")
    assert listed.returncode == 0, listed.stderr
    assert "1: My film (3 shot(s), 0 planned)" in listed.stdout
    assert "1.00 s" in listed.stdout
    film = tmp_path / "my.mp4"
    done = _cli(data, "storyboard", "export", "1", "-o", str(film))
    assert done.returncode == 0, done.stderr
    assert "(stream copy)" in done.stderr
    assert read_film(film).frames == 48 + 72 + 24
    planned = _cli(data, "storyboard", "add", "My film", "--prompt", "a fox", "--continue")
    assert planned.returncode == 0, planned.stderr
    refused = _cli(data, "storyboard", "export", "My film", "-o", str(film))
    assert refused.returncode == 2
    assert "Shot 4 is a planned prompt, not generated yet" in refused.stderr
    missing = _cli(data, "storyboard", "export", "Nope")
    assert "There is no storyboard 'Nope' (storyboards: 1: My film)" in missing.stderr
