"""Finding a patient who is not on today's list, and registering a new one from the phone (CONTRACT §10).

Search reads the residents of the caller's region only. Registration builds a record-format resident
from the form and validates it with the rules every import follows (CONTRACT §3), then stores it,
assesses it and audits it in one transaction.
"""

from __future__ import annotations

import datetime as dt

import msgspec
from sqlite_utils import Database

from service.auth import Principal, Role
from service.errors import NotAllowed
from service.privacy import mask_phone, sees_phone
from service.problems import problem
from service.reassess import reassess_ids
from service.store import writing
from service.store.areas import area_names
from service.store.audit import record_action
from service.store.residents import (
    national_id_owner,
    next_serial,
    region_villages,
    same_person,
    search_residents,
    upsert_residents,
)
from service.validation import (
    FieldError,
    Invalid,
    decode_resident,
    filled_from_national_id,
    from_national_id,
    national_id_shaped,
)
from stratify.facts import age_on
from stratify.policy import Policy
from stratify.records import DIABETES_CODES, HYPERTENSION_CODES
from stratify.tiers import Tier

SEARCH_LIMIT = 50  # rows a search shows: enough to pick from, few enough for a phone
MIN_QUERY_CHARS = 1  # a single Chinese character is a surname
SEARCH_ROLES = (Role.VILLAGE_DOCTOR, Role.TOWNSHIP_GP, Role.COUNTY_SPECIALIST, Role.CENTER, Role.ADMIN)
REGISTER_ROLES = (Role.VILLAGE_DOCTOR, Role.TOWNSHIP_GP, Role.COUNTY_SPECIALIST)
# The conditions the registration form offers, with the form field of their diagnosis date.
CONDITIONS = {HYPERTENSION_CODES[0]: "htn_since", DIABETES_CODES[1]: "dm_since"}  # I10, E11
RECORD_PREFIX = "S"  # record_ids made here: S-{village}-{n:04d}, apart from a county's own numbering


class Found(msgspec.Struct, frozen=True):
    record_id: str
    name: str
    sex: str
    age: int
    village: str  # the village's name, or its code when no name is loaded
    tier: Tier | None
    status: str  # active, died, moved_away
    phone: str  # in full for the doctors of the region, masked for everyone else


def search(db: Database, user: Principal, query: str, today: dt.date) -> list[Found]:
    """Residents of the caller's region whose name contains the query, whose record_id is (or starts
    with) it, or whose phone or national id ends with it (4 digits); an exact record_id comes first."""
    if user.role not in SEARCH_ROLES:
        raise NotAllowed(f"role {user.role} may not search residents")
    query = query.strip()
    if len(query) < MIN_QUERY_CHARS:
        return []
    rows = search_residents(db, user.region, query, SEARCH_LIMIT)
    names = area_names(db, sorted({row[4] for row in rows}))
    return [
        Found(
            record_id=record_id,
            name=name,
            sex=sex,
            age=age_on(dt.date.fromisoformat(born), today),
            village=names.get(village, village),
            tier=Tier(tier) if tier else None,
            status=status,
            phone=phone if phone and sees_phone(user, village) else mask_phone(phone),
        )
        for record_id, name, sex, born, village, phone, status, tier in rows
    ]


def villages(db: Database, user: Principal) -> list[tuple[str, str]]:
    """(code, name) of the villages a user may register a resident in."""
    codes = region_villages(db, user.region)
    names = area_names(db, codes)
    return [(code, names.get(code, code)) for code in codes]


def require_registrar(user: Principal) -> None:
    """NotAllowed unless the user is a doctor: the people who meet new patients."""
    if user.role not in REGISTER_ROLES:
        raise NotAllowed(f"role {user.role} may not register residents")


def _identity(form: dict[str, str]) -> tuple[dict, list[FieldError]]:
    """Sex and birth date from the form, taken from the national id where it is left empty; a national
    id that disagrees with what was entered is an error of the field entered."""
    fields = {k: form[k] for k in ("sex", "birth_date", "national_id") if form.get(k)}
    national_id = fields.get("national_id", "").upper()
    if not national_id_shaped(national_id):  # the decoder names the bad form
        if "birth_date" not in fields and not national_id:
            return fields, [FieldError("birth_date", problem("birth_or_id"))]
        return fields, []
    fields["national_id"] = national_id
    if from_national_id(national_id)[1] is None:  # no birth date in it: a form cannot do without one
        return fields, [FieldError("national_id", problem("check_digit"))]
    return fields, filled_from_national_id(fields)


def register(db: Database, policy: Policy, user: Principal, form: dict[str, str], today: dt.date) -> str:
    """Register a resident from the form's fields (name, sex, birth_date, national_id, village_code,
    phone, and per condition a tick and its diagnosis date); returns the new record_id.

    Raises NotAllowed, or Invalid with errors named by the form's fields; nothing is stored then.
    A village doctor becomes the new resident's family doctor."""
    require_registrar(user)
    fields, errors = _identity(form)
    codes = [code for code in CONDITIONS if form.get(code)]
    if not codes:
        errors.append(FieldError("conditions", problem("choose_condition")))
    village = form.get("village_code", "")
    if village and not village.startswith(user.region):
        errors.append(FieldError("village_code", problem("outside_region", region=user.region)))
    if errors:
        raise Invalid(errors)
    with writing(db):
        record_id = f"{RECORD_PREFIX}-{village}-{next_serial(db, f'{RECORD_PREFIX}-{village}-'):04d}"
        document = {
            "record_id": record_id,
            "name": form.get("name", "").strip(),
            "village_code": village,
            **fields,
            **({"phone": form["phone"].strip()} if form.get("phone", "").strip() else {}),
            **({"family_doctor": user.name} if user.role is Role.VILLAGE_DOCTOR else {}),
            "conditions": [
                {"code": code, **({"diagnosed_on": form[CONDITIONS[code]]} if form.get(CONDITIONS[code]) else {})}
                for code in codes
            ],
        }
        try:
            resident = decode_resident(msgspec.json.encode(document), today)
        except Invalid as e:
            raise Invalid([_form_field(error, codes) for error in e.errors]) from None
        if resident.national_id and (owner := national_id_owner(db, resident.national_id)):
            held_by, held_in = owner  # the card is named only to those who may open it
            mine = held_in.startswith(user.region)
            taken = problem("id_taken", record_id=held_by) if mine else problem("id_elsewhere")
            raise Invalid([FieldError("national_id", taken)])
        if twin := same_person(db, resident.name, resident.birth_date.isoformat(), village):
            raise Invalid([FieldError("name", problem("person_taken", record_id=twin))])  # a second tap, most often
        upsert_residents(db, [resident], source="registration", batch_id=None)
        reassess_ids(db, policy, [record_id], today)
        record_action(db, actor=user.name, action="register", record_id=record_id, detail=f"village {village}")
    return record_id


def _form_field(error: FieldError, codes: list[str]) -> FieldError:
    """A decoder error renamed to the form field it belongs beside (`conditions[1].diagnosed_on` -> dm_since)."""
    if error.field.startswith("conditions["):
        index = int(error.field[len("conditions[") : error.field.index("]")])
        return FieldError(CONDITIONS[codes[index]], error.message)
    return error
