"""``python -m videostudio.simulator --port N``: the simulator as a standalone loopback server."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path

from videostudio.simulator.server import SimulatorServer
from videostudio.simulator.service import Simulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m videostudio.simulator",
        description="An OpenRouter-compatible video API on 127.0.0.1 (offline, free).",
    )
    parser.add_argument("--port", type=int, default=8787, help="API port (0 picks a free one)")
    parser.add_argument("--storage-port", type=int, default=0, help="signed-URL storage port")
    parser.add_argument("--pending", type=float, default=2.0, help="seconds a job stays pending")
    parser.add_argument(
        "--running", type=float, default=6.0, help="seconds a job stays in progress"
    )
    parser.add_argument("--api-key", help="accept only this key (default: any non-empty key)")
    parser.add_argument(
        "--credits", type=float, help="USD of credits before 402s (default: unlimited)"
    )
    parser.add_argument(
        "--jobs-file", type=Path, help="keep jobs in this JSON-lines file across restarts"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    sim = Simulator(
        pending_s=args.pending,
        running_s=args.running,
        api_key=args.api_key,
        credits_usd=args.credits,
        jobs_file=args.jobs_file,
        record_requests=False,
    )
    server = SimulatorServer(sim, port=args.port, storage_port=args.storage_port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    url = server.start()
    print(f"videostudio simulator listening on {url}", flush=True)
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
