"""The active model's calibration drift, quarter by quarter since activation (stratify/drift.py):
computed by the figures job (after the nightly one) once a quarter has closed, kept in the model's
card for the dashboard."""

from __future__ import annotations

import datetime as dt
import logging

import msgspec
from sqlite_utils import Database

from service.risk import active_risk_model
from service.store.histories import iter_managed_histories
from service.store.models import activated_on, card_drift, save_drift
from stratify.drift import QuarterDrift, closed_quarters, expected_events
from stratify.features import window_examples
from stratify.policy import Policy

log = logging.getLogger(__name__)


def update_drift(db: Database, policy: Policy, as_of: dt.date) -> list[QuarterDrift]:
    """Add the quarters closed since the card's last one to the active model's card; those added.

    A quarter is computed once, on the first run after it ends: reading every managed history again
    costs about what the nightly job's own reading does, once a quarter."""
    model = active_risk_model(db)
    if model is None:
        return []
    kept = msgspec.json.decode(card_drift(db, model.version), type=list[QuarterDrift])
    done = {d.quarter for d in kept}
    todo = [q for q in closed_quarters(activated_on(db, model.version), as_of) if q[0] not in done]
    if not todo:
        return []
    n = dict.fromkeys((q[0] for q in todo), 0)
    observed = dict.fromkeys(n, 0)
    expected = dict.fromkeys(n, 0.0)
    for batch in iter_managed_histories(db):
        residents = [h.resident for h in batch]
        for name, scored_on, last_day in todo:
            days = (last_day - scored_on).days
            window = window_examples(residents, scored_on, days, policy)
            if len(window.y):
                n[name] += len(window.y)
                observed[name] += int(window.y.sum())
                expected[name] += expected_events(model.risk(window.x), days, model.card.horizon_days)
    added = [
        QuarterDrift(
            name, scored_on.isoformat(), last_day.isoformat(), n[name], observed[name], round(expected[name], 2)
        )
        for name, scored_on, last_day in todo
    ]
    save_drift(db, model.version, msgspec.json.encode([*kept, *added]).decode())
    log.info("model %s: drift of %s", model.version, ", ".join(f"{d.quarter} {d.observed}/{d.expected}" for d in added))
    return added
