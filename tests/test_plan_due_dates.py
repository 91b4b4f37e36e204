"""Every row of CONTRACT §6: which routine task a tier calls for, owned by whom, due when."""

from __future__ import annotations

import datetime as dt

import pytest
from history import AS_OF, assessed, resident, visit

from followup.plan import plan
from followup.tasks import TaskKind
from stratify.assess import ModelOpinion
from stratify.facts import sorted_visits
from stratify.policy import Policy
from stratify.tiers import Finding, Reason, Source, Tier

DOCTOR = "vd101201"


def days(n: int) -> dt.date:
    return AS_OF + dt.timedelta(days=n)


def routine(history, **kwargs):
    a = assessed(history, **kwargs)
    visits = [v for v in sorted_visits(history) if v.date <= AS_OF]
    [task] = [
        t for t in plan(a, visits, [], Policy(), village_code="350421101201", family_doctor=DOCTOR).open if t.routine
    ]
    return a, task


URGENT = [
    pytest.param(resident(visit(0, sbp=185, dbp=100)), id="bp_crisis"),
    pytest.param(resident(visit(0, fasting_glucose=17.0), codes=("E11",)), id="glucose_high"),
    pytest.param(resident(visit(0, fasting_glucose=3.5), codes=("E11",)), id="glucose_low"),
    pytest.param(resident(visit(0, symptoms=["chest_pain"])), id="danger_symptom"),
    pytest.param(resident(visit(0, pregnant=True), age=30), id="pregnancy"),
    pytest.param(resident(visit(3, referral="urgent")), id="urgent_referral"),
]


@pytest.mark.parametrize("history", URGENT)
def test_red_from_an_urgent_rule_is_an_urgent_referral_due_the_same_day(history):
    a, task = routine(history)

    assert (a.tier, task.kind, task.due, task.owner_level) == (Tier.RED, TaskKind.URGENT_REFERRAL, AS_OF, "county")
    assert task.created_on == AS_OF and task.assignee is None


OTHER_RED = [
    pytest.param(resident(visit(30, sbp=150, dbp=95), visit(0, sbp=150, dbp=95)), id="uncontrolled_twice"),
    pytest.param(resident(visit(30), visit(0, complications=["kidney"])), id="new_complication"),
    pytest.param(resident(visit(0), events=((20, "stroke"),)), id="recent_event"),
    pytest.param(resident(visit(0, referral="routine")), id="routine_referral"),
]


@pytest.mark.parametrize("history", OTHER_RED)
def test_other_red_is_a_specialist_review_within_14_days(history):
    a, task = routine(history)

    assert (a.tier, task.kind, task.due, task.owner_level) == (Tier.RED, TaskKind.SPECIALIST_REVIEW, days(14), "county")


def test_model_red_is_a_specialist_review():
    red = ModelOpinion(0.3, "m1", Reason("model_risk", Tier.RED, Source.MODEL, (Finding("risk", value="30%"),)))

    a, task = routine(resident(visit(30), visit(0)), opinion=red)

    assert (a.tier, task.kind, task.due) == (Tier.RED, TaskKind.SPECIALIST_REVIEW, days(14))


@pytest.mark.parametrize(
    "history",
    [
        pytest.param(resident(visit(6, sbp=145, dbp=85)), id="uncontrolled"),
        pytest.param(resident(visit(40), visit(6, medication_changed=True)), id="medication_changed"),
    ],
)
def test_yellow_after_uncontrolled_or_a_medicine_change_is_a_recheck_14_days_after_the_visit(history):
    a, task = routine(history)

    assert (a.tier, task.kind, task.due, task.owner_level) == (Tier.YELLOW, TaskKind.RECHECK, days(-6 + 14), "township")


@pytest.mark.parametrize(
    ("history", "due"),
    [
        pytest.param(
            resident(visit(50, adherence="none"), visit(10, adherence="none")),
            days(-10 + 28),
            id="poor-adherence-visit-plus-28",
        ),
        pytest.param(resident(visit(10), codes=("I10", "I63.9")), days(-10 + 28), id="established-cvd-visit-plus-28"),
        pytest.param(resident(visit(120)), days(7), id="overdue-as-of-plus-7"),
        pytest.param(resident(diagnosed_days_ago=20), days(7), id="no-visit-as-of-plus-7"),
    ],
)
def test_other_yellow_is_a_gp_review(history, due):
    a, task = routine(history)

    assert (a.tier, task.kind, task.due, task.owner_level) == (Tier.YELLOW, TaskKind.GP_REVIEW, due, "township")


def test_green_is_routine_follow_up_90_days_after_the_last_visit_by_the_family_doctor():
    a, task = routine(resident(visit(60), visit(20)))

    assert (a.tier, task.kind, task.due, task.owner_level) == (
        Tier.GREEN,
        TaskKind.ROUTINE_FOLLOWUP,
        days(70),
        "village",
    )
    assert task.assignee == DOCTOR
