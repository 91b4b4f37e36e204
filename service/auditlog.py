"""The center's view of the audit log: who read or changed what in their region, free text masked."""

from __future__ import annotations

import datetime as dt

import msgspec
from sqlite_utils import Database

from service.auth import Principal, Role
from service.errors import NotAllowed
from service.privacy import mask_in_text
from service.store.audit import ACTIONS, audit_entries

AUDIT_ROLES = (Role.CENTER, Role.ADMIN)


class AuditFilters(msgspec.Struct, frozen=True, kw_only=True):
    actor: str | None = None
    action: str | None = None  # one of ACTIONS
    record_id: str | None = None
    since: dt.date | None = None  # UTC days, inclusive
    until: dt.date | None = None


class ShownEntry(msgspec.Struct, frozen=True):
    id: int
    at: str
    actor: str
    action: str
    record_id: str | None
    detail: str  # phone numbers and national ids masked


def audit_log(
    db: Database, user: Principal, filters: AuditFilters, *, before: int | None = None, limit: int
) -> list[ShownEntry]:
    """Newest first; entries about residents outside the user's region never appear."""
    if user.role not in AUDIT_ROLES:
        raise NotAllowed(f"role {user.role} may not read the audit log")
    entries = audit_entries(db, region=user.region, before=before, limit=limit, **msgspec.structs.asdict(filters))
    return [ShownEntry(e.id, e.at, e.actor, e.action, e.record_id, mask_in_text(e.detail)) for e in entries]


__all__ = ["ACTIONS", "AuditFilters", "ShownEntry", "audit_log"]
