"""Journals full of jobs for the library tests: real SQLite, real MP4s from the simulator."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from videostudio.core.jobs import SAVED, JobRecord, Output
from videostudio.services.journal import Journal
from videostudio.simulator.render import FPS, ClipSpec, render_clip
from videostudio.ui.library.sources import JournalSources

MODELS = ("google/veo-3.1-fast", "openai/sora-2-pro", "alibaba/wan-2.7", "kwaivgi/kling-v2.5")
PROMPTS = (
    "A red fox trotting through fresh snow",
    "Macro shot of a dew drop on a leaf",
    "Drone flight over a neon city at night",
    "A paper boat on a flooded street",
    "Slow pan across an old library",
)
START = 1_800_000_000.0
CLIP_SECONDS = 2
CLIP_FRAMES = CLIP_SECONDS * FPS


def rendered_clips(cache: Path) -> list[Path]:
    """Two real H.264 clips (16:9 and 9:16), rendered once per test session."""
    clips = []
    for name, (w, h) in (("wide", (320, 180)), ("tall", (180, 320))):
        out = cache / f"{name}.mp4"
        if not out.exists():
            render_clip(ClipSpec(w, h, CLIP_SECONDS, f"clip {name}", MODELS[0]), out)
        clips.append(out)
    return clips


class Clock:
    """A settable clock for the journal (created_at) and the model (countdowns)."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def request(i: int) -> dict[str, Any]:
    return {
        "model": MODELS[i % len(MODELS)],
        "prompt": f"{PROMPTS[i % len(PROMPTS)]} #{i}",
        "duration": (4, 6, 8)[i % 3],
        "seed": 1000 + i,
    }


@dataclass
class Library:
    journal: Journal
    sources: JournalSources
    clock: Clock
    folder: Path

    def add(
        self,
        n: int,
        *,
        state: str = "queued",
        clip: Path | None = None,
        batch: str | None = None,
        first: int = 0,
        step: float = 60.0,
        estimate: float | None = 0.5,
    ) -> list[JobRecord]:
        """``n`` jobs in one transaction, each ``step`` s after the last (one created_at each
        needs its own add_many: the journal stamps a whole batch at once)."""
        out: list[JobRecord] = []
        for i in range(first, first + n):
            self.clock.now += step
            path = None
            if clip is not None:
                path = str(self.folder / f"job{i}.mp4")
                shutil.copyfile(clip, path)
            out += self.journal.add_many(
                [request(i)], state=state, estimates=[estimate], paths=[path], batch=batch
            )
        return out

    def add_bulk(self, n: int, *, state: str = "queued", chunk: int = 500) -> None:
        """Many jobs quickly: ``chunk`` per transaction, one minute apart per chunk."""
        for start in range(0, n, chunk):
            self.clock.now += 60
            count = min(chunk, n - start)
            self.journal.add_many(
                [request(i) for i in range(start, start + count)],
                state=state,
                estimates=[0.5] * count,
            )

    def save(self, record: JobRecord, **changes: Any) -> JobRecord:
        """Mark a job saved with proof of its file(s) (outputs: several copies if asked)."""
        copies = changes.pop("copies", 1)
        assert record.path is not None
        outputs = [Output(0, record.path, Path(record.path).stat().st_size, "0" * 64)]
        for index in range(1, copies):
            extra = f"{record.path[:-4]}-{index + 1}.mp4"
            shutil.copyfile(record.path, extra)
            outputs.append(Output(index, extra, Path(extra).stat().st_size, "0" * 64))
        return self.journal.update(
            record.local_id, state=SAVED, outputs=tuple(outputs), output_count=copies, **changes
        )


def make_library(folder: Path) -> Library:
    folder.mkdir(parents=True, exist_ok=True)
    clock = Clock()
    journal = Journal(folder / "journal.sqlite3", clock=clock)
    return Library(journal, JournalSources(journal), clock, folder)
