"""Killed with SIGKILL: a server mid-import loses nothing it acknowledged and leaves nothing half-stored;
a nightly job mid-run leaves whole batches, and the next run ends in the same state as an uninterrupted one."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from conftest import api_key, document, make_resident
from servers import start_server

from fixtures.county import write
from service.importer import import_file
from service.jobs import run_nightly
from service.store import connect, migrate
from stratify.policy import Policy

pytestmark = pytest.mark.slow

BATCH = 100


def post(base: str, key: dict, body: bytes) -> dict | None:
    request = urllib.request.Request(
        f"{base}/api/v1/records", data=body, method="POST", headers={**key, "content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except (urllib.error.URLError, ConnectionError, OSError):
        return None


def test_sigkill_mid_import_keeps_every_acknowledged_resident_whole(settings, db, tmp_path):
    key = api_key(db, "ingest", "350421")
    server, base = start_server(settings.db_path, "--no-scheduler")
    acknowledged: list[str] = []

    def keep_posting() -> None:
        for n in range(1000):
            ids = [f"K{n:04d}-{i:03d}" for i in range(BATCH)]
            body = json.dumps(document(*(make_resident(rid) for rid in ids))).encode()
            if post(base, key, body) is None:
                return
            acknowledged.extend(ids)

    poster = threading.Thread(target=keep_posting)
    poster.start()
    while len(acknowledged) < 3 * BATCH:
        time.sleep(0.05)
    os.kill(server.pid, signal.SIGKILL)
    server.wait(timeout=10)
    poster.join(timeout=60)

    with sqlite3.connect(settings.db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = {row[0] for row in conn.execute("SELECT record_id FROM residents")}
        partial = conn.execute(
            "SELECT count(*) FROM residents r "
            "WHERE (SELECT count(*) FROM visits v WHERE v.record_id = r.record_id) != 1 "
            "OR (SELECT count(*) FROM conditions c WHERE c.record_id = r.record_id) != 1 "
            "OR (SELECT count(*) FROM events e WHERE e.record_id = r.record_id) != 1"
        ).fetchone()[0]
    assert set(acknowledged) <= stored  # nothing acknowledged is lost
    assert partial == 0  # nobody is half-stored
    assert len(stored) % BATCH == 0  # each request is one transaction: a batch is in whole or not at all


NIGHTLY_BATCH = 20
AS_OF = dt.date(2026, 11, 1)
NIGHTLY = """
import datetime as dt, sys
from service.jobs import run_nightly
from service.store import connect
from stratify.policy import Policy
run_nightly(connect(sys.argv[1]), Policy(), dt.date.fromisoformat(sys.argv[2]), trigger="test", workers=1,
            batch_size=int(sys.argv[3]))
"""


def final_state(path) -> tuple[list, list]:
    """What a run leaves for the doctors: each resident's tier and reasons, and the open tasks."""
    with sqlite3.connect(path) as conn:
        tiers = conn.execute("SELECT record_id, as_of, tier, reasons FROM assessments ORDER BY record_id").fetchall()
        tasks = conn.execute(
            "SELECT record_id, kind, due, tier FROM tasks WHERE status = 'open' ORDER BY record_id, kind"
        ).fetchall()
    return tiers, tasks


def test_sigkill_mid_nightly_leaves_whole_batches_and_the_next_run_ends_as_an_unbroken_one(tmp_path):
    county = tmp_path / "county.ndjson"
    write(county, 6000, 3, AS_OF)
    start = connect(tmp_path / "start.db")
    migrate(start)
    import_file(start, county, source=None, actor="test", today=AS_OF)
    start.close()
    for name in ("killed.db", "straight.db"):
        shutil.copy(tmp_path / "start.db", tmp_path / name)
    killed_db = tmp_path / "killed.db"

    job = subprocess.Popen([sys.executable, "-c", NIGHTLY, str(killed_db), AS_OF.isoformat(), str(NIGHTLY_BATCH)])
    with sqlite3.connect(killed_db, timeout=30) as conn:
        deadline = time.monotonic() + 60
        while not conn.execute("SELECT count(*) FROM assessments").fetchone()[0]:
            assert time.monotonic() < deadline and job.poll() is None
            time.sleep(0.005)
        os.kill(job.pid, signal.SIGKILL)
        job.wait(timeout=10)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        run_id, status = conn.execute("SELECT run_id, status FROM job_runs").fetchone()
        assert status == "running"  # killed mid-run, not after
        done = conn.execute("SELECT count(*) FROM assessments WHERE run_id = ?", [run_id]).fetchone()[0]
        managed = conn.execute("SELECT count(*) FROM residents WHERE managed = 1").fetchone()[0]
        assert 0 < done < managed
        assert done % NIGHTLY_BATCH == 0  # each batch is written whole or not at all
        planned = conn.execute("SELECT count(DISTINCT record_id) FROM tasks").fetchone()[0]
        assert planned <= done  # no task without its resident's assessment

    for path in (killed_db, tmp_path / "straight.db"):
        db = connect(path)
        run_nightly(db, Policy(), AS_OF, trigger="test", workers=1, batch_size=NIGHTLY_BATCH)
        db.close()

    assert final_state(killed_db) == final_state(tmp_path / "straight.db")
    with sqlite3.connect(killed_db) as conn:
        runs = conn.execute("SELECT status, error FROM job_runs ORDER BY run_id").fetchall()
    assert runs == [("failed", "interrupted: its process ended before it finished"), ("ok", None)]
