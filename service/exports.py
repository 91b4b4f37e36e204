"""Personal data leaving the screen: the one path every CSV and XLSX export takes (CONTRACT §13).

Each export is audited (who, which list, its filters, how many rows); every cell a spreadsheet
could take for a formula (OWASP "CSV injection": a text starting with =, +, -, @, a tab or a
carriage return) is written as text; the file's first line says who exported it, when, and with
which filters.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import NamedTuple
from zoneinfo import ZoneInfo

import msgspec
import xlsxwriter
from litestar import Request, Response
from sqlite_utils import Database

from service.auth import Principal, Role
from service.errors import NotAllowed
from service.store.audit import record_action
from stratify.policy import Policy

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP: what a spreadsheet may run as a formula
UTF8_BOM = "\ufeff"  # so spreadsheet programs on Chinese Windows read the CSV as UTF-8


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ExportFile(msgspec.Struct, frozen=True):
    filename: str
    media_type: str
    content: bytes
    rows: int


def csv_cell(value: object) -> object:
    """A value as a CSV cell: text a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def provenance(user: Principal, name: str, filters: dict[str, str], at: dt.datetime) -> str:
    shown = ", ".join(f"{k}={v}" for k, v in filters.items() if v) or "none"
    return f"# sanbiao export: {name}; by {user.name} ({user.role}); at {at:%Y-%m-%d %H:%M %Z}; filters: {shown}"


def _csv(first_line: str, header: Sequence[str], rows: list[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([first_line])
    writer.writerow(header)
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return (UTF8_BOM + buffer.getvalue()).encode()


class Sheet(NamedTuple):
    """One sheet of an exported workbook: a title above the table (a report's), its header and rows."""

    name: str
    title: str | None
    header: Sequence[str]
    rows: list[Sequence[object]]


def _xlsx(first_line: str, sheets: list[Sheet]) -> bytes:
    """Strings are written as strings, always: xlsxwriter's write() would turn "=..." into a formula.
    Each sheet: its title (if any), the provenance line, the header, the rows."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    bold = book.add_format({"bold": True})
    for found in sheets:
        sheet = book.add_worksheet(found.name)
        top = 0
        if found.title:
            sheet.write_string(0, 0, found.title, book.add_format({"bold": True, "font_size": 14}))
            top = 1
        sheet.write_string(top, 0, first_line)
        for col, name in enumerate(found.header):
            sheet.write_string(top + 1, col, str(name), bold)
        for r, row in enumerate(found.rows, start=top + 2):
            for col, value in enumerate(row):
                if value is None or value == "":
                    continue
                if isinstance(value, bool) or not isinstance(value, int | float):
                    sheet.write_string(r, col, str(value))
                else:
                    sheet.write_number(r, col, value)
    book.close()
    return buffer.getvalue()


def exports_allowed(user: Principal, policy: Policy) -> bool:
    """Whether this user may take patient lists off the screen (the county may keep them from village doctors)."""
    return user.role is not Role.VILLAGE_DOCTOR or policy.village_doctor_exports


def may_export_patients(user: Principal, policy: Policy) -> None:
    """NotAllowed when the county keeps patient lists on the screen for this user's role."""
    if not exports_allowed(user, policy):
        raise NotAllowed("this county keeps patient lists on the screen: village doctors do not export them")


def export(
    db: Database,
    user: Principal,
    policy: Policy,
    *,
    name: str,
    filters: dict[str, str],
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    fmt: ExportFormat,
    at: dt.datetime,
    patients: bool,
) -> ExportFile:
    """The file, and its audit entry (committed before the file is handed out). `patients`: the rows
    name residents (the county may keep those lists from village doctors)."""
    if patients:
        may_export_patients(user, policy)
    table = list(rows)
    first_line = provenance(user, name, filters, at)
    if fmt is ExportFormat.CSV:
        content = _csv(first_line, header, table)
    else:
        content = _xlsx(first_line, [Sheet("export", None, header, table)])
    return _audited(db, user, name, filters, fmt, at, content, len(table))


def export_report(
    db: Database, user: Principal, *, name: str, filters: dict[str, str], sheets: list[Sheet], at: dt.datetime
) -> ExportFile:
    """A report workbook of several titled sheets (figures, no residents), audited like every export."""
    content = _xlsx(provenance(user, name, filters, at), sheets)
    return _audited(db, user, name, filters, ExportFormat.XLSX, at, content, sum(len(s.rows) for s in sheets))


def _audited(
    db: Database,
    user: Principal,
    name: str,
    filters: dict[str, str],
    fmt: ExportFormat,
    at: dt.datetime,
    content: bytes,
    rows: int,
) -> ExportFile:
    """The file, once its audit entry is written (before it is handed out)."""
    record_export(db, user, name, filters, rows)
    return ExportFile(f"{name}-{at:%Y%m%d-%H%M}.{fmt.value}", MEDIA_TYPES[fmt], content, rows)


def record_export(db: Database, user: Principal, name: str, filters: dict[str, object], rows: int) -> None:
    """The audit entry of anything that leaves the screen (CONTRACT §13): who, which list, its filters
    (those given), how many rows."""
    detail = msgspec.json.encode({"list": name, "filters": {k: v for k, v in filters.items() if v}, "rows": rows})
    record_action(db, actor=user.name, action="export", detail=detail.decode())


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
    """The list as a file to download, audited (`export`): the one response every CSV or XLSX export of a
    page or the API gets."""
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
    return file_response(found)


def file_response(found: ExportFile) -> Response:
    """An export as a download."""
    return Response(
        found.content,
        media_type=found.media_type,
        headers={"Content-Disposition": f'attachment; filename="{found.filename}"'},
    )
