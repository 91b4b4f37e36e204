"""The real-time path: residents re-assessed and re-planned at once, inside the caller's write
transaction, by the nightly job's own code (a visit, a call outcome, an override, an import).

Only what a change needs is read: the residents' open tasks and overrides, the active model (loaded
once per version), and the doctors who could take a task only when one is opened.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlite_utils import Database

from followup.assign import Roster
from followup.tasks import Task
from service.ingest import OnStored
from service.jobs import assess_and_plan, write_batch
from service.risk import active_risk_model
from service.store.assessments import overrides_on
from service.store.histories import History, load_histories
from service.store.residents import Outcome
from service.store.tasks import doctors_covering, open_load, open_tasks
from stratify.policy import Policy
from stratify.records import Resident, is_managed
from stratify.tiers import Status


def roster_for(db: Database, opened: list[Task]) -> Roster:
    """The doctors who cover the villages of these new tasks, with their open load (nothing read
    when no task is opened)."""
    if not opened:
        return Roster((), Counter())
    covering = doctors_covering(db, sorted({t.village_code for t in opened}))
    return Roster(covering, open_load(db, [username for username, _, _ in covering]))


def reassess(db: Database, policy: Policy, histories: list[History], as_of: dt.date) -> None:
    """Assess and plan these managed residents as of a day and write the result (call it inside a
    write transaction, so the change and its consequences commit together)."""
    if not histories:
        return
    ids = [h.resident.record_id for h in histories]
    model = active_risk_model(db)
    batch = assess_and_plan(histories, open_tasks(db, ids), as_of, policy, model, overrides_on(db, as_of, ids))
    write_batch(db, batch, roster_for(db, batch.plan.open), run_id=None)


def reassess_ids(db: Database, policy: Policy, record_ids: list[str], as_of: dt.date) -> None:
    """Re-assess stored residents (read back whole): a call outcome or an override changed them."""
    reassess(db, policy, load_histories(db, record_ids, managed_only=True), as_of)


def reassessor(db: Database, policy: Policy, as_of: dt.date) -> OnStored:
    """An ingest hook, run inside each chunk's transaction: new residents are assessed from memory,
    changed ones from the store (their merged history), unchanged ones not at all."""

    def reassess_stored(residents: list[Resident], outcomes: list[Outcome]) -> None:
        new = [
            History(r, Status.ACTIVE)
            for r, o in zip(residents, outcomes, strict=True)
            if o is Outcome.CREATED and is_managed([c.code for c in r.conditions])
        ]
        changed = [r.record_id for r, o in zip(residents, outcomes, strict=True) if o is Outcome.UPDATED]
        reassess(db, policy, new + (load_histories(db, changed, managed_only=True) if changed else []), as_of)

    return reassess_stored
