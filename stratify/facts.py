"""What the rules read about one resident on one day: only data dated on or before that day."""

from __future__ import annotations

import datetime as dt

from stratify.records import DIABETES_CODES, HYPERTENSION_CODES, EventType, Resident, Visit

# CONTRACT §3: established cardiovascular or kidney disease.
ESTABLISHED_CODES = frozenset([f"I{n}" for n in range(20, 26)] + ["I50"] + [f"I{n}" for n in range(60, 70)] + ["N18"])
SERIOUS_EVENTS = frozenset(
    {
        EventType.STROKE,
        EventType.MI,
        EventType.HF_ADMISSION,
        EventType.HYPERTENSIVE_EMERGENCY,
        EventType.DKA_HHS,
        EventType.SEVERE_HYPOGLYCEMIA,
        EventType.DEATH,
    }
)  # CONTRACT §4.3: the model's label


def in_last(day: dt.date, as_of: dt.date, days: int) -> bool:
    """`day` falls in the `days` days ending on `as_of`, inclusive (CONTRACT §5)."""
    return as_of - dt.timedelta(days=days - 1) <= day <= as_of


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def sorted_visits(resident: Resident) -> list[Visit]:
    return sorted(resident.visits, key=lambda v: (v.date, v.visit_id))


class Facts:
    """One resident as of `day`: conditions then known, visits up to that day, the latest of each reading."""

    __slots__ = (
        "age",
        "birth_date",
        "day",
        "diabetes",
        "established",
        "events",
        "first_diagnosis",
        "hypertension",
        "latest",
        "visits",
    )

    def __init__(self, resident: Resident, visits: list[Visit], day: dt.date) -> None:
        """`visits` are the resident's visits dated on or before `day`, oldest first."""
        self.day = day
        self.birth_date = resident.birth_date
        self.age = age_on(resident.birth_date, day)
        known = [c for c in resident.conditions if c.diagnosed_on is None or c.diagnosed_on <= day]
        categories = {c.code[:3] for c in known}
        self.hypertension = not categories.isdisjoint(HYPERTENSION_CODES)
        self.diabetes = not categories.isdisjoint(DIABETES_CODES)
        self.established = sorted(c.code for c in known if c.code[:3] in ESTABLISHED_CODES)
        managed_dates = [
            c.diagnosed_on
            for c in known
            if c.diagnosed_on is not None and (c.code[:3] in HYPERTENSION_CODES or c.code[:3] in DIABETES_CODES)
        ]
        self.first_diagnosis = min(managed_dates, default=None)
        self.events = sorted((e for e in resident.events if e.date <= day), key=lambda e: (e.date, e.event_id))
        self.visits = visits
        self.latest = _latest_readings(visits)

    @property
    def managed(self) -> bool:
        return self.hypertension or self.diabetes

    def last(self, reading: str) -> Visit | None:
        """The latest visit that carries this reading (`bp` for SBP+DBP, or a Visit field name)."""
        return self.latest.get(reading)


READINGS = (
    "bp",
    "fasting_glucose",
    "hba1c",
    "heart_rate",
    "temperature_c",
    "hypoglycemia",
    "symptoms",
    "pregnant",
    "adherence",
)


def _latest_readings(visits: list[Visit]) -> dict[str, Visit]:
    found: dict[str, Visit] = {}
    for visit in reversed(visits):
        for reading in READINGS:
            if reading not in found and (visit.sbp if reading == "bp" else getattr(visit, reading)) is not None:
                found[reading] = visit
        if len(found) == len(READINGS):
            break
    return found
