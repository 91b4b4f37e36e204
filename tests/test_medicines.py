"""The formulary and the treatment protocols (stratify/medicines.py, docs/policy.md "Medicines"): each
protocol step, each edge of "not intensified", the derived medication change and the history the card
shows, as tables of cases with their sources."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from stratify.medicines import (
    DEFAULT_DM_PROTOCOL,
    DEFAULT_FORMULARY,
    DEFAULT_HTN_PROTOCOL,
    ChangeKind,
    derived_changes,
    medicine_history,
    next_step,
    not_intensified,
    protocol_step,
)
from stratify.policy import Policy, policy_from
from stratify.records import Medication, Visit

HTN_STEPS = [
    # (medicines, step reached, next step (None = refer)), HEARTS (WHO/NMH/NVI/18.2) with PCHG-2020's classes
    pytest.param({}, 0, 1, id="none-start-step-1"),
    pytest.param({"metoprolol": 50}, 0, 1, id="beta-blocker-alone-is-off-protocol"),
    pytest.param({"amlodipine": 5}, 1, 2, id="amlodipine-5-step-1"),
    pytest.param({"nifedipine": 30}, 1, 2, id="another-ccb-step-1"),
    pytest.param({"amlodipine": 7.5}, 1, 2, id="amlodipine-below-full-still-1"),
    pytest.param({"amlodipine": 10}, 2, 3, id="amlodipine-10-step-2"),
    pytest.param({"amlodipine": 5, "losartan": 50}, 1, 2, id="ccb-not-full-plus-arb-is-1"),
    pytest.param({"amlodipine": 10, "losartan": 50}, 3, 4, id="plus-arb-step-3"),
    pytest.param({"amlodipine": 10, "enalapril": 10}, 3, 4, id="plus-acei-step-3"),
    pytest.param({"amlodipine": 10, "losartan": 100}, 4, 5, id="arb-full-step-4"),
    pytest.param({"amlodipine": 10, "losartan": 100, "hydrochlorothiazide": 12.5}, 5, None, id="plus-thiazide-5-refer"),
    pytest.param({"amlodipine": 10, "losartan": 50, "indapamide": 1.5}, 3, 4, id="thiazide-before-full-arb-is-3"),
]


@pytest.mark.parametrize(("regimen", "step", "following"), HTN_STEPS)
def test_hypertension_protocol_steps(regimen, step, following):
    assert protocol_step(regimen, DEFAULT_HTN_PROTOCOL, DEFAULT_FORMULARY) == step
    assert next_step(regimen, DEFAULT_HTN_PROTOCOL, DEFAULT_FORMULARY) == following


DM_STEPS = [
    # PCDG-2022 / CDS-2020: metformin, its full dose, + a sulfonylurea or acarbose, + basal insulin
    pytest.param({}, 0, 1, id="none-start-metformin"),
    pytest.param({"metformin": 1000}, 1, 2, id="metformin-step-1"),
    pytest.param({"metformin": 2000}, 2, 3, id="metformin-2000-step-2"),
    pytest.param({"metformin": 2000, "gliclazide": 80}, 3, 4, id="plus-sulfonylurea-step-3"),
    pytest.param({"metformin": 2000, "acarbose": 150}, 3, 4, id="plus-acarbose-step-3"),
    pytest.param({"metformin": 2000, "glimepiride": 2, "insulin glargine": 10}, 4, None, id="plus-insulin-4-refer"),
    pytest.param({"gliclazide": 80}, 0, 1, id="sulfonylurea-alone-is-off-protocol"),
]


@pytest.mark.parametrize(("regimen", "step", "following"), DM_STEPS)
def test_diabetes_protocol_steps(regimen, step, following):
    assert protocol_step(regimen, DEFAULT_DM_PROTOCOL, DEFAULT_FORMULARY) == step
    assert next_step(regimen, DEFAULT_DM_PROTOCOL, DEFAULT_FORMULARY) == following


A5, A10, N30 = {"amlodipine": 5.0}, {"amlodipine": 10.0}, {"nifedipine": 30.0}
NOT_INTENSIFIED = [
    # (uncontrolled per visit (None = not measured), lists recorded per visit, said changed per visit, expected)
    pytest.param([True, True], [A5, A5], [False, False], True, id="same-list-is-not-intensified"),
    pytest.param([True, True], [A5, None], [False, False], True, id="list-carried-to-a-visit-without-one"),
    pytest.param([True, True], [A5, A10], [False, False], False, id="a-dose-change-counts"),
    pytest.param([True, True], [A5, N30], [False, False], False, id="a-swap-within-the-class-counts"),
    pytest.param([True, True], [A5, {**A5, "losartan": 50}], [False, False], False, id="an-added-drug-counts"),
    pytest.param([True, True], [A5, {}], [False, False], False, id="stopping-counts"),
    pytest.param([True, True], [A5, A5], [False, True], False, id="said-changed-counts"),
    pytest.param([True, None, True], [A5, A10, A5], [False, False, False], False, id="changed-and-back-between"),
    pytest.param([True, False], [A5, A5], [False, False], False, id="controlled-at-the-second"),
    pytest.param([False, True, True], [A5, A5, A5], [False] * 3, True, id="the-last-two-measured-decide"),
    pytest.param([True, None], [A5, A5], [False, False], False, id="one-measured-visit-is-not-two"),
    pytest.param([True, True], [None, None], [False, False], False, id="no-list-known-says-nothing"),
    pytest.param([True, True], [None, A5], [False, False], False, id="first-list-at-the-second-visit"),
    pytest.param([True, True], [{}, {}], [False, False], True, id="taking-none-twice-is-not-intensified"),
]


@pytest.mark.parametrize(("uncontrolled", "regimens", "flags", "expected"), NOT_INTENSIFIED)
def test_not_intensified_edges(uncontrolled, regimens, flags, expected):
    assert not_intensified(uncontrolled, regimens, flags) is expected


DAY = dt.date(2026, 10, 1)


def visit(days: int, medications: list[tuple[str, float]] | None, said: bool | None = None) -> Visit:
    meds = None if medications is None else [Medication(drug, dose) for drug, dose in medications]
    return Visit(
        f"v{days}", DAY + dt.timedelta(days=days), "clinic", "village", medications=meds, medication_changed=said
    )


DERIVED = [
    # CONTRACT §3: a change of the list from the previous visit that recorded one counts as medication_changed
    pytest.param([visit(0, [("amlodipine", 5)])], [False], id="a-first-list-is-no-change"),
    pytest.param([visit(0, [("amlodipine", 5)]), visit(30, [("amlodipine", 10)])], [False, True], id="dose"),
    pytest.param(
        [visit(0, [("amlodipine", 5)]), visit(30, None), visit(60, [("amlodipine", 5)])],
        [False, False, False],
        id="same-list-after-a-visit-without-one",
    ),
    pytest.param(
        [visit(0, [("amlodipine", 5)]), visit(30, [("amlodipine", 10)], said=False)],
        [False, True],
        id="a-different-list-overrides-said-false",
    ),
    pytest.param([visit(0, None, said=True)], [True], id="said-true-without-a-list"),
    pytest.param(
        [visit(0, [("amlodipine", 5), ("losartan", 50)]), visit(30, [("losartan", 50), ("amlodipine", 5)])],
        [False, False],
        id="order-does-not-matter",
    ),
]


@pytest.mark.parametrize(("visits", "expected"), DERIVED)
def test_derived_medication_change(visits, expected):
    assert derived_changes(visits) == expected


def test_the_history_says_when_each_medicine_started_changed_and_stopped():
    visits = [
        visit(0, [("amlodipine", 5)]),
        visit(30, None),
        visit(60, [("amlodipine", 10), ("losartan", 50)]),
        visit(90, [("losartan", 50)]),
    ]

    history = [(c.on, c.drug, c.kind, c.dose, c.before) for c in medicine_history(visits)]

    assert history == [
        (DAY, "amlodipine", ChangeKind.STARTED, 5, None),
        (DAY + dt.timedelta(days=60), "amlodipine", ChangeKind.DOSE, 10, 5),
        (DAY + dt.timedelta(days=60), "losartan", ChangeKind.STARTED, 50, None),
        (DAY + dt.timedelta(days=90), "amlodipine", ChangeKind.STOPPED, None, 10),
    ]


def test_every_default_formulary_drug_has_a_lowercase_inn_and_a_dose_range():
    for inn, drug in DEFAULT_FORMULARY.items():
        assert msgspec.convert({"drug": inn, "daily_dose_mg": drug.full_dose}, Medication).drug == inn
        assert 0 < drug.usual_daily[0] <= drug.usual_daily[1]
    assert {d.unit for d in DEFAULT_FORMULARY.values() if d.drug_class == "insulin"} == {"IU"}


def test_a_county_formulary_replaces_the_default_and_its_protocols_must_name_its_classes():
    ccb_only = {"amlodipine": {"name_zh": "氨氯地平", "class": "ccb", "usual_daily": [5, 10]}}
    one_step = [{"label": "氨氯地平", "label_en": "amlodipine", "needs": [{"classes": ["ccb"]}]}]

    policy = policy_from({"formulary": ccb_only, "htn_protocol": one_step, "dm_protocol": []})

    assert list(policy.formulary) == ["amlodipine"]
    with pytest.raises(msgspec.ValidationError, match="htn_protocol names classes no formulary drug has: acei"):
        policy_from({"formulary": ccb_only, "dm_protocol": []})
    with pytest.raises(msgspec.ValidationError, match="low <= full"):
        policy_from({"formulary": {"amlodipine": {**ccb_only["amlodipine"], "usual_daily": [10, 5]}}})


def test_the_default_policy_knows_its_protocol_classes():
    policy = Policy()
    classes = {d.drug_class for d in policy.formulary.values()}
    for step in (*policy.htn_protocol, *policy.dm_protocol):
        assert {c for need in step.needs for c in need.classes} <= classes
