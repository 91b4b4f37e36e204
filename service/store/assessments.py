"""Current assessments, the history of tier changes, and overrides in force."""

from __future__ import annotations

import datetime as dt

import msgspec
from sqlite_utils import Database

from service.store import now_utc, writing
from service.store.audit import record_action
from stratify.assess import Override
from stratify.tiers import Assessment, Reason, Tier

_encode = msgspec.json.Encoder().encode


def reasons_json(reasons: tuple[Reason, ...]) -> str:
    """Each reason with its findings, so pages can word it in the reader's language later."""
    return _encode(reasons).decode()


class AssessmentRows(msgspec.Struct):
    """Assessments as the store writes them."""

    rows: list[tuple]  # (record_id, as_of, tier, risk, model_version, reasons JSON, owner_level)
    ids: str  # their record_ids as a JSON array


def assessment_rows(assessments: list[Assessment]) -> AssessmentRows:
    rows = [
        (
            a.record_id,
            a.as_of.isoformat(),
            a.tier.value if a.tier else None,
            a.risk,
            a.model_version,
            reasons_json(a.reasons),
            a.owner_level,
        )
        for a in assessments
    ]
    return AssessmentRows(rows, _encode([a.record_id for a in assessments]).decode())


def save_assessments(db: Database, prepared: AssessmentRows, run_id: int | None) -> int:
    """Make these the current assessments; log every tier change. Returns how many tiers changed."""
    now = now_utc()
    changes = []
    with writing(db):
        current = dict(
            db.execute(
                "SELECT record_id, tier FROM assessments WHERE record_id IN (SELECT value FROM json_each(?))",
                [prepared.ids],
            )
        )
        for record_id, as_of, tier, _, _, reasons, _ in prepared.rows:
            known = record_id in current
            if (known and current[record_id] != tier) or (not known and tier is not None):
                changes.append((record_id, as_of, current.get(record_id), tier, reasons, run_id, now))
        db.conn.executemany(
            "INSERT INTO assessments (record_id, as_of, tier, risk, model_version, reasons, owner_level, run_id, "
            "assessed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (record_id) DO UPDATE SET "
            "as_of = excluded.as_of, tier = excluded.tier, risk = excluded.risk, "
            "model_version = excluded.model_version, "
            "reasons = excluded.reasons, owner_level = excluded.owner_level, run_id = excluded.run_id, "
            "assessed_at = excluded.assessed_at",
            [(*row, run_id, now) for row in prepared.rows],
        )
        db.conn.executemany(
            "INSERT INTO tier_history (record_id, as_of, from_tier, to_tier, reasons, run_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            changes,
        )
    return len(changes)


def reassessed_since(db: Database, record_ids: list[str], since: str) -> set[str]:
    """Which of these residents were re-assessed in real time (a visit, an outcome, an override: no
    run_id) at or after `since` (UTC ISO time, to the second; within that second, newer anyway)."""
    rows = db.execute(
        "SELECT record_id FROM assessments WHERE record_id IN (SELECT value FROM json_each(?)) "
        "AND run_id IS NULL AND assessed_at >= ?",
        [_encode(record_ids).decode(), since],
    )
    return {row[0] for row in rows}


def overrides_on(db: Database, as_of: dt.date, record_ids: list[str] | None = None) -> dict[str, list[Override]]:
    """Unrevoked overrides in force on as_of, by resident (all residents when record_ids is None)."""
    sql = (
        "SELECT record_id, tier, reason, author, starts_on, expires_on FROM overrides "
        "WHERE revoked_at IS NULL AND starts_on <= :day AND expires_on >= :day"
    )
    params: dict[str, str] = {"day": as_of.isoformat()}
    if record_ids is not None:
        sql += " AND record_id IN (SELECT value FROM json_each(:ids))"
        params["ids"] = _encode(record_ids).decode()
    found: dict[str, list[Override]] = {}
    for record_id, tier, reason, author, starts, expires in db.execute(sql, params):
        found.setdefault(record_id, []).append(
            Override(Tier(tier), reason, author, dt.date.fromisoformat(starts), dt.date.fromisoformat(expires))
        )
    return found


RESIDENT_VIEW = (
    "record_id",
    "name",
    "sex",
    "birth_date",
    "village_code",
    "national_id",
    "phone",
    "family_doctor",
    "managed",
    "status",
    "tier",
    "as_of",
    "risk",
    "model_version",
    "reasons",
    "owner_level",
)
_ASSESSMENT_COLUMNS = frozenset({"tier", "as_of", "risk", "model_version", "reasons", "owner_level"})


def current_assessment(db: Database, record_id: str) -> dict | None:
    """The resident with its latest assessment (None for an unknown record_id); reasons as stored (JSON)."""
    columns = ", ".join(f"a.{c}" if c in _ASSESSMENT_COLUMNS else f"r.{c}" for c in RESIDENT_VIEW)
    row = db.execute(
        f"SELECT {columns} FROM residents r LEFT JOIN assessments a USING (record_id) WHERE r.record_id = ?",
        [record_id],
    ).fetchone()
    return dict(zip(RESIDENT_VIEW, row, strict=True)) if row else None


def add_override(
    db: Database, *, record_id: str, tier: str, reason: str, author: str, starts_on: dt.date, expires_on: dt.date
) -> None:
    """A center override and its audit entry, in one transaction."""
    now = now_utc()
    with writing(db):
        db.execute(
            "INSERT INTO overrides (record_id, tier, reason, author, starts_on, expires_on, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [record_id, tier, reason, author, starts_on.isoformat(), expires_on.isoformat(), now],
        )
        detail = _encode({"tier": tier, "expires_on": expires_on, "reason": reason}).decode()
        record_action(db, actor=author, action="override", record_id=record_id, detail=detail)
