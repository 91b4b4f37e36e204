"""APScheduler 3 in the service's lifespan: the nightly job at a local time, in one process only.

A file lock beside the database decides which process schedules; the others stand by and try the
lock again every `lock_retry_seconds`, so when the holder dies a standby takes over. Whoever takes
the lock after the nightly time runs the night it missed (job_runs tells whether today's run exists):
a server that was down at 02:00, or a standby whose holder died before running it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from enum import StrEnum
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from filelock import FileLock, Timeout

from service.jobs import run_figures, run_nightly
from service.settings import Settings
from service.store import connect
from service.store.jobs import run_today
from stratify.policy import Policy

log = logging.getLogger(__name__)

MISFIRE_GRACE_SECONDS = 6 * 3600  # a run delayed by a busy or restarting server still happens
STANDBY_JOB = "standby"
# The periods in progress are taken on each new day (service.figure_table): fill them just after
# midnight, so the day's first dashboard does not compute every village (and again after the nightly run).
FIGURES_AT = (0, 5)


class SchedulerState(StrEnum):
    RUNNING = "running"
    STANDBY = "standby"  # another process holds the lock and runs the job
    DISABLED = "disabled"


class NightlyScheduler:
    def __init__(self, settings: Settings, policy: Policy) -> None:
        self.settings = settings
        self.policy = policy
        self.state = SchedulerState.DISABLED
        self._lock = FileLock(f"{settings.db_path}.scheduler.lock", thread_local=False)  # taken by the retry job
        self._scheduler: AsyncIOScheduler | None = None

    def start(self) -> None:
        if not self.settings.scheduler:
            return
        zone = ZoneInfo(self.settings.timezone)
        self._scheduler = AsyncIOScheduler(
            timezone=zone,
            executors={"default": ThreadPoolExecutor(1)},  # the job is sync and CPU-bound: keep it off the loop
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
        )
        self._scheduler.start()
        if not self._take_over():
            self.state = SchedulerState.STANDBY
            log.info("nightly job: another process holds %s; standing by", self._lock.lock_file)
            retry = IntervalTrigger(seconds=self.settings.lock_retry_seconds, timezone=zone)
            self._scheduler.add_job(self._retry, retry, id=STANDBY_JOB, name="take over the nightly job")

    def _take_over(self) -> bool:
        """Take the lock if it is free, then schedule the nightly job (and the night missed, if any)."""
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            return False
        zone = ZoneInfo(self.settings.timezone)
        try:
            missed = self._missed_today(zone)
        except Exception:
            self._lock.release()  # try again at the next retry
            raise
        if self.settings.job_interval_seconds:
            trigger = IntervalTrigger(seconds=self.settings.job_interval_seconds, timezone=zone)
        else:
            hour, minute = self.settings.nightly_at
            trigger = CronTrigger(hour=hour, minute=minute, timezone=zone)
        self._scheduler.add_job(self.run, trigger, id="nightly", name="re-stratify and plan follow-ups")
        if not self.settings.job_interval_seconds:
            new_day = CronTrigger(hour=FIGURES_AT[0], minute=FIGURES_AT[1], timezone=zone)
            self._scheduler.add_job(self.fill_figures, new_day, id="figures", name="the figures of the new day")
        if missed:
            self._scheduler.add_job(self.run, id="catch-up", name="nightly run missed while no process held it")
        self.state = SchedulerState.RUNNING
        return True

    def _retry(self) -> None:
        if self._take_over():
            self._scheduler.remove_job(STANDBY_JOB)
            log.info("nightly job: took over %s", self._lock.lock_file)

    def _missed_today(self, zone: ZoneInfo) -> bool:
        if self.settings.job_interval_seconds:
            return False
        now = dt.datetime.now(zone)
        hour, minute = self.settings.nightly_at
        if (now.hour, now.minute) < (hour, minute):
            return False
        db = connect(self.settings.db_path)
        try:
            return not run_today(db, "nightly", now.date())
        finally:
            db.close()

    def run(self) -> None:
        """One nightly run as of today, then the figure table's."""
        self._jobs(run_nightly, run_figures)

    def fill_figures(self) -> None:
        """The figure table's run for the new day."""
        self._jobs(run_figures)

    def _jobs(self, *jobs: Callable[..., object]) -> None:
        """Run the jobs as of today; failures are recorded in job_runs and logged, never raised."""
        db = connect(self.settings.db_path)
        try:
            for job in jobs:
                try:
                    job(db, self.policy, self.settings.today(), trigger="scheduler")
                except Exception:  # recorded by the job; the scheduler must live on to the next night
                    log.exception("%s failed", job.__name__)
        finally:
            db.close()

    def stop(self) -> None:
        """Stop scheduling; a run in progress finishes first, so the lock passes on only after it (a
        standby taking over meanwhile would start a second run over the same residents)."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None
        if self._lock.is_locked:
            self._lock.release()
        self.state = SchedulerState.DISABLED
