"""WHO HEARTS care states and control of a managed resident (as used by Simple and DHIS2), defined once."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import NamedTuple

from stratify.policy import Policy
from stratify.records import DIABETES_CODES, HYPERTENSION_CODES, Resident, Visit
from stratify.tiers import Status


class CareState(StrEnum):
    UNDER_CARE = "under_care"  # a visit in the last 90 days
    MISSED_VISIT = "missed_visit"  # no visit in 90 days, but one in the last 12 months
    LOST_TO_FOLLOW_UP = "lost_to_follow_up"  # no visit in 12 months (or never)
    DEAD = "dead"
    MOVED = "moved"


def care_state(last_visit: dt.date | None, status: Status, as_of: dt.date, policy: Policy) -> CareState:
    if status is Status.DIED:
        return CareState.DEAD
    if status is Status.MOVED_AWAY:
        return CareState.MOVED
    if last_visit is None or (as_of - last_visit).days >= policy.ltfu_days:
        return CareState.LOST_TO_FOLLOW_UP
    if (as_of - last_visit).days >= policy.missed_visit_days:
        return CareState.MISSED_VISIT
    return CareState.UNDER_CARE


REGISTERED_DAYS = 90  # WHO HEARTS: control is measured among patients registered for 3+ months
RECENT_VISIT_DAYS = 90  # WHO HEARTS: ... with a controlled reading at a visit in the last 3 months


class Control(NamedTuple):
    """One resident's place in a HEARTS control rate: in the denominator, and in the numerator."""

    registered: bool
    controlled: bool


def _registered(resident: Resident, codes: tuple[str, ...], as_of: dt.date) -> bool:
    by = as_of - dt.timedelta(days=REGISTERED_DAYS)
    return any(c.code[:3] in codes and (c.diagnosed_on is None or c.diagnosed_on <= by) for c in resident.conditions)


def _latest_recent(visits: list[Visit], field: str, as_of: dt.date) -> Visit | None:
    """The latest visit (visits sorted, none after as_of) in the last 3 months that measured `field`."""
    since = as_of - dt.timedelta(days=RECENT_VISIT_DAYS)
    for visit in reversed(visits):
        if visit.date <= since:
            return None
        if getattr(visit, field) is not None:
            return visit
    return None


def bp_control(resident: Resident, visits: list[Visit], status: Status, as_of: dt.date, policy: Policy) -> Control:
    """HEARTS hypertension control: registered 3+ months, latest BP of the last 3 months < 140/90."""
    registered = status is Status.ACTIVE and _registered(resident, HYPERTENSION_CODES, as_of)
    visit = _latest_recent(visits, "sbp", as_of) if registered else None
    sbp, dbp = policy.bp_target
    return Control(registered, visit is not None and visit.sbp < sbp and visit.dbp < dbp)


def glucose_control(resident: Resident, visits: list[Visit], status: Status, as_of: dt.date, policy: Policy) -> Control:
    """HEARTS diabetes control: registered 3+ months, latest fasting glucose of the last 3 months < 7.0."""
    registered = status is Status.ACTIVE and _registered(resident, DIABETES_CODES, as_of)
    visit = _latest_recent(visits, "fasting_glucose", as_of) if registered else None
    return Control(registered, visit is not None and visit.fasting_glucose < policy.fpg_target)
