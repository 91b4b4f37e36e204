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
from servers import SANBIAO, free_port, health, start_server, wait_for
from uvicorn.config import STARTUP_FAILURE

from service.auth import ADDRESS_FAILURES
from service.store import connect, migrate
from ui.app import create_app
from ui.cli import OwnSocket

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


def listeners(port: int) -> int:
    """Sockets listening on the loopback port (/proc/net/tcp: local address and state 0A)."""
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(row.split()[1] == f"0100007F:{port:04X}" and row.split()[3] == "0A" for row in rows)


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

        # Connections queued on the killed worker's own socket as it dies are reset (docs/deploy.md); once
        # the kernel has closed its files, every new connection reaches the other worker.
        wait_for(lambda: listeners(int(base.rsplit(":", 1)[1])) == 1, seconds=5)
        assert all(health(base)["status"] == "ok" for _ in range(20))
        replaced = wait_for(lambda: len(workers_of(server)) == 2 and workers_of(server) - {runner})
        assert len(replaced) == 2
        wait_for(lambda: {pid for _, pid in runs()} - {runner}, seconds=40)  # a survivor took the job over
    finally:
        server.terminate()
        server.wait(timeout=20)


def received(port: int) -> socket.socket:
    """The listening socket a worker process makes of the supervisor's OwnSocket as it receives it."""
    return pickle.loads(ForkingPickler.dumps(OwnSocket("127.0.0.1", port)))


def test_the_workers_listener_gives_connections_tcp_nodelay():
    """Accepted connections inherit the listener's protocol; asyncio turns Nagle off only for TCP ones
    (uvicorn #3149: without it, each keep-alive request with several workers waited ~40 ms)."""
    listener = received(0)
    seen: list[int] = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.Transport) -> None:
            seen.append(transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def accept_one() -> None:
        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        _, writer = await asyncio.open_connection(*listener.getsockname())
        while not seen:
            await asyncio.sleep(0.01)
        writer.close()
        server.close()

    asyncio.run(accept_one())
    listener.close()

    assert seen == [1]


def test_each_worker_listens_on_its_own_socket_and_a_burst_of_connections_is_spread():
    """Two workers' sockets share the port; 40 connections made at once reach both (on one shared
    socket the first worker to wake took the whole burst), and a closed worker's socket takes no more."""
    port = free_port()
    sockets = [received(port), received(port)]
    for sock in sockets:
        sock.listen(64)
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
    accepted = [0, 0]
    for index, sock in enumerate(sockets):
        sock.setblocking(False)
        while True:
            try:
                sock.accept()[0].close()
            except BlockingIOError:
                break
            accepted[index] += 1
    assert sum(accepted) == 40 and min(accepted) > 0, accepted  # all 40 to one: a chance of 2**-39
    sockets[0].close()
    late = [socket.create_connection(("127.0.0.1", port)) for _ in range(10)]
    sockets[1].setblocking(True)
    sockets[1].settimeout(5)
    for _ in late:
        sockets[1].accept()[0].close()  # every one reaches the live worker
    for sock in [*clients, *late, sockets[1]]:
        sock.close()


@pytest.mark.parametrize("reuse_port", [False, True], ids=["another program", "another sanbiao's workers"])
def test_a_port_in_use_is_refused_before_any_worker_starts(tmp_path, reuse_port):
    """Even one that another sanbiao's workers share (SO_REUSEPORT): two servers of two databases must
    never split one port's connections."""
    with socket.socket() as taken:
        if reuse_port:
            taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            [SANBIAO, "--db", str(tmp_path / "c.db"), "serve", "--port", str(port), "--workers", "2", "--no-scheduler"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode != 0
    assert "Address already in use" in result.stderr


def test_a_worker_that_cannot_bind_exits_as_a_startup_failure():
    """The supervisor then stops, instead of starting the worker again twice a second for ever."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        script = (
            "import pickle; from multiprocessing.reduction import ForkingPickler; from ui.cli import OwnSocket; "
            f"pickle.loads(ForkingPickler.dumps(OwnSocket('127.0.0.1', {port})))"
        )
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == STARTUP_FAILURE
    assert "cannot listen" in result.stderr


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
