"""The audit log: who read or changed which resident, never with national ids or phone numbers."""

from __future__ import annotations

import datetime as dt

import msgspec
from sqlite_utils import Database

from service.store import now_utc, writing

ACTIONS = (
    "read_card",
    "call",  # a call link followed: a read of the phone number
    "visit",
    "task_outcome",
    "override",
    "register",  # a resident registered from the phone
    "import",
    "login",
    "login_failed",
    "user_add",
    "user_update",
    "user_disable",
    "user_enable",
    "password_reset",
    "password_change",
    "apikey_create",
    "areas",
    "export",
)


def record_action(
    db: Database, *, actor: str, action: str, record_id: str | None = None, detail: str | None = None
) -> None:
    """One audit row; inside a caller's transaction it commits (or rolls back) with that transaction."""
    with writing(db):
        db.execute(
            "INSERT INTO audit_log (at, actor, action, record_id, detail) VALUES (?, ?, ?, ?, ?)",
            [now_utc(), actor, action, record_id, detail],
        )


def record_read(db: Database, *, actor: str, record_id: str) -> None:
    record_action(db, actor=actor, action="read_card", record_id=record_id)


class AuditEntry(msgspec.Struct, array_like=True):
    id: int
    at: str
    actor: str
    action: str
    record_id: str | None
    detail: str | None


def audit_entries(
    db: Database,
    *,
    region: str,
    actor: str | None = None,
    action: str | None = None,
    record_id: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    before: int | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Newest first: entries about residents in `region`, and entries about no resident (logins, imports).

    `before` is the id of the last entry already shown (keyset paging); dates are UTC days, inclusive.
    """
    where = ["(a.record_id IS NULL OR r.village_code LIKE :region)"]
    for column, value in (("a.actor", actor), ("a.action", action), ("a.record_id", record_id)):
        if value:
            where.append(f"{column} = :{column[2:]}")
    if since:
        where.append("a.at >= :since")
    if until:
        where.append("a.at < :until")
    if before:
        where.append("a.id < :before")
    rows = db.execute(
        "SELECT a.id, a.at, a.actor, a.action, a.record_id, a.detail FROM audit_log a "
        "LEFT JOIN residents r ON r.record_id = a.record_id "
        f"WHERE {' AND '.join(where)} ORDER BY a.id DESC LIMIT :limit",
        {
            "region": region + "%",
            "actor": actor,
            "action": action,
            "record_id": record_id,
            "since": since.isoformat() if since else None,
            "until": (until + dt.timedelta(days=1)).isoformat() if until else None,
            "before": before,
            "limit": limit,
        },
    ).fetchall()
    return [AuditEntry(*row) for row in rows]
