"""A call outcome on a follow-up task (API and card alike): one write transaction, audited."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from sqlite_utils import Database

from followup.tasks import ENDS_MANAGEMENT, CallOutcome, Task, TaskStatus
from service.auth import Principal
from service.errors import AlreadyStored, BadReminder, TaskClosed, require_region
from service.problems import problem
from service.reassess import reassess_ids
from service.store import writing
from service.store.tasks import get_task, outcome_by_client_id, store_outcome
from stratify.policy import Policy
from stratify.records import RecordId

MAX_NOTE_CHARS = 500


class OutcomeIn(msgspec.Struct, forbid_unknown_fields=True):
    outcome: CallOutcome
    note: Annotated[str, msgspec.Meta(max_length=MAX_NOTE_CHARS)] = ""
    remind_on: dt.date | None = None
    outcome_id: RecordId | None = None  # the phone's own id (CONTRACT §12): sent again, it is stored once

    def __post_init__(self) -> None:
        if self.outcome is CallOutcome.REMIND_LATER and self.remind_on is None:
            raise ValueError(problem("reminder_needed"))
        if self.outcome is not CallOutcome.REMIND_LATER and self.remind_on is not None:
            raise ValueError(problem("reminder_only_later"))


def record_outcome(
    db: Database, policy: Policy, user: Principal, task_id: int, data: OutcomeIn, today: dt.date
) -> Task:
    """Record a call outcome; remind_later re-dates, visited closes, died/moved_away end management
    (and re-assess the resident). Raises TaskNotFound, OutsideRegion, TaskClosed, BadReminder or
    AlreadyStored (the phone's outcome_id already holds another outcome), and changes nothing then.
    Returns the task as it now stands (an outcome sent again: as the first one left it)."""
    with writing(db):
        task = get_task(db, task_id)
        require_region(user.region, task.village_code, f"task {task_id}")
        if data.outcome_id is not None and (stored := outcome_by_client_id(db, task_id, data.outcome_id)):
            remind_on = data.remind_on.isoformat() if data.remind_on else None
            if stored != (data.outcome.value, data.note, remind_on):
                raise AlreadyStored(f"outcome {data.outcome_id!r} of task {task_id} is stored with other content")
            return task
        if task.status is not TaskStatus.OPEN:
            raise TaskClosed(f"task {task_id} is already {task.status}")
        if data.remind_on is not None and data.remind_on <= today:
            raise BadReminder(problem("reminder_date", value=data.remind_on, today=today))
        ends = data.outcome in ENDS_MANAGEMENT
        store_outcome(
            db,
            task,
            outcome=data.outcome,
            note=data.note,
            remind_on=data.remind_on,
            actor=user.name,
            today=today,
            close=TaskStatus.DONE if data.outcome is CallOutcome.VISITED else None,
            end_status=data.outcome.value if ends else None,
            client_id=data.outcome_id,
        )
        if ends:
            reassess_ids(db, policy, [task.record_id], today)
        return get_task(db, task_id)


def task_resident(db: Database, user: Principal, task_id: int) -> str:
    """The record_id of the resident a task is about (to show the card again beside a refused form);
    raises TaskNotFound or OutsideRegion."""
    task = get_task(db, task_id)
    require_region(user.region, task.village_code, f"task {task_id}")
    return task.record_id
