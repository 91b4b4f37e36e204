"""Re-stratification: the one job the CLI, the API and the scheduler run, and the real-time path."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter

import msgspec
from sqlite_utils import Database

from service.risk import active_risk_model
from service.store.assessments import overrides_on, save_assessments
from service.store.histories import History, iter_managed_histories, load_managed_histories
from service.store.jobs import finish_run, start_run
from stratify.assess import ModelOpinion, Override, assess, status_on
from stratify.features import feature_matrix
from stratify.model import RiskModel
from stratify.policy import Policy
from stratify.tiers import Assessment, Status, Tier

log = logging.getLogger(__name__)


class RunSummary(msgspec.Struct):
    run_id: int
    as_of: dt.date
    assessed: int
    tiers: dict[str, int]
    changed: int
    tasks_opened: int
    tasks_closed: int
    seconds: float


class FutureDate(ValueError):
    """An as_of after today: data for it cannot exist yet."""


def check_as_of(as_of: dt.date, today: dt.date) -> dt.date:
    if as_of > today:
        raise FutureDate(f"as_of {as_of} is in the future (today is {today})")
    return as_of


def assess_histories(
    histories: list[History],
    as_of: dt.date,
    policy: Policy,
    model: RiskModel | None,
    overrides: dict[str, list[Override]],
) -> list[Assessment]:
    """Assess a batch: features and model opinions for the living managed residents in one call."""
    living = [h for h in histories if status_on(h.resident, as_of, h.status) is Status.ACTIVE]
    opinions: dict[str, ModelOpinion] = {}
    if model is not None and living:
        x = feature_matrix([h.resident for h in living], as_of)
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


def reassess(db: Database, policy: Policy, record_ids: list[str], as_of: dt.date) -> list[Assessment]:
    """Re-assess a few residents at once (a visit just arrived) with the same code as the nightly job."""
    histories = load_managed_histories(db, record_ids)
    model = active_risk_model(db)
    assessments = assess_histories(histories, as_of, policy, model, overrides_on(db, as_of, record_ids))
    save_assessments(db, assessments, run_id=None)
    return assessments


def run_restratify(db: Database, policy: Policy, as_of: dt.date, *, trigger: str) -> RunSummary:
    """Re-stratify every managed resident as of a date, recorded as one job run."""
    started = time.perf_counter()
    run_id = start_run(db, "restratify", as_of, trigger)
    try:
        model = active_risk_model(db)
        overrides = overrides_on(db, as_of)
        tiers: Counter[str] = Counter()
        assessed = changed = 0
        for batch in iter_managed_histories(db):
            assessments = assess_histories(batch, as_of, policy, model, overrides)
            changed += save_assessments(db, assessments, run_id)
            assessed += len(assessments)
            tiers.update(a.tier.value for a in assessments if a.tier)
        summary = RunSummary(
            run_id=run_id,
            as_of=as_of,
            assessed=assessed,
            tiers={t.value: tiers[t.value] for t in (Tier.RED, Tier.YELLOW, Tier.GREEN)},
            changed=changed,
            tasks_opened=0,
            tasks_closed=0,
            seconds=round(time.perf_counter() - started, 2),
        )
    except Exception as e:
        finish_run(db, run_id, None, error=f"{type(e).__name__}: {e}")
        log.exception("restratify run %s as of %s failed", run_id, as_of)
        raise
    finish_run(db, run_id, summary)
    log.info("restratify run %s as of %s: %s", run_id, as_of, summary.tiers)
    return summary
