"""The dashboard's live lists (CONTRACT §11 issue: not from last night): residents of a region who
became red on a day, and its urgent referrals past their due date, read when the page is asked for."""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from service.store import region_bounds

LIST_LIMIT = 50  # rows shown; the count says how many there are


def new_reds(db: Database, region: str, day: dt.date) -> tuple[list[tuple[str, str, str]], int]:
    """([(record_id, name, village_code)], how many) of the region's residents whose tier became red
    on `day` (the nightly run's or a visit's re-assessment), newest first."""
    low, high = region_bounds(region)
    where = (
        # the day's changes first (the planner, seeing few distinct days, would scan the whole history)
        "FROM tier_history h INDEXED BY tier_history_as_of CROSS JOIN residents r ON r.record_id = h.record_id "
        "WHERE h.as_of = ? AND h.to_tier = 'red' "
        "AND h.from_tier IS NOT 'red' AND r.village_code >= ? AND r.village_code < ?"
    )
    params = [day.isoformat(), low, high]
    rows = db.execute(
        f"SELECT DISTINCT r.record_id, r.name, r.village_code {where} ORDER BY r.village_code, r.record_id LIMIT ?",
        [*params, LIST_LIMIT],
    ).fetchall()
    return rows, db.execute(f"SELECT count(DISTINCT h.record_id) {where}", params).fetchone()[0]


def overdue_referrals(db: Database, region: str, today: dt.date) -> tuple[list[tuple], int]:
    """([(task_id, record_id, name, village_code, due, assignee)], how many) of the region's open
    urgent referrals due before today, most overdue first."""
    low, high = region_bounds(region)
    where = (
        "FROM tasks t CROSS JOIN residents r ON r.record_id = t.record_id "  # the area's urgent referrals first
        "WHERE t.status = 'open' AND t.kind = 'urgent_referral' "
        "AND t.due < ? AND t.village_code >= ? AND t.village_code < ?"
    )
    params = [today.isoformat(), low, high]
    rows = db.execute(
        f"SELECT t.task_id, t.record_id, r.name, t.village_code, t.due, t.assignee {where} "
        "ORDER BY t.due, t.task_id LIMIT ?",
        [*params, LIST_LIMIT],
    ).fetchall()
    return rows, db.execute(f"SELECT count(*) {where}", params).fetchone()[0]
