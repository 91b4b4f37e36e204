"""A doctor's working list (CONTRACT §10): the one builder behind GET /api/v1/followups/today and the
page GET /.

One row per resident with all of their open tasks due by today: a resident with an urgent referral
first, then red, yellow and green, the most overdue first, then the highest risk. A resident with a
task more than `ltfu_days` overdue is lost to follow-up: their row leaves the daily list for the
`ltfu` list (an urgent referral keeps it on the daily one). A doctor's own list (`mine`) holds their
tasks and is capped at the county's daily capacity (the rest carry over and rise as they grow more
overdue); the area list shows everything due in the doctor's region.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import msgspec
from sqlite_utils import Database

from followup.capacity import todays_list as doable
from followup.tasks import TaskKind, TaskStatus
from service.auth import Principal
from service.privacy import mask_phone, sees_phone
from service.reasons import StoredReason, stored_reason
from service.store.tasks import due_tasks, lost_count, task_reasons
from stratify.facts import age_on
from stratify.policy import Policy
from stratify.records import Level
from stratify.tiers import Tier, list_position

MAX_DUE = 2_000  # due tasks read for one list; a village's working day never comes near


class Show(StrEnum):
    AREA = "area"  # everything due in the doctor's region
    MINE = "mine"  # the doctor's own tasks, at most the daily capacity
    LTFU = "ltfu"  # the region's residents lost to follow-up


class DueTask(msgspec.Struct, frozen=True, kw_only=True):
    """One open task on a resident's row."""

    task_id: int
    kind: TaskKind
    tier: Tier | None
    due: dt.date
    owner_level: Level
    assignee: str | None
    status: TaskStatus
    reasons: list[str]  # the task's one-line reasons (English, as planned)
    risk: float | None  # the resident's model risk when the task was planned
    overdue_days: int


class DueResident(msgspec.Struct, frozen=True, kw_only=True):
    """A row of the list: a resident and their due tasks, the most pressing first."""

    record_id: str
    name: str
    age: int
    village_code: str
    phone: str  # in full for the doctors of the resident's region, masked for everyone else
    can_call: bool
    top_reason: StoredReason | None  # the resident's current first reason
    tasks: list[DueTask]

    @property
    def urgent(self) -> bool:
        return any(t.kind is TaskKind.URGENT_REFERRAL for t in self.tasks)

    @property
    def tier(self) -> Tier | None:
        """The row's tier: its most pressing task's."""
        return min((t.tier for t in self.tasks), key=list_position)

    @property
    def due(self) -> dt.date:
        return min(t.due for t in self.tasks)

    @property
    def overdue_days(self) -> int:
        return max(t.overdue_days for t in self.tasks)

    @property
    def risk(self) -> float | None:
        return max((t.risk for t in self.tasks if t.risk is not None), default=None)


class Summary(msgspec.Struct, frozen=True):
    """The line above the list: "今日 23 人 · 红 9 · 紧急 1"."""

    residents: int
    red: int
    urgent: int
    lost: int  # residents lost to follow-up in the same scope (on the ltfu list)
    complete: bool  # False: the area had more than MAX_DUE due tasks, only the most pressing were read


class TodayList(msgspec.Struct, frozen=True):
    rows: list[DueResident]
    later: list[DueResident]  # beyond the capacity, carried over to the next days
    capacity: int | None  # a doctor's own list is capped; None for the area and ltfu lists
    show: Show
    lost: int
    complete: bool  # False when more than MAX_DUE tasks were due: the counts are of the most pressing read

    @property
    def carried_over(self) -> int:
        return len(self.later)

    @property
    def summary(self) -> Summary:
        return Summary(
            len(self.rows),
            sum(r.tier is Tier.RED for r in self.rows),
            sum(r.urgent for r in self.rows),
            self.lost,
            self.complete,
        )


def _task(row: tuple, today: dt.date) -> DueTask:
    task_id, _, kind, tier, due, level, assignee, status, reasons, risk = row[:10]
    due_on = dt.date.fromisoformat(due)
    return DueTask(
        task_id=task_id,
        kind=TaskKind(kind),
        tier=Tier(tier) if tier else None,
        due=due_on,
        owner_level=Level(level),
        assignee=assignee,
        status=TaskStatus(status),
        reasons=task_reasons(reasons),
        risk=risk,
        overdue_days=(today - due_on).days,
    )


def _residents(rows: list[tuple], user: Principal, today: dt.date) -> list[DueResident]:
    """Rows grouped by resident, in the order their first task came."""
    tasks: dict[str, list[DueTask]] = {}
    first: dict[str, tuple] = {}
    for row in rows:
        tasks.setdefault(row[1], []).append(_task(row, today))
        first.setdefault(row[1], row)
    found = []
    for record_id, row in first.items():
        name, birth, phone, _, village, top = row[10:]
        full = sees_phone(user, village)
        found.append(
            DueResident(
                record_id=record_id,
                name=name,
                age=age_on(dt.date.fromisoformat(birth), today),
                village_code=village,
                phone=(phone or "") if full else mask_phone(phone),
                can_call=full and bool(phone),
                top_reason=stored_reason(top),
                tasks=tasks[record_id],
            )
        )
    return found


def todays_list(
    db: Database,
    user: Principal,
    policy: Policy,
    today: dt.date,
    *,
    show: Show,
    tier: Tier | None = None,
    kind: TaskKind | None = None,
) -> TodayList:
    """The user's list for today, in list order."""
    mine = show is Show.MINE
    scope = {
        "region": user.region,
        "today": today,
        "lost_before": today - dt.timedelta(days=policy.ltfu_days),
        "assignee": user.name if mine else None,
    }
    rows = due_tasks(db, **scope, lost=show is Show.LTFU, tier=tier, kind=kind, limit=MAX_DUE)
    residents = _residents(rows, user, today)
    capacity = policy.daily_capacity if mine else None
    shown, carried = doable(residents, today, capacity if capacity is not None else len(residents))
    return TodayList(shown, carried, capacity, show, lost_count(db, **scope), len(rows) < MAX_DUE)
