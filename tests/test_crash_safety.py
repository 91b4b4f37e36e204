"""A server killed with SIGKILL mid-import loses nothing it acknowledged and leaves nothing half-stored."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time
import urllib.error
import urllib.request

from conftest import api_key, document, make_resident
from servers import start_server

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
