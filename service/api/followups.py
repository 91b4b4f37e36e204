"""GET /api/v1/followups, GET /api/v1/followups/today and POST /api/v1/followups/{task_id}/outcome
(CONTRACT §4.5, §6): each one call of a service function the pages use too."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated, TypeVar

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
from service.today import DueResident, DueTask, Show, todays_list
from stratify.records import Level
from stratify.tiers import Tier

MAX_TODAY_LIMIT = 500  # residents a page of the working list may ask for
DEFAULT_TODAY_LIMIT = 50  # as the page shows
C = TypeVar("C", bound=msgspec.Struct)


class FollowupPage(msgspec.Struct):
    items: list[FollowupRow]
    next_cursor: str | None


class TodayRow(msgspec.Struct):
    """One resident on the working list with their due tasks (CONTRACT §10)."""

    record_id: str
    tier: Tier | None  # of the row's most pressing task (its first), which places the row
    urgent: bool  # has an urgent_referral task
    overdue_days: int  # of the row's most pressing task
    tasks: list[FollowupRow]


class TodayPage(msgspec.Struct):
    """A doctor's working list: urgent first, then red, yellow, green, the most overdue first; their own
    list at most the daily capacity."""

    items: list[TodayRow]
    carried_over: int  # beyond a doctor's capacity (at least this many when not complete)
    capacity: int | None  # None for the whole area (mine=false) and the ltfu list: everything is listed
    ltfu: int  # residents lost to follow-up in the same scope (listed with ltfu=true), counted up to 51 (= over 50)
    next_cursor: str | None  # the next page of the list, if there is one
    complete: bool  # false: more residents are due than a list counts (50) or pages through (2,000)


class TodayCursor(msgspec.Struct):
    start: Annotated[int, msgspec.Meta(ge=0)]


def _encoded(position: msgspec.Struct) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(position)).decode()


def _decoded(cursor: str, kind: type[C]) -> C:
    try:
        return msgspec.json.decode(base64.urlsafe_b64decode(cursor.encode()), type=kind)
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
        after=_decoded(cursor, Position) if cursor else None,
        limit=limit,
    )
    return FollowupPage(rows, _encoded(last) if last else None)


def _item(task: Task | DueTask, record_id: str, risk: float | None = None) -> FollowupRow:
    """A task as the follow-up endpoints answer it."""
    return FollowupRow(
        task.task_id,
        record_id,
        task.kind,
        task.tier,
        task.due.isoformat(),
        task.owner_level,
        task.assignee,
        task.status,
        list(task.reasons),
        risk,
    )


def _row(resident: DueResident) -> TodayRow:
    tasks = [_item(t, resident.record_id, t.risk) for t in resident.tasks]
    return TodayRow(resident.record_id, resident.tier, resident.urgent, resident.overdue_days, tasks)


@get(
    "/api/v1/followups/today",
    guards=[allow(*LOGIN_ROLES)],
    sync_to_thread=True,
    tags=["followups"],
    responses=errors(400),
)
def today_list(
    request: Request,
    db: NamedDependency[Database],
    mine: FromQuery[bool] = True,
    ltfu: FromQuery[bool] = False,
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_TODAY_LIMIT)] = DEFAULT_TODAY_LIMIT,
    cursor: FromQuery[str | None] = None,
) -> TodayPage:
    """What the caller can do today, one row per resident: their own (mine=true, at most the daily
    capacity) or their whole region's (mine=false), `limit` rows a page; ltfu=true lists the region's
    residents lost to follow-up instead."""
    state = request.app.state
    show = Show.LTFU if ltfu else Show.MINE if mine else Show.AREA
    start = _decoded(cursor, TodayCursor).start if cursor else 0
    today = todays_list(db, request.user, state.policy, state.settings.today(), show=show, start=start, count=limit)
    return TodayPage(
        [_row(r) for r in today.rows],
        today.carried_over,
        today.capacity,
        today.summary.lost,
        _encoded(TodayCursor(start + limit)) if today.more else None,
        today.complete,
    )


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
    task = record_outcome(db, state.policy, request.user, task_id, data, state.settings.today())
    return _item(task, task.record_id)
