"""Training the 12-month serious-event risk model: compare, calibrate, choose, judge, set thresholds.

Two candidates (a regularised logistic regression and HistGradientBoosting) are compared by
cross-validation grouped by resident; the better one is calibrated (inner grouped folds) and judged
on out-of-fold predictions, each made by a model that never saw that resident. Its thresholds put
the top `model_red_share` of the county's predicted risk in red and the next `model_yellow_share` in
yellow. The model may only raise a tier (see `stratify.assess`).

Before it is activated, two checks against time (docs/model.md): calibration-in-the-large, an
intercept shift of the logit so that the mean predicted risk of the county as it stood on
as_of - horizon equals the rate of serious events in the horizon that followed; and temporal
validation, the whole procedure (the chosen algorithm, its calibration and the shift, taken on the
window one horizon earlier) rerun on examples whose horizon ended by as_of - horizon and judged on
that last window.
"""

from __future__ import annotations

import datetime as dt

import msgspec
import numpy as np
import sklearn
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from stratify.features import FEATURES, Examples
from stratify.model import (
    CalibrationBin,
    Candidate,
    InterceptShift,
    ModelCard,
    NotEnoughData,
    RiskModel,
    TemporalValidation,
    intercept_shift,
    shift_risk,
)
from stratify.policy import Policy

CV_FOLDS = 5  # grouped by resident: model choice, calibration and the held-out judgement
CALIBRATION_BINS = 10
PREFER_SIMPLER_WITHIN_AUC = 0.005  # the logistic model wins ties: it is easier to explain
ISOTONIC_MIN_EVENTS = 500  # fewer events: sigmoid calibration (isotonic overfits small samples)


def calibration_bins(risk: np.ndarray, y: np.ndarray, bins: int = CALIBRATION_BINS) -> list[CalibrationBin]:
    """Mean predicted vs observed event rate in bins of equal size, lowest risk first."""
    order = np.argsort(risk, kind="stable")
    return [
        CalibrationBin(float(risk[part].mean()), float(y[part].mean()), len(part))
        for part in np.array_split(order, bins)
        if len(part)
    ]


def candidates(random_state: int) -> dict[str, object]:
    return {
        "logistic_regression": make_pipeline(
            SimpleImputer(strategy="median", add_indicator=True),
            StandardScaler(),
            LogisticRegression(C=0.5, max_iter=2000),
        ),
        "hist_gradient_boosting": HistGradientBoostingClassifier(
            learning_rate=0.05,
            max_iter=200,
            max_leaf_nodes=15,
            min_samples_leaf=40,
            l2_regularization=1.0,
            random_state=random_state,
        ),
    }


class Windows(msgspec.Struct, frozen=True):
    """The county scored one horizon before as_of (`recent`) and two horizons before (`earlier`),
    each with the events of the horizon that followed (`stratify.features.window_examples`)."""

    recent: Examples
    earlier: Examples


class Procedure:
    """The chosen algorithm and calibration, refit on any rows of the examples."""

    def __init__(self, best: str, method: str, random_state: int) -> None:
        self.best, self.method, self.random_state = best, method, random_state

    def fit(self, ex: Examples) -> CalibratedClassifierCV:
        inner = list(GroupKFold(CV_FOLDS).split(ex.x, ex.y, ex.groups))
        # ensemble=False: one estimator refit on all rows, calibrated on its out-of-fold predictions,
        # so scoring a county costs one model, not one per fold.
        estimator = clone(candidates(self.random_state)[self.best])
        return CalibratedClassifierCV(estimator, method=self.method, cv=inner, ensemble=False).fit(ex.x, ex.y)


def window_shift(model: CalibratedClassifierCV, window: Examples, horizon_days: int) -> InterceptShift | None:
    """Calibration-in-the-large on one window; None for an empty window."""
    if not len(window.y):
        return None
    risk = model.predict_proba(window.x)[:, 1]
    start = dt.date.fromordinal(int(window.days[0]))
    observed = float(window.y.mean())
    return InterceptShift(
        window_start=start.isoformat(),
        window_end=(start + dt.timedelta(days=horizon_days)).isoformat(),
        n=len(window.y),
        observed_rate=round(observed, 5),
        mean_predicted=round(float(risk.mean()), 5),
        shift=round(intercept_shift(risk, observed), 4),
    )


def enough_events(ex: Examples, minimum: int) -> str | None:
    """Why these examples are too few to train on, or None."""
    n_events = int(ex.y.sum())
    if n_events < minimum:
        return f"{n_events} serious events in {len(ex.y)} training examples; at least {minimum} are needed"
    folds = GroupKFold(CV_FOLDS).split(ex.x, ex.y, ex.groups) if len(np.unique(ex.groups)) >= CV_FOLDS else []
    if not folds or any(ex.y[test].sum() == 0 for _, test in folds):
        return f"{n_events} serious events are too few to spread over {CV_FOLDS} groups of residents"
    return None


def temporal_validation(
    procedure: Procedure, ex: Examples, windows: Windows, *, as_of: dt.date, horizon_days: int
) -> TemporalValidation | None:
    """The procedure rerun on examples whose horizon ended by as_of - horizon, shifted on the earlier
    window, judged on the recent one; None when either has too few events. The rerun needs events in
    every grouped fold, not the county's `model_min_events`: it checks the procedure, it is never served."""
    cut = as_of - dt.timedelta(days=horizon_days)
    before = ex.rows(ex.days <= (cut - dt.timedelta(days=horizon_days)).toordinal())
    recent = windows.recent
    if enough_events(before, CV_FOLDS) or not 0 < recent.y.sum() < len(recent.y):
        return None  # (the AUC needs residents with and without an event)
    model = procedure.fit(before)
    shift = window_shift(model, windows.earlier, horizon_days)
    risk = model.predict_proba(recent.x)[:, 1]
    risk = shift_risk(risk, shift.shift) if shift else risk
    return TemporalValidation(
        train_before=cut.isoformat(),
        window_start=cut.isoformat(),
        window_end=as_of.isoformat(),
        n=len(recent.y),
        n_events=int(recent.y.sum()),
        auc=round(float(roc_auc_score(recent.y, risk)), 4),
        observed_expected=round(float(recent.y.sum() / risk.sum()), 3),
    )


def train(
    ex: Examples,
    windows: Windows,
    population: np.ndarray,
    *,
    as_of: dt.date,
    horizon_days: int,
    policy: Policy,
    trained_at: dt.datetime,
    random_state: int = 0,
) -> RiskModel:
    """Compare, calibrate, judge out of fold and on the last window, shift, set thresholds; raises NotEnoughData.

    `population` holds the features of the residents the model will score (as of `as_of`); its
    predicted risks set the thresholds, so the red and yellow shares hold for the county as it is.
    """
    x, y, groups = ex.x, ex.y, ex.groups
    n_events = int(y.sum())
    why_not = enough_events(ex, policy.model_min_events)
    if why_not:
        raise NotEnoughData(f"{why_not} (before {as_of})")
    folds = list(GroupKFold(CV_FOLDS).split(x, y, groups))
    scores = {}
    for name, estimator in candidates(random_state).items():
        oof = cross_val_predict(estimator, x, y, cv=folds, method="predict_proba")[:, 1]
        scores[name] = Candidate(float(roc_auc_score(y, oof)), float(brier_score_loss(y, oof)))
    best = max(scores, key=lambda n: scores[n].auc)
    if scores["logistic_regression"].auc >= scores[best].auc - PREFER_SIMPLER_WITHIN_AUC:
        best = "logistic_regression"
    method = "isotonic" if n_events >= ISOTONIC_MIN_EVENTS else "sigmoid"
    procedure = Procedure(best, method, random_state)

    risk = np.zeros(len(y))  # each prediction comes from a calibrated model that never saw that resident
    for train_rows, test_rows in folds:
        risk[test_rows] = procedure.fit(ex.rows(train_rows)).predict_proba(x[test_rows])[:, 1]
    estimator = procedure.fit(ex)
    shift = window_shift(estimator, windows.recent, horizon_days)
    temporal = temporal_validation(procedure, ex, windows, as_of=as_of, horizon_days=horizon_days)

    auc = float(roc_auc_score(y, risk))
    ratio = float(y.sum() / risk.sum())
    red_share, yellow_share = policy.model_red_share, policy.model_yellow_share
    scored = estimator.predict_proba(population)[:, 1] if len(population) else risk
    scored = shift_risk(scored, shift.shift) if shift else scored
    thresholds = {
        "red": float(np.quantile(scored, 1 - red_share)),
        "yellow": float(np.quantile(scored, 1 - red_share - yellow_share)),
        "red_share": red_share,
        "yellow_share": yellow_share,
    }
    medians = [float(np.median(col[~np.isnan(col)])) if (~np.isnan(col)).any() else 0.0 for col in x.T]
    low, high = policy.model_calibration_range
    # Calibration on held-out residents, and on the last year when it saw enough events to tell
    # (with a handful the ratio is noise: 13 events give a 95% interval of about +-50%).
    ratios = {"held-out residents": ratio}
    if temporal and temporal.n_events >= policy.model_min_events:
        ratios["the last year (temporal validation)"] = temporal.observed_expected
    outside = next(((where, r) for where, r in ratios.items() if not low <= r <= high), None)
    why = None
    if auc < policy.model_min_auc:
        why = f"held-out AUC {auc:.3f} is below the county minimum {policy.model_min_auc}"
    elif outside:
        why = f"observed/predicted events {outside[1]:.2f} on {outside[0]} is outside {low}-{high}"
    card = ModelCard(
        version=f"{trained_at:%Y%m%dT%H%M%S}-{best.split('_')[0]}",
        active=why is None,
        n_train=len(y),
        n_events=n_events,
        auc=round(auc, 4),
        brier=round(float(brier_score_loss(y, risk)), 5),
        calibration=calibration_bins(risk, y),
        features=list(FEATURES),
        thresholds=thresholds,
        algorithm=f"{best} + {method} calibration" + (" + intercept shift" if shift else ""),
        trained_at=trained_at.isoformat(timespec="seconds"),
        as_of=as_of.isoformat(),
        horizon_days=horizon_days,
        n_residents=len(np.unique(groups)),
        event_rate=round(n_events / len(y), 5),
        calibration_ratio=round(ratio, 3),
        candidates=scores,
        feature_medians=dict(zip(FEATURES, medians, strict=True)),
        random_state=random_state,
        sklearn_version=sklearn.__version__,
        why_inactive=why,
        temporal=temporal,
        intercept_shift=shift,
    )
    return RiskModel(estimator, card)
