"""A name only one OS has appears nowhere in the app outside the platform seam
(videostudio/platform/ and the desktop's per-OS modules in videostudio/ui/desktop/).

Code is read as Python tokens: identifiers and string literals count, comments and
docstrings do not (they may say why a branch exists).
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "videostudio"
SEAM = (ROOT / "platform", ROOT / "ui" / "desktop")

# Identifiers of modules, calls and flags that exist on one OS only.
NAMES = {
    "fcntl",
    "msvcrt",
    "winreg",
    "_winapi",
    "windll",
    "QtDBus",
    "O_NONBLOCK",
    "O_BINARY",
    "pwrite",
    "pread",
    "F_FULLFSYNC",
    "AF_UNIX",
    "start_unix_server",
    "open_unix_connection",
    "getuid",
    "geteuid",
    "fchmod",
    "mallopt",
    "setDesktopFileName",
}
# Text in string literals that only one OS understands.
TEXTS = (
    re.compile(r"libc\.so"),
    re.compile(r"xdg-open"),
    re.compile(r"org\.freedesktop"),
    re.compile(r"\.trashinfo"),
    re.compile(r"/proc/"),
    re.compile(r"explorer(\.exe)?\b"),
    re.compile(r"fullfsync", re.IGNORECASE),
    re.compile(r"^[bfr]*['\"]\\0[A-Za-z]"),  # an abstract socket name: "\0name"
)
_STATEMENT_START = {tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.NL}


def linux_only_uses(source: str) -> list[str]:
    """Each OS-only identifier or string in ``source`` (not in comments or docstrings)."""
    found: list[str] = []
    previous = tokenize.NEWLINE
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.NAME and tok.string in NAMES:
            found.append(f"{tok.start[0]}: {tok.string}")
        elif tok.type == tokenize.STRING and previous not in _STATEMENT_START:
            found += [f"{tok.start[0]}: {tok.string[:40]}" for t in TEXTS if t.search(tok.string)]
        if tok.type not in (tokenize.COMMENT, tokenize.NL):
            previous = tok.type
    return found


def test_no_linux_only_name_outside_the_seam() -> None:
    found = {
        str(path.relative_to(ROOT.parent)): uses
        for path in sorted(ROOT.rglob("*.py"))
        if not path.is_relative_to(SEAM[0]) and not path.is_relative_to(SEAM[1])
        if (uses := linux_only_uses(path.read_text(encoding="utf-8")))
    }
    assert found == {}, "move these into videostudio/platform/ or ui/desktop/"


@pytest.mark.parametrize(
    "line",
    [
        "import fcntl",
        "fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)",
        "os.pwrite(fd, b'x', 0)",
        "from PySide6.QtDBus import QDBusConnection",
        'ctypes.CDLL("libc.so.6")',
        'address = f"\\0videostudio-{digest}"',
        'subprocess.run(["xdg-open", folder])',
    ],
)
def test_the_lint_sees_each_kind_of_linux_only_use(line: str) -> None:
    assert linux_only_uses(f"def f():\n    {line}\n")


def test_the_lint_leaves_comments_docstrings_and_zero_bytes_alone() -> None:
    source = '"""Not fcntl: libc.so.6."""\nx = b"\\0" * 8  # O_NONBLOCK, xdg-open\n'
    assert linux_only_uses(source) == []
