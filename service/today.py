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
from typing import NamedTuple

import msgspec
from sqlite_utils import Database

from followup.capacity import todays_list as doable
from followup.tasks import TaskKind, TaskStatus
from service.auth import Principal
from service.privacy import mask_phone, sees_phone
from service.reasons import StoredReason, stored_reason
from service.store.tasks import DueScope, due_order, due_tasks, lost_count, task_reasons
from stratify.facts import age_on
from stratify.policy import Policy
from stratify.records import Level
from stratify.tiers import URGENT_FIRST, Tier

MAX_LISTED = 2_000  # residents one list can page through or export; a village's working day never comes near
COUNT_CAP = 50  # residents a list counts; beyond, "50+" (counting a 45,000-task township costs 300 ms)


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

    # A row is placed by its most pressing task (its first: tier, then the most overdue, then risk), and
    # says that task's tier, due date and risk: the order a doctor sees is the order the row explains.
    @property
    def tier(self) -> Tier | None:
        return self.tasks[0].tier

    @property
    def due(self) -> dt.date:
        return self.tasks[0].due

    @property
    def overdue_days(self) -> int:
        return self.tasks[0].overdue_days

    @property
    def risk(self) -> float | None:
        return self.tasks[0].risk


class Summary(msgspec.Struct, frozen=True):
    """The line above the list: "今日 23 人 · 红 9 · 紧急 1"."""

    residents: int
    red: int
    urgent: int
    lost: int  # residents lost to follow-up in the same scope (on the ltfu list), up to COUNT_CAP + 1
    complete: bool  # False: more residents are due than a list counts (COUNT_CAP): "50+"

    @property
    def lost_text(self) -> str:
        return f"{COUNT_CAP}+" if self.lost > COUNT_CAP else str(self.lost)


class TodayList(msgspec.Struct, frozen=True):
    rows: list[DueResident]  # the page asked for, in list order
    summary: Summary
    carried_over: int  # residents beyond a doctor's daily capacity (at least this many when not complete)
    capacity: int | None  # a doctor's own list is capped; None for the area and ltfu lists
    show: Show
    more: bool  # rows after this page
    complete: bool  # every due resident was counted (and can be paged to)


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


def _residents(rows: list[tuple], user: Principal, today: dt.date) -> dict[str, DueResident]:
    """Rows grouped by resident."""
    tasks: dict[str, list[DueTask]] = {}
    first: dict[str, tuple] = {}
    for row in rows:
        tasks.setdefault(row[1], []).append(_task(row, today))
        first.setdefault(row[1], row)
    found = {}
    for record_id, row in first.items():
        name, birth, phone, _, village, top = row[10:]
        full = sees_phone(user, village)
        found[record_id] = DueResident(
            record_id=record_id,
            name=name,
            age=age_on(dt.date.fromisoformat(birth), today),
            village_code=village,
            phone=(phone or "") if full else mask_phone(phone),
            can_call=full and bool(phone),
            top_reason=stored_reason(top),
            tasks=tasks[record_id],
        )
    return found


class _Seen(NamedTuple):
    """A resident as the first of their tasks in list order shows them, enough to sort by priority."""

    record_id: str
    urgent: bool
    tier: Tier | None
    due: dt.date
    risk: float | None


class _Order(NamedTuple):
    """A list's residents in priority order as far as they were read, and whether that is all of them."""

    seen: list[_Seen]
    complete: bool


def _seen(record_id: str, urgent: bool, rank: int, due: str, risk: float | None) -> _Seen:
    tier = URGENT_FIRST[rank] if rank < len(URGENT_FIRST) else None
    return _Seen(record_id, urgent, tier, dt.date.fromisoformat(due), risk)


def _first(db: Database, scope: DueScope, seen: dict[str, _Seen], limit: int, *, urgent: bool) -> bool:
    """Add the list's (or its urgent referrals') residents to `seen` in list order, each as its first
    task shows it, until `seen` holds `limit`; whether every one was read."""
    for record_id, *first in due_order(db, scope, urgent=urgent):
        if record_id not in seen:
            if len(seen) == limit:
                return False
            seen[record_id] = _seen(record_id, urgent, *first)
    return True


def _order(db: Database, scope: DueScope, wanted: int, capacity: int | None) -> _Order:
    """The list's first `wanted` residents (at least COUNT_CAP, for the counts) in the order of
    `followup.capacity`: urgent referrals first (from their own index, wherever they sit), then tier,
    the most overdue, the highest risk (the order the index is read in, so a page is exact)."""
    limit = max(wanted, COUNT_CAP)
    seen: dict[str, _Seen] = {}
    complete = _first(db, scope, seen, limit, urgent=True) and _first(db, scope, seen, limit, urgent=False)
    shown, carried = doable(list(seen.values()), scope.today, capacity if capacity is not None else len(seen))
    return _Order([*shown, *carried], complete)


def todays_list(
    db: Database,
    user: Principal,
    policy: Policy,
    today: dt.date,
    *,
    show: Show,
    tier: Tier | None = None,
    kind: TaskKind | None = None,
    start: int = 0,
    count: int | None = None,
) -> TodayList:
    """The user's list for today in list order: `count` residents from `start` (None: all of them, at
    most MAX_LISTED, what carries over beyond a doctor's capacity included: an export). The work is in
    proportion to the page, not to the area: a township's list on a county of a million reads a few
    hundred tasks, not 45,000."""
    mine = show is Show.MINE
    scope = DueScope(
        region=user.region,
        today=today,
        lost_before=today - dt.timedelta(days=policy.ltfu_days),
        lost=show is Show.LTFU,
        assignee=user.name if mine else None,
        tier=tier,
        kind=kind,
    )
    capacity = policy.daily_capacity if mine else None
    end = min(start + count, MAX_LISTED) if count is not None else MAX_LISTED
    order = _order(db, scope, end + 1, capacity)
    capped = capacity is not None and count is not None  # an export holds what is carried over too
    listed = order.seen[:capacity] if capped else order.seen[:MAX_LISTED]
    page = [r.record_id for r in listed[start:end]]
    found = _residents(due_tasks(db, scope, page), user, today)
    counted = listed if order.complete else listed[: max(COUNT_CAP, end)]  # one more was read, to know
    summary = Summary(
        len(counted),
        sum(r.tier is Tier.RED for r in counted),
        sum(r.urgent for r in counted),
        lost_count(db, scope, COUNT_CAP),
        order.complete or (capped and len(listed) == capacity),
    )
    return TodayList(
        rows=[found[r] for r in page if r in found],
        summary=summary,
        carried_over=len(order.seen) - len(listed) if capped else 0,
        capacity=capacity,
        show=show,
        more=len(listed) > end,
        complete=order.complete and len(order.seen) <= MAX_LISTED,
    )
