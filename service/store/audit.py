"""The audit log: who read or changed which resident, never with national ids or phone numbers."""

from __future__ import annotations

from sqlite_utils import Database

from service.store import now_utc, writing


def record_read(db: Database, *, actor: str, record_id: str) -> None:
    with writing(db):
        db.execute(
            "INSERT INTO audit_log (at, actor, action, record_id) VALUES (?, ?, 'read_card', ?)",
            [now_utc(), actor, record_id],
        )
