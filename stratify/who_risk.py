"""WHO 2019 CVD risk: a resident's 10-year risk of a first myocardial infarction or stroke.

WHO CVD Risk Chart Working Group, Lancet Glob Health 2019;7:e1332-45: two Cox models per sex and
endpoint (CHD and stroke) derived in the Emerging Risk Factors Collaboration, a laboratory model
(age, smoking, SBP, diabetes, total cholesterol) and a non-laboratory one (BMI instead of
cholesterol and diabetes), each with age interactions, recalibrated per endpoint to a region's
incidence, and combined as CVD = 1 - (1 - CHD)(1 - stroke). The log hazard ratios and 10-year
baseline survivals below are those of the authors' Stata program `whocvdrisk` (S Kaptoge,
repository skkceu/stata, file `whocvdrisk_erfc_score_v03.ado`; the recalibration formula is in
`whocvdrisk.ado`). The region's recalibration is county policy (`who_*` fields of `Policy`).
See docs/who_risk.md.
"""

from __future__ import annotations

import datetime as dt
import math
from enum import StrEnum
from typing import NamedTuple

import msgspec

from stratify.facts import Chart
from stratify.policy import Policy, Recalibration
from stratify.records import Resident, Sex, Visit

# The charts cover ages 40-74 (Lancet Glob Health 2019, the charts' age groups 40-44 ... 70-74):
# ages in [40, 75) have a risk; outside there is none, never an extrapolated one.
AGES = (40, 75)

# The chart bands (CONTRACT §4.4; the WHO 2019 charts' colours): a risk below each bound gets that
# band, from 30% up the top one.
CHART_BANDS = ((0.05, "<5"), (0.10, "5-10"), (0.20, "10-20"), (0.30, "20-30"))
CHOLESTEROL_YEARS = 5  # CONTRACT §4.4: the lab model takes a total cholesterol of the last 5 years
TOP_BAND = ">=30"

# Centring of every predictor (whocvdrisk_erfc_score_v03.ado: cenages, censbp, centchol, cenbmi).
AGE_CENTRE = 60.0  # years
SBP_CENTRE = 120.0  # mmHg
CHOLESTEROL_CENTRE = 6.0  # mmol/L
BMI_CENTRE = 25.0  # kg/m²


class WhoModel(StrEnum):
    LAB = "who2019_lab"  # total cholesterol measured (CONTRACT §4.4 names)
    NON_LAB = "who2019_nonlab"  # BMI instead of cholesterol


class Endpoint(StrEnum):
    CHD = "chd"  # fatal CHD or non-fatal myocardial infarction
    STROKE = "stroke"


class CoxPredictor(NamedTuple):
    """Log hazard ratios of one sex and endpoint; `factor` is cholesterol (lab) or BMI (non-lab)."""

    age: float
    factor: float
    sbp: float
    diabetes: float
    smoker: float
    age_factor: float
    age_sbp: float
    age_diabetes: float
    age_smoker: float
    baseline_survival: float  # S0(10 years) at the centre values

    def log_hazard(self, age: float, factor: float, sbp: float, diabetes: bool, smoker: bool) -> float:
        """ln(-ln(1 - uncalibrated 10-year risk)), where that risk is 1 - S0 ** exp(linear predictor):
        exactly the linear predictor + ln(-ln S0), so no input saturates it; `factor` comes centred."""
        a = age - AGE_CENTRE
        s = sbp - SBP_CENTRE
        d = float(diabetes)
        k = float(smoker)
        predictor = (
            self.age * a
            + self.factor * factor
            + self.sbp * s
            + self.diabetes * d
            + self.smoker * k
            + self.age_factor * a * factor
            + self.age_sbp * a * s
            + self.age_diabetes * a * d
            + self.age_smoker * a * k
        )
        return predictor + math.log(-math.log(self.baseline_survival))


# whocvdrisk_erfc_score_v03.ado, "total cholesterol model": lp_m1_chd and lp_m1_crbv
# (sex==1 men, sex==2 women), baseline survivals from erfc_chdr_m1 and erfc_strr_m1.
LAB: dict[tuple[Sex, Endpoint], CoxPredictor] = {
    (Sex.MALE, Endpoint.CHD): CoxPredictor(
        age=0.0719227,
        factor=0.2284944,
        sbp=0.0132183,
        diabetes=0.6410114,
        smoker=0.5638109,
        age_factor=-0.0045806,
        age_sbp=-0.0001576,
        age_diabetes=-0.0124966,
        age_smoker=-0.0182545,
        baseline_survival=0.9540108,
    ),
    (Sex.FEMALE, Endpoint.CHD): CoxPredictor(
        age=0.1020713,
        factor=0.2050377,
        sbp=0.015823,
        diabetes=1.070358,
        smoker=1.053223,
        age_factor=-0.0051932,
        age_sbp=-0.0001378,
        age_diabetes=-0.0234174,
        age_smoker=-0.0332666,
        baseline_survival=0.9894159,
    ),
    (Sex.MALE, Endpoint.STROKE): CoxPredictor(
        age=0.0986578,
        factor=0.029526,
        sbp=0.0222629,
        diabetes=0.6268712,
        smoker=0.4981217,
        age_factor=0.00142,
        age_sbp=-0.0004147,
        age_diabetes=-0.026302,
        age_smoker=-0.0150561,
        baseline_survival=0.9849257,
    ),
    (Sex.FEMALE, Endpoint.STROKE): CoxPredictor(
        age=0.1056632,
        factor=0.0257782,
        sbp=0.0206278,
        diabetes=0.8581998,
        smoker=0.7443627,
        age_factor=-0.0021387,
        age_sbp=-0.0004897,
        age_diabetes=-0.0209826,
        age_smoker=-0.0200822,
        baseline_survival=0.9890569,
    ),
}

# whocvdrisk_erfc_score_v03.ado, "Non-laboratory/BMI model": lp_m2_chd and lp_m2_crbv, baseline
# survivals from erfc_chdr_m2 and erfc_strr_m2. The model has no diabetes term (zeros here).
NON_LAB: dict[tuple[Sex, Endpoint], CoxPredictor] = {
    (Sex.MALE, Endpoint.CHD): CoxPredictor(
        age=0.073593,
        factor=0.0337219,
        sbp=0.0133937,
        diabetes=0.0,
        smoker=0.5954767,
        age_factor=-0.0010432,
        age_sbp=-0.0001837,
        age_diabetes=0.0,
        age_smoker=-0.0200831,
        baseline_survival=0.9544258,
    ),
    (Sex.FEMALE, Endpoint.CHD): CoxPredictor(
        age=0.1049418,
        factor=0.0257616,
        sbp=0.016726,
        diabetes=0.0,
        smoker=1.093132,
        age_factor=-0.0006537,
        age_sbp=-0.0001966,
        age_diabetes=0.0,
        age_smoker=-0.0343739,
        baseline_survival=0.9887124,
    ),
    (Sex.MALE, Endpoint.STROKE): CoxPredictor(
        age=0.097674,
        factor=0.0159518,
        sbp=0.0227294,
        diabetes=0.0,
        smoker=0.4999862,
        age_factor=-0.0003516,
        age_sbp=-0.0004374,
        age_diabetes=0.0,
        age_smoker=-0.0153895,
        baseline_survival=0.9848260,
    ),
    (Sex.FEMALE, Endpoint.STROKE): CoxPredictor(
        age=0.1046105,
        factor=0.0036406,
        sbp=0.0216741,
        diabetes=0.0,
        smoker=0.7399405,
        age_factor=-0.0000129,
        age_sbp=-0.0005311,
        age_diabetes=0.0,
        age_smoker=-0.0203997,
        baseline_survival=0.9885706,
    ),
}


class WhoRisk(msgspec.Struct, frozen=True):
    """The 10-year CVD risk (0-1), the model that gave it, and its chart band."""

    ten_year: float
    model: WhoModel
    band: str


def recalibrate(log_hazard: float, recalibration: Recalibration) -> float:
    """whocvdrisk.ado, per endpoint: 1 - exp(-exp(cons + slope * ln(-ln(1 - risk)))), given ln(-ln(1 - risk))."""
    cons, slope = recalibration
    return -math.expm1(-math.exp(cons + slope * log_hazard))


def recalibration_of(policy: Policy, model: WhoModel, sex: Sex, endpoint: Endpoint) -> Recalibration:
    """The county's (cons, slope) for one model, endpoint and sex."""
    return {
        (WhoModel.LAB, Endpoint.CHD, Sex.MALE): policy.who_lab_chd_men,
        (WhoModel.LAB, Endpoint.CHD, Sex.FEMALE): policy.who_lab_chd_women,
        (WhoModel.LAB, Endpoint.STROKE, Sex.MALE): policy.who_lab_stroke_men,
        (WhoModel.LAB, Endpoint.STROKE, Sex.FEMALE): policy.who_lab_stroke_women,
        (WhoModel.NON_LAB, Endpoint.CHD, Sex.MALE): policy.who_non_lab_chd_men,
        (WhoModel.NON_LAB, Endpoint.CHD, Sex.FEMALE): policy.who_non_lab_chd_women,
        (WhoModel.NON_LAB, Endpoint.STROKE, Sex.MALE): policy.who_non_lab_stroke_men,
        (WhoModel.NON_LAB, Endpoint.STROKE, Sex.FEMALE): policy.who_non_lab_stroke_women,
    }[model, endpoint, sex]


def who_cvd_risk(
    *,
    age: float,
    sex: Sex,
    smoker: bool,
    sbp: float,
    diabetes: bool,
    total_cholesterol: float | None,
    bmi: float | None,
    policy: Policy,
) -> WhoRisk | None:
    """Lab model when total cholesterol (mmol/L) is known, else the non-lab one with BMI (kg/m²);
    None out of ages 40-74 or with neither. Like the source, other inputs are neither clipped nor refused."""
    if not AGES[0] <= age < AGES[1]:
        return None
    if total_cholesterol is not None:
        model, table, factor = WhoModel.LAB, LAB, total_cholesterol - CHOLESTEROL_CENTRE
    elif bmi is not None:
        model, table, factor = WhoModel.NON_LAB, NON_LAB, bmi - BMI_CENTRE
    else:
        return None
    survival = 1.0
    for endpoint in Endpoint:
        log_hazard = table[sex, endpoint].log_hazard(age, factor, sbp, diabetes, smoker)
        survival *= 1 - recalibrate(log_hazard, recalibration_of(policy, model, sex, endpoint))
    ten_year = 1 - survival
    return WhoRisk(ten_year=ten_year, model=model, band=chart_band(ten_year))


def resident_who_risk(resident: Resident, as_of: dt.date, policy: Policy) -> WhoRisk | None:
    """The risk from a resident's record up to as_of (CONTRACT §4.4): age then, diabetes among the
    conditions, the latest recorded SBP, smoking, weight and height, and a total cholesterol of the
    last 5 years. None without an SBP or a smoking status, or with neither cholesterol nor BMI. (The
    charts are made for people without known CVD; for those with it the card says so beside the risk.)"""
    facts = Chart(resident, as_of).on(as_of)
    sbp, smoker, weight, height = (latest(facts.visits, field) for field in ("sbp", "smoker", "weight_kg", "height_cm"))
    if sbp is None or smoker is None:
        return None
    since = as_of - dt.timedelta(days=round(365.25 * CHOLESTEROL_YEARS))
    cholesterol = latest([v for v in facts.visits if v.date >= since], "total_cholesterol")
    return who_cvd_risk(
        age=facts.age,
        sex=resident.sex,
        smoker=smoker,
        sbp=sbp,
        diabetes=facts.diabetes,
        total_cholesterol=cholesterol,
        bmi=weight / (height / 100) ** 2 if weight and height else None,
        policy=policy,
    )


def latest(visits: list[Visit], field: str) -> float | bool | None:
    """The field's value at the latest of these (date-sorted) visits that recorded it."""
    return next((value for v in reversed(visits) if (value := getattr(v, field)) is not None), None)


def chart_band(ten_year: float) -> str:
    """The chart band of a 10-year risk: "<5", "5-10", "10-20", "20-30" or ">=30" (%)."""
    return next((band for below, band in CHART_BANDS if ten_year < below), TOP_BAND)


def twelve_month_risk(ten_year: float) -> float:
    """The 10-year risk as a 12-month one, assuming a constant hazard: 1 - (1 - r10) ** (1/10)."""
    return 1 - (1 - ten_year) ** 0.1
