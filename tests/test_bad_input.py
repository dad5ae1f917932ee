"""Bad input gets a sentence, never a traceback, a loop or a body that is not JSON (issue 15 §6)."""

from __future__ import annotations

import os
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
