"""GET /: a doctor's follow-ups due today in their area, red first; center staff go to the dashboard."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode

import msgspec
from litestar import Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from sqlite_utils import Database

from followup.capacity import todays_list
from followup.tasks import TaskKind
from service.auth import Principal, Role
from service.store.tasks import DueRow, due_with_residents
from stratify.tiers import Tier
from ui.export import csv_response, reason_cell
from ui.pages import age_on, form_value, page
from ui.privacy import mask_phone

MAX_ROWS = 500  # read at most this many due tasks (and at most this many in the CSV)
PAGE_ROWS = 50  # rows per page: the most urgent first, "more" loads the next (issue #6: a page < 60 KB)


class TodayRow(msgspec.Struct, frozen=True):
    task: DueRow
    tier: Tier | None
    due: dt.date
    risk: float | None
    overdue_days: int
    age: int
    phone: str  # masked unless the user is the resident's own doctor
    can_call: bool


class TodayPage(msgspec.Struct):
    rows: list[TodayRow]
    carried_over: int
    show: str
    tier: str | None
    kind: str | None
    query: str  # the filters as a query string, for the CSV and "more" links
    next_start: int | None = None  # where the next page starts, if there are more rows
    remaining: int = 0


def _row(task: DueRow, today: dt.date, user: Principal) -> TodayRow:
    own = task.family_doctor == user.name
    due = dt.date.fromisoformat(task.due)
    return TodayRow(
        task,
        Tier(task.tier) if task.tier else None,
        due,
        task.risk,
        (today - due).days,
        age_on(task.birth_date, today),
        (task.phone or "") if own else mask_phone(task.phone),
        own and bool(task.phone),
    )


@get("/", sync_to_thread=True, include_in_schema=False)
def today_page(
    request: HTMXRequest,
    db: NamedDependency[Database],
    show: FromQuery[str] = "area",
    tier: FromQuery[str] = "",
    kind: FromQuery[str] = "",
    start: Annotated[int, QueryParameter(ge=0, le=MAX_ROWS)] = 0,
    export: FromQuery[str | None] = None,
) -> Template | Redirect | Response:
    user: Principal = request.user
    if user.role in (Role.CENTER, Role.ADMIN):
        return Redirect("/dashboard")
    tier_filter, kind_filter = form_value(tier, "tier", Tier), form_value(kind, "kind", TaskKind)
    state = request.app.state
    today = state.settings.today()
    mine = show == "mine"
    assignee = user.name if mine else None
    tasks = due_with_residents(
        db, region=user.region, due_by=today, assignee=assignee, tier=tier_filter, kind=kind_filter, limit=MAX_ROWS
    )
    rows = [_row(t, today, user) for t in tasks]
    shown, carried = todays_list(rows, today, state.policy.daily_capacity) if mine else (rows, [])
    if export == "csv":
        return csv_response(
            f"due-{user.region}-{today}.csv",
            ("record_id", "name", "age", "tier", "task", "due", "days_overdue", "reason", "assignee", "phone"),
            (
                (
                    r.task.record_id,
                    r.task.name,
                    r.age,
                    r.task.tier or "",
                    r.task.kind,
                    r.task.due,
                    r.overdue_days,
                    reason_cell(request, r.task.top_reason, r.task.reasons[0] if r.task.reasons else ""),
                    r.task.assignee or "",
                    r.phone,
                )
                for r in rows
            ),
        )
    show = "mine" if mine else "area"
    query = urlencode({k: v for k, v in (("show", show), ("tier", tier_filter), ("kind", kind_filter)) if v})
    end = start + PAGE_ROWS
    more = end < len(shown)
    page_rows = shown[start:end]
    context = TodayPage(
        page_rows, len(carried), show, tier_filter, kind_filter, query, end if more else None, len(shown) - end
    )
    template = "today/_rows.html" if request.htmx else "today.html"
    return page(request, template, page=context, kinds=[k.value for k in TaskKind])
