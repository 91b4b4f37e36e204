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
from stratify.features import FEATURES, GROUPS
from stratify.tiers import Finding, Source, Tier, because

if TYPE_CHECKING:
    from sklearn.calibration import CalibratedClassifierCV

TOP_CONTRIBUTORS = 2  # feature groups named in a model reason

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
