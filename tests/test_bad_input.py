"""Bad input gets a sentence, never a traceback, a loop or a body that is not JSON (issue 15 §6)."""

from __future__ import annotations

import math
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from videostudio.core.library import LibraryQuery
from videostudio.services import library
from videostudio.services.journal import Journal

PROMPTS = (
    "Un été à Paris",
    "ETE IN CAPS",
    "Die Straße bei Nacht",
    "STRASSE IN CAPS",
    "plain ascii fox",
    "€" * 20,
    "Ǆemal ΣΊΣΥΦΟΣ",
)
NEEDLES = ("été", "ÉTÉ", "ete", "STRASSE", "straße", "Fox", "€" * 3, "ǆ", "σίσυφος", "4242", "")


def _journal(tmp_path: Path) -> Journal:
    journal = Journal(tmp_path / "journal.sqlite3")
    for i, prompt in enumerate(PROMPTS):
        journal.add({"model": "google/veo-3.1-fast", "prompt": prompt, "seed": 4242 + i})
    return journal


def test_the_sql_list_and_the_live_rule_agree_outside_ascii(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    everything = journal.find()
    for needle in NEEDLES:
        query = LibraryQuery(text=needle)
        listed = sorted(r.local_id for r in library.find(journal, query))
        live = sorted(r.local_id for r in everything if query.matches(r))
        assert listed == live, needle
        assert library.count(journal, query) == len(live)
    by_text = {n: {r.prompt for r in library.find(journal, LibraryQuery(text=n))} for n in NEEDLES}
    assert by_text["STRASSE"] == {"Die Straße bei Nacht", "STRASSE IN CAPS"}
    assert by_text["été"] == by_text["ÉTÉ"] == {"Un été à Paris"}
    assert by_text["σίσυφος"] == {"Ǆemal ΣΊΣΥΦΟΣ"}
    assert len(by_text["4242"]) == 1  # a seed
    journal.close()


@pytest.mark.parametrize("text", ["x" * 50_001, "€" * 17_000])
def test_a_huge_search_gives_a_result_not_pattern_too_complex(tmp_path: Path, text: str) -> None:
    journal = _journal(tmp_path)
    query = LibraryQuery(text=text)
    assert library.find(journal, query) == []
    assert library.count(journal, query) == 0
    journal.close()
    env = {**os.environ, "VIDEOSTUDIO_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "videostudio", "library", "--search", text],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "No clips match." in done.stderr
    assert "Traceback" not in done.stderr


def _cli(*args: str | bytes, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VIDEOSTUDIO_DATA_DIR": str(data)}
    return subprocess.run(
        [sys.executable, "-m", "videostudio", *args],
        env=env,
        capture_output=True,
        text=True,
        errors="backslashreplace",
        timeout=120,
        check=False,
    )


def _jobs_in(data: Path) -> int:
    journal = data / "demo" / "journal.sqlite3"
    if not journal.exists():
        return 0
    with sqlite3.connect(journal) as db:
        return int(db.execute("SELECT count(*) FROM jobs").fetchone()[0])


def test_an_image_folder_is_a_sentence(tmp_path: Path) -> None:
    done = _cli("generate", "--demo", "-p", "x", "--image", str(tmp_path), data=tmp_path)
    assert done.returncode == 2
    assert f"{tmp_path.name} is a folder; choose an image file." in done.stderr
    assert "Traceback" not in done.stderr


def test_a_non_finite_option_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    for value in ("nan", "inf", "-Infinity"):
        done = _cli(
            "generate", "--demo", "-m", "kwaivgi/kling-v3.0-pro", "-p", "x",
            "--option", f"cfg_scale={value}", data=tmp_path,
        )  # fmt: skip
        assert done.returncode == 2, done.stderr
        assert f"cfg_scale takes a finite number, not '{value}'." in done.stderr
        assert "Traceback" not in done.stderr
    assert _jobs_in(tmp_path) == 0
    budget = _cli("budget", "--daily", "nan", data=tmp_path)
    assert budget.returncode == 2
    assert "'nan' is not an amount in USD" in budget.stderr


def test_an_option_that_is_not_utf8_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    """argv bytes that are not UTF-8 arrive as surrogate escapes: refused, never sent."""
    done = _cli(
        "generate", "--demo", "-m", "kwaivgi/kling-v3.0-pro", "-p", "x",
        "--option", os.fsdecode(b"negative_prompt=blur \xff\xfe"), data=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "The negative prompt has bytes that are not UTF-8 text; retype it." in done.stderr
    assert "Traceback" not in done.stderr
    assert _jobs_in(tmp_path) == 0
    prompt = _cli("generate", "--demo", "-p", os.fsdecode(b"caf\xe9"), data=tmp_path)
    assert prompt.returncode == 2
    assert "The prompt has bytes that are not UTF-8 text" in prompt.stderr
    long = _cli(
        "generate", "--demo", "-m", "kwaivgi/kling-v3.0-pro", "-p", "x",
        "--option", "negative_prompt=" + "x" * 10_001, data=tmp_path,
    )  # fmt: skip
    assert "The negative prompt is longer than 10,000 characters." in long.stderr
    assert _jobs_in(tmp_path) == 0


def test_every_body_is_strict_json() -> None:
    from videostudio.api.errors import RequestBodyError
    from videostudio.api.request_body import JsonBody

    for bad in ({"cfg_scale": math.nan}, {"x": [math.inf]}, {"p": "caf\udce9"}, {"\udcff": 1}):
        with pytest.raises(RequestBodyError, match="it was not sent"):
            JsonBody(bad)
    assert JsonBody({"p": "été", "n": 0.5}).length > 0
