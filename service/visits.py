"""A visit recorded from the card's form: one write transaction, validated once, re-assessed at once.

The resident is read once, inside the transaction; the new visit joins the history in memory, so
the re-assessment reads nothing back. The doctor sees the new tier and tasks before leaving.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time

import msgspec
from sqlite_utils import Database

from followup.assign import ROLE_LEVEL
from service.auth import Principal
from service.errors import AlreadyStored, ResidentNotFound, require_region
from service.reassess import reassess
from service.store import writing
from service.store.audit import record_action
from service.store.histories import History, load_histories
from service.store.residents import add_visit
from service.validation import decode_visit
from stratify.policy import Policy
from stratify.records import Level, Visit, is_managed


def form_visit_id(today: dt.date) -> str:
    """An id for a visit recorded on the card that sorts by when it was recorded: visits of one day are
    ordered by their ids, so a second reading the same day is the later one (microseconds since 1970 in
    13 hex digits until 2112, then 2 random bytes against two servers in the same microsecond)."""
    return f"ui-{today:%Y%m%d}-{time.time_ns() // 1000:013x}-{secrets.token_hex(2)}"


def record_visit(db: Database, policy: Policy, user: Principal, record_id: str, fields: dict, today: dt.date) -> Visit:
    """Store a visit of a stored resident and re-assess them; returns the visit stored.

    `fields` are the visit's record-format fields (mode and level default to a clinic visit at the
    user's level). A `visit_id` among them is the phone's own (CONTRACT §12: a visit queued offline
    and sent twice): the same visit again changes nothing; other content under it is AlreadyStored.
    Raises ResidentNotFound, OutsideRegion, or Invalid with errors named by the visit's own fields;
    nothing is stored then.
    """
    with writing(db):
        found = load_histories(db, [record_id])
        if not found:
            raise ResidentNotFound(f"no resident {record_id!r}")
        history = found[0]
        resident = history.resident
        require_region(user.region, resident.village_code, f"resident {record_id!r}")
        phone_id = fields.get("visit_id")
        stored = next((v for v in resident.visits if v.visit_id == phone_id), None) if phone_id else None
        others = [v for v in resident.visits if v is not stored]  # the stored one is checked against, not counted
        visit = decode_visit(
            {
                "visit_id": form_visit_id(today),
                "mode": "clinic",
                "level": ROLE_LEVEL.get(user.role, Level.COUNTY),  # center staff and admins: county level
                **fields,
            },
            msgspec.structs.replace(resident, visits=others) if stored else resident,
            today,
            policy.formulary,
        )
        if stored is not None:
            if stored != visit:
                raise AlreadyStored(f"visit {visit.visit_id!r} of {record_id!r} is stored with other content")
            return stored  # sent again: stored once, assessed and audited once
        add_visit(db, record_id, visit)
        if is_managed([c.code for c in resident.conditions]):
            merged = msgspec.structs.replace(resident, visits=[*resident.visits, visit])
            reassess(db, policy, [History(merged, history.status)], today)
        record_action(db, actor=user.name, action="visit", record_id=record_id, detail=visit.visit_id)
    return visit
