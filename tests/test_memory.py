"""Big blocks go back to the system when freed (the process entry point sets it up)."""

from __future__ import annotations

import subprocess
import sys

_CHILD = """
import sys
from pathlib import Path
from videostudio.__main__ import return_big_blocks_to_the_os

def resident_mib():
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 >> 20

if sys.argv[1] == "set":
    return_big_blocks_to_the_os()
before = resident_mib()
first = bytearray(30 << 20)  # freed: glibc would now serve blocks this size from its heap
first[::4096] = b"x" * len(first[::4096])
del first
images = [bytearray(16 << 20) for _ in range(6)]  # a batch's images and bodies
for block in images:
    block[::4096] = b"y" * len(block[::4096])
small = [bytes(100) for _ in range(1000)]  # live objects above them on the heap
images.clear()
print(resident_mib() - before)
"""


def _kept_mib(mode: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, mode], capture_output=True, text=True, check=True
    )
    return int(out.stdout)


def test_freed_images_leave_the_process() -> None:
    assert _kept_mib("default") > 64  # what glibc's moving threshold keeps (proves the test)
    assert _kept_mib("set") < 32
