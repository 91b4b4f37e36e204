"""job_runs: every stratify or training run with its counts, duration and error."""

from __future__ import annotations

import datetime as dt

import msgspec
from sqlite_utils import Database

from service.store import close_interrupted, now_utc, owner, writing


def start_run(db: Database, kind: str, as_of: dt.date, trigger: str) -> int:
    """A 'running' row owned by this process; runs whose process died are closed first."""
    close_interrupted(db, "job_runs")
    with writing(db):
        cursor = db.execute(
            "INSERT INTO job_runs (kind, as_of, trigger, started_at, status, pid, host) "
            "VALUES (?, ?, ?, ?, 'running', ?, ?)",
            [kind, as_of.isoformat(), trigger, now_utc(), *owner()],
        )
    return cursor.lastrowid


def finish_run(db: Database, run_id: int, summary: msgspec.Struct | None, error: str | None = None) -> None:
    with writing(db):
        db.execute(
            "UPDATE job_runs SET finished_at = ?, status = ?, summary = ?, error = ? WHERE run_id = ?",
            [
                now_utc(),
                "failed" if error else "ok",
                msgspec.json.encode(summary).decode() if summary else None,
                error,
                run_id,
            ],
        )


def last_run_on(db: Database, kind: str, as_of: dt.date) -> int | None:
    """The latest successful run of this kind as of that day, if any."""
    row = db.execute(
        "SELECT max(run_id) FROM job_runs WHERE kind = ? AND as_of = ? AND status = 'ok'", [kind, as_of.isoformat()]
    ).fetchone()
    return row[0]
