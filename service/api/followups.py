"""GET /api/v1/followups and POST /api/v1/followups/{task_id}/outcome (CONTRACT §4.5, §6)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ClientException, PermissionDeniedException
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK
from sqlite_utils import Database

from followup.capacity import todays_list
from followup.tasks import TaskKind, TaskStatus
from service.actions import OutcomeIn, apply_outcome
from service.api.errors import errors
from service.auth import LOGIN_ROLES, REGION_PATTERN, Principal, allow
from service.store.tasks import FollowupRow, list_followups
from stratify.records import Level
from stratify.tiers import Tier

MAX_DUE_CONSIDERED = 2_000  # due tasks ranked for one doctor's day; a village never has more


# A task_id is an SQLite INTEGER primary key: a path value outside this range cannot name a task (400).
TaskId = Annotated[int, PathParameter(ge=1, le=2**63 - 1)]


class FollowupPage(msgspec.Struct):
    items: list[FollowupRow]
    next_cursor: str | None


class TodayPage(msgspec.Struct):
    """A doctor's list for today: at most the county's daily capacity, red and most overdue first."""

    items: list[FollowupRow]
    carried_over: int
    capacity: int


class DueItem(msgspec.Struct, frozen=True):
    """A due-list row as `followup.capacity` ranks it."""

    row: FollowupRow
    tier: Tier | None
    due: dt.date
    risk: float | None


def _cursor(position: tuple[int, str, int]) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(position)).decode()


def _position(cursor: str) -> tuple[int, str, int]:
    try:
        return msgspec.json.decode(base64.urlsafe_b64decode(cursor.encode()), type=tuple[int, str, int])
    except (binascii.Error, ValueError, msgspec.DecodeError) as e:
        raise ClientException("cursor: not a cursor this API gave out") from e


def _scope(user: Principal, region: str | None) -> str:
    """The region to list: the caller's, or a part of it."""
    if region is None:
        return user.region
    if not REGION_PATTERN.match(region):
        raise ClientException("region: 6, 9 or 12 digits")
    if not region.startswith(user.region):
        raise PermissionDeniedException(f"region {region} is outside your region {user.region or 'all'}")
    return region


@get(
    "/api/v1/followups",
    guards=[allow(*LOGIN_ROLES)],
    sync_to_thread=True,
    tags=["followups"],
    responses=errors(400),
)
def followups(
    request: Request,
    db: NamedDependency[Database],
    status: FromQuery[TaskStatus] = TaskStatus.OPEN,
    level: FromQuery[Level | None] = None,
    assignee: FromQuery[str | None] = None,
    region: FromQuery[str | None] = None,
    due_by: FromQuery[dt.date | None] = None,
    kind: FromQuery[TaskKind | None] = None,
    tier: FromQuery[Tier | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    cursor: FromQuery[str | None] = None,
) -> FollowupPage:
    """Tasks in the caller's region (or part of it): red, then yellow, then green; most overdue first."""
    rows = list_followups(
        db,
        region=_scope(request.user, region),
        status=status,
        level=level,
        assignee=assignee,
        due_by=due_by,
        kind=kind,
        tier=tier,
        after=_position(cursor) if cursor else None,
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return FollowupPage([row for row, _ in rows], _cursor(rows[-1][1]) if more else None)


@get(
    "/api/v1/followups/today",
    guards=[allow(*LOGIN_ROLES)],
    sync_to_thread=True,
    tags=["followups"],
    responses=errors(400),
)
def today_list(request: Request, db: NamedDependency[Database], mine: FromQuery[bool] = True) -> TodayPage:
    """What the caller can do today: tasks due by today (theirs, or their whole region with mine=false)."""
    user: Principal = request.user
    state = request.app.state
    today = state.settings.today()
    rows = list_followups(
        db, region=user.region, due_by=today, assignee=user.name if mine else None, limit=MAX_DUE_CONSIDERED
    )
    items = [
        DueItem(row, Tier(row.tier) if row.tier else None, dt.date.fromisoformat(row.due), row.risk) for row, _ in rows
    ]
    capacity = state.policy.daily_capacity
    chosen, carried = todays_list(items, today, capacity)
    return TodayPage([i.row for i in chosen], len(carried), capacity)


@post(
    "/api/v1/followups/{task_id:int}/outcome",
    guards=[allow(*LOGIN_ROLES)],
    sync_to_thread=True,
    status_code=HTTP_200_OK,
    tags=["followups"],
    responses=errors(400, 404, 409),
)
def outcome(request: Request, task_id: TaskId, data: JSONBody[OutcomeIn], db: NamedDependency[Database]) -> FollowupRow:
    """Record what came of a call; remind_later re-dates, visited closes, died/moved_away end management."""
    state = request.app.state
    task = apply_outcome(db, state.policy, task_id, data, request.user, state.settings.today())
    return FollowupRow(
        task.task_id,
        task.record_id,
        task.kind,
        task.tier,
        task.due.isoformat(),
        task.owner_level,
        task.assignee,
        task.status,
        list(task.reasons),
    )
