"""GET /api/v1/residents/{record_id}: the latest assessment of one resident (CONTRACT §4.4)."""

from __future__ import annotations

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath
from sqlite_utils import Database

from followup.hearts import care_state
from service.api.errors import errors
from service.auth import LOGIN_ROLES, allow
from service.store.assessments import current_assessment
from service.store.tasks import last_visit_date, next_task
from stratify.tiers import Reason, Status


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


def reason_out(stored: dict) -> ReasonOut:
    """A stored reason with its English line, worded from its findings (rows stored before reasons
    kept findings, until the next nightly run rewrites them, carry the line itself)."""
    reason = msgspec.convert(stored, Reason)
    message = stored["message"] if "findings" not in stored else reason.message
    return ReasonOut(reason.code, reason.source, message, reason.tier)


@get(
    "/api/v1/residents/{record_id:str}",
    guards=[allow(*LOGIN_ROLES)],
    sync_to_thread=True,
    tags=["residents"],
    responses=errors(400, 404),
)
def get_resident(request: Request, record_id: FromPath[str], db: NamedDependency[Database]) -> ResidentOut:
    """404 for an unknown id, 403 outside the caller's region."""
    found = current_assessment(db, record_id)
    if found is None:
        raise NotFoundException(f"no resident {record_id!r}")
    if not found["village_code"].startswith(request.user.region):
        raise PermissionDeniedException(f"resident {record_id!r} is outside your region")
    task = next_task(db, record_id)
    state = request.app.state
    today = state.settings.today()
    return ResidentOut(
        record_id=found["record_id"],
        managed=bool(found["managed"]),
        status=found["status"],
        tier=found["tier"],
        as_of=found["as_of"],
        risk=found["risk"],
        model_version=found["model_version"],
        reasons=[reason_out(r) for r in found["reasons"]],
        owner_level=found["owner_level"],
        next_followup=FollowupOut(task.task_id, task.kind, task.due.isoformat(), task.assignee) if task else None,
        care_state=care_state(last_visit_date(db, record_id), Status(found["status"]), today, state.policy),
    )
