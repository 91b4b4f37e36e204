"""County indicators, each defined once here: HEARTS control and care states, follow-up completion,
overdue work by doctor, tier transitions, the model and the job runs. Thresholds come from the policy."""

from __future__ import annotations

import datetime as dt

import msgspec
from sqlite_utils import Database

from service.store import region_bounds
from stratify.policy import Policy
from stratify.records import DIABETES_CODES, HYPERTENSION_CODES

REGISTERED_DAYS = 90  # WHO HEARTS: control is measured among patients registered for 3+ months
RECENT_VISIT_DAYS = 90  # WHO HEARTS: ... with a controlled reading at a visit in the last 3 months


class Control(msgspec.Struct):
    registered: int
    controlled: int

    @property
    def rate(self) -> float | None:
        return self.controlled / self.registered if self.registered else None


def _control(
    db: Database, region: str, today: dt.date, codes: tuple[str, ...], reading: str, where: str, params: dict
) -> Control:
    low, high = region_bounds(region)
    placeholders = ", ".join(f"'{c}'" for c in codes)  # fixed ICD-10 categories, not input
    row = db.execute(
        f"""
        WITH registered AS (
            SELECT DISTINCT c.record_id FROM conditions c JOIN residents r USING (record_id)
            WHERE substr(c.code, 1, 3) IN ({placeholders}) AND r.status = 'active'
              AND r.village_code >= :low AND r.village_code < :high
              AND (c.diagnosed_on IS NULL OR c.diagnosed_on <= :registered_by)
        ), latest AS (
            SELECT v.record_id, v.sbp, v.dbp, v.fasting_glucose, max(v.date)
            FROM visits v JOIN registered USING (record_id)
            WHERE v.date > :since AND v.date <= :today AND {reading} IS NOT NULL GROUP BY v.record_id
        )
        SELECT (SELECT count(*) FROM registered), (SELECT count(*) FROM latest WHERE {where})
        """,
        {
            "low": low,
            "high": high,
            "registered_by": (today - dt.timedelta(days=REGISTERED_DAYS)).isoformat(),
            "since": (today - dt.timedelta(days=RECENT_VISIT_DAYS)).isoformat(),
            "today": today.isoformat(),
            **params,
        },
    ).fetchone()
    return Control(*row)


def bp_control(db: Database, region: str, today: dt.date, policy: Policy) -> Control:
    """Hypertension registered 3+ months with BP below target at a visit in the last 3 months (HEARTS)."""
    sbp, dbp = policy.bp_target
    return _control(
        db, region, today, HYPERTENSION_CODES, "v.sbp", "sbp < :sbp AND dbp < :dbp", {"sbp": sbp, "dbp": dbp}
    )


def glucose_control(db: Database, region: str, today: dt.date, policy: Policy) -> Control:
    """Diabetes registered 3+ months with fasting glucose below target at a visit in the last 3 months."""
    return _control(
        db, region, today, DIABETES_CODES, "v.fasting_glucose", "fasting_glucose < :fpg", {"fpg": policy.fpg_target}
    )


def completion(db: Database, region: str, today: dt.date, days: int = 30) -> tuple[int, int]:
    """(done, due) of tasks that fell due in the last `days` days."""
    low, high = region_bounds(region)
    return db.execute(
        "SELECT sum(status = 'done'), count(*) FROM tasks WHERE village_code >= ? AND village_code < ? "
        "AND due > ? AND due <= ? AND status != 'cancelled'",
        [low, high, (today - dt.timedelta(days=days)).isoformat(), today.isoformat()],
    ).fetchone()


def overdue_by_doctor(db: Database, region: str, today: dt.date, limit: int = 10) -> list[tuple[str, int]]:
    """(assignee, open tasks past due), most first; unassigned work shows as ''."""
    low, high = region_bounds(region)
    return db.execute(
        "SELECT coalesce(assignee, ''), count(*) FROM tasks WHERE status = 'open' AND due < ? "
        "AND village_code >= ? AND village_code < ? GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?",
        [today.isoformat(), low, high, limit],
    ).fetchall()


def transitions(db: Database, region: str, since: dt.date) -> list[tuple[str | None, str | None, int, str]]:
    """(from, to, residents, most common first reason) of tier changes as of `since` or later."""
    low, high = region_bounds(region)
    rows = db.execute(
        "SELECT h.from_tier, h.to_tier, count(*), "
        "(SELECT json_extract(h2.reasons, '$[0].code') FROM tier_history h2 JOIN residents r2 USING (record_id) "
        " WHERE h2.from_tier IS h.from_tier AND h2.to_tier IS h.to_tier AND h2.as_of >= ? "
        " AND r2.village_code >= ? AND r2.village_code < ? "
        " GROUP BY 1 ORDER BY count(*) DESC LIMIT 1) "
        "FROM tier_history h JOIN residents r USING (record_id) "
        "WHERE h.as_of >= ? AND h.from_tier IS NOT NULL AND r.village_code >= ? AND r.village_code < ? "
        "GROUP BY h.from_tier, h.to_tier ORDER BY 3 DESC",
        [since.isoformat(), low, high, since.isoformat(), low, high],
    ).fetchall()
    return [(a, b, n, code or "") for a, b, n, code in rows]


def recent_runs(db: Database, limit: int = 5) -> list[tuple]:
    return db.execute(
        "SELECT run_id, kind, as_of, trigger, status, started_at, json_extract(summary, '$.seconds') "
        "FROM job_runs ORDER BY run_id DESC LIMIT ?",
        [limit],
    ).fetchall()


def active_card(db: Database) -> dict | None:
    row = db.execute("SELECT card FROM models WHERE active = 1").fetchone()
    return msgspec.json.decode(row[0]) if row else None
