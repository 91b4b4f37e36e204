"""Decode and validate one resident of the record format, with every error located by field path."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

import msgspec

from service.problems import problem
from stratify.medicines import Drug
from stratify.policy import Policy
from stratify.records import Resident, Sex, Visit

MAX_AGE_YEARS = 120  # CONTRACT §3: age 0-120
NATIONAL_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # GB 11643-1999
NATIONAL_ID_CHECK = "10X98765432"  # GB 11643-1999: check character by (weighted sum mod 11)
NATIONAL_ID_SEX_DIGIT = 16  # GB 11643-1999: the 17th character is odd for men, even for women
NATIONAL_ID_BIRTH = slice(6, 14)  # GB 11643-1999: YYYYMMDD

_MSGSPEC_ERROR = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_FIELD_NAMED = re.compile(r"^Object (?P<what>contains unknown|missing required) field `(?P<name>[^`]*)`$")
_FIELD_PROBLEMS = {"contains unknown": "unknown_field", "missing required": "required"}


class FieldError(msgspec.Struct, frozen=True, omit_defaults=True):
    field: str
    message: str
    row: int | None = None  # a spreadsheet's row (1-based, as it shows them) and column header (CONTRACT §8)
    column: str | None = None
    sheet: str | None = None  # the workbook's sheet the row is on


class Invalid(Exception):
    """A resident (or a whole document) failed validation; `errors` locate every problem."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


def located(error: msgspec.ValidationError, root: str = "(document)") -> FieldError:
    """Turn msgspec's "message - at `$.a[0].b`" into a field path and a message.

    Errors about a named field (unknown, missing) point at that field, not at its parent.
    """
    match = _MSGSPEC_ERROR.match(str(error))
    assert match is not None  # the pattern matches any string
    path, message = (match["path"] or "").lstrip("."), match["message"]
    named = _FIELD_NAMED.match(message)
    if named:
        path = f"{path}.{named['name']}" if path else named["name"]
        message = problem(_FIELD_PROBLEMS[named["what"]])
    return FieldError(path or root, message)


def national_id_valid(national_id: str) -> bool:
    """GB 11643 check digit of an 18-character resident identity number."""
    total = sum(int(d) * w for d, w in zip(national_id[:17], NATIONAL_ID_WEIGHTS, strict=True))
    return NATIONAL_ID_CHECK[total % 11] == national_id[17]


NATIONAL_ID_FORM = re.compile(r"[0-9]{17}[0-9X]")  # GB 11643-1999 (ASCII digits: "²".isdigit() is True)


def national_id_shaped(value: str) -> bool:
    """Whether a value has the national id's form (its check digit aside)."""
    return NATIONAL_ID_FORM.fullmatch(value) is not None


def from_national_id(national_id: str) -> tuple[Sex, dt.date | None]:
    """The sex and birth date an 18-character GB 11643 number encodes (None for a birth part that is
    no date): the 17th character is odd for men, even for women; characters 7-14 are YYYYMMDD."""
    sex = Sex.MALE if int(national_id[NATIONAL_ID_SEX_DIGIT]) % 2 else Sex.FEMALE
    birth = national_id[NATIONAL_ID_BIRTH]
    try:
        born = dt.date(int(birth[:4]), int(birth[4:6]), int(birth[6:8]))  # strptime: 6x the time
    except ValueError:
        born = None
    return sex, born


def filled_from_national_id(fields: dict) -> list[FieldError]:
    """Fill `sex` and `birth_date` from `fields["national_id"]` where they are missing (a registration
    form, a spreadsheet row); one that is given and disagrees is an error of that field. A national id
    not in its form is left to the decoder; one whose birth part is no date fills no birth date."""
    national_id = str(fields.get("national_id", ""))
    if not national_id_shaped(national_id):
        return []
    sex, born = from_national_id(national_id)
    errors = []
    if fields.setdefault("sex", sex.value) != sex.value:
        errors.append(FieldError("sex", problem("id_sex", sex=fields["sex"], id_sex=sex.value)))
    if born is not None and fields.setdefault("birth_date", born.isoformat()) != born.isoformat():
        errors.append(FieldError("birth_date", problem("id_birth", value=fields["birth_date"], id_birth=born)))
    return errors


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` earlier (28 Feb for 29 Feb in a common year)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _date_errors(field: str, value: dt.date | None, today: dt.date, born: dt.date) -> list[FieldError]:
    if value is None:
        return []
    if value > today:
        return [FieldError(field, problem("future_date", value=value, today=today))]
    if value < born:
        return [FieldError(field, problem("before_birth", value=value, born=born))]
    return []


def _duplicates(items: list, key: str, path: str) -> list[FieldError]:
    seen: dict[str, int] = {}
    errors = []
    for i, item in enumerate(items):
        value = getattr(item, key)
        if value in seen:
            other = f"{path}[{seen[value]}]"
            errors.append(FieldError(f"{path}[{i}].{key}", problem("duplicate", key=key, value=value, other=other)))
        seen.setdefault(value, i)
    return errors


def visit_errors(v: Visit, today: dt.date, born: dt.date, index: int | None = None) -> list[FieldError]:
    """Rules that relate a visit's fields to each other, to today and to the birth date; paths are
    `visits[index].field`, or the bare field without an index. (Runs for every visit of an import:
    the quick checks come first, paths are written only for an error.)"""
    bp_ok = (v.sbp is None and v.dbp is None) or (v.sbp is not None and v.dbp is not None and v.dbp < v.sbp)
    if born <= v.date <= today and bp_ok:
        return []
    at = "" if index is None else f"visits[{index}]."
    errors = _date_errors(f"{at}date", v.date, today, born)
    if (v.sbp is None) != (v.dbp is None):
        missing = "dbp" if v.dbp is None else "sbp"
        errors.append(FieldError(f"{at}{missing}", problem("bp_pair")))
    elif not bp_ok:
        errors.append(FieldError(f"{at}dbp", problem("dbp_not_below_sbp", dbp=v.dbp, sbp=v.sbp)))
    return errors


Formulary = Mapping[str, Drug]
DEFAULT_FORMULARY: Formulary = Policy().formulary  # callers without a county policy (tests, the fixtures' own checks)


def medication_errors(v: Visit, formulary: Formulary, index: int | None = None) -> list[FieldError]:
    """A visit's medicines: each drug in the county formulary, each drug once (CONTRACT §3)."""
    if not v.medications:
        return []
    at = f"visits[{index}].medications" if index is not None else "medications"
    errors = [
        FieldError(f"{at}[{i}].drug", problem("unknown_drug", drug=m.drug))
        for i, m in enumerate(v.medications)
        if m.drug not in formulary
    ]
    return errors + _duplicates(v.medications, "drug", at)


def check_resident(r: Resident, today: dt.date, formulary: Formulary = DEFAULT_FORMULARY) -> list[FieldError]:
    """Rules that relate fields to each other or to today's date (CONTRACT §3)."""
    errors: list[FieldError] = []
    if not r.name.strip():
        errors.append(FieldError("name", problem("blank")))
    if r.birth_date > today:
        errors.append(FieldError("birth_date", problem("future_date", value=r.birth_date, today=today)))
    elif r.birth_date < years_before(today, MAX_AGE_YEARS):
        errors.append(FieldError("birth_date", problem("too_old", years=MAX_AGE_YEARS)))
    if r.national_id is not None and not national_id_valid(r.national_id):
        errors.append(FieldError("national_id", problem("check_digit")))
    for i, c in enumerate(r.conditions):
        if c.diagnosed_on is not None and c.diagnosed_on > today:
            errors.append(
                FieldError(f"conditions[{i}].diagnosed_on", problem("future_date_short", value=c.diagnosed_on))
            )
    for i, v in enumerate(r.visits):
        errors += visit_errors(v, today, r.birth_date, i) + medication_errors(v, formulary, i)
    for i, e in enumerate(r.events):
        errors += _date_errors(f"events[{i}].date", e.date, today, r.birth_date)
    errors += _duplicates(r.conditions, "code", "conditions")
    errors += _duplicates(r.visits, "visit_id", "visits")
    errors += _duplicates(r.events, "event_id", "events")
    return errors


_resident_decoder = msgspec.json.Decoder(Resident)


def decode_resident(raw: bytes, today: dt.date, formulary: Formulary = DEFAULT_FORMULARY) -> Resident:
    """One resident from its JSON bytes, or `Invalid` with every located error found (medicines
    checked against the county's formulary)."""
    try:
        resident = _resident_decoder.decode(raw)
    except msgspec.ValidationError as e:
        raise Invalid([located(e, "(resident)")]) from None
    except msgspec.DecodeError as e:
        raise Invalid([FieldError("(resident)", problem("malformed_json", detail=e))]) from None
    errors = check_resident(resident, today, formulary)
    if errors:
        raise Invalid(errors)
    return resident


def decode_visit(fields: dict, resident: Resident, today: dt.date, formulary: Formulary = DEFAULT_FORMULARY) -> Visit:
    """One visit of a stored resident from its fields, or `Invalid` with errors named by the visit's
    own fields (`sbp`, not `visits[0].sbp`): the same rules as a visit in a record document."""
    try:
        visit = msgspec.convert(fields, Visit)
    except msgspec.ValidationError as e:
        raise Invalid([located(e, "(visit)")]) from None
    errors = visit_errors(visit, today, resident.birth_date) + medication_errors(visit, formulary)
    if any(v.visit_id == visit.visit_id for v in resident.visits):
        errors.append(FieldError("visit_id", problem("visit_exists", visit_id=visit.visit_id)))
    if errors:
        raise Invalid(errors)
    return visit


def record_id_of(raw: bytes) -> str | None:
    """Best-effort record_id of a rejected resident, for the rejection report."""
    try:
        value = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return None
    record_id = value.get("record_id") if isinstance(value, dict) else None
    return record_id if isinstance(record_id, str) else None
