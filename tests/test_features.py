"""Model features and training examples: nothing dated after the index date reaches the features."""

from __future__ import annotations

import datetime as dt
import math
import random

import msgspec
import pytest
from history import AS_OF, day, resident, visit

from stratify.features import FEATURES, GROUPS, features, index_dates, label, training_examples


def values(r, on=AS_OF) -> dict[str, float]:
    return dict(zip(FEATURES, features(r, on), strict=True))


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

    assert features(before, AS_OF) == pytest.approx(features(after, AS_OF), nan_ok=True)


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

    x, y, groups = training_examples(rs, AS_OF, 365)

    assert x.shape[1] == len(FEATURES)
    assert len(x) == len(y) == len(groups) > 3
    assert set(groups) == {0, 1, 2}
