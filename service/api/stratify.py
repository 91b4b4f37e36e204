"""POST /api/v1/stratify and POST /api/v1/model/train (CONTRACT §4.2, §4.3)."""

from __future__ import annotations

import datetime as dt

import msgspec
from litestar import Request, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK
from sqlite_utils import Database

from service.api.errors import errors
from service.auth import Role, allow
from service.jobs import RunSummary, check_as_of, run_nightly
from service.risk import train_model
from stratify.model import ModelCard
from stratify.policy import Days

COUNTY_STAFF = (Role.CENTER, Role.ADMIN)


class StratifyIn(msgspec.Struct, forbid_unknown_fields=True):
    as_of: dt.date | None = None


class TrainIn(msgspec.Struct, forbid_unknown_fields=True):
    as_of: dt.date | None = None
    horizon_days: Days | None = None


@post(
    "/api/v1/stratify",
    guards=[allow(*COUNTY_STAFF)],
    sync_to_thread=True,
    status_code=HTTP_200_OK,
    tags=["stratify"],
    responses=errors(400),
)
def stratify(request: Request, db: NamedDependency[Database], data: JSONBody[StratifyIn | None] = None) -> RunSummary:
    """Re-stratify every managed resident as of a date (default today); 400 for a future date."""
    state = request.app.state
    today = state.settings.today()
    as_of = check_as_of((data and data.as_of) or today, today)
    return run_nightly(db, state.policy, as_of, trigger=f"api:{request.user.name}")


@post(
    "/api/v1/model/train",
    guards=[allow(*COUNTY_STAFF)],
    sync_to_thread=True,
    status_code=HTTP_200_OK,
    tags=["stratify"],
    responses=errors(400, 422),
)
def train(request: Request, db: NamedDependency[Database], data: JSONBody[TrainIn | None] = None) -> ModelCard:
    """Train on data dated before as_of; 422 with the reason (old model kept) when data is too thin."""
    state = request.app.state
    today = state.settings.today()
    as_of = check_as_of((data and data.as_of) or today, today)
    horizon = (data and data.horizon_days) or state.policy.model_horizon_days
    return train_model(db, state.policy, as_of=as_of, horizon_days=horizon, now=dt.datetime.now(dt.UTC))
