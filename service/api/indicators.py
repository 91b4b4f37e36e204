"""GET /api/v1/indicators: the figures the county answers for, by area, for a year, quarter or month
(CONTRACT §11)."""

from __future__ import annotations

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from sqlite_utils import Database

from service.api.errors import errors
from service.auth import LOGIN_ROLES, allow
from service.period_indicators import Indicators, indicators
from service.periods import parse_period, year_of


@get(
    "/api/v1/indicators", guards=[allow(*LOGIN_ROLES)], sync_to_thread=True, tags=["indicators"], responses=errors(400)
)
def get_indicators(
    request: Request,
    db: NamedDependency[Database],
    region: FromQuery[str | None] = None,
    period: FromQuery[str | None] = None,
) -> Indicators:
    """The region's figures (default: the caller's region and the current year) by township or village,
    and their total: center and admins, township GPs and county specialists for their own region."""
    state = request.app.state
    today = state.settings.today()
    asked = parse_period(period) if period is not None else year_of(today.year)
    return indicators(db, request.user, region, asked, today, state.policy)
