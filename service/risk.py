"""The risk model in the service: train and register, and the active model loaded once per version."""

from __future__ import annotations

import datetime as dt
import threading

import msgspec
import numpy as np
from sqlite_utils import Database
from threadpoolctl import threadpool_limits

from service.store.histories import iter_managed_histories
from service.store.models import activate_fallback, active_model_version, model_artifact, register_model
from stratify.assess import status_on
from stratify.features import FEATURES, feature_matrix, training_examples, window_examples
from stratify.model import WHO_FALLBACK_VERSION, ModelCard, NotEnoughData, RiskModel, WhoFallback, artifact_hash
from stratify.policy import Policy
from stratify.records import Resident
from stratify.tiers import Status

MAX_TRAINING_RESIDENTS = 50_000  # beyond this, more residents add training time, not measurable quality
_lock = threading.Lock()
_loaded: dict[str, RiskModel] = {}  # version -> model; only the active one is kept


def active_risk_model(db: Database) -> RiskModel | None:
    """The active county model (None when none, or when the WHO fallback is active): its version is
    looked up on every call (another process may have activated a new one), its skops artifact read and
    loaded only the first time that version is seen."""
    return _county_model(db, active_model_version(db))


def _county_model(db: Database, version: str | None) -> RiskModel | None:
    if version is None or version == WHO_FALLBACK_VERSION:
        return None
    with _lock:
        if version not in _loaded:
            card, artifact, file_hash = model_artifact(db, version)
            if artifact_hash(artifact) != file_hash:
                raise ValueError(f"model {version}: artifact does not match its recorded hash")
            _loaded.clear()
            _loaded[version] = RiskModel.loads(artifact, msgspec.json.decode(card, type=ModelCard))
        return _loaded[version]


def served_model(db: Database) -> RiskModel | WhoFallback | None:
    """What gives residents their `risk`: the active model, the county's or the WHO fallback (the WHO
    2019 chart's 12-month risk, active once a training left the county without a model of its own:
    docs/model.md); None before any training (CONTRACT §4.4: no model active, `risk` null)."""
    version = active_model_version(db)
    return WhoFallback() if version == WHO_FALLBACK_VERSION else _county_model(db, version)


def train_model(db: Database, policy: Policy, *, as_of: dt.date, horizon_days: int, now: dt.datetime) -> ModelCard:
    """Train on every managed resident's data before as_of and register the model (active if good enough).

    Raises `stratify.model.NotEnoughData`; the previous model then stays active. Whenever a training
    leaves no model active (too few events, or a model not good enough), the WHO fallback becomes the
    active one (`activate_fallback`), until a county model is.
    """
    from stratify.training import Windows, train  # noqa: PLC0415 (scikit-learn's training side loads only to train)

    managed = db.execute("SELECT count(*) FROM residents WHERE managed = 1").fetchone()[0]
    step = max(1, -(-managed // MAX_TRAINING_RESIDENTS))  # every step-th resident trains; all are scored
    sampled: list[Resident] = []
    scored: list[np.ndarray] = []
    seen = 0
    for batch in iter_managed_histories(db):
        sampled += [h.resident for n, h in enumerate(batch, seen) if n % step == 0]
        seen += len(batch)
        living = [h.resident for h in batch if status_on(h.resident, as_of, h.status) is Status.ACTIVE]
        scored.append(feature_matrix(living, as_of, policy))
    examples = training_examples(sampled, as_of, horizon_days, policy)
    windows = Windows(
        recent=window_examples(sampled, as_of - dt.timedelta(days=horizon_days), horizon_days, policy),
        earlier=window_examples(sampled, as_of - dt.timedelta(days=2 * horizon_days), horizon_days, policy),
    )
    population = np.vstack(scored) if scored else np.zeros((0, len(FEATURES)))
    # One thread for OpenMP and BLAS: once any thread of the process had used them, training from
    # another thread (a request, the scheduler) ran 6x slower while their idle pools spun (measured on
    # 6,000 residents: 63 s vs 11 s); single-threaded it takes 12 s from any thread.
    with threadpool_limits(limits=1):
        try:
            model = train(
                examples, windows, population, as_of=as_of, horizon_days=horizon_days, policy=policy, trained_at=now
            )
        except NotEnoughData as e:
            _fall_back(db, str(e), now)
            raise
    card = model.card
    artifact = model.dumps()
    register_model(
        db,
        version=card.version,
        card=msgspec.json.encode(card).decode(),
        artifact=artifact,
        file_hash=artifact_hash(artifact),
        activate=card.active,
    )
    if not card.active:
        _fall_back(db, f"{card.version}: {card.why_inactive}", now)
    return card


def _fall_back(db: Database, why: str, now: dt.datetime) -> None:
    """The WHO fallback active unless a model is (its card says why the county has none of its own)."""
    card = {"version": WHO_FALLBACK_VERSION, "why": why, "refused_at": now.isoformat()}
    activate_fallback(db, WHO_FALLBACK_VERSION, msgspec.json.encode(card).decode())
