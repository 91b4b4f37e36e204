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


def run_today(db: Database, kind: str, as_of: dt.date) -> bool:
    """Whether a run of this kind as of that day finished, or is running in a live process (runs of
    processes that died are closed as interrupted first)."""
    close_interrupted(db, "job_runs")
    row = db.execute(
        "SELECT 1 FROM job_runs WHERE kind = ? AND as_of = ? AND status IN ('ok', 'running') LIMIT 1",
        [kind, as_of.isoformat()],
    ).fetchone()
    return row is not None


RUN_COLUMNS = ("run_id", "kind", "as_of", "trigger", "status", "started_at", "finished_at", "error")


def recent_runs(db: Database, limit: int = 5) -> list[tuple]:
    """The latest job runs, newest first: RUN_COLUMNS and the run's seconds."""
    return db.execute(
        f"SELECT {', '.join(RUN_COLUMNS)}, json_extract(summary, '$.seconds') "
        "FROM job_runs ORDER BY run_id DESC LIMIT ?",
        [limit],
    ).fetchall()
