"""Calibration drift of the served model: observed / expected serious events per calendar quarter
since it was activated (docs/model.md).

Each quarter's residents are those managed and alive on the day before it starts (the activation day
for the first), scored as of that day, as the nightly job scored them then (an assessment is a pure
function of the data up to its as_of, CONTRACT §2); expected = the sum of their risks over the
quarter's days, observed = how many of them had a serious event in it.
"""

from __future__ import annotations

import datetime as dt

import msgspec
import numpy as np

QUARTER_MONTHS = 3


class QuarterDrift(msgspec.Struct, frozen=True):
    """Observed / expected serious events in one quarter since the model was activated."""

    quarter: str  # e.g. "2027Q1"
    scored_on: str
    last_day: str
    n: int  # residents scored
    observed: int  # of them with a serious event in the quarter
    expected: float

    @property
    def ratio(self) -> float | None:
        return self.observed / self.expected if self.expected else None


def quarter_of(day: dt.date) -> tuple[str, dt.date]:
    """The quarter's name ("2027Q1") and its last day."""
    q = (day.month - 1) // QUARTER_MONTHS
    last_month = (q + 1) * QUARTER_MONTHS
    first_of_next = dt.date(day.year + last_month // 12, last_month % 12 + 1, 1)
    return f"{day.year}Q{q + 1}", first_of_next - dt.timedelta(days=1)


def closed_quarters(activated: dt.date, as_of: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """(name, scored on, last day) of each quarter since activation that ended before as_of: the first
    is scored on the activation day, the others on the last day of the quarter before."""
    found = []
    scored_on = activated
    name, last = quarter_of(activated)
    while last < as_of:
        found.append((name, scored_on, last))
        scored_on = last
        name, last = quarter_of(last + dt.timedelta(days=1))
    return found


def expected_events(risk: np.ndarray, days: int, horizon_days: int) -> float:
    """Expected residents with an event within `days`, from risks over `horizon_days`, under a constant
    hazard: the sum of 1 - (1 - risk) ** (days / horizon)."""
    return float((1 - (1 - risk) ** (days / horizon_days)).sum())
