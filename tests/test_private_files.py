"""Other users of the machine read no prompt: the data folder is 0700, the journal, the
log, backups and sidecars 0600, whatever the umask (issue 15 §8)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from videostudio.services.journal import Journal


def _mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


def _cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "videostudio", *args],
        env={**os.environ, "VIDEOSTUDIO_DATA_DIR": str(data)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=lambda: os.umask(0o022),  # the usual umask: files would be 0644
    )


def test_a_first_run_keeps_everything_to_its_owner(tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = _cli(data, "generate", "--demo", "-p", "a private prompt", "--duration", "4")
    assert done.returncode == 0, done.stderr
    backup = _cli(data, "journal", "--demo", "--backup")
    assert backup.returncode == 0, backup.stderr
    demo = data / "demo"
    clips = data / "clips" / "demo"  # the sidecars' folder, made by the app
    for folder in (data, demo, demo / "backups", data / "cache", clips.parent, clips):
        assert _mode(folder) == "0o700", folder
    files = [demo / "journal.sqlite3", demo / "videostudio.log"]
    files += list((demo / "backups").iterdir())
    files += list(clips.glob("*.json"))
    files += list(demo.glob("journal.sqlite3-*"))  # -wal, -shm while in use
    assert len(files) >= 4
    for path in files:
        assert _mode(path) == "0o600", path


def test_an_older_versions_open_folder_is_tightened(tmp_path: Path) -> None:
    data = tmp_path / "old"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)  # noqa: S103 (what an older version left)
    journal = data / "journal.sqlite3"
    Journal(journal).close()
    os.chmod(journal, 0o644)
    Journal(journal).close()
    assert (_mode(data), _mode(journal)) == ("0o700", "0o600")
