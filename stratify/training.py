"""Training the 12-month serious-event risk model: compare, calibrate, choose, judge, set thresholds.

Two candidates (a regularised logistic regression and HistGradientBoosting) are compared by
cross-validation grouped by resident; the better one is calibrated (inner grouped folds) and judged
on out-of-fold predictions, each made by a model that never saw that resident. Its thresholds put
the top `model_red_share` of the county's predicted risk in red and the next `model_yellow_share` in
yellow. The model may only raise a tier (see `stratify.assess`).
"""

from __future__ import annotations

import datetime as dt

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

from stratify.features import FEATURES
from stratify.model import CalibrationBin, Candidate, ModelCard, NotEnoughData, RiskModel
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


def train(
    x: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    population: np.ndarray,
    *,
    as_of: dt.date,
    horizon_days: int,
    policy: Policy,
    trained_at: dt.datetime,
    random_state: int = 0,
) -> RiskModel:
    """Compare, calibrate, judge out of fold, set thresholds; raises NotEnoughData.

    `population` holds the features of the residents the model will score (as of `as_of`); its
    predicted risks set the thresholds, so the red and yellow shares hold for the county as it is.
    """
    n_events = int(y.sum())
    if n_events < policy.model_min_events:
        raise NotEnoughData(
            f"{n_events} serious events in {len(y)} training examples before {as_of}; "
            f"at least {policy.model_min_events} are needed"
        )
    folds = list(GroupKFold(CV_FOLDS).split(x, y, groups))
    if any(y[test].sum() == 0 for _, test in folds):
        raise NotEnoughData(f"{n_events} serious events are too few to spread over {CV_FOLDS} groups of residents")
    scores = {}
    for name, estimator in candidates(random_state).items():
        oof = cross_val_predict(estimator, x, y, cv=folds, method="predict_proba")[:, 1]
        scores[name] = Candidate(float(roc_auc_score(y, oof)), float(brier_score_loss(y, oof)))
    best = max(scores, key=lambda n: scores[n].auc)
    if scores["logistic_regression"].auc >= scores[best].auc - PREFER_SIMPLER_WITHIN_AUC:
        best = "logistic_regression"
    method = "isotonic" if n_events >= ISOTONIC_MIN_EVENTS else "sigmoid"

    def calibrated(rows: np.ndarray) -> CalibratedClassifierCV:
        inner = list(GroupKFold(CV_FOLDS).split(x[rows], y[rows], groups[rows]))
        # ensemble=False: one estimator refit on all rows, calibrated on its out-of-fold predictions,
        # so scoring a county costs one model, not one per fold.
        return CalibratedClassifierCV(clone(candidates(random_state)[best]), method=method, cv=inner, ensemble=False)

    risk = np.zeros(len(y))  # each prediction comes from a calibrated model that never saw that resident
    for train_rows, test_rows in folds:
        risk[test_rows] = calibrated(train_rows).fit(x[train_rows], y[train_rows]).predict_proba(x[test_rows])[:, 1]
    model = calibrated(np.arange(len(y))).fit(x, y)

    auc = float(roc_auc_score(y, risk))
    ratio = float(y.sum() / risk.sum())
    red_share, yellow_share = policy.model_red_share, policy.model_yellow_share
    scored = model.predict_proba(population)[:, 1] if len(population) else risk
    thresholds = {
        "red": float(np.quantile(scored, 1 - red_share)),
        "yellow": float(np.quantile(scored, 1 - red_share - yellow_share)),
        "red_share": red_share,
        "yellow_share": yellow_share,
    }
    medians = [float(np.median(col[~np.isnan(col)])) if (~np.isnan(col)).any() else 0.0 for col in x.T]
    low, high = policy.model_calibration_range
    why = None
    if auc < policy.model_min_auc:
        why = f"held-out AUC {auc:.3f} is below the county minimum {policy.model_min_auc}"
    elif not low <= ratio <= high:
        why = f"observed/predicted events {ratio:.2f} on held-out residents is outside {low}-{high}"
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
        algorithm=f"{best} + {method} calibration",
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
    )
    return RiskModel(model, card)
