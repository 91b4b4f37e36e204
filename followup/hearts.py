"""WHO HEARTS care states of a managed resident (as used by Simple and DHIS2), defined once."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from stratify.policy import Policy
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
    if last_visit is None or (as_of - last_visit).days >= policy.lost_to_follow_up_days:
        return CareState.LOST_TO_FOLLOW_UP
    if (as_of - last_visit).days >= policy.missed_visit_days:
        return CareState.MISSED_VISIT
    return CareState.UNDER_CARE
