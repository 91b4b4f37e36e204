"""The nightly job under APScheduler in real server processes: one runs it, a second stands by."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from servers import SANBIAO, health, start_server, wait_for

from service.scheduler import NightlyScheduler, SchedulerState
from service.settings import Settings
from service.store import connect, migrate
from service.store.jobs import finish_run, start_run
from stratify.policy import Policy

SAMPLE = Path(__file__).parent.parent / "fixtures" / "sample.ndjson"


def nightly_runs(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT status, trigger FROM job_runs WHERE kind = 'nightly'").fetchall()


@pytest.fixture
def server(tmp_path):
    """Start `sanbiao serve` processes on one database; all are stopped at the end."""
    db_path = tmp_path / "county.db"
    subprocess.run([SANBIAO, "--db", str(db_path), "import", str(SAMPLE)], check=True, capture_output=True)
    started = []

    def start(interval: int) -> str:
        process, base = start_server(db_path, env={"SANBIAO_JOB_INTERVAL": str(interval)})
        started.append(process)
        return base

    start.db_path = db_path
    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


def test_one_server_runs_the_job_and_a_second_stands_by(server):
    first = server(interval=2)
    second = server(interval=2)

    runs = wait_for(lambda: nightly_runs(server.db_path), seconds=40)

    assert health(first)["scheduler"] == "running"
    assert health(second)["scheduler"] == "standby"
    assert runs[0] == ("ok", "scheduler")
    time.sleep(3)
    assert all(trigger == "scheduler" for _, trigger in nightly_runs(server.db_path))
    assert len(nightly_runs(server.db_path)) >= 2


def test_a_server_down_at_the_nightly_time_catches_up_on_start(tmp_path):
    settings = Settings(db_path=tmp_path / "s.db", nightly_at=(0, 0))  # midnight has always passed today
    db = connect(settings.db_path)
    migrate(db)
    scheduler = NightlyScheduler(settings, Policy())

    async def serve_a_while() -> SchedulerState:
        scheduler.start()
        state = scheduler.state
        try:
            for _ in range(100):
                await asyncio.sleep(0.2)
                if nightly_runs(settings.db_path):
                    break
        finally:
            scheduler.stop()
        return state

    assert asyncio.run(serve_a_while()) is SchedulerState.RUNNING
    assert nightly_runs(settings.db_path)[0] == ("ok", "scheduler")


def test_no_catch_up_when_today_already_ran(tmp_path):
    settings = Settings(db_path=tmp_path / "s.db", nightly_at=(0, 0))
    db = connect(settings.db_path)
    migrate(db)
    run_id = start_run(db, "nightly", settings.today(), "cli")
    finish_run(db, run_id, None)
    scheduler = NightlyScheduler(settings, Policy())

    assert scheduler._missed_today(ZoneInfo(settings.timezone)) is False


def test_disabled_scheduler_reports_disabled(tmp_path):
    scheduler = NightlyScheduler(Settings(db_path=tmp_path / "s.db", scheduler=False), Policy())

    scheduler.start()

    assert scheduler.state is SchedulerState.DISABLED
