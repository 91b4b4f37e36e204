"""Model features from one resident's history up to an index date, and training examples.

Only data dated on or before the index date reaches the features; the label looks strictly after it.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterable

import numpy as np

from stratify.facts import ESTABLISHED_CODES, SERIOUS_EVENTS, age_on, sorted_visits
from stratify.records import (
    DIABETES_CODES,
    HYPERTENSION_CODES,
    Adherence,
    EventType,
    Resident,
    Sex,
    Visit,
    is_managed,
)

NAN = math.nan
DAYS_SINCE_VISIT_CAP = 730  # two years: beyond this the signal is "lost to follow-up" anyway
MISSED_GAP_DAYS = 104  # a gap longer than a quarter plus grace counts as a missed visit (policy default)
EXAMPLES_PER_RESIDENT = 4  # index dates sampled per resident, so long histories do not dominate
INDEX_SPACING_DAYS = 180  # about one index date per half year of managed history, up to the maximum

FEATURES = (
    "age",
    "male",
    "sbp_last",
    "dbp_last",
    "sbp_mean_1y",
    "sbp_trend_1y",
    "fpg_last",
    "fpg_trend_1y",
    "hba1c_last",
    "bmi",
    "waist_cm",
    "smoker",
    "poor_adherence",
    "visits_1y",
    "days_since_visit",
    "missed_visits_2y",
    "hypertension",
    "diabetes",
    "years_since_diagnosis",
    "prior_events",
    "established_cvd",
    "complications_2y",
)
# Features explained together, in the words a doctor reads.
GROUPS = {
    "age": ("age",),
    "sex": ("male",),
    "blood pressure": ("sbp_last", "dbp_last", "sbp_mean_1y", "sbp_trend_1y"),
    "glucose": ("fpg_last", "fpg_trend_1y", "hba1c_last"),
    "body size": ("bmi", "waist_cm"),
    "smoking": ("smoker",),
    "medication adherence": ("poor_adherence",),
    "missed follow-up": ("visits_1y", "days_since_visit", "missed_visits_2y"),
    "conditions": ("hypertension", "diabetes", "years_since_diagnosis"),
    "past events and complications": ("prior_events", "established_cvd", "complications_2y"),
}


def _last(visits: list[Visit], field: str) -> float:
    for visit in reversed(visits):
        value = getattr(visit, field)
        if value is not None:
            return float(value)
    return NAN


def _trend(values: list[float]) -> float:
    """Latest minus the mean of the earlier readings of the year (NaN with fewer than two)."""
    return values[-1] - sum(values[:-1]) / (len(values) - 1) if len(values) >= 2 else NAN


def features(resident: Resident, day: dt.date, visits: list[Visit] | None = None) -> list[float]:
    """FEATURES for `resident` as of `day`; `visits` may pass the resident's visits already sorted."""
    visits = [v for v in (visits if visits is not None else sorted_visits(resident)) if v.date <= day]
    year_ago = day - dt.timedelta(days=365)
    two_years_ago = day - dt.timedelta(days=730)
    recent = [v for v in visits if v.date > year_ago]
    sbp_1y = [float(v.sbp) for v in recent if v.sbp is not None]
    fpg_1y = [v.fasting_glucose for v in recent if v.fasting_glucose is not None]
    codes = {c.code[:3]: c.diagnosed_on for c in resident.conditions if c.diagnosed_on is None or c.diagnosed_on <= day}
    managed_dates = [d for code, d in codes.items() if d and (code in HYPERTENSION_CODES or code in DIABETES_CODES)]
    weight, height = _last(visits, "weight_kg"), _last(visits, "height_cm")
    adherence = next((v.adherence for v in reversed(visits) if v.adherence is not None), None)
    smoker = next((v.smoker for v in reversed(visits) if v.smoker is not None), None)
    dates = [v.date for v in visits if v.date > two_years_ago]
    return [
        float(age_on(resident.birth_date, day)),
        float(resident.sex == Sex.MALE),
        _last(visits, "sbp"),
        _last(visits, "dbp"),
        sum(sbp_1y) / len(sbp_1y) if sbp_1y else NAN,
        _trend(sbp_1y),
        _last(visits, "fasting_glucose"),
        _trend(fpg_1y),
        _last([v for v in visits if v.date > day - dt.timedelta(days=180)], "hba1c"),
        NAN if math.isnan(weight) or math.isnan(height) else weight / (height / 100) ** 2,
        _last(visits, "waist_cm"),
        NAN if smoker is None else float(smoker),
        NAN if adherence is None else float(adherence != Adherence.REGULAR),
        float(len(recent)),
        float(min((day - visits[-1].date).days, DAYS_SINCE_VISIT_CAP)) if visits else float(DAYS_SINCE_VISIT_CAP),
        float(sum((b - a).days > MISSED_GAP_DAYS for a, b in zip([two_years_ago, *dates], [*dates, day], strict=True))),
        float(any(c in HYPERTENSION_CODES for c in codes)),
        float(any(c in DIABETES_CODES for c in codes)),
        (day - min(managed_dates)).days / 365.25 if managed_dates else NAN,
        float(sum(e.type in SERIOUS_EVENTS for e in resident.events if e.date <= day)),
        float(any(c in ESTABLISHED_CODES for c in codes)),
        float(sum(bool(v.complications) for v in visits if v.date > two_years_ago)),
    ]


def feature_matrix(residents: list[Resident], day: dt.date) -> np.ndarray:
    """FEATURES of each resident as of `day`, one row each."""
    rows = [features(r, day) for r in residents]
    return np.array(rows, dtype=float).reshape(len(rows), len(FEATURES))


def label(resident: Resident, day: dt.date, horizon_days: int) -> int:
    """1 when a serious event falls in (day, day + horizon]."""
    end = day + dt.timedelta(days=horizon_days)
    return int(any(day < e.date <= end and e.type in SERIOUS_EVENTS for e in resident.events))


def index_dates(resident: Resident, as_of: dt.date, horizon_days: int, rng: random.Random) -> list[dt.date]:
    """A few days, at random, while managed and alive, whose whole horizon lies before as_of.

    Random days rather than visit days: the nightly job scores residents on any day, often weeks
    after their last visit, so the model must learn from such days too.
    """
    last = as_of - dt.timedelta(days=horizon_days)
    starts = [c.diagnosed_on for c in resident.conditions if c.diagnosed_on and is_managed([c.code])]
    starts += [v.date for v in resident.visits]
    if not starts:
        return []
    first = min(starts)
    death = min((e.date for e in resident.events if e.type == EventType.DEATH), default=None)
    if death is not None:
        last = min(last, death - dt.timedelta(days=1))
    span = (last - first).days
    if span < 0:
        return []
    count = min(EXAMPLES_PER_RESIDENT, span // INDEX_SPACING_DAYS + 1)
    return sorted({first + dt.timedelta(days=rng.randint(0, span)) for _ in range(count)})


def training_examples(
    residents: Iterable[Resident], as_of: dt.date, horizon_days: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X, y, groups) from managed residents; groups are resident indexes for grouped validation."""
    rng = random.Random(seed)
    rows, labels, groups = [], [], []
    for n, resident in enumerate(residents):
        visits = sorted_visits(resident)
        for day in index_dates(resident, as_of, horizon_days, rng):
            rows.append(features(resident, day, visits))
            labels.append(label(resident, day, horizon_days))
            groups.append(n)
    x = np.array(rows, dtype=float).reshape(len(rows), len(FEATURES))
    return x, np.array(labels, dtype=int), np.array(groups, dtype=int)
