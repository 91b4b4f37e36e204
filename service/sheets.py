"""A county's spreadsheet rows made into residents (CONTRACT §8): BPHS follow-up exports.

A sheet has one row per follow-up visit, the resident's columns repeated on each of its rows. Each
row is parsed cell by cell as it is read (service/sheet_files.py reads the files); rows of one
resident need not be adjacent, so a resident is built only once all its rows are read:
- a workbook of one sheet held in memory is read twice, first only its record_ids, so that each
  resident is complete at its last row and is built at once, while the sheet is still being read;
- otherwise (several sheets, a CSV file, a workbook too large for memory) the rows wait in a
  staging keyed by record_id (service/row_staging.py) until the whole file is read.
Each resident becomes one record document (JSON), validated by the one path every import takes
(CONTRACT §3); its errors name the row (1-based, as the spreadsheet shows it), the column header and
the field path. A header the mapping does not know refuses the whole file before any resident.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

import msgspec

from service.problems import problem
from service.row_staging import RowStaging
from service.sheet_columns import (
    IGNORED,
    MEDICINE_FIELDS,
    MEDICINE_NUMBERS,
    RESIDENT_FIELDS,
    VISIT_FIELDS,
    Mapping,
    normalized,
)
from service.sheet_files import BadSheet, Sheet, blank_cell, blank_row
from service.sheet_values import NONE_WORD, PARSERS, as_text
from service.validation import FieldError, Formulary, filled_from_national_id

STAGING_ROWS = 5_000  # rows handed to the staging at a time (and the progress reported)
REMEMBERED_CELLS = 5_000  # parsed values remembered per column (dates, words, readings recur)
DEFAULT_LEVEL = "village"  # CONTRACT §8: 随访机构级别 defaults to the village
PERSON_FIELDS = frozenset(RESIDENT_FIELDS) - {"conditions", "diagnosed_on"}  # one value per resident


Progress = Callable[[int], None]


class Staged(msgspec.Struct, array_like=True):
    """One row as read: its fields by name (parsed), split into the resident's, the visit's and the
    conditions', and the cells that did not parse."""

    sheet: str
    row: int
    person: dict[str, object]
    visit: dict[str, object]
    conditions: dict[str, object]  # conditions and diagnosed_on
    errors: list[tuple[str, str]]  # (field, message)


def _columns(sheet: str, header: Sequence, mapping: Mapping) -> list[tuple[int, str, str]]:
    """(index, header, field) of the header row's mapped columns; BadSheet for an unknown header."""
    found, unknown = [], []
    for index, cell in enumerate(header):
        if blank_cell(cell):
            continue
        field = mapping.field(cell)
        if field is None:
            unknown.append(as_text(cell))
        elif field != IGNORED:
            found.append((index, normalized(cell), field))
    where = f"{sheet}: " if sheet else ""  # a workbook's sheet; a CSV file has one
    if unknown:
        raise BadSheet(where + problem("unknown_header", headers="、".join(unknown)))
    if not any(field == "record_id" for _, _, field in found):
        raise BadSheet(where + problem("no_record_id"))
    return found


class Column(NamedTuple):
    index: int
    header: str
    field: str
    part: int  # which of a Staged row's parts holds the field: PERSON, VISIT or CONDITIONS
    parse: Callable[[object], object]
    seen: dict[object, tuple[object, str | None]] | None  # parsed cells, for a field that is not text


PERSON, VISIT, CONDITIONS = range(3)


def _part(field: str) -> int:
    return PERSON if field in PERSON_FIELDS else VISIT if field in VISIT_FIELDS else CONDITIONS


def _parsers(columns: list[tuple[int, str, str]]) -> list[Column]:
    """The columns with their parsers, each of a field with a parser remembering what it parsed: a sheet
    repeats its values (a resident's birth date and conditions on every row, the words, the readings)."""
    remembered: dict[str, dict] = {}
    return [
        Column(
            index,
            header,
            field,
            _part(field),
            PARSERS.get(field, as_text),
            remembered.setdefault(field, {}) if field in PARSERS else None,
        )
        for index, header, field in columns
    ]


def _staged(sheet: str, number: int, cells: Sequence, columns: list[Column]) -> Staged | None:
    """A data row parsed cell by cell (None for an empty row)."""
    parts: tuple[dict[str, object], ...] = ({}, {}, {})
    errors: list[tuple[str, str]] = []
    width = len(cells)
    empty = True
    for index, _, field, part, parse, seen in columns:
        cell = cells[index] if index < width else None
        text = type(cell) is str
        if text:
            cell = cell.strip()
        if cell is None or cell == "":
            continue
        empty = False
        if seen is None:  # a text field: never fails
            parts[part][field] = cell if text else parse(cell)
            continue
        key = cell if type(cell) is str else (type(cell), cell)  # 1, 1.0 and True are one dict key
        parsed = seen.get(key)
        if parsed is None:
            try:
                parsed = (parse(cell), None)
            except ValueError as e:
                parsed = (None, str(e))
            if len(seen) < REMEMBERED_CELLS:
                seen[key] = parsed
        if parsed[1] is None:
            parts[part][field] = parsed[0]
        else:
            errors.append((field, parsed[1]))
    return None if empty else Staged(sheet, number, *parts, errors)


Headers = dict[str, dict[str, str]]  # sheet -> field -> its column's header


def residents_rows(
    sheets: Iterator[Sheet], mapping: Mapping, headers: Headers, progress: Progress | None = None
) -> Iterator[list[Staged]]:
    """Each resident's rows together, in the order read (module docstring). `headers` is given each
    sheet's headers by field when its header row is read; `progress` hears the number of the row
    read (of its sheet) every STAGING_ROWS rows."""
    first = next(sheets, None)
    if first is not None and first.whole and first.last:
        yield from _at_last_rows(first, mapping, headers, progress)
        return
    staging = RowStaging()
    try:
        sheet = first
        del first
        while sheet is not None:
            _stage(sheet, mapping, headers, staging, progress)
            sheet = None  # let it go before the next one is read
            sheet = next(sheets, None)
        decode = msgspec.msgpack.Decoder(Staged).decode
        for rows in staging.groups():
            yield [decode(row) for row in rows]
    finally:
        staging.close()


def _header(sheet: Sheet, rows: Iterator[tuple[int, Sequence]], mapping: Mapping, headers: Headers) -> list[Column]:
    """The columns named by the sheet's header row, its first row that is not blank ([] for a blank
    sheet); BadSheet for a header the mapping does not know."""
    for _, cells in rows:
        if not blank_row(cells):
            columns = _parsers(_columns(sheet.name, cells, mapping))
            headers[sheet.name] = {c.field: c.header for c in columns}
            return columns
    return []


def _stage(sheet: Sheet, mapping: Mapping, headers: Headers, staging: RowStaging, progress: Progress | None) -> None:
    """Every row of the sheet into the staging, keyed by record_id."""
    rows = enumerate(sheet.rows(), 1)
    columns = _header(sheet, rows, mapping, headers)
    record = _record_columns(columns)
    batch: list[tuple[str, bytes]] = []
    encode = msgspec.msgpack.encode
    for number, cells in rows:
        row = _staged(sheet.name, number, cells, columns)
        if row is not None:
            batch.append((_record_key(cells, record), encode(row)))
        if len(batch) >= STAGING_ROWS:
            staging.add(batch)
            batch.clear()
            if progress:
                progress(number)
    staging.add(batch)


def _record_columns(columns: list[Column]) -> list[int]:
    return [c.index for c in columns if c.field == "record_id"]


def _record_key(cells: Sequence, record_columns: list[int]) -> str:
    """The record_id a row gives, as `_staged` reads it: its last non-empty record_id column (a sheet
    may map two columns to it); '' for none."""
    key = ""
    for index in record_columns:
        cell = cells[index] if index < len(cells) else None
        key = (cell is not None and as_text(cell)) or key
    return key


def _at_last_rows(
    sheet: Sheet, mapping: Mapping, headers: Headers, progress: Progress | None
) -> Iterator[list[Staged]]:
    """A sheet in memory read twice: first the number of each record_id's last row, then every row, a
    resident's rows given on together at its last row. Rows wait only until their resident's last row
    (all of them, in a sheet sorted by date rather than by resident)."""
    rows = enumerate(sheet.rows(), 1)
    columns = _header(sheet, rows, mapping, headers)
    if not columns:
        return
    record = _record_columns(columns)
    last = {_record_key(cells, record): number for number, cells in enumerate(sheet.rows(), 1)}
    waiting: dict[str, list[bytes]] = {}  # encoded: a few hundred bytes a row, nothing for the collector to scan
    encode, decode = msgspec.msgpack.encode, msgspec.msgpack.Decoder(Staged).decode
    for number, cells in rows:
        row = _staged(sheet.name, number, cells, columns)
        if progress and number % STAGING_ROWS == 0:
            progress(number)
        if row is None:
            continue
        key = _record_key(cells, record)
        if not key:
            yield [row]  # a row without a record_id stands alone
        elif last[key] != number:
            waiting.setdefault(key, []).append(encode(row))
        else:
            yield [*map(decode, waiting.pop(key, ())), row]


class Built(msgspec.Struct, array_like=True):
    """A resident's record document (JSON) built from its rows, and where each part came from."""

    document: bytes
    record_id: str | None
    errors: list[FieldError]  # of cells that did not parse, and of the national id
    visit_rows: list[tuple[str | None, int]]  # the sheet (None in a CSV file) and row of visits[i]
    medicine_numbers: list[list[int]]  # of visits[i]: the column number N (药物名称N) of medications[j]
    first_row: tuple[str | None, int]  # the sheet and row of the resident's first visit


def header_of(headers: Headers, sheet: str | None, field: str) -> str | None:
    """The header of the field's column on that sheet, or on any sheet."""
    here = headers.get(sheet or "", {})
    return here.get(field) or next((h[field] for h in headers.values() if field in h), None)


def built_residents(
    sheets: Iterator[Sheet], mapping: Mapping, names: dict[str, str], headers: Headers, progress: Progress | None = None
) -> Iterator[Built]:
    """Each resident of the sheets, built (`residents_rows`, `build`)."""
    for rows in residents_rows(sheets, mapping, headers, progress):
        yield build(rows, headers, names)


def drug_names(formulary: Formulary) -> dict[str, str]:
    """A formulary's names as a sheet may write them -> INN: its INNs and its Chinese names."""
    return {**{inn: inn for inn in formulary}, **{drug.name_zh: inn for inn, drug in formulary.items()}}


def drug_inn(name: str, names: dict[str, str]) -> str | None:
    """The INN of a medicine as written on a sheet: a name of the formulary, or the longest formulary
    name it contains (`苯磺酸氨氯地平片` -> amlodipine, `甘精胰岛素注射液` -> insulin glargine)."""
    if name in names or name.lower() in names:
        return names.get(name) or names[name.lower()]
    found = max((known for known in names if known in name), key=len, default=None)
    return names[found] if found else None


def _medicines(visit: dict, names: dict[str, str]) -> tuple[list[dict] | None, list[int], list[tuple[str, str]]]:
    """A row's medicine columns -> the visit's list (None when every cell is
    empty: not recorded; `无` alone in 药物名称1: takes none), the column number of each entry, and
    (field, message) errors by column."""
    cells = [(n, visit.get(f"drug{n}"), visit.get(f"dose{n}")) for n in MEDICINE_NUMBERS]
    filled = [(n, name, dose) for n, name, dose in cells if name is not None or dose is not None]
    if not filled:
        return None, [], []
    if [(name, dose) for _, name, dose in filled] == [(NONE_WORD, None)]:
        return [], [], []
    medications, numbers, errors = [], [], []
    for n, name, dose in filled:
        inn = drug_inn(str(name), names) if name is not None else None
        if name is None:
            errors.append((f"drug{n}", problem("required")))
        elif inn is None:
            errors.append((f"drug{n}", problem("unknown_drug", drug=name)))
        if dose is None:
            errors.append((f"dose{n}", problem("required")))
        if inn is not None and dose is not None:
            medications.append({"drug": inn, "daily_dose_mg": dose})
            numbers.append(n)
    return medications, numbers, errors


def build(rows: list[Staged], headers: Headers, names: dict[str, str]) -> Built:
    """One resident from its rows: resident fields from the latest row that has them (rows by visit
    date), conditions from every row, a visit per row with a date (its medicine columns made into
    its list of medicines, named through the county's formulary: `drug_names`); visit_id, when the
    sheet has none, from the date and the mode, so the same sheet imported twice changes nothing."""
    ordered = sorted(rows, key=lambda r: str(r.visit.get("date", "")))
    resident: dict = {}
    conditions: dict[str, object] = {}
    visits: list[dict] = []
    visit_rows: list[tuple[str | None, int]] = []
    numbers: list[list[int]] = []
    errors: list[FieldError] = []
    for row in ordered:
        sheet = headers[row.sheet]
        visit = row.visit
        medications, numbers_here, wrong = _medicines(visit, names) if "date" in visit else (None, [], [])
        errors += [
            FieldError(_path(f, len(visits), row), m, row.row, sheet.get(f), row.sheet or None)
            for f, m in row.errors + wrong
        ]
        for field in MEDICINE_FIELDS:
            visit.pop(field, None)
        resident.update(row.person)
        for code in row.conditions.get("conditions", []):
            conditions.setdefault(code, row.conditions.get("diagnosed_on"))
        if "date" in visit:
            if medications is not None:
                visit["medications"] = medications
            numbers.append(numbers_here)
            visit.setdefault("level", DEFAULT_LEVEL)
            visit.setdefault("visit_id", f"{str(visit['date']).replace('-', '')}-{visit.get('mode', '')}")
            visits.append(visit)
            visit_rows.append((row.sheet or None, row.row))
    resident["conditions"] = [{"code": c, **({"diagnosed_on": d} if d else {})} for c, d in conditions.items()]
    resident["visits"] = visits
    last = ordered[-1]  # the identity a sheet gives is its latest row's
    errors += [
        FieldError(e.field, e.message, last.row, header_of(headers, last.sheet, e.field), last.sheet or None)
        for e in filled_from_national_id(resident)
    ]
    record_id = str(resident.get("record_id", "")) or None
    first = (ordered[0].sheet or None, ordered[0].row)
    return Built(msgspec.json.encode(resident), record_id, errors, visit_rows, numbers, first)


_MEDICINE_CELL = re.compile(r"^(?P<part>drug|dose)(?P<n>\d+)$")
_MEDICINE_ENTRY = re.compile(r"^medications\[(?P<j>\d+)\](?:\.(?P<leaf>\w+))?$")
_MEDICINE_LEAF = {"drug": "drug", "dose": "daily_dose_mg"}


def _path(field: str, visit_index: int, row: Staged) -> str:
    """The record field path of a cell: `visits[i].sbp` for a visit's field on a row with a date; the
    Nth medicine's cells `visits[i].medications[j].drug` (j counts the medicines filled before it)."""
    if field in VISIT_FIELDS and "date" in row.visit:
        cell = _MEDICINE_CELL.match(field)
        if cell:
            n = int(cell["n"])
            j = sum(f"drug{k}" in row.visit or f"dose{k}" in row.visit for k in range(1, n))
            return f"visits[{visit_index}].medications[{j}].{_MEDICINE_LEAF[cell['part']]}"
        return f"visits[{visit_index}].{field}"
    return "conditions" if field == "diagnosed_on" else field


def located(error: FieldError, built: Built, headers: Headers) -> FieldError:
    """A validation error with the row and the column header it came from."""
    if error.row is not None:
        return error
    head = error.field.split(".")[0]
    if head.startswith("visits["):
        index = int(head[len("visits[") : head.index("]")])
        field = error.field.split(".", maxsplit=1)[1] if "." in error.field else "date"
        entry = _MEDICINE_ENTRY.match(field)
        if entry and index < len(built.medicine_numbers) and int(entry["j"]) < len(built.medicine_numbers[index]):
            n = built.medicine_numbers[index][int(entry["j"])]
            field = f"dose{n}" if entry["leaf"] == "daily_dose_mg" else f"drug{n}"
        sheet, row = built.visit_rows[index] if index < len(built.visit_rows) else built.first_row
        return FieldError(error.field, error.message, row, header_of(headers, sheet, field), sheet)
    field = "conditions" if head.startswith("conditions") else head
    sheet, row = built.first_row
    return FieldError(error.field, error.message, row, header_of(headers, sheet, field), sheet)
