"""The sheets of a county's spreadsheet file (CONTRACT §8): a workbook's (.xlsx) or a CSV file's.

A workbook whose sheets are small enough is read by python-calamine (Rust, ten times faster, a whole
sheet at a time), unless it holds cells calamine would change (`_calamine_keeps`); a larger one by
openpyxl, which streams (CALAMINE_MAX_SHEET_BYTES). A CSV file is UTF-8, with or without a BOM, or
GB18030, and is one sheet without a name.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import NamedTuple
from zipfile import BadZipFile, ZipFile, ZipInfo

from python_calamine import CalamineError, CalamineWorkbook

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


class BadSheet(Exception):
    """A spreadsheet that cannot be imported at all (unreadable, or a header the mapping does not
    know); nothing of it was stored."""


class Sheet(NamedTuple):
    """One sheet: its name ('' for a CSV file) and its rows, from row 1 (the blank rows above the
    header included)."""

    name: str
    rows: Callable[[], Iterable[Sequence]]  # called more than once only when `whole`
    whole: bool  # in memory: its rows can be read again at no cost
    last: bool  # the file's last sheet


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


def file_sheets(path: Path) -> Iterator[Sheet]:
    """The file's sheets, one at a time: a caller lets go of a sheet before asking for the next, so
    that at most one is in memory. BadSheet for a file that cannot be read."""
    if path.suffix.lower() == ".csv":
        yield Sheet("", lambda: _csv_rows(path), False, True)
        return
    try:
        with ZipFile(path) as workbook:
            parts = [i for i in workbook.infolist() if i.filename.startswith(SHEET_PARTS)]
            if max((i.file_size for i in parts), default=0) > CALAMINE_MAX_SHEET_BYTES:
                loaded = None
            else:  # calamine reads the first sheet, without holding the GIL, while the XML is scanned (a
                # workbook the scan sends to openpyxl has paid that read for nothing: rare, and freed first)
                loaded = _calamine_sheets(path)
                with ThreadPoolExecutor(1) as pool:
                    reading = pool.submit(next, loaded, None)
                    keeps = _calamine_keeps(workbook, parts)
                    read = [reading.result()] if keeps else []
                    del reading  # it holds the sheet too
                if not keeps:
                    loaded.close()
                    loaded = None
    except (BadZipFile, OSError) as e:
        raise BadSheet(f"{path.name}: not a readable .xlsx workbook ({e})") from None
    if loaded is None:
        yield from _openpyxl_sheets(path)
        return
    if read and read[0] is not None:
        yield read.pop()  # popped: nothing here holds the first sheet once its reader lets it go
    yield from loaded


def sheet_rows(path: Path) -> Iterator[tuple[str, int, Sequence]]:
    """(sheet name, row number, cells) of every row of every sheet."""
    for sheet in file_sheets(path):
        for number, cells in enumerate(sheet.rows(), 1):
            yield sheet.name, number, cells
        del sheet  # before the next one is read


def _csv_rows(path: Path) -> Iterator[Sequence]:
    with path.open(encoding=csv_encoding(path), newline="") as f:
        yield from csv.reader(f)


def _calamine_keeps(workbook: ZipFile, parts: list[ZipInfo]) -> bool:
    """Whether calamine reads every cell as openpyxl would: it gives a number as a float, so an integer
    of 16 digits or more (a record_id or a national id that a tool other than Excel wrote as a number)
    would come back rounded, two residents' ids possibly made one; and it gives an error cell (#N/A)
    as an empty one, where openpyxl's "#N/A" is reported. A scan of the sheets' XML: 0.3 s for 77 MiB."""
    for info in parts:
        with workbook.open(info) as part:
            tail = b""
            while chunk := part.read(SCAN_CHUNK_BYTES):
                seen = tail + chunk
                if _ERROR_CELL in seen or _LONG_INTEGER.search(seen):
                    return False
                tail = chunk[-SCAN_OVERLAP_BYTES:]
    return True


def _calamine_sheets(path: Path) -> Iterator[Sheet]:
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = workbook.sheet_names
        for number, name in enumerate(names, 1):
            sheet = workbook.get_sheet_by_name(name)
            yield Sheet(name, sheet.iter_rows, True, number == len(names))
            del sheet  # one sheet in memory at a time
    except CalamineError as e:
        raise BadSheet(f"{path.name}: not a readable .xlsx workbook ({e})") from None


def _openpyxl_sheets(path: Path) -> Iterator[Sheet]:
    from openpyxl import load_workbook  # noqa: PLC0415 (only a big workbook needs it: 0.2 s and 23 MB with numpy)
    from openpyxl.utils.exceptions import InvalidFileException  # noqa: PLC0415

    try:  # read-only: rows stream from the zip, the sheet is never whole in memory
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as e:
        raise BadSheet(f"{path.name}: not a readable .xlsx workbook ({e})") from None
    try:
        sheets = workbook.worksheets
        for number, sheet in enumerate(sheets, 1):
            yield Sheet(sheet.title, partial(sheet.iter_rows, values_only=True), False, number == len(sheets))
    finally:
        workbook.close()


def blank_cell(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def blank_row(cells: Sequence) -> bool:
    """A row with nothing in it (the rows above a sheet's header, a separator)."""
    return all(blank_cell(cell) for cell in cells)
