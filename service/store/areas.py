"""Names of the county's townships and villages (by region code), loaded from the county's code list."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from pathlib import Path

import msgspec
from sqlite_utils import Database

from service.store import region_bounds, writing
from service.store.audit import record_action

AREA_CODE = re.compile(r"^[0-9]{6}([0-9]{3}){0,2}$")  # county 6, township 9, village 12 digits
MAX_NAME = 50
_encode = msgspec.json.Encoder().encode


MAX_POPULATION = 100_000_000  # an area's residents aged 35+: a bigger number is a typing error


class BadAreaRow(ValueError):
    """A row of the names file that is not `code,name[,population_35plus]` with a 6, 9 or 12-digit code."""


def read_areas(path: Path) -> list[tuple[str, str, int | None]]:
    """`code,name[,population_35plus]` rows of a UTF-8 CSV (a header row naming `code` is skipped; an
    empty population is none given); errors name the line."""
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as f:
        for line, row in enumerate(csv.reader(f), 1):
            if not row or (line == 1 and row[0].strip().lower() == "code"):
                continue
            if len(row) not in (2, 3):
                raise BadAreaRow(f"line {line}: expected code,name[,population_35plus], got {len(row)} fields")
            code, name = row[0].strip(), row[1].strip()
            if not AREA_CODE.match(code):
                raise BadAreaRow(f"line {line}: code {code!r} is not a 6, 9 or 12-digit region code")
            if not name or len(name) > MAX_NAME:
                raise BadAreaRow(f"line {line}: name must be 1-{MAX_NAME} characters")
            rows.append((code, name, _population(row[2].strip() if len(row) == 3 else "", line)))
    return rows


def _population(text: str, line: int) -> int | None:
    if not text:
        return None
    if not text.isdigit() or int(text) > MAX_POPULATION:
        raise BadAreaRow(f"line {line}: population_35plus {text!r} is not a whole number from 0 to {MAX_POPULATION:,}")
    return int(text)


def save_areas(db: Database, rows: Iterable[tuple[str, str] | tuple[str, str, int | None]], *, actor: str) -> int:
    """Add or rename these areas, and set the populations given (a row without one keeps the area's),
    in one transaction (audited); returns how many rows were given."""
    rows = [(*row, None)[:3] for row in rows]
    with writing(db):
        db.conn.executemany(
            "INSERT INTO areas (code, name, population_35plus) VALUES (?, ?, ?) ON CONFLICT (code) DO UPDATE SET "
            "name = excluded.name, population_35plus = coalesce(excluded.population_35plus, population_35plus)",
            rows,
        )
        given = sum(row[2] is not None for row in rows)
        record_action(db, actor=actor, action="areas", detail=f"{len(rows)} area names, {given} populations aged 35+")
    return len(rows)


def area_populations(db: Database, region: str) -> dict[str, int]:
    """The populations aged 35+ known for the region and the areas within it."""
    low, high = region_bounds(region)
    rows = db.execute(
        "SELECT code, population_35plus FROM areas WHERE code >= ? AND code < ? AND population_35plus IS NOT NULL",
        [low, high],
    )
    return dict(rows)


def area_names(db: Database, codes: list[str]) -> dict[str, str]:
    """The names known for these codes (a code without a name is shown as its code)."""
    found = db.execute("SELECT code, name FROM areas WHERE code IN (SELECT value FROM json_each(?))", [_encode(codes)])
    return dict(found)
