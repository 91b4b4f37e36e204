"""The risk model's small parts, without training a county: the intercept shift, older models, the WHO fallback."""

from __future__ import annotations

import datetime as dt

import msgspec
import numpy as np
import pytest
from history import AS_OF, resident, visit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression

from stratify.drift import closed_quarters, expected_events
from stratify.features import FEATURES, feature_matrix
from stratify.model import WHO_FALLBACK_VERSION, ModelCard, RiskModel, WhoFallback, intercept_shift, shift_risk
from stratify.policy import Policy
from stratify.who_risk import resident_who_risk, twelve_month_risk


@pytest.mark.parametrize("target", [0.001, 0.03, 0.051, 0.5])
def test_the_intercept_shift_brings_the_mean_risk_to_the_observed_rate(target):
    risk = np.random.default_rng(1).beta(1, 30, size=2000)

    shift = intercept_shift(risk, target)

    assert shift_risk(risk, shift).mean() == pytest.approx(target, rel=1e-6)


def test_the_shift_keeps_the_order_of_risks():
    risk = np.array([0.01, 0.02, 0.2, 0.9])

    assert list(np.argsort(shift_risk(risk, 0.7))) == [0, 1, 2, 3]


def card_for(features: list[str], shift: float | None = None) -> ModelCard:
    card = {
        "version": "old",
        "active": True,
        "n_train": 100,
        "n_events": 30,
        "auc": 0.7,
        "brier": 0.05,
        "calibration": [],
        "features": features,
        "thresholds": {"red": 0.9, "yellow": 0.5, "red_share": 0.03, "yellow_share": 0.12},
        "algorithm": "logistic_regression",
        "trained_at": "2026-01-01T00:00:00",
        "as_of": "2026-01-01",
        "horizon_days": 365,
        "n_residents": 50,
        "event_rate": 0.3,
        "calibration_ratio": 1.0,
        "candidates": {},
        "feature_medians": dict.fromkeys(features, 0.0),
        "random_state": 0,
        "sklearn_version": "1",
    }
    if shift is not None:
        card["intercept_shift"] = {
            "window_start": "2025-01-01",
            "window_end": "2026-01-01",
            "n": 1,
            "observed_rate": 0.1,
            "mean_predicted": 0.1,
            "shift": shift,
        }
    return msgspec.convert(card, ModelCard)


def test_a_model_trained_before_the_who_feature_scores_from_todays_features():
    old = [f for f in FEATURES if f != "who_risk_12m"]
    rng = np.random.default_rng(0)
    x_old = rng.normal(size=(200, len(old)))
    estimator = CalibratedClassifierCV(LogisticRegression(), cv=3).fit(x_old, (x_old[:, 0] > 0).astype(int))
    today = np.column_stack([x_old, np.full(len(x_old), np.nan)])  # FEATURES order: the WHO column is last

    model = RiskModel(estimator, card_for(old))

    assert np.allclose(model.risk(today), estimator.predict_proba(x_old)[:, 1])
    assert all(o is not None for o in model.opinions(today[:5]))


def test_a_cards_shift_moves_the_served_risk():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, len(FEATURES)))
    estimator = CalibratedClassifierCV(LogisticRegression(), cv=3).fit(x, (x[:, 0] > 1).astype(int))

    plain, shifted = RiskModel(estimator, card_for(list(FEATURES))), RiskModel(estimator, card_for(list(FEATURES), 0.5))

    assert np.allclose(shifted.risk(x), shift_risk(plain.risk(x), 0.5))


def test_the_fallback_serves_the_who_chart_over_12_months_and_raises_no_tier():
    covered = resident(visit(30, sbp=168, smoker=True, weight_kg=70, height_cm=160), age=66, record_id="covered")
    too_old = resident(visit(30, sbp=168, smoker=True, weight_kg=70, height_cm=160), age=80, record_id="too-old")

    opinion, none = WhoFallback().opinions(feature_matrix([covered, too_old], AS_OF, Policy()))

    expected = twelve_month_risk(resident_who_risk(covered, AS_OF, Policy()).ten_year)
    assert opinion.risk == pytest.approx(expected, abs=1e-4)
    assert opinion.version == WHO_FALLBACK_VERSION and opinion.tier is None
    assert none is None


def test_the_fallback_scores_an_empty_batch():
    assert WhoFallback().opinions(feature_matrix([], dt.date(2026, 1, 1), Policy())) == []


@pytest.mark.parametrize(
    ("activated", "as_of", "quarters"),
    [
        pytest.param(dt.date(2026, 2, 10), dt.date(2026, 3, 31), [], id="first-quarter-still-open"),
        pytest.param(dt.date(2026, 2, 10), dt.date(2026, 4, 1), ["2026Q1"], id="closed-the-day-after"),
        pytest.param(dt.date(2025, 11, 5), dt.date(2026, 7, 2), ["2025Q4", "2026Q1", "2026Q2"], id="across-a-year"),
    ],
)
def test_closed_quarters_since_activation(activated, as_of, quarters):
    assert [q for q, _, _ in closed_quarters(activated, as_of)] == quarters


def test_a_quarter_is_scored_on_the_day_before_it_and_the_first_on_activation():
    (_, first_scored, first_last), (_, scored, last) = closed_quarters(dt.date(2025, 11, 5), dt.date(2026, 4, 1))

    assert (first_scored, first_last) == (dt.date(2025, 11, 5), dt.date(2025, 12, 31))
    assert (scored, last) == (dt.date(2025, 12, 31), dt.date(2026, 3, 31))


def test_expected_events_over_a_quarter_follow_a_constant_hazard():
    risk = np.array([0.1, 0.19])

    assert expected_events(risk, 365, 365) == pytest.approx(0.29)
    assert expected_events(risk, 730, 365) == pytest.approx(1 - 0.9**2 + 1 - 0.81**2)
    assert expected_events(np.array([0.0]), 91, 365) == 0
