"""Tasks follow people (CONTRACT §9): whenever logins change (added, imported, enabled, disabled, moved)
and on every nightly run, each open task whose assignee is missing, disabled or no longer covers its
village goes to an active doctor who does (village tasks to the resident's family doctor when that is
one), or to nobody when there is none. Only the assignee changes: due dates, reminders and history stay.
"""

from __future__ import annotations

from sqlite_utils import Database

from followup.assign import Roster
from service.store import writing
from service.store.tasks import doctors, misassigned_tasks, open_load, set_assignees


def reassign(db: Database, regions: list[str] | None = None) -> int:
    """Re-assign the misassigned open tasks of these regions (None: everywhere); how many changed."""
    with writing(db):
        found = misassigned_tasks(db, regions)
        if not found:
            return 0
        roster = Roster(doctors(db), open_load(db))
        changes = []
        for task_id, level, village, assignee, family_doctor in found:
            chosen = roster.choose(level, village, family_doctor)
            if chosen is not None:
                roster.load[chosen] += 1
            if chosen != assignee:
                changes.append((chosen, task_id))
        set_assignees(db, changes)
    return len(changes)
