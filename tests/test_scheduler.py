"""The nightly job under APScheduler in real server processes: one runs it, a second stands by and
takes over when the first dies."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import sqlite3
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from servers import SANBIAO, health, start_server, wait_for

from service.scheduler import FIGURES_AT, NightlyScheduler, SchedulerState
from service.settings import Settings
from service.store import connect, migrate
from service.store.jobs import finish_run, start_run
from stratify.policy import Policy

pytestmark = pytest.mark.slow

SAMPLE = Path(__file__).parent.parent / "fixtures" / "sample.ndjson"


def nightly_runs(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT status, trigger FROM job_runs WHERE kind = 'nightly'").fetchall()


def finished_runs(path: Path) -> list[tuple]:
    return [run for run in nightly_runs(path) if run[0] != "running"]


def midday_zone() -> str:
    """A time zone where it is now around noon, so a nightly time of 01:00 has passed today and one of
    23:00 has not, whenever the test runs."""
    offset = (12 - dt.datetime.now(dt.UTC).hour + 12) % 24 - 12  # hours east of UTC, -12..11
    return f"Etc/GMT{-offset:+d}"  # the Etc zones count westwards


@pytest.fixture
def server(tmp_path):
    """Start `sanbiao serve` processes on one database; all are stopped at the end."""
    db_path = tmp_path / "county.db"
    subprocess.run([SANBIAO, "--db", str(db_path), "import", str(SAMPLE)], check=True, capture_output=True)
    started = []

    def start(**env: str) -> tuple[subprocess.Popen, str]:
        process, base = start_server(db_path, env={f"SANBIAO_{name.upper()}": value for name, value in env.items()})
        started.append(process)
        return process, base

    start.db_path = db_path
    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)


def test_one_server_runs_the_job_and_a_second_stands_by(server):
    _, first = server(job_interval="1")
    _, second = server(job_interval="1")

    runs = wait_for(lambda: len(finished_runs(server.db_path)) >= 2 and finished_runs(server.db_path), seconds=40)

    assert health(first)["scheduler"] == "running"
    assert health(second)["scheduler"] == "standby"
    assert set(runs) == {("ok", "scheduler")}


def test_a_standby_takes_over_when_the_holder_dies_and_runs_the_night_it_missed(server):
    zone = midday_zone()
    holder, first = server(tz=zone, nightly_at="23:00", lock_retry="1")  # its night has not come yet today
    _, second = server(tz=zone, nightly_at="01:00", lock_retry="1")  # its night has passed
    assert (health(first)["scheduler"], health(second)["scheduler"]) == ("running", "standby")
    assert nightly_runs(server.db_path) == []

    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)

    assert wait_for(lambda: health(second)["scheduler"] == "running", seconds=20)
    assert wait_for(lambda: finished_runs(server.db_path), seconds=40) == [("ok", "scheduler")]


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


def test_the_figures_of_a_new_day_are_filled_just_after_midnight(tmp_path):
    """The periods in progress are taken on each day: their rows are filled at 00:05, not by the day's
    first dashboard (review), and the job records its run."""
    settings = Settings(db_path=tmp_path / "s.db", nightly_at=(23, 59))
    migrate(connect(settings.db_path))
    scheduler = NightlyScheduler(settings, Policy())

    async def scheduled() -> tuple[str, str]:
        scheduler.start()
        try:
            trigger = scheduler._scheduler.get_job("figures").trigger
            return str(trigger.fields[5]), str(trigger.fields[6])  # hour, minute
        finally:
            scheduler.stop()

    assert asyncio.run(scheduled()) == (str(FIGURES_AT[0]), str(FIGURES_AT[1]))
    scheduler.fill_figures()
    query = "SELECT kind, status, trigger FROM job_runs WHERE kind = 'figures'"
    runs = connect(settings.db_path).execute(query).fetchall()
    assert runs == [("figures", "ok", "scheduler")]
