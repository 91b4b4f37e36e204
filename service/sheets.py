"""`sanbiao import` of a county's spreadsheets (CONTRACT §8): BPHS follow-up exports as .xlsx or .csv.

A sheet has one row per follow-up visit, the resident's columns repeated on each of its rows. Rows
of one resident need not be adjacent, and a file may be far larger than memory, so rows are read
once, as they come, into a staging table on disk (an SQLite file in a temporary directory) keyed by
record_id; then each resident's rows are read back together, in order, turned into one record
document and validated by the one path every import takes (CONTRACT §3). Errors name the file, the
row (1-based, as the spreadsheet shows it), the column header and the field path. An unreadable
file, or a header the mapping does not know, refuses the whole file before anything is stored.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple
from zipfile import BadZipFile, ZipFile, ZipInfo

import msgspec
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from python_calamine import CalamineError, CalamineWorkbook
from sqlite_utils import Database

from service.ingest import Ingestor, IngestSummary, OnStored, Rejection
from service.problems import problem
from service.sheet_columns import (
    IGNORED,
    MEDICINE_FIELDS,
    MEDICINE_NUMBERS,
    RESIDENT_FIELDS,
    VISIT_FIELDS,
    Mapping,
    built_in,
    normalized,
)
from service.sheet_values import NONE_WORD, PARSERS, as_text
from service.validation import FieldError, Formulary, Invalid, decode_resident, filled_from_national_id
from stratify.policy import Policy

SHEET_SUFFIXES = (".xlsx", ".csv")
ENCODING_PROBE_BYTES = 1 << 20  # bytes read at a time while checking that a CSV is UTF-8
SHEET_PARTS = "xl/worksheets/"
# A sheet whose XML (unzipped) is at most this big is read whole by python-calamine: ~1.8 bytes of
# memory per byte (measured: 77 MiB of XML, 77,000 rows, took 145 MB; the whole import 236 MB), so an
# import stays under 300 MB; a bigger one streams through openpyxl (31 MB whatever its size, but ten times slower).
CALAMINE_MAX_SHEET_BYTES = 80 << 20
_LONG_INTEGER = re.compile(rb"<v>-?[0-9]{16,}</v>")  # one regex each: an alternation is 7x slower
_ERROR_CELL = b't="e"'
SCAN_CHUNK_BYTES, SCAN_OVERLAP_BYTES = 1 << 20, 64
STAGING_ROWS = 5_000  # rows written to the staging table per transaction
REMEMBERED_CELLS = 5_000  # parsed values remembered per column (dates, words, readings recur)
DEFAULT_LEVEL = "village"  # CONTRACT §8: 随访机构级别 defaults to the village
PERSON_FIELDS = frozenset(RESIDENT_FIELDS) - {"conditions", "diagnosed_on"}  # one value per resident


Progress = Callable[[int], None]


class BadSheet(Exception):
    """A spreadsheet that cannot be imported at all (unreadable, or a header the mapping does not
    know); nothing of it was stored."""


def is_sheet(path: Path) -> bool:
    return path.suffix.lower() in SHEET_SUFFIXES


def csv_encoding(path: Path) -> str:
    """UTF-8 with a BOM, UTF-8, or else GB18030 (what Chinese Excel saves as "CSV")."""
    with path.open("rb") as f:
        if f.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8:
            return "utf-8-sig"
        f.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := f.read(ENCODING_PROBE_BYTES):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8"


def sheet_rows(path: Path) -> Iterator[tuple[str, int, tuple]]:
    """(sheet name, row number, cells) of every row of every sheet; a CSV file is one sheet without a
    name. A workbook whose sheets are small enough is read with python-calamine (Rust, ten times
    faster, a whole sheet at a time), unless it holds cells calamine would change (`_calamine_keeps`);
    a larger one with openpyxl, which streams (CALAMINE_MAX_SHEET_BYTES)."""
    if path.suffix.lower() == ".csv":
        with path.open(encoding=csv_encoding(path), newline="") as f:
            for number, cells in enumerate(csv.reader(f), 1):
                yield "", number, tuple(cells)
        return
    try:
        with ZipFile(path) as workbook:
            sheets = [i for i in workbook.infolist() if i.filename.startswith(SHEET_PARTS)]
            small = max((i.file_size for i in sheets), default=0) <= CALAMINE_MAX_SHEET_BYTES
            fast = small and _calamine_keeps(workbook, sheets)
    except (BadZipFile, OSError) as e:
        raise BadSheet(f"{path.name}: not a readable .xlsx workbook ({e})") from None
    yield from (_calamine_rows if fast else _openpyxl_rows)(path)


def _calamine_keeps(workbook: ZipFile, sheets: list[ZipInfo]) -> bool:
    """Whether calamine reads every cell as openpyxl would: it gives a number as a float, so an integer
    of 16 digits or more (a record_id or a national id that a tool other than Excel wrote as a number)
    would come back rounded, two residents' ids possibly made one; and it gives an error cell (#N/A)
    as an empty one, where openpyxl's "#N/A" is reported. A scan of the sheets' XML: 0.3 s for 77 MiB."""
    for info in sheets:
        with workbook.open(info) as part:
            tail = b""
            while chunk := part.read(SCAN_CHUNK_BYTES):
                seen = tail + chunk
                if _ERROR_CELL in seen or _LONG_INTEGER.search(seen):
                    return False
                tail = chunk[-SCAN_OVERLAP_BYTES:]
    return True


def _calamine_rows(path: Path) -> Iterator[tuple[str, int, tuple]]:
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        for name in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(name)
            for number, cells in enumerate(sheet.iter_rows(), 1):  # from row 1, the blank rows above included
                yield name, number, tuple(cells)
            del sheet  # one sheet in memory at a time
    except CalamineError as e:
        raise BadSheet(f"{path.name}: not a readable .xlsx workbook ({e})") from None


def _openpyxl_rows(path: Path) -> Iterator[tuple[str, int, tuple]]:
    try:  # read-only: rows stream from the zip, the sheet is never whole in memory
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as e:
        raise BadSheet(f"{path.name}: not a readable .xlsx workbook ({e})") from None
    try:
        for sheet in workbook.worksheets:
            for number, cells in enumerate(sheet.iter_rows(values_only=True), 1):
                yield sheet.title, number, cells
    finally:
        workbook.close()


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def blank_row(cells: tuple) -> bool:
    """A row with nothing in it (the rows above a sheet's header, a separator)."""
    return all(_blank(cell) for cell in cells)


class Staged(msgspec.Struct, array_like=True):
    """One row as read: its fields by name (parsed), split into the resident's, the visit's and the
    conditions', and the cells that did not parse."""

    sheet: str
    row: int
    person: dict[str, object]
    visit: dict[str, object]
    conditions: dict[str, object]  # conditions and diagnosed_on
    errors: list[tuple[str, str]]  # (field, message)


def _columns(sheet: str, header: tuple, mapping: Mapping) -> list[tuple[int, str, str]]:
    """(index, header, field) of the header row's mapped columns; BadSheet for an unknown header."""
    found, unknown = [], []
    for index, cell in enumerate(header):
        if _blank(cell):
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


def _staged(sheet: str, number: int, cells: tuple, columns: list[Column]) -> Staged | None:
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


def stage(path: Path, mapping: Mapping, staging: sqlite3.Connection, progress: Progress | None = None) -> Headers:
    """Read every row of the file into the staging table, keyed by record_id; `progress` hears the
    number of rows read every STAGING_ROWS rows. Returns each sheet's headers by field."""
    staging.execute("CREATE TABLE rows (record_id TEXT NOT NULL, seq INTEGER PRIMARY KEY, row BLOB NOT NULL)")
    columns: dict[str, list[Column]] = {}
    batch: list[tuple[str, bytes]] = []
    for sheet, number, cells in sheet_rows(path):
        if sheet not in columns:
            if blank_row(cells):
                continue  # blank rows above the header
            columns[sheet] = _parsers(_columns(sheet, cells, mapping))
            continue
        row = _staged(sheet, number, cells, columns[sheet])
        if row is not None:
            batch.append((as_text(row.person.get("record_id", "")), msgspec.msgpack.encode(row)))
        if len(batch) >= STAGING_ROWS:
            staging.executemany("INSERT INTO rows (record_id, row) VALUES (?, ?)", batch)
            batch.clear()
            if progress:
                progress(number)
    staging.executemany("INSERT INTO rows (record_id, row) VALUES (?, ?)", batch)
    staging.execute("CREATE INDEX rows_record ON rows (record_id, seq)")
    return {sheet: {c.field: c.header for c in sheet_columns} for sheet, sheet_columns in columns.items()}


def residents_rows(staging: sqlite3.Connection) -> Iterator[list[Staged]]:
    """Each resident's rows together, in the order they were read."""
    decode = msgspec.msgpack.Decoder(Staged).decode
    current: str | None = None
    rows: list[Staged] = []
    for record_id, raw in staging.execute("SELECT record_id, row FROM rows ORDER BY record_id, seq"):
        if (record_id != current or not record_id) and rows:  # rows without a record_id stand alone
            yield rows
            rows = []
        current = record_id
        rows.append(decode(raw))
    if rows:
        yield rows


class Built(msgspec.Struct):
    """A resident's record document built from its rows, and where each part came from."""

    document: dict
    errors: list[FieldError]
    visit_rows: list[tuple[str | None, int]]  # the sheet (None in a CSV file) and row of visits[i]
    medicine_numbers: list[list[int]]  # of visits[i]: the column number N (药物名称N) of medications[j]
    first_row: tuple[str | None, int]  # the sheet and row of the resident's first visit
    headers: Headers

    def header(self, sheet: str | None, field: str) -> str | None:
        """The header of the field's column on that sheet, or on any sheet the resident's rows came from."""
        here = self.headers.get(sheet or "", {})
        return here.get(field) or next((h[field] for h in self.headers.values() if field in h), None)


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


def build(rows: list[Staged], headers: Headers, formulary: Formulary) -> Built:
    """One resident from its rows: resident fields from the latest row that has them (rows by visit
    date), conditions from every row, a visit per row with a date (its medicine columns made into
    its list of medicines, named through the county's formulary); visit_id, when the sheet has
    none, from the date and the mode, so the same sheet imported twice changes nothing."""
    ordered = sorted(rows, key=lambda r: str(r.visit.get("date", "")))
    resident: dict = {}
    conditions: dict[str, object] = {}
    visits: list[dict] = []
    visit_rows: list[int] = []
    numbers: list[list[int]] = []
    errors: list[FieldError] = []
    names = drug_names(formulary)
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
    built = Built(resident, errors, visit_rows, numbers, (ordered[0].sheet or None, ordered[0].row), headers)
    errors += [
        FieldError(e.field, e.message, last.row, built.header(last.sheet, e.field), last.sheet or None)
        for e in filled_from_national_id(resident)
    ]
    return built


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


def located(error: FieldError, built: Built) -> FieldError:
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
        return FieldError(error.field, error.message, row, built.header(sheet, field), sheet)
    field = "conditions" if head.startswith("conditions") else head
    sheet, row = built.first_row
    return FieldError(error.field, error.message, row, built.header(sheet, field), sheet)


def import_sheet(
    db: Database,
    path: Path,
    *,
    mapping: Mapping | None = None,
    actor: str,
    today: dt.date,
    on_stored: OnStored | None = None,
    region: str = "",
    batch_id: int | None = None,
    progress: Progress | None = None,
    name: str | None = None,
    policy: Policy | None = None,
) -> IngestSummary:
    """Ingest one spreadsheet as its own import batch (or as `batch_id`, an upload's batch row);
    BadSheet (nothing stored) for a file that cannot be read or has a header the mapping does not
    know. `name` is the file's name as its owner knows it (an upload is stored under another)."""
    name = name or path.name
    formulary = (policy or Policy()).formulary
    with tempfile.TemporaryDirectory(prefix="sanbiao-sheet-") as folder:
        staging = sqlite3.connect(Path(folder) / "rows.db")
        try:
            headers = stage(path, mapping or built_in(), staging, progress)
            ingestor = Ingestor(db, today=today, region=region, on_stored=on_stored, formulary=formulary)
            # a batch made here is the command line's; an upload's (`batch_id`) was made, origin 'ui', on arrival
            ingestor.begin(origin="cli", source=name[:100], filename=name, actor=actor, batch_id=batch_id)
            try:
                for index, rows in enumerate(residents_rows(staging)):
                    feed(ingestor, index, build(rows, headers, formulary), name, today, formulary)
            except Exception as e:
                ingestor.end(error=f"{type(e).__name__}: {e}")
                raise
            return ingestor.end()
        finally:
            staging.close()


def feed(ingestor: Ingestor, index: int, built: Built, file: str, today: dt.date, formulary: Formulary) -> None:
    """Store the resident, or reject it whole with every error located (cells first, then §3 rules)."""
    errors = built.errors
    if not errors:
        try:
            resident = decode_resident(msgspec.json.encode(built.document), today, formulary)
        except Invalid as e:
            errors = e.errors
        else:
            ingestor.feed_valid(index, resident, file)
            return
    record_id = str(built.document.get("record_id", "")) or None
    ingestor.reject(Rejection(index, record_id, [located(e, built) for e in errors], file))
