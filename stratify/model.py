"""The 12-month serious-event risk model: train, calibrate, choose, explain, persist (skops, never pickle).

Two candidates (a regularised logistic regression and HistGradientBoosting) are compared by
cross-validation grouped by resident; the better one is calibrated (inner grouped folds) and judged
on out-of-fold predictions, each made by a model that never saw that resident. Its thresholds put
the top `model_red_share` of the county's predicted risk in red and the next `model_yellow_share` in
yellow. The model may only raise a tier (see `stratify.assess`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile

import msgspec
import numpy as np
import sklearn
import skops.io as sio
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from stratify.assess import ModelOpinion
from stratify.features import FEATURES, GROUPS
from stratify.policy import Policy
from stratify.tiers import Finding, Source, Tier, because

CV_FOLDS = 5  # grouped by resident: model choice, calibration and the held-out judgement
CALIBRATION_BINS = 10
TOP_CONTRIBUTORS = 2  # feature groups named in a model reason
PREFER_SIMPLER_WITHIN_AUC = 0.005  # the logistic model wins ties: it is easier to explain
ISOTONIC_MIN_EVENTS = 500  # fewer events: sigmoid calibration (isotonic overfits small samples)

# Every type a saved model may contain; an artifact holding any other type is refused before loading.
TRUSTED_TYPES = frozenset(
    {
        "builtins.dict",
        "builtins.list",
        "builtins.str",
        "builtins.tuple",
        "numpy.dtype",
        "numpy.float64",
        "numpy.ndarray",
        "numpy.random._generator.Generator",
        "numpy.uint64",
        "sklearn._loss._loss.CyHalfBinomialLoss",
        "sklearn._loss.link.Interval",
        "sklearn._loss.link.LogitLink",
        "sklearn._loss.loss.HalfBinomialLoss",
        "sklearn.calibration.CalibratedClassifierCV",
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.impute._base.MissingIndicator",
        "sklearn.impute._base.SimpleImputer",
        "sklearn.isotonic.IsotonicRegression",
        "sklearn.linear_model._logistic.LogisticRegression",
        "sklearn.pipeline.Pipeline",
        "sklearn.preprocessing._data.StandardScaler",
        "sklearn.preprocessing._label.LabelEncoder",
    }
)


class NotEnoughData(Exception):
    """Too few serious events (or examples) to train on; the old model stays."""


class CalibrationBin(msgspec.Struct):
    mean_predicted: float
    observed: float
    n: int


class Candidate(msgspec.Struct):
    auc: float
    brier: float


class ModelCard(msgspec.Struct, kw_only=True):
    """What a model is, how it was made and how good it is (CONTRACT §4.3 fields first)."""

    version: str
    active: bool
    n_train: int
    n_events: int
    auc: float
    brier: float
    calibration: list[CalibrationBin]
    features: list[str]
    thresholds: dict[str, float]
    algorithm: str
    trained_at: str
    as_of: str
    horizon_days: int
    n_residents: int
    event_rate: float
    calibration_ratio: float
    candidates: dict[str, Candidate]
    feature_medians: dict[str, float]
    random_state: int
    sklearn_version: str
    why_inactive: str | None = None


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


def calibration_bins(risk: np.ndarray, y: np.ndarray, bins: int = CALIBRATION_BINS) -> list[CalibrationBin]:
    """Mean predicted vs observed event rate in bins of equal size, lowest risk first."""
    order = np.argsort(risk, kind="stable")
    return [
        CalibrationBin(float(risk[part].mean()), float(y[part].mean()), len(part))
        for part in np.array_split(order, bins)
        if len(part)
    ]


class RiskModel:
    """A calibrated estimator with its card: predicts risk, maps it to tiers, explains it."""

    def __init__(self, estimator: CalibratedClassifierCV, card: ModelCard) -> None:
        self.estimator = estimator
        self.card = card
        self._reference = np.array([card.feature_medians[f] for f in FEATURES])

    def risk(self, x: np.ndarray) -> np.ndarray:
        return self.estimator.predict_proba(x)[:, 1]

    def tier_for(self, risk: float) -> Tier | None:
        t = self.card.thresholds
        return Tier.RED if risk >= t["red"] else Tier.YELLOW if risk >= t["yellow"] else None

    def contributors(self, x: np.ndarray, risk: np.ndarray) -> list[list[str]]:
        """Per row, the feature groups whose replacement by the training median lowers risk most."""
        if not len(x):
            return []
        occluded = np.tile(x, (len(GROUPS), 1))  # one copy of the rows per group, scored in one call:
        for g, columns in enumerate(GROUPS.values()):  # the estimator's fixed cost per call dominates
            idx = [FEATURES.index(c) for c in columns]  # a visit's single row (measured: 1.6 ms a call)
            occluded[g * len(x) : (g + 1) * len(x), idx] = self._reference[idx]
        deltas = (risk - self.risk(occluded).reshape(len(GROUPS), len(x))).T
        names = list(GROUPS)
        return [[names[j] for j in np.argsort(-row, kind="stable")[:TOP_CONTRIBUTORS] if row[j] > 0] for row in deltas]

    def opinions(self, x: np.ndarray) -> list[ModelOpinion]:
        """A model opinion per row: risk always, a `model_risk` reason when above a threshold."""
        risk = self.risk(x) if len(x) else np.zeros(0)
        tiers = [self.tier_for(float(r)) for r in risk]
        flagged = [i for i, t in enumerate(tiers) if t]
        named = dict(zip(flagged, self.contributors(x[flagged], risk[flagged]), strict=True))
        opinions = []
        for i, (r, tier) in enumerate(zip(risk, tiers, strict=True)):
            reason = None
            if tier:
                t = self.card.thresholds
                top = t["red_share"] + (t["yellow_share"] if tier is Tier.YELLOW else 0)
                findings = [
                    Finding("risk", value=f"{r:.1%}", op=">=", limit=f"{t[tier]:.1%}"),
                    Finding("top_share", value=f"{top:.0%}"),
                ]
                if named[i]:
                    findings.append(Finding("contributors", items=tuple(named[i])))
                reason = because("model_risk", tier, *findings, source=Source.MODEL)
            opinions.append(ModelOpinion(risk=round(float(r), 4), version=self.card.version, reason=reason))
        return opinions

    def dumps(self) -> bytes:
        return sio.dumps(self.estimator)

    @classmethod
    def loads(cls, artifact: bytes, card: ModelCard) -> RiskModel:
        """Load an artifact whose every type is in TRUSTED_TYPES; anything else raises ValueError."""
        types = artifact_types(artifact)
        untrusted = sorted(types - TRUSTED_TYPES)
        if untrusted:
            raise ValueError(f"model artifact contains untrusted types: {', '.join(untrusted)}")
        return cls(sio.loads(artifact, trusted=sorted(types)), card)


def artifact_types(artifact: bytes) -> set[str]:
    """Every `module.Class` named in a skops artifact's schema (default-trusted ones included)."""
    with zipfile.ZipFile(io.BytesIO(artifact)) as archive:
        schema = json.loads(archive.read("schema.json"))
    found: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__class__" in node:
                found.add(f"{node.get('__module__')}.{node['__class__']}")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def artifact_hash(artifact: bytes) -> str:
    return hashlib.sha256(artifact).hexdigest()


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
