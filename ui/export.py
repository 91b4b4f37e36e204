"""CSV export of any list a page shows (the same rows, the same masking)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from litestar import Request, Response

from service.reasons import StoredReason
from ui.pages import language


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Response:
    """A UTF-8 CSV with a byte-order mark, so spreadsheet programs on Chinese Windows read it right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return Response(
        "\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def reason_cell(request: Request, reason: StoredReason | None, fallback: str = "") -> str:
    """A stored reason as a CSV cell: in the reader's language, with ISO dates for spreadsheets."""
    return reason.text(language(request)) if reason else fallback
