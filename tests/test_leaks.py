"""The API key never leaves the keychain and the Authorization header: no log, journal,
cache, sidecar or message holds it, even when a server echoes it back."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from videostudio.services.redact import MASK, RedactingFilter, register_secret
from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Fault, Simulator

KEY = "sk-or-v1-LEAK-CANARY-7f3a9c2e51d84b06"


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "videostudio", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "OPENROUTER_API_KEY": KEY, **env},
    )


def _files_holding(root: Path, needle: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


def test_a_full_run_leaves_the_key_nowhere(
    server: SimulatorServer, sim: Simulator, data_dir: Path
) -> None:
    sim.api_key = KEY
    sim.add_fault(Fault("poll", "status", status=503, retry_after=0.01))
    sim.add_fault(Fault("content", "truncate"))
    proc = _cli(
        "generate",
        "-v",
        "--prompt",
        "canary",
        "--seed",
        "5",
        "--duration",
        "4",
        env={"OPENROUTER_BASE_URL": server.base_url},
    )
    assert proc.returncode == 0, proc.stderr
    written = sorted(p.name for p in data_dir.rglob("*") if p.is_file())
    assert "journal.sqlite3" in written
    assert "videostudio.log" in written
    assert any(name.endswith(".json") and not name.startswith("models") for name in written)
    assert "HTTP Request" in (data_dir / "videostudio.log").read_text()  # it did log
    assert _files_holding(data_dir, KEY) == []
    assert KEY not in proc.stdout
    assert KEY not in proc.stderr
    assert any(r["headers"].get("Authorization") == f"Bearer {KEY}" for r in sim.requests)


@pytest.fixture
def echoing_server() -> Iterator[str]:
    """A broken server that puts the caller's Authorization header into its error message."""

    class Echo(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            message = f"bad credentials: {self.headers.get('Authorization')}"
            body = json.dumps({"error": {"code": 401, "message": message}}).encode()
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/api/v1"
    httpd.shutdown()
    httpd.server_close()


def test_a_key_echoed_by_the_server_is_scrubbed(echoing_server: str, data_dir: Path) -> None:
    proc = _cli("models", "-v", env={"OPENROUTER_BASE_URL": echoing_server})
    assert proc.returncode == 3
    assert f"bad credentials: Bearer {MASK}" in proc.stderr
    assert KEY not in proc.stderr
    assert _files_holding(data_dir, KEY) == []


def test_log_records_are_redacted() -> None:
    register_secret(KEY)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    log = logging.getLogger("videostudio.test-redact")
    log.addHandler(handler)
    try:
        log.warning("the key is %s", KEY)
        try:
            raise RuntimeError(f"boom {KEY}")
        except RuntimeError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    text = stream.getvalue()
    assert KEY not in text
    assert text.count(MASK) == 2
    assert "RuntimeError: boom" in text
