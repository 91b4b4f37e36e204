"""Exports of the lists a page shows (the same rows, the same masking), through `service.exports`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from litestar import Request, Response
from sqlite_utils import Database

from service.exports import ExportFormat, export
from service.reasons import StoredReason
from ui.pages import form_value, language


def export_format(value: str | None) -> ExportFormat | None:
    """`?export=csv|xlsx`: None when absent; anything else is a 400 naming the parameter."""
    return form_value(value or "", "export", ExportFormat)


def export_response(
    request: Request,
    db: Database,
    fmt: ExportFormat,
    *,
    name: str,
    filters: dict[str, str],
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    patients: bool,
) -> Response:
    """The list as a file to download, audited (`service.exports.export`)."""
    state = request.app.state
    found = export(
        db,
        request.user,
        state.policy,
        name=name,
        filters=filters,
        header=header,
        rows=rows,
        fmt=fmt,
        at=dt.datetime.now(ZoneInfo(state.settings.timezone)),
        patients=patients,
    )
    return Response(
        found.content,
        media_type=found.media_type,
        headers={"Content-Disposition": f'attachment; filename="{found.filename}"'},
    )


def reason_cell(request: Request, reason: StoredReason | None, fallback: str = "") -> str:
    """A stored reason as a cell: in the reader's language, with ISO dates for spreadsheets."""
    return reason.text(language(request)) if reason else fallback
