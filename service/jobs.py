"""The nightly job (re-stratify and plan follow-ups) that the CLI, the API and the scheduler all run.

`assess_and_plan` and `write_batch` are also the real-time path (`service/reassess.py`): residents
re-assessed as their visits arrive go through the very same code."""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

import msgspec
from sqlite_utils import Database

from followup.assign import Roster
from followup.plan import plan
from followup.tasks import Plan, Task
from service.assignment import reassign
from service.drift import update_drift
from service.figure_table import fill, nightly_periods
from service.risk import served_model
from service.store import connect, now_utc, writing
from service.store.assessments import assessment_rows, overrides_on, reassessed_since, save_assessments
from service.store.histories import History, load_range, managed_ranges
from service.store.indicators import VillageTally, save_indicators
from service.store.jobs import finish_run, recent_runs, start_run
from service.store.tasks import apply_plan, doctors, open_load, open_tasks_in_range, plan_rows
from service.validation import MAX_AGE_YEARS, years_before
from stratify.assess import ModelOpinion, Override, assess, status_on
from stratify.facts import sorted_visits
from stratify.features import feature_matrix
from stratify.model import RiskModel, WhoFallback
from stratify.policy import Policy
from stratify.tiers import Assessment, Status, Tier

log = logging.getLogger(__name__)

BATCH_SIZE = 5_000  # residents read, assessed and planned together
WRITE_RESIDENTS = 500  # residents written a transaction (measured: 5,000 held the write lock ~110 ms under load)
MAX_WORKERS = 4  # processes assessing batches in parallel (at most the machine's cores)
MIN_BATCHES_FOR_WORKERS = 4  # below this (20,000 residents) starting processes costs more than it saves


class RunSummary(msgspec.Struct):
    run_id: int
    as_of: dt.date
    assessed: int
    tiers: dict[str, int]
    changed: int
    tasks_opened: int
    tasks_closed: int
    seconds: float


class FiguresSummary(msgspec.Struct):
    run_id: int
    as_of: dt.date
    periods: int
    villages: int  # computed (those whose rows were all valid are not)
    rows: int  # kept
    skipped: int  # villages a write overtook: their rows are computed on the next request
    seconds: float
    model_quarters: int = 0  # quarters added to the active model's drift (docs/model.md)


def run_figures(db: Database, policy: Policy, as_of: dt.date, *, trigger: str) -> FiguresSummary:
    """Fill the figure table (CONTRACT §11) for the last 12 months and the current one, their quarters
    and years, as one job run after the nightly one: its own run, so the nightly re-stratification's
    time stays its own (DESIGN: <= 60 s), and a failure here leaves the tiers and tasks done. Once a
    quarter it also adds the quarter just closed to the active model's drift (service/drift.py)."""
    started = time.perf_counter()
    run_id = start_run(db, "figures", as_of, trigger)
    periods = nightly_periods(as_of)
    try:
        done = fill(db, periods, as_of, policy)
        drift = update_drift(db, policy, as_of)
    except Exception as e:
        finish_run(db, run_id, None, error=f"{type(e).__name__}: {e}")
        log.exception("figures run %s as of %s failed", run_id, as_of)
        raise
    summary = FiguresSummary(
        run_id=run_id,
        as_of=as_of,
        periods=len(periods),
        villages=done["computed"],
        rows=done["kept"],
        skipped=done["skipped"],
        seconds=round(time.perf_counter() - started, 2),
        model_quarters=len(drift),
    )
    finish_run(db, run_id, summary)
    log.info("figures run %s as of %s: %d villages, %d rows", run_id, as_of, summary.villages, summary.rows)
    return summary


class JobRun(msgspec.Struct, frozen=True):
    """A run of a job as job_runs keeps it (newest first in lists)."""

    run_id: int
    kind: str
    as_of: str | None
    trigger: str
    status: str  # running, ok, failed
    started_at: str
    finished_at: str | None
    error: str | None
    seconds: float | None


NIGHTLY_STALE_HOURS = 26  # a nightly run should finish every day; a little slack for a slow night


def job_runs(db: Database, limit: int = 5) -> list[JobRun]:
    return [JobRun(*row) for row in recent_runs(db, limit)]


def nightly_problem(runs: list[JobRun], now: dt.datetime) -> str | None:
    """What is wrong with the nightly job, for monitoring: none yet, the latest failed, or it is stale."""
    latest = next((r for r in runs if r.kind == "nightly" and r.status != "running"), None)
    if latest is None:
        return "no nightly run has finished yet"
    if latest.status != "ok":
        return f"the latest nightly run (#{latest.run_id}) {latest.status}: {latest.error}"
    age = now - dt.datetime.fromisoformat(latest.finished_at)
    if age > dt.timedelta(hours=NIGHTLY_STALE_HOURS):
        return f"the latest nightly run (#{latest.run_id}) finished {age.total_seconds() / 3600:.0f} hours ago"
    return None


class BadAsOf(ValueError):
    """An as_of after today (data for it cannot exist yet) or before any record could be dated."""


def check_as_of(as_of: dt.date, today: dt.date) -> dt.date:
    if as_of > today:
        raise BadAsOf(f"as_of {as_of} is in the future (today is {today})")
    if as_of < years_before(today, MAX_AGE_YEARS):
        raise BadAsOf(f"as_of {as_of} is more than {MAX_AGE_YEARS} years ago")
    return as_of


class Batch(msgspec.Struct):
    """Assessments of some residents and the task changes they call for."""

    assessments: list[Assessment]
    plan: Plan
    tally: VillageTally
    read_at: str | None = None  # when the nightly job read these residents (UTC)

    def about(self, record_ids: set[str]) -> Batch:
        """The assessments and task changes of these residents (the tally stays with the whole batch)."""
        return Batch(
            [a for a in self.assessments if a.record_id in record_ids], self.plan.about(record_ids), VillageTally()
        )


def assess_histories(
    histories: list[History],
    as_of: dt.date,
    policy: Policy,
    model: RiskModel | WhoFallback | None,
    overrides: dict[str, list[Override]],
) -> list[Assessment]:
    """Assess a batch: features and model opinions for the living managed residents in one call."""
    living = [h for h in histories if status_on(h.resident, as_of, h.status) is Status.ACTIVE]
    opinions: dict[str, ModelOpinion] = {}
    if model is not None and living:
        x = feature_matrix([h.resident for h in living], as_of, policy)
        opinions = dict(zip((h.resident.record_id for h in living), model.opinions(x), strict=True))
    return [
        assess(
            h.resident,
            as_of,
            policy,
            opinion=opinions.get(h.resident.record_id),
            overrides=overrides.get(h.resident.record_id, ()),
            recorded_status=h.status,
        )
        for h in histories
    ]


def assess_and_plan(
    histories: list[History],
    tasks: dict[str, list[Task]],
    as_of: dt.date,
    policy: Policy,
    model: RiskModel | WhoFallback | None,
    overrides: dict[str, list[Override]],
) -> Batch:
    """Assessments and task changes for a batch of residents (pure: no database)."""
    assessments = assess_histories(histories, as_of, policy, model, overrides)
    changes, tally = Plan(), VillageTally()
    for history, assessment in zip(histories, assessments, strict=True):
        r = history.resident
        visits = [v for v in sorted_visits(r) if v.date <= as_of]
        tally.add(r, visits, assessment, policy)
        changes.extend(
            plan(
                assessment,
                visits,
                tasks.get(r.record_id, []),
                policy,
                village_code=r.village_code,
                family_doctor=r.family_doctor,
            )
        )
    return Batch(assessments, changes, tally)


def write_batch(db: Database, batch: Batch, roster: Roster, run_id: int | None) -> tuple[int, int, int]:
    """Assign, then store assessments and task changes: (changed, opened, closed).

    A resident's assessment and tasks are written together, WRITE_RESIDENTS residents a transaction,
    so the visits doctors post meanwhile wait for a slice, not a batch. A batch the nightly job read
    (`read_at`) leaves out the residents re-assessed since, by a visit, an outcome or an override:
    what they got then is newer than what the job saw, and their tasks have moved on."""
    for task in batch.plan.open:
        roster.assign(task)
    risks = {a.record_id: a.risk for a in batch.assessments}
    changed = opened = closed = 0
    for start in range(0, len(batch.assessments), WRITE_RESIDENTS):
        ids = {a.record_id for a in batch.assessments[start : start + WRITE_RESIDENTS]}
        with writing(db):
            if batch.read_at is not None:
                ids -= reassessed_since(db, sorted(ids), batch.read_at)
            part = batch.about(ids)
            changed += save_assessments(db, assessment_rows(part.assessments), run_id)
            counts = apply_plan(db, plan_rows(part.plan, risks, run_id))
        opened, closed = opened + counts[0], closed + counts[1]
    return changed, opened, closed


def roster_of(db: Database) -> Roster:
    """Every doctor with their open load: the nightly job assigns across the county."""
    return Roster(doctors(db), open_load(db))


def database_path(db: Database) -> str:
    return db.execute("PRAGMA database_list").fetchone()[2]


def default_workers() -> int:
    return min(os.cpu_count() or 1, MAX_WORKERS)


_worker: dict = {}  # per worker process: its connection, policy, model and overrides


JOB_NICENESS = 10  # the job's processes yield the CPU to the server's: doctors first, the batch job after


def _start_worker(path: str, policy: Policy, as_of: dt.date) -> None:
    os.nice(JOB_NICENESS)
    db = connect(path)
    _worker.update(db=db, policy=policy, as_of=as_of, model=served_model(db), overrides=overrides_on(db, as_of))


def read_and_assess(
    db: Database,
    bounds: tuple[str, str],
    as_of: dt.date,
    policy: Policy,
    model: RiskModel | WhoFallback | None,
    overrides: dict[str, list[Override]],
) -> Batch:
    """One batch of the nightly job: its residents read, assessed and planned, stamped with when."""
    read_at = now_utc()
    batch = assess_and_plan(load_range(db, *bounds), open_tasks_in_range(db, *bounds), as_of, policy, model, overrides)
    batch.read_at = read_at
    return batch


def _assess_range(bounds: tuple[str, str]) -> Batch:
    w = _worker
    return read_and_assess(w["db"], bounds, w["as_of"], w["policy"], w["model"], w["overrides"])


def assessed_batches(db: Database, policy: Policy, as_of: dt.date, *, workers: int, batch_size: int) -> Iterator[Batch]:
    """Every managed resident assessed and planned, a batch at a time, in record_id order.

    With several workers, processes read and assess batches in parallel (each with its own
    connection; WAL lets them read while this process writes) and batches come back in order.
    """
    ranges = managed_ranges(db, batch_size)
    if workers > 1 and len(ranges) >= MIN_BATCHES_FOR_WORKERS:
        spawn = multiprocessing.get_context("spawn")  # no fork: the service process runs threads
        with ProcessPoolExecutor(
            workers, mp_context=spawn, initializer=_start_worker, initargs=(database_path(db), policy, as_of)
        ) as pool:
            yield from pool.map(_assess_range, ranges)
        return
    model, overrides = served_model(db), overrides_on(db, as_of)
    for bounds in ranges:
        yield read_and_assess(db, bounds, as_of, policy, model, overrides)


def run_nightly(
    db: Database,
    policy: Policy,
    as_of: dt.date,
    *,
    trigger: str,
    workers: int | None = None,
    batch_size: int = BATCH_SIZE,
) -> RunSummary:
    """Re-stratify every managed resident as of a date and plan follow-ups, recorded as one job run."""
    started = time.perf_counter()
    run_id = start_run(db, "nightly", as_of, trigger)
    try:
        reassign(db)  # tasks follow people, whatever changed since yesterday
        tiers: Counter[str] = Counter()
        assessed = changed = opened = closed = 0
        roster, tally = roster_of(db), VillageTally()
        for batch in assessed_batches(db, policy, as_of, workers=workers or default_workers(), batch_size=batch_size):
            counts = write_batch(db, batch, roster, run_id)
            tally.merge(batch.tally)
            changed, opened, closed = changed + counts[0], opened + counts[1], closed + counts[2]
            assessed += len(batch.assessments)
            tiers.update(a.tier.value for a in batch.assessments if a.tier)
        with writing(db):  # ANALYZE reads then writes its statistics: take the write lock first
            save_indicators(db, run_id, as_of, tally, policy)
            db.execute("PRAGMA optimize")  # keep the query planner's statistics current for the day's lists
        summary = RunSummary(
            run_id=run_id,
            as_of=as_of,
            assessed=assessed,
            tiers={t.value: tiers[t.value] for t in (Tier.RED, Tier.YELLOW, Tier.GREEN)},
            changed=changed,
            tasks_opened=opened,
            tasks_closed=closed,
            seconds=round(time.perf_counter() - started, 2),
        )
    except Exception as e:
        finish_run(db, run_id, None, error=f"{type(e).__name__}: {e}")
        log.exception("nightly run %s as of %s failed", run_id, as_of)
        raise
    finish_run(db, run_id, summary)
    log.info("nightly run %s as of %s: %s, %d tasks opened, %d closed", run_id, as_of, summary.tiers, opened, closed)
    return summary
