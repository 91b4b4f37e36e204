"""A center decision on a resident's tier until a date: one write transaction, audited, re-assessed.

The override may raise or lower the tier but never below the rule floor (`stratify.assess`)."""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from service.auth import Principal, Role
from service.errors import NotAllowed, ResidentNotFound, require_region
from service.problems import problem
from service.reassess import reassess_ids
from service.store import writing
from service.store.assessments import add_override
from service.store.residents import village_of
from service.validation import FieldError, Invalid
from stratify.policy import Policy
from stratify.tiers import Tier

MAX_OVERRIDE_DAYS = 365  # an override is a decision to revisit: at most a year
MAX_OVERRIDE_REASON_CHARS = 200
OVERRIDE_ROLES = (Role.CENTER, Role.ADMIN, Role.COUNTY_SPECIALIST)


def override_errors(form: dict[str, str], today: dt.date) -> list[FieldError]:
    """The form's values checked: a tier, a reason, an expiry date within the year."""
    errors = []
    if form.get("tier", "") not in {t.value for t in Tier}:
        errors.append(FieldError("tier", problem("choose_tier")))
    reason = form.get("reason", "").strip()
    if not reason or len(reason) > MAX_OVERRIDE_REASON_CHARS:
        errors.append(FieldError("reason", problem("reason_length", limit=MAX_OVERRIDE_REASON_CHARS)))
    try:
        expires = dt.date.fromisoformat(form.get("expires_on", ""))
        if not today < expires <= today + dt.timedelta(days=MAX_OVERRIDE_DAYS):
            errors.append(FieldError("expires_on", problem("date_ahead", days=MAX_OVERRIDE_DAYS)))
    except ValueError:
        errors.append(FieldError("expires_on", problem("date_iso")))
    return errors


def set_override(
    db: Database, policy: Policy, user: Principal, record_id: str, form: dict[str, str], today: dt.date
) -> None:
    """Store the override and re-assess the resident. Raises ResidentNotFound, NotAllowed,
    OutsideRegion or Invalid with errors keyed by form field; nothing is stored then."""
    with writing(db):
        village = village_of(db, record_id)
        if village is None:
            raise ResidentNotFound(f"no resident {record_id!r}")
        if user.role not in OVERRIDE_ROLES:
            raise NotAllowed(f"role {user.role} may not override a tier")
        require_region(user.region, village, f"resident {record_id!r}")
        errors = override_errors(form, today)
        if errors:
            raise Invalid(errors)
        add_override(
            db,
            record_id=record_id,
            tier=form["tier"],
            reason=form["reason"].strip(),
            author=user.name,
            starts_on=today,
            expires_on=dt.date.fromisoformat(form["expires_on"]),
        )
        reassess_ids(db, policy, [record_id], today)
