"""Helpers for the benchmarks that drive a running `sanbiao serve` on 127.0.0.1."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from service.auth import new_api_key
from service.store import connect
from service.store.access import add_api_key

ROOT = Path(__file__).resolve().parent.parent
SANBIAO = str(ROOT / ".venv" / "bin" / "sanbiao")


def machine() -> str:
    return f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def key_for(db_path: Path, role: str, region: str) -> str:
    """A new API key for `role` in `region`, written straight into the database."""
    db = connect(db_path)
    key, key_hash, prefix = new_api_key()
    add_api_key(
        db, name=f"bench {role} {prefix}", key_hash=key_hash, prefix=prefix, role=role, region=region, actor="bench"
    )
    db.close()
    return key


@contextmanager
def serving(db_path: Path, *options: str, cpus: str | None = None) -> Iterator[int]:
    """`sanbiao serve` (scheduler off) on a free port until the block ends; yields the port.
    `cpus` pins the server to those CPUs (taskset), to see what one core of a server gives."""
    port = free_port()
    pinned = ["taskset", "-c", cpus] if cpus else []
    server = subprocess.Popen(
        [*pinned, SANBIAO, "--db", str(db_path), "serve", "--port", str(port), "--no-scheduler", *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/healthz")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share) - 1)]


def report(label: str, latencies: list[float], seconds: float, errors: int) -> float:
    """Print one line of figures for `label`; returns the p95 in ms."""
    p95 = percentile(latencies, 0.95)
    _line(label, len(latencies), statistics.median(latencies), p95, max(latencies), seconds, errors)
    return p95


def _line(label: str, n: int, p50: float, p95: float, most: float, seconds: float, errors: int) -> None:
    print(
        f"{label:<34} n {n:6d}  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
        f"max {most:7.1f} ms  {n / seconds:6.1f} req/s  errors {errors}"
    )


WRK_SCRIPT = """
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format('WRK {"n": %d, "seconds": %f, "p50": %f, "p95": %f, "max": %f, "errors": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency.max / 1e3, errors))
end
"""


def wrk_report(label: str, port: int, path: str, headers: dict[str, str], seconds: int, clients: int) -> float:
    """`report` for a load made by wrk (C, one thread, `clients` keep-alive connections): the load
    generator then takes little of the CPU the server shares with it. Returns the p95 in ms."""
    if not shutil.which("wrk"):
        raise SystemExit("bench needs wrk: apt-get install wrk (make bench does)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT)
        script.flush()
        command = ["wrk", "-t1", f"-c{clients}", f"-d{seconds}s", "-s", script.name]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        out = subprocess.run([*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True)
    figures = json.loads(next(line[4:] for line in out.stdout.splitlines() if line.startswith("WRK ")))
    _line(label, *(figures[k] for k in ("n", "p50", "p95", "max", "seconds", "errors")))
    return figures["p95"]


def logged_in(base: str, username: str, password: str) -> httpx.Client:
    """An httpx client holding a session of `username` (the login form, with its CSRF token)."""
    client = httpx.Client(base_url=base, timeout=60)
    form = client.get("/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text).group(1)
    response = client.post("/login", data={"username": username, "password": password, "_csrf_token": token})
    if response.status_code != 303:
        raise SystemExit(f"login as {username} failed: {response.status_code}")
    return client


def served_county_args(description: str, requests: int) -> argparse.Namespace:
    """`--db` (a county whose nightly job has run; bench/restratify.py leaves one) and `--requests`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--db", type=Path, default=ROOT / "bench" / "out" / "restratify-1000000-1.run.db")
    parser.add_argument("--requests", type=int, default=requests)
    parser.add_argument("--seconds", type=int, default=10, help="seconds of load per list, for a load made by wrk")
    args = parser.parse_args()
    if not args.db.exists():
        raise SystemExit(f"{args.db} is missing: run bench/restratify.py first")
    return args
