"""One resident's card: what GET /api/v1/residents/{record_id} answers and the card page shows.

Both read it here, so the API and the page can never tell a resident's tier, reasons or next
follow-up apart. Every opening is audited (DESIGN: an audit log of every read of a resident card).
"""

from __future__ import annotations

import datetime as dt

import msgspec
from sqlite_utils import Database

from followup.hearts import CareState, care_state
from followup.tasks import Task
from service.auth import Principal
from service.errors import NotAllowed, ResidentNotFound, require_region
from service.overrides import OVERRIDE_ROLES
from service.privacy import mask_national_id, mask_phone, sees_national_id, sees_phone
from service.reasons import StoredReason, stored_reasons
from service.store.assessments import current_assessment
from service.store.audit import record_action, record_read
from service.store.histories import load_histories
from service.store.residents import recent_visits
from service.store.tasks import resident_tasks
from stratify.facts import age_on
from stratify.model import WHO_FALLBACK_VERSION
from stratify.policy import Policy
from stratify.records import Level
from stratify.rules import bp_target
from stratify.tiers import Status, Tier
from stratify.treatment import Treatment, resident_treatment
from stratify.who_risk import WhoRisk, resident_who_risk

CARD_VISITS = 12  # the visits a card lists and charts, newest first
CHILDBEARING_AGES = (15, 49)  # WHO: women of reproductive age; the visit form asks about pregnancy


class CardVisit(msgspec.Struct, frozen=True):
    date: dt.date
    mode: str
    level: str
    sbp: int | None
    dbp: int | None
    fasting_glucose: float | None
    hba1c: float | None
    adherence: str | None


class Card(msgspec.Struct, frozen=True, kw_only=True):
    record_id: str
    name: str
    sex: str
    age: int
    village_code: str
    national_id: str  # masked unless the reader is the resident's own doctor
    phone: str  # likewise
    can_call: bool
    managed: bool
    status: Status
    tier: Tier | None
    as_of: dt.date | None
    risk: float | None
    model_version: str | None
    who_risk: WhoRisk | None  # WHO 2019 10-year CVD risk and chart band, ages 40-74 (docs/who_risk.md)
    treatment: Treatment  # medicines, their history and the protocol steps (docs/policy.md "Medicines")
    owner_level: Level | None
    reasons: list[StoredReason]
    tasks: list[Task]  # open tasks, the most pressing first
    care_state: CareState  # WHO HEARTS
    visits: list[CardVisit]  # newest first
    bp_target: tuple[int, int]  # this resident's target, by age (policy)
    fpg_target: float
    may_override: bool
    may_be_pregnant: bool

    @property
    def risk_from_who(self) -> bool:
        """The risk is the WHO 2019 chart's over 12 months: the county has no model of its own active."""
        return self.model_version == WHO_FALLBACK_VERSION

    @property
    def next_followup(self) -> Task | None:
        return self.tasks[0] if self.tasks else None


def open_card(db: Database, user: Principal, record_id: str, policy: Policy, today: dt.date) -> Card:
    """The card as `user` may see it, audited as a read; raises ResidentNotFound or OutsideRegion."""
    card = read_card(db, user, record_id, policy, today)
    record_read(db, actor=user.name, record_id=record_id)
    return card


def read_card(db: Database, user: Principal, record_id: str, policy: Policy, today: dt.date) -> Card:
    """The card as `user` may see it (the card again after their own change: not audited as a read)."""
    found = current_assessment(db, record_id)
    if found is None:
        raise ResidentNotFound(f"no resident {record_id!r}")
    require_region(user.region, found["village_code"], f"resident {record_id!r}")
    visits = [CardVisit(dt.date.fromisoformat(day), *rest) for day, *rest in recent_visits(db, record_id, CARD_VISITS)]
    birth = dt.date.fromisoformat(found["birth_date"])
    age = age_on(birth, today)
    status = Status(found["status"])
    own = sees_national_id(user.name, found["family_doctor"])
    as_of = dt.date.fromisoformat(found["as_of"]) if found["as_of"] else None
    resident = load_histories(db, [record_id])[0].resident
    full_phone = sees_phone(user, found["village_code"])
    return Card(
        record_id=record_id,
        name=found["name"],
        sex=found["sex"],
        age=age,
        village_code=found["village_code"],
        national_id=(found["national_id"] or "") if own else mask_national_id(found["national_id"]),
        phone=(found["phone"] or "") if full_phone else mask_phone(found["phone"]),
        can_call=full_phone and bool(found["phone"]),
        managed=bool(found["managed"]),
        status=status,
        tier=Tier(found["tier"]) if found["tier"] else None,
        as_of=as_of,
        risk=found["risk"],
        model_version=found["model_version"],
        who_risk=resident_who_risk(resident, as_of or today, policy),
        treatment=resident_treatment(resident, today, policy),
        owner_level=Level(found["owner_level"]) if found["owner_level"] else None,
        reasons=stored_reasons(found["reasons"]),
        tasks=resident_tasks(db, record_id),
        care_state=care_state(visits[0].date if visits else None, status, today, policy),
        visits=visits,
        bp_target=bp_target(policy, birth, today),
        fpg_target=policy.fpg_target,
        may_override=user.role in OVERRIDE_ROLES,
        may_be_pregnant=found["sex"] == "F" and CHILDBEARING_AGES[0] <= age <= CHILDBEARING_AGES[1],
    )


def dial(db: Database, user: Principal, record_id: str) -> str:
    """The resident's phone number behind a call link, audited as a read (CONTRACT §10: the doctors of
    the resident's region only); ResidentNotFound, OutsideRegion or NotAllowed otherwise."""
    found = current_assessment(db, record_id)
    if found is None:
        raise ResidentNotFound(f"no resident {record_id!r}")
    require_region(user.region, found["village_code"], f"resident {record_id!r}")
    if not sees_phone(user, found["village_code"]) or not found["phone"]:
        raise NotAllowed(f"no number to call for resident {record_id!r}")
    record_action(db, actor=user.name, action="call", record_id=record_id)
    return found["phone"].replace(" ", "")
