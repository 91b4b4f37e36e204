"""Residents and their history: merge-by-id upserts in bulk, and reading histories back."""

from __future__ import annotations

from enum import StrEnum

import msgspec
from sqlite_utils import Database

from service.store import now_utc, region_bounds, tier_order, writing
from stratify.records import Condition, Event, Resident, Visit, is_managed

_encode = msgspec.json.Encoder().encode
RESIDENT_COLUMNS = ("name", "sex", "birth_date", "village_code", "national_id", "phone", "family_doctor")
VISIT_COLUMNS = Visit.__struct_fields__
EVENT_COLUMNS = Event.__struct_fields__
CONDITION_COLUMNS = Condition.__struct_fields__


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def _row(record_id: str, item: msgspec.Struct) -> tuple:
    """A child's values as SQLite stores them (lists as JSON text, booleans as 0/1), so stored and
    incoming rows compare equal. Inlined: it runs for every field of every visit of an import."""
    return (
        record_id,
        *[
            _encode(v).decode() if v.__class__ is list else int(v) if v.__class__ is bool else v
            for v in msgspec.to_builtins(msgspec.structs.astuple(item))
        ],
    )


def _resident_row(r: Resident) -> tuple:
    return (r.record_id, *msgspec.to_builtins(tuple(getattr(r, c) for c in RESIDENT_COLUMNS)))


def _existing(db: Database, table: str, columns: tuple[str, ...], ids: str, *, child: bool = True) -> dict:
    """Stored rows of these residents, keyed by (record_id, child id) or by record_id."""
    names = ", ".join(("record_id", *columns))
    rows = db.execute(f"SELECT {names} FROM {table} WHERE record_id IN (SELECT value FROM json_each(?))", [ids])
    return {(row[0], row[1]) if child else row[0]: row for row in rows}


def _upsert_sql(table: str, columns: tuple[str, ...], key: tuple[str, ...], keep: tuple[str, ...] = ()) -> str:
    """INSERT ... ON CONFLICT DO UPDATE of every column but the key and those to `keep`."""
    names = ("record_id", *columns)
    updates = ", ".join(f"{c} = excluded.{c}" for c in names if c not in key and c not in keep)
    return (
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    )


_RESIDENT_SQL = _upsert_sql(
    "residents",
    (*RESIDENT_COLUMNS, "managed", "source", "batch_id", "created_at", "updated_at"),
    ("record_id",),
    keep=("created_at",),
)
# Each child's id is its first field, so stored rows are keyed by (record_id, row[1]).
CHILD_TABLES = (("conditions", CONDITION_COLUMNS), ("visits", VISIT_COLUMNS), ("events", EVENT_COLUMNS))
_CHILD_SQL = tuple(_upsert_sql(table, columns, ("record_id", columns[0])) for table, columns in CHILD_TABLES)
_VISIT_SQL = _CHILD_SQL[1]


def upsert_residents(db: Database, residents: list[Resident], *, source: str, batch_id: int | None) -> list[Outcome]:
    """Merge residents into the store in one transaction: children merge by id, new content updates.

    Each resident is written whole or not at all (the caller passes only valid residents, each
    record_id once). Returns each resident's outcome in order. The stored rows are compared inside
    the write transaction, so a concurrent send for the same resident cannot slip in between.
    """
    with writing(db):
        return _merge(db, residents, source=source, batch_id=batch_id)


def _merge(db: Database, residents: list[Resident], *, source: str, batch_id: int | None) -> list[Outcome]:
    ids = msgspec.json.encode([r.record_id for r in residents]).decode()
    old_residents = _existing(db, "residents", (*RESIDENT_COLUMNS, "managed"), ids, child=False)
    olds = tuple(_existing(db, table, columns, ids) for table, columns in CHILD_TABLES)
    codes_of: dict[str, list[str]] = {}
    for rid, code in olds[0]:
        codes_of.setdefault(rid, []).append(code)

    now = now_utc()
    outcomes: list[Outcome] = []
    resident_rows: list[tuple] = []
    child_rows: tuple[list, list, list] = ([], [], [])
    for r in residents:
        rid = r.record_id
        changed = False
        for items, old, new in zip((r.conditions, r.visits, r.events), olds, child_rows, strict=True):
            for item in items:
                row = _row(rid, item)
                if old.get((rid, row[1])) != row:
                    new.append(row)
                    changed = True
        managed = int(is_managed([*codes_of.get(rid, ()), *(c.code for c in r.conditions)]))
        row = _resident_row(r)
        previous = old_residents.get(rid)
        if previous is None:
            outcomes.append(Outcome.CREATED)
        elif changed or previous != (*row, managed):
            outcomes.append(Outcome.UPDATED)
        else:
            outcomes.append(Outcome.UNCHANGED)
            continue
        resident_rows.append((*row, managed, source, batch_id, now, now))

    db.conn.executemany(_RESIDENT_SQL, resident_rows)
    for sql, rows in zip(_CHILD_SQL, child_rows, strict=True):
        db.conn.executemany(sql, rows)
    return outcomes


def stored_ids(db: Database, record_ids: list[str]) -> set[str]:
    """Which of these record_ids are stored."""
    rows = db.execute(
        "SELECT record_id FROM residents WHERE record_id IN (SELECT value FROM json_each(?))",
        [msgspec.json.encode(record_ids).decode()],
    )
    return {row[0] for row in rows}


def add_visit(db: Database, record_id: str, visit: Visit) -> None:
    """Store one new visit of a stored resident (inside the caller's write transaction)."""
    with writing(db):
        db.execute(_VISIT_SQL, _row(record_id, visit))
        db.execute("UPDATE residents SET updated_at = ? WHERE record_id = ?", [now_utc(), record_id])


def village_of(db: Database, record_id: str) -> str | None:
    """The resident's village code (None for an unknown record_id)."""
    row = db.execute("SELECT village_code FROM residents WHERE record_id = ?", [record_id]).fetchone()
    return row[0] if row else None


# in the order of service.card.CardVisit
CARD_VISIT_COLUMNS = ("date", "mode", "level", "sbp", "dbp", "fasting_glucose", "hba1c", "adherence")


def recent_visits(db: Database, record_id: str, limit: int) -> list[tuple]:
    """The resident's latest visits, newest first, as CARD_VISIT_COLUMNS."""
    return db.execute(
        f"SELECT {', '.join(CARD_VISIT_COLUMNS)} FROM visits WHERE record_id = ? "
        "ORDER BY date DESC, visit_id DESC LIMIT ?",
        [record_id, limit],
    ).fetchall()


def village_patients(db: Database, village: str, limit: int = 500) -> list[tuple]:
    """(record_id, name, tier, first reason JSON) of a village's managed residents, red first."""
    return db.execute(
        "SELECT r.record_id, r.name, a.tier, json_extract(a.reasons, '$[0]') "
        "FROM residents r LEFT JOIN assessments a USING (record_id) "
        "WHERE r.managed = 1 AND r.village_code = ? "
        f"ORDER BY {tier_order('a.tier')}, r.record_id "
        "LIMIT ?",
        [village, limit],
    ).fetchall()


def _within(column: str) -> str:
    """`column` lies under the region :low-:high (`_bounds`)."""
    return f"{column} >= :low AND {column} < :high"


def _bounds(region: str) -> dict[str, str]:
    low, high = region_bounds(region)
    return {"low": low, "high": high}


VILLAGE_CODE_LENGTH = 12  # CONTRACT §1: county 6, township 9, village 12 digits
SEARCH_COLUMNS = ("record_id", "name", "sex", "birth_date", "village_code", "phone", "status", "tier")
LAST_DIGITS = 4  # CONTRACT §10: search by the last 4 digits of the phone or the national id


def search_residents(db: Database, region: str, query: str, limit: int) -> list[tuple]:
    """Residents of a region (SEARCH_COLUMNS) whose name contains `query`, whose record_id is or starts
    with it, or, for 4 digits (the last may be X), whose phone or national id ends with them; the exact
    record_id first, then those still under care, by name."""
    like = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    digits = len(query) == LAST_DIGITS and query[:-1].isdigit() and (query[-1].isdigit() or query[-1] in "xX")
    return db.execute(
        f"SELECT r.{', r.'.join(SEARCH_COLUMNS[:-1])}, a.tier "
        "FROM residents r LEFT JOIN assessments a USING (record_id) "
        f"WHERE {_within('r.village_code')} AND (r.name LIKE '%' || :like || '%' ESCAPE '\\' "
        "OR r.record_id LIKE :like || '%' ESCAPE '\\' "
        "OR (:digits AND (replace(replace(r.phone, ' ', ''), '-', '') LIKE '%' || :like "
        "OR upper(r.national_id) LIKE '%' || upper(:like)))) "
        "ORDER BY r.record_id = :query DESC, r.status = 'active' DESC, r.name, r.record_id LIMIT :limit",
        {**_bounds(region), "like": like, "query": query, "digits": digits, "limit": limit},
    ).fetchall()


def region_villages(db: Database, region: str) -> list[str]:
    """The village codes of a region: its named villages and those with residents (a village region is itself)."""
    rows = db.execute(
        f"SELECT code FROM areas WHERE length(code) = {VILLAGE_CODE_LENGTH} AND {_within('code')} "
        f"UNION SELECT DISTINCT village_code FROM residents WHERE {_within('village_code')} ORDER BY 1",
        _bounds(region),
    )
    codes = [row[0] for row in rows]
    return codes or ([region] if len(region) == VILLAGE_CODE_LENGTH else [])


def next_serial(db: Database, prefix: str) -> int:
    """One more than the highest number after `prefix` among record_ids (1 for the first)."""
    row = db.execute(
        "SELECT max(CAST(substr(record_id, :n) AS INTEGER)) FROM residents "
        "WHERE record_id > :prefix AND record_id < :prefix || ':'",
        {"prefix": prefix, "n": len(prefix) + 1},
    ).fetchone()
    return (row[0] or 0) + 1


def national_id_owner(db: Database, national_id: str) -> tuple[str, str] | None:
    """(record_id, village_code) of the resident already holding this national id, if any."""
    row = db.execute(
        "SELECT record_id, village_code FROM residents WHERE national_id = ? LIMIT 1", [national_id]
    ).fetchone()
    return (row[0], row[1]) if row else None


def same_person(db: Database, name: str, birth_date: str, village: str) -> str | None:
    """The record_id of a resident of this village with this name and birth date, if any."""
    row = db.execute(
        "SELECT record_id FROM residents WHERE village_code = ? AND name = ? AND birth_date = ? LIMIT 1",
        [village, name, birth_date],
    ).fetchone()
    return row[0] if row else None
