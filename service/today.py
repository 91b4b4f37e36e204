"""A doctor's list for today: the one builder behind GET /api/v1/followups/today and the page GET /.

Both show the same rows in the same order: tasks due by today in the user's region (or only their
own, `mine`), red first, then the most overdue, then the highest risk. A doctor's own list is capped
at the county's daily capacity (the rest carry over and rise as they grow more overdue); the area
view shows everything due.
"""

from __future__ import annotations

import datetime as dt

import msgspec
from sqlite_utils import Database

from followup.capacity import todays_list as doable
from followup.tasks import TaskKind, TaskStatus
from service.auth import Principal
from service.privacy import mask_phone, sees_contact
from service.reasons import StoredReason, stored_reason
from service.store.tasks import due_tasks, task_reasons
from stratify.facts import age_on
from stratify.policy import Policy
from stratify.records import Level
from stratify.tiers import Tier

MAX_DUE = 2_000  # due tasks read for one list; a village's working day never comes near


class DueTask(msgspec.Struct, frozen=True, kw_only=True):
    """A due task with what the list shows of its resident."""

    task_id: int
    record_id: str
    kind: TaskKind
    tier: Tier | None
    due: dt.date
    owner_level: Level
    assignee: str | None
    status: TaskStatus
    reasons: list[str]  # the task's one-line reasons (English, as planned)
    risk: float | None  # the resident's model risk when the task was planned
    name: str
    age: int
    village_code: str
    phone: str  # masked unless the reader is the resident's own doctor
    can_call: bool
    top_reason: StoredReason | None  # the resident's current first reason
    overdue_days: int


class TodayList(msgspec.Struct, frozen=True):
    rows: list[DueTask]
    later: list[DueTask]  # due tasks beyond the capacity, carried over to the next days
    capacity: int | None  # a doctor's own list is capped; None for the whole area
    mine: bool

    @property
    def carried_over(self) -> int:
        return len(self.later)


def _due_task(row: tuple, user: Principal, today: dt.date) -> DueTask:
    (task_id, record_id, kind, tier, due, level, assignee, status, reasons, risk) = row[:10]
    name, birth, phone, family_doctor, village, top = row[10:]
    own = sees_contact(user.name, family_doctor)
    due_on = dt.date.fromisoformat(due)
    return DueTask(
        task_id=task_id,
        record_id=record_id,
        kind=TaskKind(kind),
        tier=Tier(tier) if tier else None,
        due=due_on,
        owner_level=Level(level),
        assignee=assignee,
        status=TaskStatus(status),
        reasons=task_reasons(reasons),
        risk=risk,
        name=name,
        age=age_on(dt.date.fromisoformat(birth), today),
        village_code=village,
        phone=(phone or "") if own else mask_phone(phone),
        can_call=own and bool(phone),
        top_reason=stored_reason(top),
        overdue_days=(today - due_on).days,
    )


def todays_list(
    db: Database,
    user: Principal,
    policy: Policy,
    today: dt.date,
    *,
    mine: bool,
    tier: Tier | None = None,
    kind: TaskKind | None = None,
) -> TodayList:
    """The user's list for today, in list order."""
    rows = due_tasks(
        db,
        region=user.region,
        due_by=today,
        assignee=user.name if mine else None,
        tier=tier,
        kind=kind,
        limit=MAX_DUE,
    )
    due = [_due_task(row, user, today) for row in rows]
    capacity = policy.daily_capacity if mine else None
    shown, carried = doable(due, today, capacity if capacity is not None else len(due))
    return TodayList(shown, carried, capacity, mine)
