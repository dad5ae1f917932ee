"""The bundle's entry point: ``videostudio`` as installed, plus ``-m videostudio.MODULE``.

In a bundle ``sys.executable`` is this program, not a Python, yet the demo simulator
renders each clip in a child process started as ``sys.executable -m
videostudio.simulator.render SPEC``. So the launcher runs the app's own modules for
``-m`` (only ``videostudio.*``), the way Python would.
"""

from __future__ import annotations

import runpy
import sys

if len(sys.argv) > 2 and sys.argv[1] == "-m" and sys.argv[2].startswith("videostudio."):
    module = sys.argv[2]
    sys.argv = [sys.argv[0], *sys.argv[3:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
    raise SystemExit(0)

from videostudio.__main__ import main

raise SystemExit(main())
