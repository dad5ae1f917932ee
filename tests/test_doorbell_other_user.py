"""The doorbell against another local user: a real second process running as ``nobody``
(setpriv) tries to read the owner's files, to wake it, to learn its pid, to squat its
address and to flood it with connections. None of it stops ``generate`` or ``resume``.

The data folder here is 0755 (as folders made by older versions are), the worst case:
the other user can list it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_instance import _assert_saved_once, _rows, _wait_for
from videostudio.services.instance import DOORBELL_NAME, LOCK_NAME, Doorbell
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Simulator

NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
FLOOD = 1100
OWNER_FILES = 1024  # the usual soft limit of descriptors

pytestmark = pytest.mark.skipif(
    os.name != "posix" or os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv to run a second user",
)

# Run as nobody. argv: data folder, old abstract doorbell name, owner's port (0: none).
# Prints one JSON line of what it could do, then holds everything until stdin closes:
# the squat, and FLOOD connections to the owner, each opened again when hung up on.
OTHER_USER = textwrap.dedent(
    """
    import json, os, socket, sys
    folder, abstract, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    seen = {"uid": os.getuid()}
    for name in (".videostudio.lock", ".videostudio.doorbell"):
        try:
            seen[name] = open(os.path.join(folder, name), "rb").read().decode()
        except OSError as exc:
            seen[name] = type(exc).__name__
    try:
        open(os.path.join(folder, ".videostudio.doorbell"), "x").write('{"port": 1}')
        seen["planted"] = True
    except OSError as exc:
        seen["planted"] = type(exc).__name__
    held = []
    squat = socket.socket(socket.AF_UNIX)  # the old, predictable doorbell name
    squat.bind("\\0" + abstract)
    squat.listen()
    held.append(squat)
    if port:
        replies = []
        for line in (b'{"op": "wake"}\\n', b'{"op": "wake", "token": "' + b"0" * 64 + b'"}\\n',
                     b'{"op": "raise", "token": ""}\\n'):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(line)
            s.settimeout(30)
            replies.append(s.recv(65536).decode())
            s.close()
        seen["replies"] = replies
        for _ in range(FLOOD):
            held.append(socket.create_connection(("127.0.0.1", port)))
        seen["held"] = len(held) - 1
    print(json.dumps(seen), flush=True)
    if not port:
        sys.stdin.read()
        sys.exit()
    # Keep the flood up: every connection the owner hangs up on is opened again at once.
    import selectors, threading
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    watch = selectors.DefaultSelector()
    for s in held[1:]:
        watch.register(s, selectors.EVENT_READ)
    while not stop.is_set():
        for key, _ in watch.select(0.2):
            watch.unregister(key.fileobj)
            key.fileobj.close()
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
            except OSError:
                continue  # the owner is gone
            watch.register(s, selectors.EVENT_READ)
    """
).replace("FLOOD", str(FLOOD))


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A data folder other users can list, under a folder they can reach."""
    root = Path(tempfile.mkdtemp(prefix="videostudio-other-user-"))
    root.chmod(0o755)
    data = root / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    yield data
    shutil.rmtree(root, ignore_errors=True)


def _env(server: SimulatorServer, data: Path) -> dict[str, str]:
    return {
        **os.environ,
        "OPENROUTER_API_KEY": "sk-or-v1-other-user",
        "OPENROUTER_BASE_URL": server.base_url,
        "VIDEOSTUDIO_DATA_DIR": str(data),
    }


def _few_descriptors() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (OWNER_FILES, OWNER_FILES))


def _videostudio(server: SimulatorServer, data: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "videostudio", *args],
        env=_env(server, data),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_few_descriptors,
    )


def _old_address(data: Path) -> str:
    """The abstract socket name older versions answered on (without its leading NUL)."""
    return "videostudio-" + hashlib.sha256(str(data.resolve()).encode()).hexdigest()[:20]


@contextlib.contextmanager
def _other_user(data: Path, port: int = 0) -> Iterator[dict[str, object]]:
    """The other user's process, holding what it got; yields what it could do."""
    proc = subprocess.Popen(
        [*NOBODY, "/usr/bin/python3", "-c", OTHER_USER, str(data), _old_address(data), str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd="/",
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},  # another user's own Python
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    try:
        assert line, proc.stderr.read() if proc.stderr else "the other user said nothing"
        seen = json.loads(line)
        assert seen["uid"] == 65534
        yield seen
    finally:
        proc.communicate(input="", timeout=60)


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=180)
    return proc.returncode, out, err


def test_a_squatter_of_the_old_address_stops_neither_generate_nor_resume(
    server: SimulatorServer, sim: Simulator, open_folder: Path
) -> None:
    with _other_user(open_folder) as seen:
        assert seen["planted"] == "PermissionError"  # nothing planted in the owner's folder
        code, out, err = _finish(_videostudio(server, open_folder, "generate", "-p", "boat"))
        assert code == 0, err
        assert "Traceback" not in err and "Errno" not in err
        assert Path(out.strip()).exists()
        code, _, err = _finish(_videostudio(server, open_folder, "resume"))
        assert code == 0, err
        assert "Traceback" not in err
    _assert_saved_once(open_folder, sim, 1)


def test_another_user_cannot_wake_the_owner_learn_its_pid_or_starve_its_polls(
    server: SimulatorServer, sim: Simulator, open_folder: Path
) -> None:
    sim.pending_s = 10**6  # the job waits until the flood is held
    owner = _videostudio(server, open_folder, "generate", "-p", "under siege", "--duration", "4")
    try:
        _wait_for(lambda: any(r["state"] == "pending" for r in _rows(open_folder)))
        bell = Doorbell.read(open_folder)
        assert bell is not None  # the port is no secret: /proc/net/tcp lists it to anyone
        with _other_user(open_folder, bell.port) as seen:
            assert seen[LOCK_NAME] == "PermissionError"  # the pid is in there
            assert seen[DOORBELL_NAME] == "PermissionError"  # the token is in there
            assert seen["replies"] == ["", "", ""]  # hung up on: no pid, no wake, no raise
            assert seen["held"] == FLOOD
            polls = sum(r["method"] == "GET" for r in sim.requests)
            sim.pending_s = 0  # the owner must still poll, download and save under the flood
            code, out, err = _finish(owner)
        assert code == 0, err
        assert sum(r["method"] == "GET" for r in sim.requests) > polls
        assert "Too many open files" not in err
        assert "Traceback" not in err
        log = (open_folder / "videostudio.log").read_text()
        assert "Too many open files" not in log and "Traceback" not in log
        assert Path(out.strip()).exists()
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.communicate(timeout=30)
    _assert_saved_once(open_folder, sim, 1)
