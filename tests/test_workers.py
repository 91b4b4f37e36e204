"""Several server processes over one database (`sanbiao serve --workers N`): a session or a failed login
counts in every process, exactly one runs the nightly job, and a killed worker does not stop the service."""

from __future__ import annotations

import asyncio
import os
import pickle
import re
import signal
import socket
import sqlite3
import subprocess
import sys
from multiprocessing.reduction import ForkingPickler
from pathlib import Path

import httpx
import pytest
from conftest import PASSWORD, add_login, csrf, log_in
from litestar.testing import TestClient
from servers import SANBIAO, health, start_server, wait_for

from service.auth import ADDRESS_FAILURES
from service.store import connect, migrate
from ui.app import create_app
from ui.cli import WorkersConfig

SAMPLE = Path(__file__).parent.parent / "fixtures" / "sample.ndjson"


@pytest.fixture
def two_workers(settings, db):
    """Two app instances over one database and its files, as two worker processes see them."""
    add_login(db, "wang")
    with TestClient(create_app(settings)) as first, TestClient(create_app(settings)) as second:
        yield first, second


def test_a_session_made_by_one_worker_is_valid_in_another(two_workers):
    first, second = two_workers
    assert log_in(first, "wang", PASSWORD).status_code == 303
    second.cookies = first.cookies

    page = second.get("/", follow_redirects=False)

    assert page.status_code == 200 and "wang" in page.text
    form = {"_csrf_token": csrf(second), "outcome": "visited"}
    assert second.post("/tasks/999/outcome", data=form).status_code == 404  # CSRF accepted, no such task


def test_failed_logins_count_in_every_worker(two_workers):
    first, second = two_workers
    for n in range(ADDRESS_FAILURES):
        assert log_in((first, second)[n % 2], f"nobody{n}", "guess").status_code == 401

    assert log_in(first, "wang", PASSWORD).status_code == 429
    assert log_in(second, "wang", PASSWORD).status_code == 429


def workers_of(server: subprocess.Popen) -> set[int]:
    """The uvicorn worker processes a `sanbiao serve` started."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return {int(pid) for pid in children if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text()}


@pytest.mark.slow
def test_two_workers_run_the_nightly_job_once_and_survive_a_killed_worker(tmp_path):
    db_path = tmp_path / "county.db"
    subprocess.run([SANBIAO, "--db", str(db_path), "import", str(SAMPLE)], check=True, capture_output=True)
    server, base = start_server(db_path, workers=2, env={"SANBIAO_JOB_INTERVAL": "1", "SANBIAO_LOCK_RETRY": "1"})
    try:
        workers = wait_for(lambda: len(workers_of(server)) == 2 and workers_of(server))

        def runs() -> list[tuple]:
            with sqlite3.connect(db_path) as conn:
                return conn.execute("SELECT status, pid FROM job_runs WHERE status != 'running'").fetchall()

        wait_for(lambda: len(runs()) >= 2)
        assert {status for status, _ in runs()} == {"ok"}
        (runner,) = {pid for _, pid in runs()}  # one process runs every night
        assert runner in workers

        os.kill(runner, signal.SIGKILL)

        assert all(health(base)["status"] == "ok" for _ in range(20))  # the other worker answers
        replaced = wait_for(lambda: len(workers_of(server)) == 2 and workers_of(server) - {runner})
        assert len(replaced) == 2
        wait_for(lambda: {pid for _, pid in runs()} - {runner}, seconds=40)  # a survivor took the job over
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_the_workers_listener_gives_connections_tcp_nodelay():
    """Accepted connections inherit the listener's protocol; asyncio turns Nagle off only for TCP ones
    (uvicorn #3149: without it, each keep-alive request with several workers waited ~40 ms)."""
    listener = WorkersConfig("ui.app:app_from_env", factory=True, host="127.0.0.1", port=0).bind_socket()
    rebuilt = pickle.loads(ForkingPickler.dumps(listener))  # as the worker processes receive it
    seen: list[int] = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.Transport) -> None:
            seen.append(transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def accept_one() -> None:
        server = await asyncio.get_running_loop().create_server(Probe, sock=rebuilt)
        _, writer = await asyncio.open_connection(*rebuilt.getsockname())
        while not seen:
            await asyncio.sleep(0.01)
        writer.close()
        server.close()

    asyncio.run(accept_one())
    listener.close()

    assert seen == [1]


def test_workers_starting_together_migrate_once_and_share_one_secret(tmp_path):
    """Every worker migrates and reads the CSRF secret as it starts; started together on a new database,
    none may fail on a migration another applied, and all must sign with the same secret."""
    db_path = tmp_path / "new.db"
    script = (
        "import sys; from pathlib import Path; from service.settings import Settings; "
        "from service.store import connect, migrate; "
        "settings = Settings(db_path=Path(sys.argv[1])); migrate(connect(settings.db_path)); print(settings.secret())"
    )
    starts = [
        subprocess.Popen([sys.executable, "-c", script, str(db_path)], stdout=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    secrets = [process.communicate(timeout=120)[0].strip() for process in starts]

    assert [process.returncode for process in starts] == [0] * 6
    assert len(set(secrets)) == 1 and len(secrets[0]) == 64


@pytest.mark.slow
def test_two_served_workers_share_sessions_and_login_limits(tmp_path):
    """`sanbiao serve --workers 2`: each fresh connection may land on either worker (/healthz tells which:
    the one running the job or the one standing by); a session works on both, failures count in both."""
    db_path = tmp_path / "s.db"
    db = connect(db_path)
    migrate(db)
    add_login(db, "wang")
    db.close()
    server, base = start_server(db_path, workers=2, env={"SANBIAO_JOB_INTERVAL": "3600"})
    try:
        with httpx.Client(base_url=base) as first:
            token = re.search(r'name="_csrf_token" value="([^"]+)"', first.get("/login").text).group(1)
            form = {"username": "wang", "password": PASSWORD, "_csrf_token": token}
            assert first.post("/login", data=form).status_code == 303
            cookies = first.cookies
        seen = set()
        for _ in range(20):
            with httpx.Client(base_url=base, cookies=cookies) as client:  # a new connection each time
                seen.add(client.get("/healthz").json()["scheduler"])
                assert client.get("/", follow_redirects=False).status_code == 200
        assert seen == {"running", "standby"}  # both workers answered, with the one session

        for n in range(ADDRESS_FAILURES):
            with httpx.Client(base_url=base) as client:
                token = re.search(r'name="_csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
                data = {"username": f"nobody{n}", "password": "x", "_csrf_token": token}
                assert client.post("/login", data=data).status_code == 401
        for _ in range(4):
            with httpx.Client(base_url=base) as client:
                token = re.search(r'name="_csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
                assert client.post("/login", data={**form, "_csrf_token": token}).status_code == 429
    finally:
        server.terminate()
        server.wait(timeout=20)
