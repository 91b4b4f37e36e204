"""GET /: a doctor's working list (CONTRACT §10), one row per resident, urgent first; `?show=mine` their
own, `?show=ltfu` the residents lost to follow-up; center staff go to the dashboard.

The rows come from `service.today.todays_list`, as GET /api/v1/followups/today's do.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

import msgspec
from litestar import Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from sqlite_utils import Database

from service.auth import Principal, Role
from service.exports import export_response, exports_allowed
from service.today import MAX_LISTED, DueResident, Show, Summary, todays_list
from service.vocabulary import TaskKind, Tier
from ui.export import export_format, reason_cell
from ui.pages import form_value, page

PAGE_ROWS = 50  # rows per page: the most urgent first, "more" loads the next (issue #6: a page < 60 KB)


class TodayPage(msgspec.Struct):
    rows: list[DueResident]
    carried_over: int
    summary: Summary | None  # above the first page only
    show: str
    tier: str | None
    kind: str | None
    query: str  # the filters as a query string, for the CSV and "more" links
    next_start: int | None = None  # where the next page starts, if there are more rows
    remaining: str = ""  # rows after this page, when the list was counted that far
    complete: bool = True  # every due resident was counted (else the carried-over count is "at least")


@get("/", sync_to_thread=True, include_in_schema=False)
def today_page(
    request: HTMXRequest,
    db: NamedDependency[Database],
    show: FromQuery[str] = "area",
    tier: FromQuery[str] = "",
    kind: FromQuery[str] = "",
    start: Annotated[int, QueryParameter(ge=0, le=MAX_LISTED)] = 0,
    export: FromQuery[str | None] = None,
) -> Template | Redirect | Response:
    user: Principal = request.user
    if user.role in (Role.CENTER, Role.ADMIN):
        return Redirect("/dashboard")
    tier_filter, kind_filter = form_value(tier, "tier", Tier), form_value(kind, "kind", TaskKind)
    listed = form_value(show, "show", Show) or Show.AREA
    fmt = export_format(export)
    state = request.app.state
    today = state.settings.today()
    count = None if fmt is not None else PAGE_ROWS  # an export holds the whole list
    found = todays_list(
        db, user, state.policy, today, show=listed, tier=tier_filter, kind=kind_filter, start=start, count=count
    )
    if fmt is not None:
        return export_response(
            request,
            db,
            fmt,
            name=f"due-{user.region}",
            filters={"show": listed, "tier": tier_filter or "", "kind": kind_filter or ""},
            header=("record_id", "name", "age", "tier", "task", "due", "days_overdue", "reason", "assignee", "phone"),
            patients=True,
            rows=(  # one line per task, its resident's columns repeated: a spreadsheet filters by any
                (
                    r.record_id,
                    r.name,
                    r.age,
                    task.tier or "",
                    task.kind,
                    task.due.isoformat(),
                    task.overdue_days,
                    reason_cell(request, r.top_reason, task.reasons[0] if task.reasons else ""),
                    task.assignee or "",
                    r.phone,
                )
                for r in found.rows
                for task in r.tasks
            ),
        )
    query = urlencode({k: v for k, v in (("show", listed), ("tier", tier_filter), ("kind", kind_filter)) if v})
    end = start + PAGE_ROWS
    context = TodayPage(
        found.rows,
        found.carried_over,
        found.summary if start == 0 else None,
        listed,
        tier_filter,
        kind_filter,
        query,
        end if found.more else None,
        str(found.summary.residents - end) if found.summary.complete else "",
        found.complete,
    )
    template = "today/_rows.html" if request.htmx else "today.html"
    return page(
        request,
        template,
        page=context,
        kinds=[k.value for k in TaskKind],
        may_export=exports_allowed(user, state.policy),
    )
