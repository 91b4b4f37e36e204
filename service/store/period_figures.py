"""The §11 figures kept per village, family doctor and period (table period_figures, m014): what a
region's page reads, which villages of a region have no valid rows, and the rows a computation stores.

A village's rows (one per family doctor, '' for residents without one) are stored together and
deleted together. They are valid for a request when taken on the same day (`as_of`) under the same
policy; the triggers of m014 delete the rows a write can change, so valid rows equal a fresh computation.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence

from sqlite_utils import Database

from service.store import now_utc, region_bounds, writing

_KEY = ("period", "village_code", "family_doctor", "last_day", "as_of", "policy", "computed_at")
Unit = tuple[str, str]  # (village code, family doctor or '')


def kept_figures(
    db: Database, region: str, period: str, as_of: str, policy: str, columns: Sequence[str]
) -> tuple[dict[Unit, tuple[int, ...]], list[str]]:
    """((village, doctor) -> its valid row's counts in `columns` order, the region's villages without)."""
    low, high = region_bounds(region)
    rows = db.execute(
        f"SELECT v.village_code, f.family_doctor, f.as_of IS NOT NULL, {', '.join(f'f.{c}' for c in columns)} "
        "FROM figure_villages v LEFT JOIN period_figures f ON f.period = :period "
        "AND f.village_code = v.village_code AND f.as_of = :as_of AND f.policy = :policy "
        "WHERE v.village_code >= :low AND v.village_code < :high",
        {"period": period, "as_of": as_of, "policy": policy, "low": low, "high": high},
    )
    kept: dict[Unit, tuple[int, ...]] = {}
    missing: list[str] = []
    for village, doctor, valid, *counts in rows:
        if valid:
            kept[village, doctor] = tuple(counts)
        else:
            missing.append(village)
    return kept, missing


def villages(db: Database, region: str) -> list[str]:
    low, high = region_bounds(region)
    rows = db.execute(
        "SELECT village_code FROM figure_villages WHERE village_code >= ? AND village_code < ?", [low, high]
    )
    return [village for (village,) in rows]


def valid_periods(db: Database, village: str, as_of: Mapping[str, str], policy: str) -> set[str]:
    """Which of the periods (code -> the day it is taken on) the village has a valid row for."""
    rows = db.execute(
        "SELECT period, as_of FROM period_figures WHERE village_code = ? AND policy = ?", [village, policy]
    )
    return {period for period, day in rows if as_of.get(period) == day}


def keep_figures(
    db: Database,
    rows: Sequence[tuple[str, str, str, str, str, Mapping[str, int]]],
    policy: str,
    columns: Sequence[str],
) -> bool:
    """Store (period, village, doctor, last day, as_of, counts) rows computed inside the caller's open read
    transaction, and commit. False, storing nothing, when another connection wrote since that
    transaction began (SQLite refuses the upgrade: SQLITE_BUSY_SNAPSHOT): the rows may be stale."""
    names = (*_KEY, *columns)
    now = now_utc()
    values = [(*row[:5], policy, now, *(row[5][c] for c in columns)) for row in rows]
    try:  # a village's rows of a period go together: none of an older computation stays beside them
        db.conn.executemany(
            "DELETE FROM period_figures WHERE period = ? AND village_code = ?", sorted({row[:2] for row in rows})
        )
        db.conn.executemany(
            f"INSERT INTO period_figures ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            values,
        )
        db.conn.execute("COMMIT")
    except sqlite3.OperationalError as e:
        db.conn.rollback()
        if "locked" not in str(e) and "busy" not in str(e):
            raise
        return False
    except BaseException:
        db.conn.rollback()
        raise
    return True


def forget_figures(db: Database, region: str) -> int:
    """Delete the region's kept rows (a rebuild computes them again); how many."""
    low, high = region_bounds(region)
    with writing(db):
        return db.execute(
            "DELETE FROM period_figures WHERE village_code >= ? AND village_code < ?", [low, high]
        ).rowcount
