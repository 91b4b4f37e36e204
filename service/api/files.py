"""A list as a file to download, audited (`service.exports.export`): the one response every CSV or
XLSX export of a page or the API gets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from litestar import Request, Response
from sqlite_utils import Database

from service.exports import ExportFormat, export


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
