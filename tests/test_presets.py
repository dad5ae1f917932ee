"""Presets and prompt history: real SQLite, and the CLI as a user runs it (demo mode)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import _run
from videostudio.core.presets import MAX_FILE_BYTES, Preset, PresetError
from videostudio.services.catalog import load_snapshot
from videostudio.services.journal import Journal
from videostudio.services.presets import PresetStore

VEO = {"model": "google/veo-3.1", "duration": 6, "aspect_ratio": "9:16", "seed": "random"}


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    j = Journal(tmp_path / "journal.sqlite3")
    yield j  # type: ignore[misc]
    j.close()


def _file(tmp_path: Path, presets: dict[str, object]) -> Path:
    path = tmp_path / "presets.json"
    path.write_text(json.dumps({"format": "videostudio-presets", "presets": presets}))
    return path


def test_history_is_newest_first_each_prompt_once_and_searchable(journal: Journal) -> None:
    for prompt in ["a fox in snow", "A heron at dawn", "a fox in snow", "", "rain on a window"]:
        journal.add({"model": "google/veo-3.1", "prompt": prompt})
    assert journal.prompts() == ["rain on a window", "a fox in snow", "A heron at dawn"]
    assert journal.prompts("HERON") == ["A heron at dawn"]
    assert journal.prompts("%") == [] and journal.prompts("fox", limit=1) == ["a fox in snow"]


def test_names_ignore_case_and_an_import_never_replaces(journal: Journal, tmp_path: Path) -> None:
    store = PresetStore(journal)
    store.save(Preset.from_json("Vertical", VEO))
    store.save(Preset.from_json("vertical", {**VEO, "duration": 8}))  # the same preset
    (only,) = store.all()
    assert only.duration == 8
    store.save(Preset.from_json("Wide", {**VEO, "aspect_ratio": "16:9"}))
    with pytest.raises(PresetError, match="already a preset called 'wide'"):
        store.rename("Vertical", "wide")
    models, _ = load_snapshot()
    saved, skipped = store.import_file(_file(tmp_path, {"VERTICAL": VEO}), models)
    assert [p.name for p, _ in saved] == ["VERTICAL (2)"] and skipped == []
    assert store.get("vertical").duration == 8  # untouched
    store.delete("VERTICAL (2)")
    with pytest.raises(PresetError, match="no preset"):
        store.delete("VERTICAL (2)")


def test_a_preset_from_a_file_is_checked_against_the_catalogue(
    journal: Journal, tmp_path: Path
) -> None:
    models, _ = load_snapshot()
    dated = {
        **VEO,
        "duration": 7,
        "generate_audio": True,
        "options": {"personGeneration": "allow_adult", "warp": 3},
        "image_roles": ["first_frame", "last_frame"],
    }
    silent = {"model": "minimax/hailuo-2.3", "generate_audio": True, "image_roles": ["last_frame"]}
    gone = {"model": "acme/retired-model"}
    path = _file(tmp_path, {"Dated": dated, "Silent": silent, "Gone": gone})
    saved, skipped = PresetStore(journal).import_file(path, models)
    by_name = {p.name: (p, notes) for p, notes in saved}
    preset, notes = by_name["Dated"]
    assert preset.duration is None and preset.options == {"personGeneration": "allow_adult"}
    assert preset.generate_audio is True and preset.image_roles == ("first_frame", "last_frame")
    assert any("got 7" in n for n in notes) and any("warp" in n for n in notes)
    preset, notes = by_name["Silent"]
    assert preset.generate_audio is None and preset.image_roles == ("reference",)
    assert any("cannot generate audio" in n for n in notes)
    assert skipped == ["The preset 'Gone' is for acme/retired-model, which is no longer offered."]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\x89PNG not json", r"not a presets file \(not JSON\)"),
        (b'{"presets": {}}', "holds no presets"),
        (b" " * (MAX_FILE_BYTES + 1), "too large for a presets file"),
        (
            b'{"presets": {"x": {"model": "google/veo-3.1", "duration": "six"}}}',
            "unusable duration",
        ),
        (b"[" * 100_000, "not JSON"),
    ],
)
def test_bad_files_are_a_sentence_and_import_nothing(
    journal: Journal, tmp_path: Path, content: bytes, words: str
) -> None:
    path = tmp_path / "presets.json"
    path.write_bytes(content)
    with pytest.raises(PresetError, match=words):
        PresetStore(journal).import_file(path, load_snapshot()[0])
    assert PresetStore(journal).all() == []


def test_presets_through_the_cli(tmp_path: Path) -> None:
    saved = _run(
        "preset", "save", "Tall veo", "--demo", "-m", "google/veo-3.1", "--duration", "6",
        "--aspect-ratio", "9:16", "--no-audio", "--seed", "5",
        "--option", "personGeneration=allow_adult",
    )  # fmt: skip
    assert saved.returncode == 0, saved.stderr
    refused = _run("preset", "save", "Bad", "--demo", "-m", "google/veo-3.1", "--duration", "7")
    assert refused.returncode == 2 and "got 7" in refused.stderr
    listed = _run("preset", "list", "--demo")
    assert "Tall veo" in listed.stdout and "Bad" not in listed.stdout
    dry = _run("generate", "--demo", "--preset", "tall VEO", "-p", "a heron", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    body = json.loads(dry.stdout)
    assert body["duration"] == 6 and body["aspect_ratio"] == "9:16" and body["seed"] == 5
    assert body["generate_audio"] is False and body["prompt"] == "a heron"
    assert body["provider"]["options"]["google-vertex"]["parameters"] == {
        "personGeneration": "allow_adult"
    }
    out = tmp_path / "mine.json"
    assert _run("preset", "export", "--demo", "-o", str(out)).returncode == 0
    assert "Tall veo" in json.loads(out.read_text())["presets"]
    assert _run("preset", "delete", "Tall veo", "--demo").returncode == 0
    imported = _run("preset", "import", str(out), "--demo")
    assert imported.returncode == 0 and "Imported 'Tall veo'" in imported.stderr
    (tmp_path / "junk.json").write_bytes(b"\x00\x01 junk")
    junk = _run("preset", "import", str(tmp_path / "junk.json"), "--demo")
    assert junk.returncode == 2 and "not a presets file" in junk.stderr
    assert "Traceback" not in junk.stderr
    missing = _run("generate", "--demo", "--preset", "nope", "-p", "x", "--dry-run")
    assert missing.returncode == 2 and "no preset 'nope'" in missing.stderr


@pytest.mark.parametrize(
    "presets",
    [
        {"n" * 10_000: "not an object"},
        {"n" * 10_000: VEO},
        {"a\x1b[2Jb": VEO},
        {"x": {**VEO, "duration": "9" * 100_000}},
    ],
    ids=["10k-name-bad-settings", "10k-name", "control-chars", "huge-value"],
)
def test_a_hostile_name_or_value_gets_a_short_sentence(
    journal: Journal, tmp_path: Path, presets: dict[str, object]
) -> None:
    with pytest.raises(PresetError) as refused:
        PresetStore(journal).import_file(_file(tmp_path, presets), load_snapshot()[0])
    said = str(refused.value)
    assert len(said) < 200 and said.isprintable(), said
    assert PresetStore(journal).all() == []


def test_an_unknown_model_is_named_briefly(journal: Journal, tmp_path: Path) -> None:
    path = _file(tmp_path, {"Far": {**VEO, "model": "acme/" + "m" * 50_000}, "Veo": VEO})
    saved, skipped = PresetStore(journal).import_file(path, load_snapshot()[0])
    assert [p.name for p, _ in saved] == ["Veo"]
    (said,) = skipped
    assert len(said) < 200 and "no longer offered" in said
