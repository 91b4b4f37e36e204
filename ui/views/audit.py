"""GET /audit: the center's view of who read or changed what (`service.auditlog`), filtered, paged,
exportable."""

from __future__ import annotations

import datetime as dt
import enum
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template
from sqlite_utils import Database

from service.auditlog import ACTIONS, AuditFilters, audit_log
from service.exports import export_response
from ui.export import export_format
from ui.pages import form_value, page

PAGE_ROWS = 100
EXPORT_ROWS = 100_000  # a CSV holds at most this many entries, newest first

AuditAction = enum.StrEnum("AuditAction", {a: a for a in ACTIONS})


@get("/audit", sync_to_thread=True, include_in_schema=False)
def audit_page(
    request: Request,
    db: NamedDependency[Database],
    actor: FromQuery[str | None] = None,
    action: FromQuery[str] = "",
    record_id: FromQuery[str | None] = None,
    since: FromQuery[str] = "",
    until: FromQuery[str] = "",
    before: FromQuery[int | None] = None,
    export: FromQuery[str | None] = None,
) -> Template | Response:
    """Newest first, 100 a page; residents outside the user's region never appear."""
    filters = AuditFilters(
        actor=actor or None,
        action=form_value(action, "action", AuditAction),
        record_id=record_id or None,
        since=form_value(since, "since", dt.date.fromisoformat),
        until=form_value(until, "until", dt.date.fromisoformat),
    )
    fmt = export_format(export)
    if fmt is not None:
        entries = audit_log(db, request.user, filters, limit=EXPORT_ROWS)
        return export_response(
            request,
            db,
            fmt,
            name="audit",
            filters={k: str(v) for k, v in msgspec.structs.asdict(filters).items() if v},
            header=("id", "at_utc", "actor", "action", "record_id", "detail"),
            rows=((e.id, e.at, e.actor, e.action, e.record_id or "", e.detail) for e in entries),
            patients=False,
        )
    entries = audit_log(db, request.user, filters, before=before, limit=PAGE_ROWS + 1)
    older = entries[PAGE_ROWS - 1].id if len(entries) > PAGE_ROWS else None
    shown = msgspec.structs.asdict(filters)
    query = urlencode({k: v for k, v in shown.items() if v})
    return page(
        request, "audit.html", entries=entries[:PAGE_ROWS], older=older, filters=shown, query=query, actions=ACTIONS
    )
