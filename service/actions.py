"""What a doctor does to a resident, shared by the API and the pages: record a call outcome, a visit."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Annotated

import msgspec
from sqlite_utils import Database

from followup.assign import ROLE_LEVEL
from followup.tasks import ENDS_MANAGEMENT, CallOutcome, Task, TaskStatus
from service.auth import Principal
from service.ingest import Ingestor
from service.jobs import reassess_ids, reassessor
from service.store.assessments import add_override
from service.store.audit import record_action
from service.store.histories import load_histories
from service.store.tasks import get_task, record_outcome
from service.validation import FieldError, Invalid, decode_resident
from stratify.policy import Policy
from stratify.records import Level

MAX_NOTE_CHARS = 500


class OutcomeIn(msgspec.Struct, forbid_unknown_fields=True):
    outcome: CallOutcome
    note: Annotated[str, msgspec.Meta(max_length=MAX_NOTE_CHARS)] = ""
    remind_on: dt.date | None = None

    def __post_init__(self) -> None:
        if self.outcome is CallOutcome.REMIND_LATER and self.remind_on is None:
            raise ValueError("remind_later needs remind_on")
        if self.outcome is not CallOutcome.REMIND_LATER and self.remind_on is not None:
            raise ValueError("remind_on goes only with remind_later")


class OutsideRegion(Exception):
    pass


class TaskClosed(Exception):
    pass


class BadReminder(ValueError):
    pass


class ResidentNotFound(Exception):
    pass


def apply_outcome(db: Database, policy: Policy, task_id: int, data: OutcomeIn, user: Principal, today: dt.date) -> Task:
    """Record a call outcome; remind_later re-dates, visited closes, died/moved_away end management.

    Raises TaskNotFound, OutsideRegion, TaskClosed or BadReminder, and changes nothing then.
    """
    task = get_task(db, task_id)
    if not task.village_code.startswith(user.region):
        raise OutsideRegion(f"task {task_id} is outside your region")
    if task.status is not TaskStatus.OPEN:
        raise TaskClosed(f"task {task_id} is already {task.status}")
    if data.remind_on is not None and data.remind_on <= today:
        raise BadReminder(f"remind_on: {data.remind_on} is not after today ({today})")
    ends = data.outcome in ENDS_MANAGEMENT
    record_outcome(
        db,
        task,
        outcome=data.outcome,
        note=data.note,
        remind_on=data.remind_on,
        actor=user.name,
        today=today,
        close=TaskStatus.DONE if data.outcome is CallOutcome.VISITED else None,
        end_status=data.outcome.value if ends else None,
    )
    if ends:
        reassess_ids(db, policy, [task.record_id], today)
    return get_task(db, task_id)


def record_visit(db: Database, policy: Policy, record_id: str, visit: dict, user: Principal, today: dt.date) -> None:
    """Add a visit to a stored resident through the ingest path (same rules, re-assessed at once).

    Raises ResidentNotFound, OutsideRegion, or Invalid with errors keyed by the visit's own fields.
    """
    found = load_histories(db, [record_id])
    if not found:
        raise ResidentNotFound(record_id)
    resident = found[0].resident
    if not resident.village_code.startswith(user.region):
        raise OutsideRegion(f"resident {record_id} is outside your region")
    visit = {
        "visit_id": f"ui-{today:%Y%m%d}-{secrets.token_hex(4)}",
        "mode": "clinic",
        "level": ROLE_LEVEL.get(user.role, Level.COUNTY),  # center staff and admins record at county level
        **visit,
    }
    record = msgspec.to_builtins(resident)
    record["visits"] = [visit]  # stored visits stay as they are: visits merge by id
    raw = msgspec.json.encode(record)
    try:
        decode_resident(raw, today)
    except Invalid as e:
        prefix = "visits[0]."
        raise Invalid([FieldError(err.field.removeprefix(prefix), err.message) for err in e.errors]) from None
    ingestor = Ingestor(db, today=today, region=user.region, on_stored=reassessor(db, policy, today))
    ingestor.begin(origin="api", source=f"visit form: {user.name}", filename=None, actor=user.name)
    ingestor.feed(0, raw)
    ingestor.end()
    record_action(db, actor=user.name, action="visit", record_id=record_id, detail=visit["visit_id"])


MAX_OVERRIDE_DAYS = 365  # an override is a decision to revisit: at most a year
MAX_OVERRIDE_REASON_CHARS = 200
OVERRIDE_ROLES = ("center", "admin", "county_specialist")


def set_override(
    db: Database, policy: Policy, record_id: str, form: dict[str, str], user: Principal, today: dt.date
) -> None:
    """A center decision on a resident's tier until a date; never below the rule floor (stratify.assess).

    Raises Invalid with errors keyed by form field, ResidentNotFound or OutsideRegion.
    """
    found = load_histories(db, [record_id])
    if not found:
        raise ResidentNotFound(record_id)
    if user.role not in OVERRIDE_ROLES or not found[0].resident.village_code.startswith(user.region):
        raise OutsideRegion(f"you may not override the tier of {record_id}")
    errors = []
    tier = form.get("tier", "")
    if tier not in ("red", "yellow", "green"):
        errors.append(FieldError("tier", "choose red, yellow or green"))
    reason = form.get("reason", "").strip()
    if not reason or len(reason) > MAX_OVERRIDE_REASON_CHARS:
        errors.append(FieldError("reason", f"1-{MAX_OVERRIDE_REASON_CHARS} characters: why"))
    try:
        expires = dt.date.fromisoformat(form.get("expires_on", ""))
        if not today < expires <= today + dt.timedelta(days=MAX_OVERRIDE_DAYS):
            errors.append(FieldError("expires_on", f"a date after today, at most {MAX_OVERRIDE_DAYS} days ahead"))
    except ValueError:
        errors.append(FieldError("expires_on", "a date (YYYY-MM-DD)"))
    if errors:
        raise Invalid(errors)
    add_override(
        db, record_id=record_id, tier=tier, reason=reason, author=user.name, starts_on=today, expires_on=expires
    )
    reassess_ids(db, policy, [record_id], today)
