"""Real `sanbiao serve` processes for the tests that need a running server."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

SANBIAO = str(Path(sys.executable).parent / "sanbiao")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, seconds: float = 30.0):
    """Call `check` until it returns something truthy (network errors count as not yet)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("timed out")


def health(base: str) -> dict:
    with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
        return json.load(response)


def start_server(
    db_path: Path, *options: str, env: dict[str, str] | None = None, workers: int = 1
) -> tuple[subprocess.Popen, str]:
    """`sanbiao serve` on a free loopback port, once /healthz answers: (process, base URL)."""
    port = free_port()
    process = subprocess.Popen(
        [SANBIAO, "--db", str(db_path), "serve", "--port", str(port), "--workers", str(workers), *options],
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: health(base))
    return process, base
