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

import msgspec
import xlsxwriter
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


def _xlsx(first_line: str, header: Sequence[str], rows: list[Sequence[object]]) -> bytes:
    """Strings are written as strings, always: xlsxwriter's write() would turn "=..." into a formula."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet("export")
    sheet.write_string(0, 0, first_line)
    bold = book.add_format({"bold": True})
    for col, name in enumerate(header):
        sheet.write_string(1, col, str(name), bold)
    for r, row in enumerate(rows, start=2):
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
    content = _csv(first_line, header, table) if fmt is ExportFormat.CSV else _xlsx(first_line, header, table)
    detail = msgspec.json.encode({"list": name, "filters": {k: v for k, v in filters.items() if v}, "rows": len(table)})
    record_action(db, actor=user.name, action="export", detail=detail.decode())
    return ExportFile(f"{name}-{at:%Y%m%d-%H%M}.{fmt.value}", MEDIA_TYPES[fmt], content, len(table))
