"""The village health record format (CONTRACT §3): one resident's history as msgspec Structs.

Single-field rules (types, ranges, patterns, vocabularies, unknown fields) are declared here and
enforced by msgspec while decoding; rules that relate fields or need today's date live in
`service/validation.py`.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

import msgspec
from msgspec import Meta

ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
USERNAME_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
ICD10_PATTERN = r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$"

RecordId = Annotated[str, Meta(pattern=ID_PATTERN, min_length=1, max_length=64)]
Username = Annotated[str, Meta(pattern=USERNAME_PATTERN)]
VillageCode = Annotated[str, Meta(pattern=r"^[0-9]{12}$")]
NationalId = Annotated[str, Meta(pattern=r"^[0-9]{17}[0-9X]$")]
Phone = Annotated[str, Meta(pattern=r"^[0-9 +-]{7,20}$")]
Icd10 = Annotated[str, Meta(pattern=ICD10_PATTERN)]


def _range(kind: type, low: float, high: float) -> object:
    return Annotated[kind, Meta(ge=low, le=high)] | None


# Plausibility ranges of CONTRACT §3 (units in the field docs, not the names).
Sbp = _range(int, 60, 300)  # mmHg
Dbp = _range(int, 30, 200)  # mmHg
HeartRate = _range(int, 20, 250)  # beats/min
Temperature = _range(float, 30, 45)  # °C
Weight = _range(float, 2, 300)  # kg
Height = _range(float, 40, 250)  # cm
Waist = _range(float, 30, 250)  # cm
Glucose = _range(float, 1.0, 40.0)  # mmol/L, fasting
Cholesterol = _range(float, 1.0, 20.0)  # mmol/L
HbA1c = _range(float, 3.0, 20.0)  # %
# A medicine's international nonproprietary name as the county formulary keys it (lowercase, e.g.
# "amlodipine", "insulin glargine"); whether the formulary lists it is checked in service/validation.py.
DrugName = Annotated[str, Meta(pattern=r"^[a-z][a-z -]{0,62}[a-z]$")]
DailyDose = Annotated[float, Meta(gt=0)]  # mg a day (insulin: units a day, docs/policy.md)


class Sex(StrEnum):
    MALE = "M"
    FEMALE = "F"


class VisitMode(StrEnum):
    CLINIC = "clinic"
    HOME = "home"
    PHONE = "phone"


class Level(StrEnum):
    """Where care happens; also the owner level of a tier (CONTRACT §5)."""

    VILLAGE = "village"
    TOWNSHIP = "township"
    COUNTY = "county"


class Adherence(StrEnum):
    REGULAR = "regular"
    INTERMITTENT = "intermittent"
    NONE = "none"


class Hypoglycemia(StrEnum):
    NONE = "none"
    MILD = "mild"
    SEVERE = "severe"


class Referral(StrEnum):
    ROUTINE = "routine"
    URGENT = "urgent"


class Symptom(StrEnum):
    """Danger signs asked at every BPHS follow-up visit."""

    SEVERE_HEADACHE = "severe_headache"
    DIZZINESS = "dizziness"
    ALTERED_CONSCIOUSNESS = "altered_consciousness"
    NAUSEA_VOMITING = "nausea_vomiting"
    BLURRED_VISION = "blurred_vision"
    EYE_PAIN = "eye_pain"
    PALPITATIONS = "palpitations"
    CHEST_PAIN = "chest_pain"
    CHEST_TIGHTNESS = "chest_tightness"
    ORTHOPNEA = "orthopnea"
    DYSPNEA = "dyspnea"
    LIMB_WEAKNESS = "limb_weakness"
    SPEECH_DIFFICULTY = "speech_difficulty"
    ACETONE_BREATH = "acetone_breath"
    KUSSMAUL_BREATHING = "kussmaul_breathing"
    ABDOMINAL_PAIN = "abdominal_pain"
    POLYURIA_POLYDIPSIA = "polyuria_polydipsia"
    PROFUSE_SWEATING = "profuse_sweating"
    SUDDEN_VISION_LOSS = "sudden_vision_loss"


class Complication(StrEnum):
    STROKE_TIA = "stroke_tia"
    CORONARY = "coronary"
    HEART_FAILURE = "heart_failure"
    ATRIAL_FIBRILLATION = "atrial_fibrillation"
    KIDNEY = "kidney"
    RETINOPATHY = "retinopathy"
    DIABETIC_FOOT = "diabetic_foot"
    PERIPHERAL_ARTERIAL = "peripheral_arterial"


class EventType(StrEnum):
    STROKE = "stroke"
    MI = "mi"
    HF_ADMISSION = "hf_admission"
    HYPERTENSIVE_EMERGENCY = "hypertensive_emergency"
    DKA_HHS = "dka_hhs"
    SEVERE_HYPOGLYCEMIA = "severe_hypoglycemia"
    OTHER_ADMISSION = "other_admission"
    DEATH = "death"


class Condition(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    code: Icd10
    diagnosed_on: dt.date | None = None


class Medication(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One medicine a resident takes (CONTRACT §3): its INN and its total daily dose."""

    drug: DrugName
    daily_dose_mg: DailyDose


class Visit(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    visit_id: RecordId
    date: dt.date
    mode: VisitMode
    level: Level
    sbp: Sbp = None
    dbp: Dbp = None
    heart_rate: HeartRate = None
    temperature_c: Temperature = None
    weight_kg: Weight = None
    height_cm: Height = None
    waist_cm: Waist = None
    fasting_glucose: Glucose = None
    hba1c: HbA1c = None
    total_cholesterol: Cholesterol = None
    smoker: bool | None = None
    adherence: Adherence | None = None
    medication_changed: bool | None = None
    adverse_reaction: bool | None = None
    hypoglycemia: Hypoglycemia | None = None
    pregnant: bool | None = None
    symptoms: list[Symptom] | None = None
    complications: list[Complication] | None = None
    referral: Referral | None = None
    medications: list[Medication] | None = None  # [] takes none; None not recorded (CONTRACT §3)


class Event(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    event_id: RecordId
    date: dt.date
    type: EventType


class Resident(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    record_id: RecordId
    name: Annotated[str, Meta(min_length=1, max_length=50)]
    sex: Sex
    birth_date: dt.date
    village_code: VillageCode
    national_id: NationalId | None = None
    phone: Phone | None = None
    family_doctor: Username | None = None
    conditions: list[Condition] = []
    visits: list[Visit] = []
    events: list[Event] = []


class Batch(msgspec.Struct, forbid_unknown_fields=True):
    """A record document as it arrives: residents stay raw so each is validated on its own."""

    source: Annotated[str, Meta(min_length=1, max_length=100)]
    residents: list[msgspec.Raw]


HYPERTENSION_CODES = ("I10", "I11", "I12", "I13", "I14", "I15")  # CONTRACT §3
DIABETES_CODES = ("E10", "E11", "E12", "E13", "E14")  # CONTRACT §3


def is_managed(codes: list[str] | tuple[str, ...]) -> bool:
    """A resident is tiered when any condition is hypertension or diabetes (by ICD-10 category)."""
    return any(code[:3] in HYPERTENSION_CODES or code[:3] in DIABETES_CODES for code in codes)
