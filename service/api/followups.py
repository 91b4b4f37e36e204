"""GET /api/v1/followups, GET /api/v1/followups/today and POST /api/v1/followups/{task_id}/outcome
(CONTRACT §4.5, §6): each one call of a service function the pages use too."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ClientException
from litestar.params import FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK
from sqlite_utils import Database

from followup.tasks import Task, TaskKind, TaskStatus
from service.api.errors import errors
from service.auth import LOGIN_ROLES, allow
from service.followups import Position, followups
from service.outcomes import OutcomeIn, record_outcome
from service.params import TaskId
from service.store.tasks import FollowupRow
from service.today import DueTask, todays_list
from stratify.records import Level
from stratify.tiers import Tier


class FollowupPage(msgspec.Struct):
    items: list[FollowupRow]
    next_cursor: str | None


class TodayPage(msgspec.Struct):
    """A doctor's list for today: red and most overdue first; their own list at most the daily capacity."""

    items: list[FollowupRow]
    carried_over: int
    capacity: int | None  # None for the whole area (mine=false): everything due is listed


def _cursor(position: Position) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(position)).decode()


def _position(cursor: str) -> Position:
    try:
        return msgspec.json.decode(base64.urlsafe_b64decode(cursor.encode()), type=Position)
    except (binascii.Error, ValueError, msgspec.DecodeError) as e:
        raise ClientException("cursor: not a cursor this API gave out") from e


@get(
    "/api/v1/followups",
    guards=[allow(*LOGIN_ROLES)],
    sync_to_thread=True,
    tags=["followups"],
    responses=errors(400),
)
def list_followups(
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
    rows, last = followups(
        db,
        request.user,
        region=region,
        status=status,
        level=level,
        assignee=assignee,
        due_by=due_by,
        kind=kind,
        tier=tier,
        after=_position(cursor) if cursor else None,
        limit=limit,
    )
    return FollowupPage(rows, _cursor(last) if last else None)


def _item(task: DueTask | Task) -> FollowupRow:
    """A task as the follow-up endpoints answer it (a stored task carries no risk of its own)."""
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
        getattr(task, "risk", None),
    )


@get(
    "/api/v1/followups/today",
    guards=[allow(*LOGIN_ROLES)],
    sync_to_thread=True,
    tags=["followups"],
    responses=errors(400),
)
def today_list(request: Request, db: NamedDependency[Database], mine: FromQuery[bool] = True) -> TodayPage:
    """What the caller can do today: tasks due by today (theirs, or their whole region with mine=false)."""
    state = request.app.state
    today = todays_list(db, request.user, state.policy, state.settings.today(), mine=mine)
    return TodayPage([_item(row) for row in today.rows], today.carried_over, today.capacity)


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
    return _item(record_outcome(db, state.policy, request.user, task_id, data, state.settings.today()))
