"""APScheduler 3 in the service's lifespan: the nightly job at a local time, in one process only.

A file lock beside the database decides which process schedules; the others stand by. A server that
was down at the nightly time runs the job when it starts (job_runs tells whether today's run exists).
"""

from __future__ import annotations

import datetime as dt
import logging
from enum import StrEnum
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from filelock import FileLock, Timeout

from service.jobs import run_nightly
from service.settings import Settings
from service.store import connect
from service.store.jobs import last_run_on
from stratify.policy import Policy

log = logging.getLogger(__name__)

MISFIRE_GRACE_SECONDS = 6 * 3600  # a run delayed by a busy or restarting server still happens


class SchedulerState(StrEnum):
    RUNNING = "running"
    STANDBY = "standby"  # another process holds the lock and runs the job
    DISABLED = "disabled"


class NightlyScheduler:
    def __init__(self, settings: Settings, policy: Policy) -> None:
        self.settings = settings
        self.policy = policy
        self.state = SchedulerState.DISABLED
        self._lock = FileLock(f"{settings.db_path}.scheduler.lock")
        self._scheduler: AsyncIOScheduler | None = None

    def start(self) -> None:
        if not self.settings.scheduler:
            return
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            self.state = SchedulerState.STANDBY
            log.info("nightly job: another process holds %s; standing by", self._lock.lock_file)
            return
        zone = ZoneInfo(self.settings.timezone)
        scheduler = AsyncIOScheduler(
            timezone=zone,
            executors={"default": ThreadPoolExecutor(1)},  # the job is sync and CPU-bound: keep it off the loop
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
        )
        if self.settings.job_interval_seconds:
            trigger = IntervalTrigger(seconds=self.settings.job_interval_seconds, timezone=zone)
        else:
            hour, minute = self.settings.nightly_at
            trigger = CronTrigger(hour=hour, minute=minute, timezone=zone)
        scheduler.add_job(self.run, trigger, id="nightly", name="re-stratify and plan follow-ups")
        if self._missed_today(zone):
            scheduler.add_job(self.run, id="catch-up", name="nightly run missed while the server was down")
        scheduler.start()
        self._scheduler = scheduler
        self.state = SchedulerState.RUNNING

    def _missed_today(self, zone: ZoneInfo) -> bool:
        if self.settings.job_interval_seconds:
            return False
        now = dt.datetime.now(zone)
        hour, minute = self.settings.nightly_at
        if (now.hour, now.minute) < (hour, minute):
            return False
        db = connect(self.settings.db_path)
        try:
            return last_run_on(db, "nightly", now.date()) is None
        finally:
            db.close()

    def run(self) -> None:
        """One nightly run as of today; failures are recorded in job_runs and logged, never raised."""
        db = connect(self.settings.db_path)
        try:
            run_nightly(db, self.policy, self.settings.today(), trigger="scheduler")
        except Exception:  # recorded by run_nightly; the scheduler must live on to the next night
            log.exception("nightly job failed")
        finally:
            db.close()

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        if self._lock.is_locked:
            self._lock.release()
        self.state = SchedulerState.DISABLED
