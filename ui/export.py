"""Exports of the lists a page shows (the same rows, the same masking), through `service.exports`;
the response is `service.exports.export_response`."""

from __future__ import annotations

from litestar import Request

from service.exports import ExportFormat
from service.reasons import StoredReason
from ui.pages import form_value, language


def export_format(value: str | None) -> ExportFormat | None:
    """`?export=csv|xlsx`: None when absent; anything else is a 400 naming the parameter."""
    return form_value(value or "", "export", ExportFormat)


def reason_cell(request: Request, reason: StoredReason | None, fallback: str = "") -> str:
    """A stored reason as a cell: in the reader's language, with ISO dates for spreadsheets."""
    return reason.text(language(request)) if reason else fallback
