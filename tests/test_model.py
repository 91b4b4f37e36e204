"""The risk model on a synthetic county with known outcomes: quality, calibration, persistence, safety."""

from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import pytest
import skops.io as sio
from history import AS_OF, resident, visit
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from service.risk import active_risk_model
from service.store import connect
from service.store.models import register_model
from stratify.assess import Override, assess
from stratify.features import Examples, feature_matrix, training_examples, window_examples
from stratify.model import NotEnoughData, RiskModel
from stratify.policy import Policy
from stratify.records import Resident
from stratify.tiers import Tier
from stratify.training import Windows, train

pytestmark = pytest.mark.slow

NOW = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def county(trained_county) -> list[Resident]:
    """The managed residents of the session's synthetic county (6,000 residents as of AS_OF)."""
    assert trained_county.model.card.as_of == AS_OF.isoformat()
    return trained_county.residents


@pytest.fixture(scope="session")
def model(trained_county) -> RiskModel:
    """Its model, trained by `sanbiao train`'s code path and loaded back from the registry."""
    return trained_county.model


def test_card_reports_held_out_quality_and_the_model_is_active(model):
    card = model.card

    assert card.active and card.why_inactive is None
    assert card.auc >= 0.7  # out of fold: each resident scored by a model that never saw them
    assert 0.8 <= card.calibration_ratio <= 1.25
    assert card.n_events >= 30 and card.n_train > card.n_residents
    assert card.features == list(model.card.feature_medians)
    assert set(card.candidates) == {"logistic_regression", "hist_gradient_boosting"}


def test_calibration_bins_follow_the_observed_rate(model):
    bins = model.card.calibration
    predicted = np.array([b.mean_predicted for b in bins])
    observed = np.array([b.observed for b in bins])
    n = np.array([b.n for b in bins])

    assert 0.8 <= (observed * n).sum() / (predicted * n).sum() <= 1.25
    assert observed[-3:].mean() > 3 * observed[:3].mean()  # the riskiest bins see far more events


def test_thresholds_flag_the_configured_shares_of_the_county(model, county):
    risk = model.risk(feature_matrix(county, AS_OF, Policy()))
    t = model.card.thresholds

    policy = Policy()
    assert (risk >= t["red"]).mean() == pytest.approx(policy.model_red_share, abs=0.01)
    flagged = policy.model_red_share + policy.model_yellow_share
    assert (risk >= t["yellow"]).mean() == pytest.approx(flagged, abs=0.02)


def test_opinions_explain_in_words(model, county):
    opinions = model.opinions(feature_matrix(county[:400], AS_OF, Policy()))
    flagged = [o for o in opinions if o.reason]

    assert flagged
    assert all(o.reason.code == "model_risk" and "12-month risk" in o.reason.message for o in flagged)
    assert any("mostly" in o.reason.message for o in flagged)
    assert all(0 <= o.risk <= 1 for o in opinions)


def test_skops_round_trip_predicts_the_same(model, county):
    x = feature_matrix(county[:50], AS_OF, Policy())

    loaded = RiskModel.loads(model.dumps(), model.card)

    assert np.allclose(loaded.risk(x), model.risk(x))


def test_an_artifact_with_an_untrusted_type_is_refused(model):
    sneaky = make_pipeline(FunctionTransformer(np.log1p))

    with pytest.raises(ValueError, match="untrusted"):
        RiskModel.loads(sio.dumps(sneaky), model.card)


def windows_of(residents: list[Resident]) -> Windows:
    return Windows(
        recent=window_examples(residents, AS_OF - dt.timedelta(days=365), 365, Policy()),
        earlier=window_examples(residents, AS_OF - dt.timedelta(days=730), 365, Policy()),
    )


def test_too_few_events_is_refused_with_the_count(county):
    ex = training_examples(county[:300], AS_OF, 365, Policy())

    with pytest.raises(NotEnoughData, match=r"\d+ serious events .* at least 30"):
        train(ex, windows_of(county[:300]), ex.x[:0], as_of=AS_OF, horizon_days=365, policy=Policy(), trained_at=NOW)


def test_a_model_below_the_minimum_quality_is_kept_inactive(county):
    ex = training_examples(county, AS_OF, 365, Policy())
    noise = Examples(np.random.default_rng(0).normal(size=ex.x.shape), ex.y, ex.groups, ex.days)
    windows = windows_of(county)

    weak = train(noise, windows, noise.x[:10], as_of=AS_OF, horizon_days=365, policy=Policy(), trained_at=NOW)

    assert not weak.card.active
    assert "AUC" in weak.card.why_inactive


VISITS = st.lists(
    st.fixed_dictionaries(
        {
            "days_ago": st.integers(0, 800),
            "sbp": st.integers(90, 230),
            "dbp": st.integers(50, 80),
            "fasting_glucose": st.none() | st.floats(2.5, 25, allow_nan=False),
            "adherence": st.sampled_from(["regular", "intermittent", "none"]),
            "symptoms": st.sampled_from([[], ["chest_pain"]]),
            "referral": st.sampled_from([None, None, "routine", "urgent"]),
        }
    ),
    max_size=6,
)


@settings(max_examples=150, deadline=None)
@given(
    visits=VISITS,
    codes=st.sampled_from([("I10",), ("E11",), ("I10", "E11"), ("I10", "I63.9")]),
    age=st.integers(30, 95),
    override=st.none() | st.sampled_from(list(Tier)),
)
def test_neither_model_nor_override_ever_lowers_a_rule_floor(model, visits, codes, age, override):
    history = resident(*[visit(**v) for v in visits], codes=codes, age=age)
    [opinion] = model.opinions(feature_matrix([history], AS_OF, Policy()))
    overrides = [Override(override, "test", "center", AS_OF, AS_OF)] if override else []

    result = assess(history, AS_OF, Policy(), opinion=opinion, overrides=overrides)

    assert result.tier.rank >= result.floor.rank
    if not overrides and opinion.tier:
        assert result.tier.rank >= opinion.tier.rank


def test_the_served_model_is_read_once_per_version_and_switches_when_another_is_activated(trained_county, tmp_path):
    db = connect(shutil.copy(trained_county.db_path, tmp_path / "county.db"))
    version, card, artifact, file_hash = db.execute("SELECT version, card, artifact, file_hash FROM models").fetchone()
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)

    def loads() -> int:
        return sum(s.startswith("SELECT card, artifact") for s in statements)

    served = [active_risk_model(db) for _ in range(3)]
    before = loads()  # 0 or 1: the session's fixture may have loaded this version already
    register_model(db, version=f"{version}-b", card=card, artifact=artifact, file_hash=file_hash, activate=True)
    switched = [active_risk_model(db) for _ in range(3)]

    assert served[0] is served[1] is served[2] and before <= 1
    assert switched[0] is switched[1] is switched[2] and switched[0] is not served[0]
    assert loads() == before + 1  # the new version's artifact, read once
    assert db.execute("SELECT count(*), sum(active) FROM models").fetchone() == (2, 1)  # every version kept


def test_card_reports_temporal_validation_on_the_last_year(model):
    """Smoke test on the session's small county (3 years of history, ~25 events in the last year):
    bench/model.py measures the quality on counties with more history (bench/RESULTS.md)."""
    temporal = model.card.temporal
    last_year = ((AS_OF - dt.timedelta(days=365)).isoformat(), AS_OF.isoformat())

    assert temporal is not None
    assert (temporal.window_start, temporal.window_end) == last_year and temporal.train_before == last_year[0]
    assert temporal.n_events >= 10 and temporal.n > 10 * temporal.n_events
    assert temporal.auc > 0.5
    assert 0.8 <= temporal.observed_expected <= 1.25  # what activation asks of it (Policy.model_calibration_range)


def test_served_risk_matches_the_last_windows_event_rate(model, county):
    """Calibration-in-the-large: on the county as it stood a year ago, mean served risk = observed rate."""
    shift = model.card.intercept_shift
    window = window_examples(county, dt.date.fromisoformat(shift.window_start), 365, Policy())

    assert shift.window_end == AS_OF.isoformat()
    assert model.risk(window.x).mean() == pytest.approx(window.y.mean(), rel=0.01)
    assert "intercept shift" in model.card.algorithm


def test_a_model_whose_last_year_is_off_calibration_is_kept_inactive(model, county):
    """Activation asks the temporal observed/expected too, once its year saw model_min_events events."""
    card = model.card
    held_out, last_year = card.calibration_ratio, card.temporal.observed_expected
    between = (held_out + last_year) / 2
    assert abs(last_year - held_out) > 0.05 and between >= 1  # this county: ~0.99 held out, ~1.14 last year
    policy = Policy(model_min_events=card.temporal.n_events, model_calibration_range=(0.8, between))
    ex = training_examples(county, AS_OF, 365, policy)

    strict = train(ex, windows_of(county), ex.x[:0], as_of=AS_OF, horizon_days=365, policy=policy, trained_at=NOW)

    assert not strict.card.active
    assert "the last year (temporal validation)" in strict.card.why_inactive
