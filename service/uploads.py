"""Spreadsheets uploaded on the page `/import` (CONTRACT §8), for the center and admins.

An upload becomes an import batch (origin 'ui') at once; its file is copied beside the database and
imported in a thread of the server process that received it, which writes the rows read so far to
the batch row: any worker can answer the page's polling. The file stays while its rejected rows can
be downloaded to fix (`rejected_workbook`) and is deleted when nothing was rejected.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import threading
from pathlib import Path
from typing import BinaryIO

import msgspec
import xlsxwriter
from sqlite_utils import Database

from service.auth import Principal, Role
from service.errors import NotAllowed
from service.exports import record_export
from service.problems import problem, word
from service.reassess import Reassessor
from service.settings import Settings
from service.sheet_columns import Mapping, built_in, parse_mapping
from service.sheet_files import SHEET_SUFFIXES, BadSheet, blank_row, sheet_rows
from service.sheet_import import import_sheet
from service.sheet_values import as_text
from service.store import connect
from service.store.batches import (
    fail_batch,
    get_batch,
    mapping_body,
    mapping_names,
    recent_batches,
    save_mapping,
    set_rows_read,
    start_batch,
)
from service.validation import FieldError
from stratify.policy import Policy

log = logging.getLogger(__name__)

IMPORT_ROLES = (Role.CENTER, Role.ADMIN)
MAX_UPLOAD_BYTES = 256 * 1024 * 1024  # a county's year of follow-ups is far below this
BUILT_IN_MAPPING = built_in()
ERROR_COLUMN = {"zh-CN": "错误", "en": "Errors"}  # ignored by the built-in mapping, so the fixed file goes back in


class Rejected(msgspec.Struct):
    record_id: str | None
    errors: list[FieldError]


def require_importer(user: Principal) -> None:
    if user.role not in IMPORT_ROLES:
        raise NotAllowed(f"role {user.role} may not import files")


def upload_path(settings: Settings, batch_id: int, suffix: str) -> Path:
    return settings.db_path.parent / f"{settings.db_path.name}.uploads" / f"{batch_id}{suffix}"


def _mapping_path(settings: Settings, batch_id: int) -> Path:
    """Where an upload's own mapping is kept beside its file (none: the built-in one)."""
    return upload_path(settings, batch_id, ".mapping.json")


def _upload_mapping(settings: Settings, batch_id: int) -> Mapping:
    path = _mapping_path(settings, batch_id)
    try:
        return msgspec.json.decode(path.read_bytes(), type=Mapping)
    except FileNotFoundError:
        return BUILT_IN_MAPPING
    except (OSError, msgspec.DecodeError):
        log.warning("upload %s: its mapping file is unreadable; finding rows by the built-in headers", batch_id)
        return BUILT_IN_MAPPING


def _discard(settings: Settings, path: Path, batch_id: int) -> None:
    path.unlink(missing_ok=True)
    _mapping_path(settings, batch_id).unlink(missing_ok=True)


def chosen_mapping(db: Database, user: Principal, *, saved: str, name: str, text: str) -> Mapping | None:
    """The mapping an upload asks for: a new one (its TOML text, saved under `name` when one is given),
    a saved one by name, or the built-in one (None). BadMapping for a mapping that cannot be used."""
    if text.strip():
        mapping = parse_mapping(text, name or "mapping")
        if name:
            save_mapping(db, name, text, user.name)
        return mapping
    if saved:
        body = mapping_body(db, saved)
        return parse_mapping(body, saved) if body is not None else None
    return None


def start_upload(
    db: Database,
    settings: Settings,
    policy: Policy,
    user: Principal,
    *,
    filename: str,
    data: BinaryIO,
    mapping: Mapping | None,
) -> int:
    """Keep the uploaded file, start importing it, and return its batch_id (BadSheet for a kind of
    file that is not a spreadsheet: nothing is kept then)."""
    require_importer(user)
    suffix = Path(filename).suffix.lower()
    if suffix not in SHEET_SUFFIXES:
        raise BadSheet(problem("upload_kind", kinds=", ".join(SHEET_SUFFIXES)))
    batch_id = start_batch(db, origin="ui", source=filename[:100], filename=filename, actor=user.name)
    path = upload_path(settings, batch_id, suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        shutil.copyfileobj(data, out)
    kept = _mapping_path(settings, batch_id)  # the rejected rows are found again by the mapping's own headers
    if mapping is not None:
        kept.write_bytes(msgspec.json.encode(mapping))
    else:  # a batch_id can come again (SQLite reuses the highest): no mapping of an earlier upload applies
        kept.unlink(missing_ok=True)
    today = settings.today()
    args = (settings, policy, user, path, batch_id, mapping, filename, today)
    threading.Thread(target=_import, args=args, name=f"upload-{batch_id}", daemon=True).start()
    return batch_id


def _import(
    settings: Settings,
    policy: Policy,
    user: Principal,
    path: Path,
    batch_id: int,
    mapping: Mapping | None,
    filename: str,
    today: dt.date,
) -> None:
    """The upload's import, on a connection of its own; a refused file fails its batch with the reason."""
    db = connect(settings.db_path)
    try:
        summary = import_sheet(
            db,
            path,
            mapping=mapping,
            actor=user.name,
            today=today,
            on_stored=Reassessor(db, policy, today),
            region=user.region,
            batch_id=batch_id,
            progress=lambda rows: set_rows_read(db, batch_id, rows),
            name=filename,
            policy=policy,
        )
        if not summary.rejected_total:
            _discard(settings, path, batch_id)
    except BadSheet as e:
        fail_batch(db, batch_id, str(e))
        _discard(settings, path, batch_id)
    except Exception:
        log.exception("upload batch %s failed", batch_id)  # the ingestor recorded the failure on the batch
    finally:
        db.close()


def past_batches(db: Database, user: Principal, limit: int) -> list[tuple]:
    """The latest import batches, whatever their origin (BATCH_COLUMNS), for the center and admins."""
    require_importer(user)
    return recent_batches(db, limit)


def saved_mappings(db: Database, user: Principal) -> list[str]:
    require_importer(user)
    return mapping_names(db)


def batch_for(db: Database, user: Principal, batch_id: int) -> tuple | None:
    """An upload's batch row (service.store.batches.BATCH_COLUMNS) for the center and admins."""
    require_importer(user)
    return get_batch(db, batch_id)


def rejections(batch: tuple) -> list[Rejected]:
    raw = batch[14]
    return msgspec.json.decode(raw, type=list[Rejected]) if raw else []


def rejected_workbook(db: Database, settings: Settings, user: Principal, batch: tuple, out: Path, lang: str) -> int:
    """The rejected residents' rows of an upload, as they were, with an error column worded in the
    page's language: to fix and upload again; audited as an export (CONTRACT §13). Returns how many
    rows were written (0: nothing to download, nothing audited)."""
    require_importer(user)
    rejected = rejections(batch)
    ids = {r.record_id for r in rejected if r.record_id}
    notes: dict[tuple[str | None, int | None], list[str]] = {}
    for r in rejected:
        for e in r.errors:
            notes.setdefault((e.sheet, e.row), []).append(f"{e.column or e.field}: {word(e.field, e.message, lang)}")
    path = upload_path(settings, batch[0], Path(batch[3] or "").suffix.lower())
    if not path.exists():
        return 0
    mapping = _upload_mapping(settings, batch[0])
    workbook = xlsxwriter.Workbook(str(out), {"constant_memory": True, "strings_to_formulas": False})
    sheets: dict[str, tuple] = {}
    written = 0
    for sheet, number, cells in sheet_rows(path):
        if sheet not in sheets:
            if blank_row(cells):
                continue
            worksheet = workbook.add_worksheet((sheet or Path(batch[3]).stem)[:31])
            record_column = next((i for i, c in enumerate(cells) if mapping.field(c) == "record_id"), 0)
            worksheet.write_row(0, 0, [ERROR_COLUMN[lang], *cells])
            sheets[sheet] = (worksheet, record_column, [1])
            continue
        worksheet, record_column, next_row = sheets[sheet]
        record_id = as_text(cells[record_column] or "") if record_column < len(cells) else ""
        note = notes.get((sheet or None, number))
        if record_id in ids or note:
            worksheet.write_row(next_row[0], 0, ["；".join(note or []), *[_plain(c) for c in cells]])
            next_row[0] += 1
            written += 1
    workbook.close()
    if written:
        record_export(db, user, "import-rejected", {"batch": batch[0]}, written)
    return written


def _plain(cell: object) -> object:
    return cell.isoformat() if isinstance(cell, dt.date) else cell
