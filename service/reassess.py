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
from service.jobs import Batch, assess_and_plan, write_batch
from service.risk import served_model
from service.store.assessments import overrides_on
from service.store.histories import History, load_histories
from service.store.residents import Outcome, stored_ids
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
    model = served_model(db)
    batch = assess_and_plan(histories, open_tasks(db, ids), as_of, policy, model, overrides_on(db, as_of, ids))
    write_batch(db, batch, roster_for(db, batch.plan.open), run_id=None)


def reassess_ids(db: Database, policy: Policy, record_ids: list[str], as_of: dt.date) -> None:
    """Re-assess stored residents (read back whole): a call outcome or an override changed them."""
    reassess(db, policy, load_histories(db, record_ids, managed_only=True), as_of)


class Reassessor:
    """The ingest hook: what a chunk stored is re-assessed and re-planned in the chunk's transaction.

    Residents not stored yet are assessed before the write lock is taken: their history is all in
    the document and they can have no tasks or overrides, so nothing stored can change the result
    (a new model activated meanwhile is the next nightly run's). Changed residents are read back
    merged, inside the transaction; unchanged ones are left alone.
    """

    def __init__(self, db: Database, policy: Policy, as_of: dt.date) -> None:
        self.db, self.policy, self.as_of = db, policy, as_of

    def prepare(self, residents: list[Resident]) -> Batch | None:
        managed = [r for r in residents if is_managed([c.code for c in r.conditions])]
        stored = stored_ids(self.db, [r.record_id for r in managed]) if managed else set()
        new = [History(r, Status.ACTIVE) for r in managed if r.record_id not in stored]
        if not new:
            return None
        return assess_and_plan(new, {}, self.as_of, self.policy, served_model(self.db), {})

    def __call__(self, residents: list[Resident], outcomes: list[Outcome], prepared: object) -> None:
        created = {
            r.record_id
            for r, o in zip(residents, outcomes, strict=True)
            if o is Outcome.CREATED and is_managed([c.code for c in r.conditions])
        }
        if isinstance(prepared, Batch):
            ready = prepared.about(created)
            if ready.assessments:
                write_batch(self.db, ready, roster_for(self.db, ready.plan.open), run_id=None)
            created -= {a.record_id for a in ready.assessments}
        again = [r.record_id for r, o in zip(residents, outcomes, strict=True) if o is Outcome.UPDATED]
        reassess_ids(self.db, self.policy, again + sorted(created), self.as_of)
