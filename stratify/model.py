"""The 12-month serious-event risk model as it is served: predict, map to tiers, explain, persist
(skops, never pickle). Training is `stratify.training`.

Only numpy is imported here: scikit-learn and skops load when a model is loaded or saved, so a
command that never touches a model starts without them (1.2 s of imports).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import TYPE_CHECKING

import msgspec
import numpy as np

from stratify.assess import ModelOpinion
from stratify.drift import QuarterDrift
from stratify.features import FEATURES, GROUPS
from stratify.tiers import Finding, Source, Tier, because

if TYPE_CHECKING:
    from sklearn.calibration import CalibratedClassifierCV

TOP_CONTRIBUTORS = 2  # feature groups named in a model reason
WHO_FALLBACK_VERSION = "who2019-12m"  # the active model once a training left no county model active (docs/model.md)
RISK_CLIP = 1e-6  # probabilities kept in [RISK_CLIP, 1 - RISK_CLIP] before a logit, so a shift stays finite

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


class TemporalValidation(msgspec.Struct, kw_only=True):
    """The training procedure rerun on data before `train_before` (= as_of - horizon) and judged on
    the county as it stood that day: its residents' predicted risks and the events of the next horizon."""

    train_before: str
    window_start: str
    window_end: str
    n: int  # residents scored on window_start
    n_events: int  # of them with a serious event in the window
    auc: float
    observed_expected: float  # observed events / sum of predicted risks


class InterceptShift(msgspec.Struct, kw_only=True):
    """Calibration-in-the-large: logit(risk) + shift, so that the mean predicted risk of the residents
    scored on window_start equals the rate of serious events in the window that followed."""

    window_start: str
    window_end: str
    n: int
    observed_rate: float
    mean_predicted: float  # before the shift
    shift: float


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
    temporal: TemporalValidation | None = None  # None: too few events before as_of - horizon
    intercept_shift: InterceptShift | None = None  # None: cards older than issue #16
    drift: list[QuarterDrift] = []  # added as quarters close, after the nightly job (service/drift.py)


def shift_risk(risk: np.ndarray, shift: float) -> np.ndarray:
    """sigmoid(logit(risk) + shift)."""
    p = np.clip(risk, RISK_CLIP, 1 - RISK_CLIP)
    return 1 / (1 + np.exp(-(np.log(p / (1 - p)) + shift)))


def intercept_shift(risk: np.ndarray, observed_rate: float, *, tolerance: float = 1e-9) -> float:
    """The shift of the logit that makes the mean of `shift_risk(risk, shift)` equal `observed_rate`
    (the mean rises monotonically with the shift: bisection on a bracket wide enough for any rate
    within RISK_CLIP of 0 or 1)."""
    target = min(max(observed_rate, RISK_CLIP), 1 - RISK_CLIP)
    bound = 2 * float(np.log((1 - RISK_CLIP) / RISK_CLIP))
    low, high = -bound, bound
    while high - low > tolerance:
        middle = (low + high) / 2
        low, high = (middle, high) if shift_risk(risk, middle).mean() < target else (low, middle)
    return (low + high) / 2


class RiskModel:
    """A calibrated estimator with its card: predicts risk, maps it to tiers, explains it."""

    def __init__(self, estimator: CalibratedClassifierCV, card: ModelCard) -> None:
        self.estimator = estimator
        self.card = card
        # A model uses the FEATURES its card names (older models, fewer of them), in their order.
        self._columns = [FEATURES.index(f) for f in card.features]
        self._groups = {
            name: idx
            for name, columns in GROUPS.items()
            if (idx := [card.features.index(f) for f in columns if f in card.features])
        }
        self._reference = np.array([card.feature_medians[f] for f in card.features])
        self._shift = card.intercept_shift.shift if card.intercept_shift else 0.0

    @property
    def version(self) -> str:
        return self.card.version

    def risk(self, x: np.ndarray) -> np.ndarray:
        """Calibrated 12-month risk of each row of FEATURES (calibration-in-the-large applied)."""
        return self._risk(x[:, self._columns])

    def _risk(self, own: np.ndarray) -> np.ndarray:
        risk = self.estimator.predict_proba(own)[:, 1]
        return shift_risk(risk, self._shift) if self._shift else risk

    def tier_for(self, risk: float) -> Tier | None:
        t = self.card.thresholds
        return Tier.RED if risk >= t["red"] else Tier.YELLOW if risk >= t["yellow"] else None

    def contributors(self, x: np.ndarray, risk: np.ndarray) -> list[list[str]]:
        """Per row, the feature groups whose replacement by the training median lowers risk most."""
        if not len(x):
            return []
        groups = self._groups
        # one copy of the rows per group, scored in one call: the estimator's fixed cost per call
        # dominates a visit's single row (measured: 1.6 ms a call)
        occluded = np.tile(x[:, self._columns], (len(groups), 1))
        for g, idx in enumerate(groups.values()):
            occluded[g * len(x) : (g + 1) * len(x), idx] = self._reference[idx]
        deltas = (risk - self._risk(occluded).reshape(len(groups), len(x))).T
        names = list(groups)
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
        """The estimator as a skops artifact (the card, with the intercept shift, is stored beside it)."""
        import skops.io as sio  # noqa: PLC0415 (see the module's docstring)

        return sio.dumps(self.estimator)

    @classmethod
    def loads(cls, artifact: bytes, card: ModelCard) -> RiskModel:
        """Load an artifact whose every type is in TRUSTED_TYPES; anything else raises ValueError."""
        types = artifact_types(artifact)
        untrusted = sorted(types - TRUSTED_TYPES)
        if untrusted:
            raise ValueError(f"model artifact contains untrusted types: {', '.join(untrusted)}")
        import skops.io as sio  # noqa: PLC0415 (see the module's docstring)

        return cls(sio.loads(artifact, trusted=sorted(types)), card)


class WhoFallback:
    """What is served once a training has left the county without an active model of its own (fewer
    than `model_min_events` serious events, or no model good enough): the WHO 2019 CVD risk as a
    12-month risk, the `who_risk_12m` feature (constant hazard over the ten years, docs/model.md). It
    only informs and orders lists: it raises no tier, for its thresholds would not be the county's own
    (the rules and their floors decide)."""

    version = WHO_FALLBACK_VERSION

    def opinions(self, x: np.ndarray) -> list[ModelOpinion | None]:
        """A risk per row, or None where the charts give none (ages outside 40-74, missing inputs)."""
        column = x[:, FEATURES.index("who_risk_12m")] if len(x) else np.zeros(0)
        return [None if np.isnan(r) else ModelOpinion(risk=round(float(r), 4), version=self.version) for r in column]


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
