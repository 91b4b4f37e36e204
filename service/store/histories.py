"""Reading residents' histories back as `stratify.records` Structs, in batches or by id."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

import msgspec
from sqlite_utils import Database

from service.store.residents import CONDITION_COLUMNS, EVENT_COLUMNS, RESIDENT_COLUMNS, VISIT_COLUMNS
from stratify.records import Condition, Event, Medication, Resident, Visit
from stratify.tiers import Status

_date = dt.date.fromisoformat
_decode_list = msgspec.json.Decoder(list[str]).decode
_SYMPTOMS = VISIT_COLUMNS.index("symptoms")
_COMPLICATIONS = VISIT_COLUMNS.index("complications")
_DATE = VISIT_COLUMNS.index("date")
_MEDICATIONS = VISIT_COLUMNS.index("medications")
_decode_medications = msgspec.json.Decoder(list[Medication]).decode


class History(msgspec.Struct, frozen=True):
    resident: Resident
    status: Status  # as recorded (a call outcome may have ended management)


def _visit(row: tuple) -> Visit:
    values = list(row)
    values[_DATE] = _date(values[_DATE])
    for i in (_SYMPTOMS, _COMPLICATIONS):
        text = values[i]
        if text is not None:
            values[i] = [] if text == "[]" else _decode_list(text)
    if values[_MEDICATIONS] is not None:
        values[_MEDICATIONS] = _decode_medications(values[_MEDICATIONS])
    return Visit(*values)


def _children(db: Database, table: str, columns: tuple[str, ...], where: str, params: list) -> dict[str, list]:
    by_resident: dict[str, list] = defaultdict(list)
    for row in db.execute(f"SELECT record_id, {', '.join(columns)} FROM {table} WHERE {where}", params):
        by_resident[row[0]].append(row[1:])
    return by_resident


def _histories(db: Database, rows: list[tuple], where: str, params: list) -> list[History]:
    conditions = _children(db, "conditions", CONDITION_COLUMNS, where, params)
    visits = _children(db, "visits", VISIT_COLUMNS, where, params)
    events = _children(db, "events", EVENT_COLUMNS, where, params)
    histories = []
    for record_id, name, sex, birth, village, national_id, phone, doctor, status in rows:
        resident = Resident(
            record_id=record_id,
            name=name,
            sex=sex,
            birth_date=_date(birth),
            village_code=village,
            national_id=national_id,
            phone=phone,
            family_doctor=doctor,
            conditions=[Condition(code, _date(d) if d else None) for code, d in conditions.get(record_id, ())],
            visits=[_visit(v) for v in visits.get(record_id, ())],
            events=[Event(eid, _date(d), kind) for eid, d, kind in events.get(record_id, ())],
        )
        histories.append(History(resident, Status(status)))
    return histories


_RESIDENT_SELECT = f"SELECT record_id, {', '.join(RESIDENT_COLUMNS)}, status FROM residents"


def managed_ranges(db: Database, batch_size: int = 5_000) -> list[tuple[str, str]]:
    """(first, last) record_id of each run of `batch_size` managed residents, in record_id order."""
    ids = [row[0] for row in db.execute("SELECT record_id FROM residents WHERE managed = 1 ORDER BY record_id")]
    return [(ids[i], ids[min(i + batch_size, len(ids)) - 1]) for i in range(0, len(ids), batch_size)]


def load_range(db: Database, first: str, last: str) -> list[History]:
    """Managed residents with record_id from first to last, with their whole histories."""
    where, params = "record_id BETWEEN ? AND ?", [first, last]
    rows = db.execute(f"{_RESIDENT_SELECT} WHERE managed = 1 AND {where} ORDER BY record_id", params).fetchall()
    return _histories(db, rows, where, params)


def iter_managed_histories(db: Database, batch_size: int = 5_000) -> Iterator[list[History]]:
    """Every managed resident's whole history, `batch_size` residents at a time, by record_id."""
    for first, last in managed_ranges(db, batch_size):
        yield load_range(db, first, last)


def load_histories(db: Database, record_ids: list[str], *, managed_only: bool = False) -> list[History]:
    """The histories of these residents (unknown ids, and unmanaged ones if asked, are skipped)."""
    ids = msgspec.json.encode(record_ids).decode()
    where = "record_id IN (SELECT value FROM json_each(?))"
    managed = "managed = 1 AND " if managed_only else ""
    rows = db.execute(f"{_RESIDENT_SELECT} WHERE {managed}{where}", [ids]).fetchall()
    return _histories(db, rows, where, [ids])
