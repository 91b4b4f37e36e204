"""Model features and training examples: nothing dated after the index date reaches the features."""

from __future__ import annotations

import datetime as dt
import math
import random

import msgspec
import pytest
from history import AS_OF, day, resident, visit

from stratify.features import (
    FEATURES,
    GROUPS,
    features,
    index_dates,
    label,
    training_examples,
    window_examples,
)
from stratify.policy import Policy
from stratify.who_risk import resident_who_risk, twelve_month_risk


def values(r, on=AS_OF) -> dict[str, float]:
    return dict(zip(FEATURES, features(r, on, Policy()), strict=True))


def test_groups_cover_every_feature_once():
    grouped = [f for columns in GROUPS.values() for f in columns]

    assert sorted(grouped) == sorted(FEATURES)


def test_planted_future_data_does_not_change_the_features():
    past = [visit(200, sbp=150, dbp=92), visit(100, fasting_glucose=7.1), visit(10)]
    before = resident(*past, codes=("I10", "E11"), events=((300, "mi"),))
    after = resident(
        *past,
        visit(-5, sbp=210, dbp=120, complications=["kidney"], adherence="none", weight_kg=90, height_cm=150),
        codes=("I10", "E11", "I63.9"),
        events=((300, "mi"), (-3, "stroke"), (-1, "death")),
    )
    after = msgspec.structs.replace(
        after,
        conditions=[
            *after.conditions[:2],
            msgspec.structs.replace(after.conditions[2], diagnosed_on=dt.date(2026, 11, 20)),
        ],
    )

    assert features(before, AS_OF, Policy()) == pytest.approx(features(after, AS_OF, Policy()), nan_ok=True)


def test_features_read_the_history():
    r = resident(
        visit(300, sbp=160, dbp=95),
        visit(100, sbp=150, dbp=90),
        visit(10, sbp=130, dbp=80, smoker=True),
        codes=("I10", "I25.1"),
        events=((500, "stroke"),),
        age=70,
    )

    f = values(r)

    assert (f["age"], f["sbp_last"], f["dbp_last"], f["smoker"]) == (70, 130, 80, 1)
    assert f["sbp_mean_1y"] == pytest.approx((160 + 150 + 130) / 3)
    assert f["sbp_trend_1y"] == pytest.approx(130 - 155)
    assert (f["visits_1y"], f["days_since_visit"]) == (3, 10)
    assert (f["prior_events"], f["established_cvd"], f["hypertension"], f["diabetes"]) == (1, 1, 1, 0)
    assert math.isnan(f["fpg_last"])


def test_label_looks_strictly_after_the_index_date_within_the_horizon():
    r = resident(visit(400), events=((400, "stroke"), (36, "mi"), (20, "other_admission")))
    index = AS_OF - dt.timedelta(days=400)

    assert label(r, index, 365) == 1  # the MI 364 days later
    assert label(r, index, 363) == 0
    assert label(r, AS_OF - dt.timedelta(days=30), 365) == 0  # other admissions are not serious events


def test_index_dates_leave_the_whole_horizon_before_as_of_and_stop_at_death():
    r = resident(visit(1500), visit(900), visit(400), visit(100), diagnosed_days_ago=1600, events=((600, "death"),))

    dates = index_dates(r, AS_OF, 365, random.Random(1))

    assert dates
    assert all(d < dt.date.fromisoformat(day(600)) for d in dates)
    assert all(d >= dt.date.fromisoformat(day(1600)) for d in dates)


def test_training_examples_group_by_resident():
    rs = [
        resident(visit(900), visit(600), diagnosed_days_ago=1500, record_id=f"R{i}", events=((500, "stroke"),))
        for i in range(3)
    ]

    ex = training_examples(rs, AS_OF, 365, Policy())

    assert ex.x.shape[1] == len(FEATURES)
    assert len(ex.x) == len(ex.y) == len(ex.groups) == len(ex.days) > 3
    assert set(ex.groups) == {0, 1, 2}
    assert all(d + 365 <= AS_OF.toordinal() for d in ex.days)


def test_a_window_scores_everyone_managed_and_alive_that_day_and_labels_the_year_after():
    on = dt.date.fromisoformat(day(365))
    rs = [
        resident(visit(500), diagnosed_days_ago=600, record_id="event", events=((200, "stroke"),)),
        resident(visit(500), diagnosed_days_ago=600, record_id="quiet"),
        resident(visit(100), diagnosed_days_ago=200, record_id="not-yet-managed"),
        resident(visit(500), diagnosed_days_ago=600, record_id="dead-before", events=((400, "death"),)),
    ]

    window = window_examples(rs, on, 365, Policy())

    assert list(window.groups) == [0, 1]
    assert list(window.y) == [1, 0]
    assert set(window.days) == {on.toordinal()}


def who_12m(r) -> float:
    return values(r)["who_risk_12m"]


def test_the_who_feature_is_the_cards_who_risk_over_12_months():
    r = resident(visit(30, sbp=156, smoker=True, weight_kg=70, height_cm=165, total_cholesterol=6.2), age=62)

    assert who_12m(r) == pytest.approx(twelve_month_risk(resident_who_risk(r, AS_OF, Policy()).ten_year))


@pytest.mark.parametrize(
    ("age", "smoker"),
    [
        pytest.param(39, True, id="age-below-the-charts"),
        pytest.param(75, True, id="age-above-the-charts"),
        pytest.param(60, None, id="smoking-unknown"),
    ],
)
def test_the_who_feature_is_missing_where_the_charts_give_no_risk(age, smoker):
    r = resident(visit(30, smoker=smoker, weight_kg=70, height_cm=165), age=age)

    assert math.isnan(who_12m(r))
