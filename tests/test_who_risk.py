"""WHO 2019 CVD risk (issue 16): published East Asia chart cells, the age range, the model chosen,
the chart bands and the 12-month horizon."""

from __future__ import annotations

import datetime as dt
import math

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stratify.policy import Policy, policy_from
from stratify.records import Condition, Event, EventType, Level, Resident, Sex, Visit, VisitMode
from stratify.who_risk import (
    LAB,
    Endpoint,
    WhoModel,
    chart_band,
    resident_who_risk,
    twelve_month_risk,
    who_cvd_risk,
)

# A chart cell is computed at the middle of its bands (docs/who_risk.md): age group 40-44 -> 42.5,
# SBP <120 -> 110 ... >=180 -> 190 mmHg, cholesterol <4 -> 3.5 ... >=7 -> 7.5 mmol/L,
# BMI <20 -> 17.5 ... >=35 -> 37.5 kg/m².
AGE = {"40-44": 42.5, "45-49": 47.5, "50-54": 52.5, "55-59": 57.5, "60-64": 62.5, "65-69": 67.5, "70-74": 72.5}
SBP = {"<120": 110, "120-139": 130, "140-159": 150, "160-179": 170, ">=180": 190}
CHOLESTEROL = {"<4": 3.5, "4-4.9": 4.5, "5-5.9": 5.5, "6-6.9": 6.5, ">=7": 7.5}
BMI = {"<20": 17.5, "20-24": 22.5, "25-29": 27.5, "30-35": 32.5, ">=35": 37.5}
M, F = Sex.MALE, Sex.FEMALE


def risk_of(**inputs):
    """who_cvd_risk of a man of 55, SBP 150, not smoking, no diabetes, cholesterol 5.0, BMI 24, but for `inputs`."""
    defaults = {"age": 55, "sex": Sex.MALE, "smoker": False, "sbp": 150, "diabetes": False}
    return who_cvd_risk(**(defaults | {"total_cholesterol": 5.0, "bmi": 24.0, "policy": Policy()} | inputs))


def cell_risk(sex, age, sbp, smoker=False, diabetes=False, cholesterol=None, bmi=None):
    cell = {"age": AGE[age], "sex": sex, "sbp": SBP[sbp], "smoker": smoker, "diabetes": diabetes}
    return 100 * risk_of(**cell, total_cholesterol=CHOLESTEROL.get(cholesterol), bmi=BMI.get(bmi)).ten_year


# Lab charts: DylanRJCollins/whoishRisk, inst/extdata/WHO_2019_Scores.csv, column EAS_ASI, the row
# named by the id (its `refv`: age_sex(1 man)_diabetes_smoker_SBP_cholesterol). "fitted" cells were
# among those the policy's recalibration was estimated from; "held-out" cells (smokers, diabetes)
# were not, so they test the model, not the fit.
LAB_CELLS = [
    pytest.param(M, "70-74", ">=180", False, False, "<4", 33, id="fitted 70-74_1_0_0_>=180_<4"),
    pytest.param(M, "40-44", "<120", False, False, "<4", 2, id="fitted 40-44_1_0_0_<120_<4"),
    pytest.param(M, "55-59", "140-159", False, False, "5-5.9", 10, id="fitted 55-59_1_0_0_140-159_5-5.9"),
    pytest.param(F, "60-64", ">=180", False, False, "<4", 16, id="fitted 60-64_0_0_0_>=180_<4"),
    pytest.param(F, "70-74", "120-139", False, False, "6-6.9", 17, id="fitted 70-74_0_0_0_120-139_6-6.9"),
    pytest.param(M, "70-74", ">=180", True, False, ">=7", 52, id="held-out 70-74_1_0_1_>=180_>=7"),
    pytest.param(M, "45-49", "120-139", True, False, "5-5.9", 7, id="held-out 45-49_1_0_1_120-139_5-5.9"),
    pytest.param(M, "70-74", ">=180", False, True, ">=7", 54, id="held-out 70-74_1_1_0_>=180_>=7"),
    pytest.param(M, "40-44", "160-179", False, True, "4-4.9", 12, id="held-out 40-44_1_1_0_160-179_4-4.9"),
    pytest.param(M, "60-64", "140-159", False, True, ">=7", 26, id="held-out 60-64_1_1_0_140-159_>=7"),
    pytest.param(F, "70-74", ">=180", True, False, ">=7", 39, id="held-out 70-74_0_0_1_>=180_>=7"),
    pytest.param(F, "50-54", "140-159", True, False, "5-5.9", 12, id="held-out 50-54_0_0_1_140-159_5-5.9"),
    pytest.param(F, "65-69", "120-139", True, False, "5-5.9", 18, id="held-out 65-69_0_0_1_120-139_5-5.9"),
]


@pytest.mark.parametrize(("sex", "age", "sbp", "smoker", "diabetes", "cholesterol", "published"), LAB_CELLS)
def test_lab_model_reproduces_the_east_asia_chart(sex, age, sbp, smoker, diabetes, cholesterol, published):
    risk = cell_risk(sex, age, sbp, smoker=smoker, diabetes=diabetes, cholesterol=cholesterol)
    assert risk == pytest.approx(published, abs=1.0)


# Non-lab charts: mhajihos/WHOCVRisk, data/CVDRisk.csv, rows with Region "East Asia"; the id is
# Age_Gender_Smoke_BMI_SBP of the row. Smokers were held out of the fit.
NON_LAB_CELLS = [
    pytest.param(M, "70-74", ">=180", False, "<20", 34, id="fitted 70-74_M_Non-smoker_<20_>=180"),
    pytest.param(M, "40-44", "<120", False, "20-24", 2, id="fitted 40-44_M_Non-smoker_20-24_<120"),
    pytest.param(F, "65-69", "140-159", False, "25-29", 16, id="fitted 65-69_F_Non-smoker_25-29_140-159"),
    pytest.param(M, "70-74", ">=180", True, ">=35", 52, id="held-out 70-74_M_Smoker_>=35_>=180"),
    pytest.param(M, "50-54", "140-159", True, ">=35", 17, id="held-out 50-54_M_Smoker_>=35_140-159"),
    pytest.param(F, "60-64", "160-179", True, "30-35", 26, id="held-out 60-64_F_Smoker_30-35_160-179"),
    pytest.param(F, "40-44", "<120", True, "30-35", 5, id="held-out 40-44_F_Smoker_30-35_<120"),
]


@pytest.mark.parametrize(("sex", "age", "sbp", "smoker", "bmi", "published"), NON_LAB_CELLS)
def test_non_lab_model_reproduces_the_east_asia_chart(sex, age, sbp, smoker, bmi, published):
    assert cell_risk(sex, age, sbp, smoker=smoker, bmi=bmi) == pytest.approx(published, abs=1.0)


@pytest.mark.parametrize(
    ("sex", "endpoint", "expected"),
    [
        pytest.param(M, Endpoint.CHD, 1 - 0.9540108, id="men-chd"),
        pytest.param(F, Endpoint.STROKE, 1 - 0.9890569, id="women-stroke"),
    ],
)
def test_at_the_centre_values_the_uncalibrated_risk_is_one_minus_the_baseline_survival(sex, endpoint, expected):
    # whocvdrisk_erfc_score_v03.ado: every predictor is centred (age 60, SBP 120, cholesterol 6)
    log_hazard = LAB[sex, endpoint].log_hazard(age=60, factor=0.0, sbp=120, diabetes=False, smoker=False)
    assert 1 - math.exp(-math.exp(log_hazard)) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("age", "has_risk"),
    [
        pytest.param(39, False, id="39-none"),
        pytest.param(40, True, id="40"),
        pytest.param(74, True, id="74"),
        pytest.param(74.9, True, id="74-and-a-half"),
        pytest.param(75, False, id="75-none"),
    ],
)
def test_only_ages_40_to_74_have_a_risk(age, has_risk):
    assert (risk_of(age=age) is not None) == has_risk


@pytest.mark.parametrize(
    ("cholesterol", "bmi", "model"),
    [
        pytest.param(5.0, 24.0, WhoModel.LAB, id="cholesterol-wins"),
        pytest.param(5.0, None, WhoModel.LAB, id="cholesterol-only"),
        pytest.param(None, 24.0, WhoModel.NON_LAB, id="bmi-only"),
        pytest.param(None, None, None, id="neither-no-risk"),
    ],
)
def test_lab_model_when_cholesterol_is_known_else_non_lab_with_bmi(cholesterol, bmi, model):
    risk = risk_of(total_cholesterol=cholesterol, bmi=bmi)
    assert (risk and risk.model) == model


def test_the_non_lab_model_has_no_diabetes_term():
    with_diabetes = risk_of(total_cholesterol=None, diabetes=True)
    without = risk_of(total_cholesterol=None, diabetes=False)
    assert with_diabetes.ten_year == without.ten_year
    assert risk_of(diabetes=True).ten_year > risk_of(diabetes=False).ten_year  # the lab model has one


def test_the_county_recalibration_is_used():
    county = policy_from({"who_lab_chd_men": [0.0, 1.0], "who_lab_stroke_men": [0.0, 1.0]})
    assert risk_of(policy=county).ten_year != risk_of().ten_year


def test_a_recalibration_slope_must_be_positive():
    with pytest.raises(msgspec.ValidationError, match="who_lab_chd_men"):
        policy_from({"who_lab_chd_men": [0.0, 0.0]})


@given(
    age=st.integers(40, 74),
    sex=st.sampled_from(Sex),
    smoker=st.booleans(),
    diabetes=st.booleans(),
    cholesterol=st.none() | st.floats(2.0, 10.0),
    bmi=st.floats(15.0, 40.0),
    sbp=st.integers(90, 219),
)
def test_risk_rises_with_sbp(age, sex, smoker, diabetes, cholesterol, bmi, sbp):
    def risk(at):
        values = {"age": age, "sex": sex, "smoker": smoker, "diabetes": diabetes, "bmi": bmi}
        return risk_of(sbp=at, total_cholesterol=cholesterol, **values).ten_year

    assert risk(sbp + 1) > risk(sbp)


def test_extreme_inputs_within_the_record_ranges_give_a_risk_not_an_error():
    # CONTRACT §3 allows SBP up to 300 and cholesterol up to 20: the risk saturates at 100%
    risk = risk_of(age=40, smoker=True, sbp=300, diabetes=True, total_cholesterol=20.0)
    assert risk.ten_year == pytest.approx(1.0) and risk.band == ">=30"


@pytest.mark.parametrize(
    ("ten_year", "band"),
    [
        pytest.param(0.0, "<5", id="zero"),
        pytest.param(0.0499, "<5", id="4.99"),
        pytest.param(0.05, "5-10", id="5.0"),
        pytest.param(0.0999, "5-10", id="9.99"),
        pytest.param(0.10, "10-20", id="10.0"),
        pytest.param(0.1999, "10-20", id="19.99"),
        pytest.param(0.20, "20-30", id="20.0"),
        pytest.param(0.2999, "20-30", id="29.99"),
        pytest.param(0.30, ">=30", id="30.0"),
        pytest.param(0.85, ">=30", id="85"),
    ],
)
def test_chart_band_edges(ten_year, band):
    assert chart_band(ten_year) == band


def test_the_risk_carries_its_band():
    risk = risk_of(age=72, sbp=190, total_cholesterol=7.5, diabetes=True)
    assert risk.band == chart_band(risk.ten_year) == ">=30"


@pytest.mark.parametrize(
    ("ten_year", "twelve_month"),
    [
        pytest.param(0.0, 0.0, id="none"),
        pytest.param(0.10, 0.010480, id="10-percent"),
        pytest.param(0.30, 0.035039, id="30-percent"),
    ],
)
def test_twelve_month_risk_assumes_a_constant_hazard(ten_year, twelve_month):
    one_year = twelve_month_risk(ten_year)
    assert one_year == pytest.approx(twelve_month, abs=1e-6)
    assert 1 - (1 - one_year) ** 10 == pytest.approx(ten_year)  # ten such years give the 10-year risk back


AS_OF = dt.date(2026, 11, 1)


def resident(visits, conditions=("I10",), events=(), birth=dt.date(1966, 3, 2)):
    return Resident(
        record_id="r1",
        name="x",
        sex=Sex.MALE,
        birth_date=birth,
        village_code="350421101201",
        conditions=[Condition(code) for code in conditions],
        visits=[
            Visit(visit_id=f"v{i}", date=day, mode=VisitMode.CLINIC, level=Level.VILLAGE, **fields)
            for i, (day, fields) in enumerate(visits)
        ],
        events=[Event(event_id=f"e{i}", date=day, type=kind) for i, (day, kind) in enumerate(events)],
    )


MARCH, JUNE, DECEMBER = dt.date(2026, 3, 1), dt.date(2026, 6, 1), dt.date(2026, 12, 1)


def test_a_residents_risk_takes_each_input_from_the_latest_visit_that_recorded_it():
    history = resident(
        [
            (MARCH, {"sbp": 170, "dbp": 95, "smoker": True, "total_cholesterol": 6.8, "weight_kg": 70.0}),
            (JUNE, {"sbp": 150, "dbp": 90}),  # smoking, cholesterol not asked this time
            (DECEMBER, {"sbp": 200, "dbp": 120, "smoker": False}),  # after as_of: not seen
        ],
        conditions=("I10", "E11"),
    )

    risk = resident_who_risk(history, AS_OF, Policy())

    assert risk == risk_of(age=60, sbp=150, smoker=True, diabetes=True, total_cholesterol=6.8)


def test_without_cholesterol_the_bmi_comes_from_the_latest_weight_and_height():
    history = resident([(MARCH, {"sbp": 150, "dbp": 90, "smoker": False, "weight_kg": 80.0, "height_cm": 160.0})])

    risk = resident_who_risk(history, AS_OF, Policy())

    assert risk.model == WhoModel.NON_LAB
    assert risk == risk_of(age=60, sbp=150, total_cholesterol=None, bmi=80.0 / 1.6**2)


@pytest.mark.parametrize(
    "visit",
    [
        pytest.param({"sbp": 150, "dbp": 90}, id="smoking-not-recorded"),
        pytest.param({"smoker": True, "total_cholesterol": 6.0}, id="no-sbp"),
        pytest.param({"sbp": 150, "dbp": 90, "smoker": True}, id="neither-cholesterol-nor-bmi"),
    ],
)
def test_no_risk_without_its_inputs(visit):
    """CONTRACT §4.4: null unless the latest SBP and smoking status are known and a cholesterol or a BMI."""
    assert resident_who_risk(resident([(MARCH, visit)]), AS_OF, Policy()) is None


def test_a_cholesterol_older_than_five_years_is_not_used():
    """CONTRACT §4.4: the lab model takes a total cholesterol of the last 5 years, else BMI."""
    old = {"sbp": 150, "dbp": 90, "smoker": True, "total_cholesterol": 6.0, "weight_kg": 70.0, "height_cm": 165.0}
    recent = {"sbp": 150, "dbp": 90, "smoker": True}
    stale = AS_OF - dt.timedelta(days=5 * 366)
    assert resident_who_risk(resident([(stale, old), (MARCH, recent)]), AS_OF, Policy()).model == WhoModel.NON_LAB
    within = AS_OF - dt.timedelta(days=4 * 365)
    assert resident_who_risk(resident([(within, old), (MARCH, recent)]), AS_OF, Policy()).model == WhoModel.LAB


def test_established_cvd_still_gets_a_risk_the_card_qualifies():
    """CONTRACT §4.4 names when there is none; a past stroke is not one of them (the card says the
    charts are for people without CVD)."""
    visit = {"sbp": 150, "dbp": 90, "smoker": True, "total_cholesterol": 6.0}
    history = resident([(MARCH, visit)], conditions=("I10", "I63"), events=((JUNE, EventType.MI),))
    assert resident_who_risk(history, AS_OF, Policy()) is not None


def test_a_hospital_admission_for_something_else_does_not_stop_the_risk():
    visit = {"sbp": 150, "dbp": 90, "smoker": True, "total_cholesterol": 6.0}
    history = resident([(MARCH, visit)], events=((JUNE, EventType.OTHER_ADMISSION),))
    assert resident_who_risk(history, AS_OF, Policy()) is not None
