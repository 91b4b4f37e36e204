"""Every reason code of CONTRACT §5: a case that fires it and a near miss that does not.

Sources: BPHS-3 = National Basic Public Health Service Standards, 3rd ed. (2017); CHG-2018 = Chinese
hypertension guideline (2018); CDS-2020 = Chinese Diabetes Society guideline (2020); C5 = CONTRACT §5.
"""

from __future__ import annotations

import pytest
from history import assessed, codes, resident, visit

from stratify.policy import Policy
from stratify.rules import RULES
from stratify.tiers import Tier

DM = ("E11",)
BOTH = ("I10", "E11")
RED, YELLOW = Tier.RED, Tier.YELLOW

CASES = [
    # bp_crisis: BPHS-3 hypertension follow-up, SBP >= 180 and/or DBP >= 110 -> urgent referral
    pytest.param("bp_crisis", resident(visit(0, sbp=180, dbp=100)), RED, id="bp_crisis-sbp-180-BPHS3"),
    pytest.param("bp_crisis", resident(visit(0, sbp=150, dbp=110)), RED, id="bp_crisis-dbp-110-BPHS3"),
    pytest.param("bp_crisis", resident(visit(0, sbp=179, dbp=109)), None, id="bp_crisis-179/109-miss"),
    pytest.param(
        "bp_crisis",
        resident(visit(9, sbp=186, dbp=112), visit(0, sbp=None, dbp=None)),
        RED,
        id="bp_crisis-latest-visit-with-a-BP-C5",
    ),
    pytest.param("bp_crisis", resident(visit(9, sbp=186, dbp=112), visit(0)), None, id="bp_crisis-superseded"),
    # glucose_high: BPHS-3 diabetes follow-up, FPG >= 16.7 mmol/L; applies to every managed resident (C5)
    pytest.param("glucose_high", resident(visit(0, fasting_glucose=16.7), codes=DM), RED, id="fpg-16.7-BPHS3"),
    pytest.param("glucose_high", resident(visit(0, fasting_glucose=16.6), codes=DM), None, id="fpg-16.6-miss"),
    pytest.param("glucose_high", resident(visit(0, fasting_glucose=18.0)), RED, id="fpg-high-without-diabetes-C5"),
    # glucose_low: BPHS-3 diabetes, FPG <= 3.9 mmol/L or severe hypoglycaemia
    pytest.param("glucose_low", resident(visit(0, fasting_glucose=3.9), codes=DM), RED, id="fpg-3.9-BPHS3"),
    pytest.param("glucose_low", resident(visit(0, fasting_glucose=4.0), codes=DM), None, id="fpg-4.0-miss"),
    pytest.param("glucose_low", resident(visit(0, hypoglycemia="severe"), codes=DM), RED, id="hypo-severe-C5"),
    pytest.param("glucose_low", resident(visit(0, hypoglycemia="mild"), codes=DM), None, id="hypo-mild-miss"),
    # danger_symptom: BPHS-3 danger signs; HR > 100 with diabetes; temperature > 39 °C
    pytest.param("danger_symptom", resident(visit(0, symptoms=["chest_pain"])), RED, id="symptom-BPHS3"),
    pytest.param("danger_symptom", resident(visit(0, symptoms=[])), None, id="no-symptom-miss"),
    pytest.param("danger_symptom", resident(visit(0, heart_rate=101), codes=DM), RED, id="hr-101-dm-BPHS3"),
    pytest.param("danger_symptom", resident(visit(0, heart_rate=100), codes=DM), None, id="hr-100-dm-miss"),
    pytest.param("danger_symptom", resident(visit(0, heart_rate=120)), None, id="hr-120-without-dm-miss"),
    pytest.param("danger_symptom", resident(visit(0, temperature_c=39.1)), RED, id="temp-39.1-BPHS3"),
    pytest.param("danger_symptom", resident(visit(0, temperature_c=39.0)), None, id="temp-39.0-miss"),
    # pregnancy: BPHS-3, pregnant with high BP or glucose -> referral
    pytest.param("pregnancy", resident(visit(0, pregnant=True), age=30), RED, id="pregnant-BPHS3"),
    pytest.param("pregnancy", resident(visit(0, pregnant=False), age=30), None, id="not-pregnant-miss"),
    # uncontrolled_twice: BPHS-3, two consecutive uncontrolled follow-ups -> referral
    pytest.param(
        "uncontrolled_twice", resident(visit(20, sbp=145, dbp=85), visit(0, sbp=142, dbp=80)), RED, id="twice-BPHS3"
    ),
    pytest.param(
        "uncontrolled_twice",
        resident(visit(20, sbp=145, dbp=85), visit(0, sbp=139, dbp=89)),
        None,
        id="second-controlled-miss",
    ),
    pytest.param(
        "uncontrolled_twice",
        resident(visit(20, sbp=145, dbp=85), visit(0, sbp=142, dbp=80), age=70),
        None,
        id="age-70-below-150/90-CHG2018",
    ),
    pytest.param(
        "uncontrolled_twice",
        resident(
            visit(20, fasting_glucose=8.0, sbp=120, dbp=70), visit(0, fasting_glucose=7.2, sbp=None, dbp=None), codes=DM
        ),
        RED,
        id="twice-glucose-BPHS3",
    ),
    # new_complication: C5, reported at a visit in the last 90 days
    pytest.param("new_complication", resident(visit(89, complications=["kidney"]), visit(0)), RED, id="day-89-C5"),
    pytest.param("new_complication", resident(visit(90, complications=["kidney"]), visit(0)), None, id="day-90-miss"),
    # recent_event: C5, serious event or other admission in the last 90 days
    pytest.param("recent_event", resident(visit(0), events=((89, "stroke"),)), RED, id="stroke-day-89-C5"),
    pytest.param("recent_event", resident(visit(0), events=((90, "stroke"),)), None, id="stroke-day-90-miss"),
    pytest.param("recent_event", resident(visit(0), events=((10, "other_admission"),)), RED, id="admission-C5"),
    # urgent_referral / routine_referral: C5, a referral in the last 14 days (BPHS-3: follow up within 2 weeks)
    pytest.param("urgent_referral", resident(visit(13, referral="urgent"), visit(0)), RED, id="urgent-day-13-C5"),
    pytest.param("urgent_referral", resident(visit(14, referral="urgent"), visit(0)), None, id="urgent-day-14-miss"),
    pytest.param("routine_referral", resident(visit(13, referral="routine"), visit(0)), RED, id="routine-day-13-C5"),
    pytest.param("routine_referral", resident(visit(14, referral="routine"), visit(0)), None, id="routine-14-miss"),
    # hba1c_very_high: C5 county default, latest HbA1c within 180 days >= 9.0%
    pytest.param("hba1c_very_high", resident(visit(179, hba1c=9.0), visit(0), codes=DM), RED, id="hba1c-9.0-C5"),
    pytest.param("hba1c_very_high", resident(visit(0, hba1c=8.9), codes=DM), None, id="hba1c-8.9-miss"),
    pytest.param("hba1c_very_high", resident(visit(180, hba1c=9.5), visit(0), codes=DM), None, id="hba1c-stale"),
    # recurrent_hypoglycemia: C5, hypoglycaemia at >= 2 visits in 90 days
    pytest.param(
        "recurrent_hypoglycemia",
        resident(visit(89, hypoglycemia="mild"), visit(0, hypoglycemia="mild"), codes=DM),
        RED,
        id="two-in-90-days-C5",
    ),
    pytest.param(
        "recurrent_hypoglycemia",
        resident(visit(90, hypoglycemia="mild"), visit(0, hypoglycemia="mild"), codes=DM),
        None,
        id="second-outside-window-miss",
    ),
    # both_uncontrolled: Sanming M1 multimorbidity escalation (C5; county may turn it off)
    pytest.param(
        "both_uncontrolled", resident(visit(0, sbp=150, dbp=95, fasting_glucose=7.5), codes=BOTH), RED, id="both-M1"
    ),
    pytest.param("both_uncontrolled", resident(visit(0, fasting_glucose=7.5), codes=BOTH), None, id="bp-ok-miss"),
    # uncontrolled: BPHS-3 140/90, CHG-2018 150/90 at >= 65, BPHS-3 FPG 7.0, CDS-2020 HbA1c 7.0
    pytest.param("uncontrolled", resident(visit(0, sbp=140, dbp=85)), YELLOW, id="bp-140-BPHS3"),
    pytest.param("uncontrolled", resident(visit(0, sbp=139, dbp=89)), None, id="bp-139/89-miss"),
    pytest.param("uncontrolled", resident(visit(0, sbp=150, dbp=80), age=65), YELLOW, id="age-65-bp-150-CHG2018"),
    pytest.param("uncontrolled", resident(visit(0, sbp=149, dbp=89), age=65), None, id="age-65-bp-149/89-miss"),
    pytest.param("uncontrolled", resident(visit(0, fasting_glucose=7.0), codes=DM), YELLOW, id="fpg-7.0-BPHS3"),
    pytest.param("uncontrolled", resident(visit(0, fasting_glucose=6.9), codes=DM), None, id="fpg-6.9-miss"),
    pytest.param(
        "uncontrolled", resident(visit(0, fasting_glucose=6.5, hba1c=7.0), codes=DM), YELLOW, id="hba1c-7.0-CDS2020"
    ),
    # medication_changed: BPHS-3, re-check within 2 weeks of a change
    pytest.param(
        "medication_changed", resident(visit(13, medication_changed=True), visit(0)), YELLOW, id="day-13-BPHS3"
    ),
    pytest.param("medication_changed", resident(visit(14, medication_changed=True), visit(0)), None, id="day-14"),
    # new_enrolment: C5, first diagnosis less than 90 days ago, or no visit yet
    pytest.param("new_enrolment", resident(visit(0), diagnosed_days_ago=89), YELLOW, id="diagnosed-89-days-C5"),
    pytest.param("new_enrolment", resident(visit(0), diagnosed_days_ago=90), None, id="diagnosed-90-days-miss"),
    pytest.param("new_enrolment", resident(), YELLOW, id="no-visit-yet-C5"),
    # poor_adherence: C5, intermittent or no medication at the latest visit
    pytest.param("poor_adherence", resident(visit(0, adherence="intermittent")), YELLOW, id="intermittent-C5"),
    pytest.param("poor_adherence", resident(visit(0, adherence="none")), YELLOW, id="none-C5"),
    pytest.param("poor_adherence", resident(visit(0, adherence="regular")), None, id="regular-miss"),
    # overdue: BPHS-3 quarterly follow-up + 14 days grace = no visit in the last 104 days
    pytest.param("overdue", resident(visit(104)), YELLOW, id="last-visit-104-days-ago-BPHS3"),
    pytest.param("overdue", resident(visit(103)), None, id="last-visit-103-days-ago-miss"),
    # established_cvd: C5, established cardiovascular/kidney disease or a past serious event
    pytest.param("established_cvd", resident(visit(0), codes=("I10", "I63.9")), YELLOW, id="stroke-code-C5"),
    pytest.param("established_cvd", resident(visit(0), codes=("I10", "N18.3")), YELLOW, id="ckd-code-C5"),
    pytest.param("established_cvd", resident(visit(0), events=((400, "mi"),)), YELLOW, id="past-mi-C5"),
    pytest.param("established_cvd", resident(visit(0), events=((400, "other_admission"),)), None, id="admission-miss"),
    pytest.param("established_cvd", resident(visit(0), codes=("I10", "I26")), None, id="i26-not-established-miss"),
]


@pytest.mark.parametrize(("code", "history", "tier"), CASES)
def test_rule(code, history, tier):
    reasons = {r.code: r for r in assessed(history).reasons}

    if tier is None:
        assert code not in reasons
    else:
        assert reasons[code].tier is tier
        assert reasons[code].message


def test_every_rule_has_cases_that_fire_and_miss():
    fired = {p.values[0] for p in CASES if p.values[2] is not None}
    missed = {p.values[0] for p in CASES if p.values[2] is None}
    names = {rule.__name__ for rule in RULES}

    assert fired == names
    assert missed == names


def test_multimorbidity_escalation_can_be_turned_off():
    history = resident(visit(0, sbp=150, dbp=95, fasting_glucose=7.5), codes=BOTH)

    assert "both_uncontrolled" not in codes(history, Policy(both_uncontrolled_red=False))
    assert "uncontrolled" in codes(history, Policy(both_uncontrolled_red=False))


def test_a_county_may_change_a_threshold():
    history = resident(visit(0, sbp=172, dbp=100))

    assert "bp_crisis" in codes(history, Policy(bp_crisis=(170, 105)))
    assert "bp_crisis" not in codes(history)


def test_crisis_message_names_the_reading_date_and_threshold():
    history = resident(visit(0, sbp=186, dbp=112))
    [reason] = [r for r in assessed(history).reasons if r.code == "bp_crisis"]

    assert reason.message == "BP 186/112 on 2026-11-01 >= 180/110"
