"""Model features from one resident's history up to an index date, and training examples.

Only data dated on or before the index date reaches the features; the label looks strictly after it.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterable

import msgspec
import numpy as np

from stratify.facts import ESTABLISHED_CODES, SERIOUS_EVENTS, age_on, sorted_visits
from stratify.policy import Policy
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
from stratify.who_risk import CHOLESTEROL_YEARS, twelve_month_risk, who_cvd_risk

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
    "who_risk_12m",
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
    "WHO cardiovascular risk": ("who_risk_12m",),
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


def who_feature(row: list[float], visits: list[Visit], day: dt.date, sex: Sex, policy: Policy) -> float:
    """The WHO 2019 CVD risk (docs/who_risk.md) as a 12-month risk, from the row's own age, SBP,
    smoking, diabetes and BMI and a total cholesterol of the last 5 years: what `resident_who_risk`
    gives on `day`. NaN when the charts give none (ages outside 40-74, no SBP or smoking status,
    neither cholesterol nor BMI): the logistic model's imputer adds a missing indicator for it, the
    gradient boosting model splits on NaN itself."""
    f = dict(zip(FEATURES[:-1], row, strict=True))
    if math.isnan(f["sbp_last"]) or math.isnan(f["smoker"]):
        return NAN
    since = day - dt.timedelta(days=round(365.25 * CHOLESTEROL_YEARS))
    cholesterol = _last([v for v in visits if v.date >= since], "total_cholesterol")
    risk = who_cvd_risk(
        age=f["age"],
        sex=sex,
        smoker=bool(f["smoker"]),
        sbp=f["sbp_last"],
        diabetes=bool(f["diabetes"]),
        total_cholesterol=None if math.isnan(cholesterol) else cholesterol,
        bmi=None if math.isnan(f["bmi"]) else f["bmi"],
        policy=policy,
    )
    return NAN if risk is None else twelve_month_risk(risk.ten_year)


def features(resident: Resident, day: dt.date, policy: Policy, visits: list[Visit] | None = None) -> list[float]:
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
    row = [
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
    return [*row, who_feature(row, visits, day, resident.sex, policy)]


def feature_matrix(residents: list[Resident], day: dt.date, policy: Policy) -> np.ndarray:
    """FEATURES of each resident as of `day`, one row each."""
    rows = [features(r, day, policy) for r in residents]
    return np.array(rows, dtype=float).reshape(len(rows), len(FEATURES))


def label(resident: Resident, day: dt.date, horizon_days: int) -> int:
    """1 when a serious event falls in (day, day + horizon]."""
    end = day + dt.timedelta(days=horizon_days)
    return int(any(day < e.date <= end and e.type in SERIOUS_EVENTS for e in resident.events))


def managed_span(resident: Resident) -> tuple[dt.date, dt.date | None] | None:
    """(first day managed: a managed diagnosis or a visit, the day before death or None); None when
    the record has neither a dated managed diagnosis nor a visit."""
    starts = [c.diagnosed_on for c in resident.conditions if c.diagnosed_on and is_managed([c.code])]
    starts += [v.date for v in resident.visits]
    if not starts:
        return None
    death = min((e.date for e in resident.events if e.type == EventType.DEATH), default=None)
    return min(starts), None if death is None else death - dt.timedelta(days=1)


def index_dates(resident: Resident, as_of: dt.date, horizon_days: int, rng: random.Random) -> list[dt.date]:
    """A few days, at random, while managed and alive, whose whole horizon lies before as_of.

    Random days rather than visit days: the nightly job scores residents on any day, often weeks
    after their last visit, so the model must learn from such days too.
    """
    span_of = managed_span(resident)
    if span_of is None:
        return []
    first, alive_until = span_of
    last = as_of - dt.timedelta(days=horizon_days)
    if alive_until is not None:
        last = min(last, alive_until)
    span = (last - first).days
    if span < 0:
        return []
    count = min(EXAMPLES_PER_RESIDENT, span // INDEX_SPACING_DAYS + 1)
    return sorted({first + dt.timedelta(days=rng.randint(0, span)) for _ in range(count)})


class Examples(msgspec.Struct, frozen=True):
    """Training examples: features, labels, the resident (index) each row is of, its index day (ordinal)."""

    x: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    days: np.ndarray

    def rows(self, keep: np.ndarray) -> Examples:
        return Examples(self.x[keep], self.y[keep], self.groups[keep], self.days[keep])


def _examples(rows: list[list[float]], labels: list[int], groups: list[int], days: list[dt.date]) -> Examples:
    return Examples(
        np.array(rows, dtype=float).reshape(len(rows), len(FEATURES)),
        np.array(labels, dtype=int),
        np.array(groups, dtype=int),
        np.array([d.toordinal() for d in days], dtype=int),
    )


def training_examples(
    residents: Iterable[Resident], as_of: dt.date, horizon_days: int, policy: Policy, seed: int = 0
) -> Examples:
    """Examples from managed residents at random index days; groups are resident indexes for grouped validation."""
    rng = random.Random(seed)
    rows, labels, groups, days = [], [], [], []
    for n, resident in enumerate(residents):
        visits = sorted_visits(resident)
        for day in index_dates(resident, as_of, horizon_days, rng):
            rows.append(features(resident, day, policy, visits))
            labels.append(label(resident, day, horizon_days))
            groups.append(n)
            days.append(day)
    return _examples(rows, labels, groups, days)


def window_examples(residents: Iterable[Resident], day: dt.date, horizon_days: int, policy: Policy) -> Examples:
    """One example per resident managed and alive on `day`, labelled by the horizon after it: the
    county as it was scored that day, and what happened to it next (temporal validation, calibration)."""
    rows, labels, groups, days = [], [], [], []
    for n, resident in enumerate(residents):
        span_of = managed_span(resident)
        if span_of is None or span_of[0] > day or (span_of[1] is not None and span_of[1] < day):
            continue
        rows.append(features(resident, day, policy))
        labels.append(label(resident, day, horizon_days))
        groups.append(n)
        days.append(day)
    return _examples(rows, labels, groups, days)
