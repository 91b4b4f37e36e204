"""What the rules read about one resident on one day: only data dated on or before that day."""

from __future__ import annotations

import bisect
import datetime as dt

from stratify.medicines import Regimen, derived_changes, in_force, regimen_of
from stratify.records import DIABETES_CODES, HYPERTENSION_CODES, Event, EventType, Resident, Visit

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
    return 0 <= (as_of - day).days < days


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def sorted_visits(resident: Resident) -> list[Visit]:
    return sorted(resident.visits, key=lambda v: (v.date, v.visit_id))


def sorted_events(resident: Resident) -> list[Event]:
    return sorted(resident.events, key=lambda e: (e.date, e.event_id))


READINGS = (
    "fasting_glucose",
    "hba1c",
    "heart_rate",
    "temperature_c",
    "hypoglycemia",
    "symptoms",
    "pregnant",
    "adherence",
)  # visit fields a rule reads from "the latest visit that carries it"; "bp" means sbp and dbp


class Chart:
    """One resident's history up to as_of, sorted once, with the visits that carry each reading.

    Every `Facts` of that resident (on as_of and on earlier visit days) shares it.
    """

    __slots__ = ("carriers", "events", "medication_changes", "regimens", "resident", "visits")

    def __init__(self, resident: Resident, as_of: dt.date) -> None:
        self.resident = resident
        self.visits = [v for v in sorted_visits(resident) if v.date <= as_of]
        self.events = sorted_events(resident)
        self.regimens: list[Regimen | None] = [regimen_of(v.medications) for v in self.visits]
        self.medication_changes = derived_changes(self.visits)  # aligned with visits
        self.carriers: dict[str, list[int]] = {"bp": [i for i, v in enumerate(self.visits) if v.sbp is not None]}
        for reading in READINGS:
            self.carriers[reading] = [i for i, v in enumerate(self.visits) if getattr(v, reading) is not None]

    def on(self, day: dt.date, visits: int | None = None) -> Facts:
        """Facts on `day` from the first `visits` visits (default: all up to as_of)."""
        return Facts(self, len(self.visits) if visits is None else visits, day)


class Facts:
    """One resident on one day: conditions then known, visits up to that day, the latest of each reading."""

    __slots__ = (
        "_chart",
        "age",
        "birth_date",
        "day",
        "diabetes",
        "established",
        "events",
        "first_diagnosis",
        "hypertension",
        "visits",
    )

    def __init__(self, chart: Chart, visits: int, day: dt.date) -> None:
        """The first `visits` of the chart's visits, all dated on or before `day`."""
        resident = chart.resident
        self._chart = chart
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
        self.events = [e for e in chart.events if e.date <= day]
        self.visits = chart.visits[:visits]

    @property
    def managed(self) -> bool:
        return self.hypertension or self.diabetes

    def last(self, reading: str) -> Visit | None:
        """The latest visit that carries this reading (`bp`, or a name in READINGS)."""
        carriers = self._chart.carriers[reading]
        at = bisect.bisect_left(carriers, len(self.visits)) - 1
        return self._chart.visits[carriers[at]] if at >= 0 else None

    @property
    def regimens(self) -> list[Regimen | None]:
        """Each visit's list of medicines as compared (None where the visit recorded none)."""
        return self._chart.regimens[: len(self.visits)]

    @property
    def medication_changes(self) -> list[bool]:
        """Each visit: medication changed, said or derived from the lists (`derived_changes`)."""
        return self._chart.medication_changes[: len(self.visits)]

    def medicines(self) -> Regimen | None:
        """The medicines taken at the latest visit (the latest list recorded); None when none was."""
        return in_force(self._chart.regimens, len(self.visits) - 1) if self.visits else None
