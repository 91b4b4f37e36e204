"""Names of the county's townships and villages (by region code), loaded from the county's code list."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from pathlib import Path

import msgspec
from sqlite_utils import Database

from service.store import writing
from service.store.audit import record_action

AREA_CODE = re.compile(r"^[0-9]{6}([0-9]{3}){0,2}$")  # county 6, township 9, village 12 digits
MAX_NAME = 50
_encode = msgspec.json.Encoder().encode


class BadAreaRow(ValueError):
    """A row of the names file that is not `code,name` with a 6, 9 or 12-digit code."""


def read_areas(path: Path) -> list[tuple[str, str]]:
    """`code,name` rows of a UTF-8 CSV (a header row naming `code` is skipped); errors name the line."""
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as f:
        for line, row in enumerate(csv.reader(f), 1):
            if not row or (line == 1 and row[0].strip().lower() == "code"):
                continue
            if len(row) != 2:
                raise BadAreaRow(f"line {line}: expected code,name, got {len(row)} fields")
            code, name = row[0].strip(), row[1].strip()
            if not AREA_CODE.match(code):
                raise BadAreaRow(f"line {line}: code {code!r} is not a 6, 9 or 12-digit region code")
            if not name or len(name) > MAX_NAME:
                raise BadAreaRow(f"line {line}: name must be 1-{MAX_NAME} characters")
            rows.append((code, name))
    return rows


def save_areas(db: Database, rows: Iterable[tuple[str, str]], *, actor: str) -> int:
    """Add or rename these areas in one transaction (audited); returns how many rows were given."""
    rows = list(rows)
    with writing(db):
        db.conn.executemany(
            "INSERT INTO areas (code, name) VALUES (?, ?) ON CONFLICT (code) DO UPDATE SET name = excluded.name", rows
        )
        record_action(db, actor=actor, action="areas", detail=f"{len(rows)} area names")
    return len(rows)


def area_names(db: Database, codes: list[str]) -> dict[str, str]:
    """The names known for these codes (a code without a name is shown as its code)."""
    found = db.execute("SELECT code, name FROM areas WHERE code IN (SELECT value FROM json_each(?))", [_encode(codes)])
    return dict(found)
