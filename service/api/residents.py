"""GET /api/v1/residents/{record_id}: the latest assessment of one resident (CONTRACT §4.4), read
through the same function as the card page."""

from __future__ import annotations

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlite_utils import Database

from service.api.errors import errors
from service.auth import LOGIN_ROLES, allow
from service.card import open_card
from stratify.records import Medication


class ReasonOut(msgspec.Struct):
    code: str
    source: str
    message: str
    tier: str


class FollowupOut(msgspec.Struct):
    task_id: int
    kind: str
    due: str
    assignee: str | None


class CvdRiskOut(msgspec.Struct):
    ten_year: float  # WHO 2019, East Asia recalibration (docs/who_risk.md)
    band: str  # <5, 5-10, 10-20, 20-30, >=30 (percent)
    model: str  # who2019_lab or who2019_nonlab


class ResidentOut(msgspec.Struct):
    record_id: str
    managed: bool
    status: str
    tier: str | None
    as_of: str | None
    risk: float | None
    model_version: str | None
    reasons: list[ReasonOut]
    owner_level: str | None
    next_followup: FollowupOut | None
    care_state: str  # WHO HEARTS: under_care, missed_visit, lost_to_follow_up, dead, moved
    cvd_risk: CvdRiskOut | None  # ages 40-74 with an SBP, a smoking status and a cholesterol or BMI
    medications: list[Medication] | None  # the latest visit's list that recorded one (CONTRACT §3, §4.4)


@get(
    "/api/v1/residents/{record_id:str}",
    guards=[allow(*LOGIN_ROLES)],
    sync_to_thread=True,
    tags=["residents"],
    responses=errors(400, 404),
)
def get_resident(request: Request, record_id: FromPath[str], db: NamedDependency[Database]) -> ResidentOut:
    """404 for an unknown id, 403 outside the caller's region; audited as a read of the card."""
    state = request.app.state
    card = open_card(db, request.user, record_id, state.policy, state.settings.today())
    task = card.next_followup
    return ResidentOut(
        record_id=card.record_id,
        managed=card.managed,
        status=card.status,
        tier=card.tier,
        as_of=card.as_of.isoformat() if card.as_of else None,
        risk=card.risk,
        model_version=card.model_version,
        reasons=[ReasonOut(r.code, r.source, r.english, r.tier) for r in card.reasons],
        owner_level=card.owner_level,
        next_followup=FollowupOut(task.task_id, task.kind, task.due.isoformat(), task.assignee) if task else None,
        care_state=card.care_state,
        cvd_risk=CvdRiskOut(round(who.ten_year, 4), who.band, who.model) if (who := card.who_risk) else None,
        medications=card.treatment.medicines,
    )
