"""The §11 figures of every village and period, kept in a table so a county's page for any period
reads a few dozen rows instead of every resident's visits (CONTRACT §11, DESIGN: < 300 ms).

The rows are exact, not a cache of answers: each is what `computed_figures` gives for its village,
period and day, under the policy it names. Triggers delete the rows a write can change, in the
writer's transaction (m014); a row of a period in progress is taken on one day and is replaced the
next. What is missing is computed when asked for and kept; the nightly job fills the current and
the last twelve months, their quarters and years; `sanbiao indicators rebuild` fills any span.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Iterable

import msgspec
from sqlite_utils import Database

from service.area_views import area_region
from service.auth import Principal
from service.period_indicators import Figures, RegionFigures, Unit, as_of, computed_figures
from service.periods import BadPeriod, Period, months, months_before, quarter_of, year_of
from service.store.period_figures import keep_figures, kept_figures, valid_periods, villages
from stratify.policy import Policy

COLUMNS = tuple(Figures.__struct_fields__)
TREND_MONTHS = 12  # the dashboard's trend lines: the last 12 months


def policy_key(policy: Policy) -> str:
    """A short fingerprint of the policy's numbers: rows computed under other targets are not valid."""
    return hashlib.sha256(msgspec.json.encode(policy)).hexdigest()[:16]


def _figures(counts: Iterable[int]) -> Figures:
    return Figures(**dict(zip(COLUMNS, counts, strict=True)))


def compute_and_keep(
    db: Database, village: str, periods: list[Period], today: dt.date, policy: Policy
) -> tuple[dict[str, dict[Unit, Figures]], bool]:
    """The village's figures by family doctor for the periods, computed and stored in one read
    transaction, and whether they were stored: not if a write came in meanwhile (the figures are still
    exact as of the read). A village with nothing to count keeps one row of zeros, so it is known."""
    if db.conn.in_transaction:  # a read inside someone's transaction could not be kept safely
        raise RuntimeError("compute_and_keep needs a connection without an open transaction")
    db.conn.execute("BEGIN")
    try:
        found = computed_figures(db, village, periods, today, policy)
    except BaseException:
        db.conn.rollback()
        raise
    units = {p.code: found[p.code] or {(village, ""): Figures()} for p in periods}
    rows = [
        (p.code, village, doctor, p.end.isoformat(), as_of(p, today).isoformat(), msgspec.structs.asdict(figures))
        for p in periods
        for (_, doctor), figures in units[p.code].items()
    ]
    return units, keep_figures(db, rows, policy_key(policy), COLUMNS)


def region_figures(
    db: Database, user: Principal, region: str | None, periods: list[Period], today: dt.date, policy: Policy
) -> list[RegionFigures]:
    """Each village's figures of the region (default: the user's) for each period, from the table,
    computing what it lacks in one read per village; NotAllowed, OutsideRegion or BadPeriod."""
    region = area_region(user, region, "indicators")
    for period in periods:
        if period.start > today:
            raise BadPeriod(f"period: {period.code} has not begun")
    key = policy_key(policy)
    found: dict[str, dict[Unit, Figures]] = {}
    wanted: dict[str, list[Period]] = {}  # village -> the periods it lacks
    for period in dict.fromkeys(periods):  # each once (a trend's month may be the period asked for)
        kept, missing = kept_figures(db, region, period.code, as_of(period, today).isoformat(), key, COLUMNS)
        found[period.code] = {unit: _figures(counts) for unit, counts in kept.items()}
        for village in dict.fromkeys(missing):
            wanted.setdefault(village, []).append(period)
    for village, lacking in wanted.items():
        computed = compute_and_keep(db, village, lacking, today, policy)[0]
        for period in lacking:
            found[period.code].update(computed[period.code])
    return [RegionFigures(region, period, found[period.code]) for period in periods]


def periods_from(first: dt.date, today: dt.date) -> list[Period]:
    """Every month, quarter and year from the one holding `first` to the one holding `today`."""
    found = months(first, today)
    quarters = {quarter_of(m.start.year, (m.start.month - 1) // 3 + 1) for m in found}
    years = {year_of(m.start.year) for m in found}
    return [*found, *sorted(quarters, key=lambda p: p.start), *sorted(years, key=lambda p: p.start)]


def nightly_periods(today: dt.date) -> list[Period]:
    """What the nightly job keeps filled: the last 12 months and the current one (the trend lines),
    with their quarters and years."""
    return periods_from(months_before(today, TREND_MONTHS), today)


def fill(db: Database, periods: list[Period], today: dt.date, policy: Policy, region: str = "") -> Counter[str]:
    """Compute and keep every village's missing or stale rows of the periods (one read per village).
    Counts villages `computed`, rows `kept` and villages `skipped` because a write came in meanwhile."""
    key, days = policy_key(policy), {p.code: as_of(p, today).isoformat() for p in periods}
    done: Counter[str] = Counter()
    for village in villages(db, region):
        valid = valid_periods(db, village, days, key)
        wanted = [p for p in periods if p.code not in valid]
        if wanted:
            stored = compute_and_keep(db, village, wanted, today, policy)[1]
            done.update(computed=1, kept=len(wanted) * stored, skipped=not stored)
    return +done  # without the zeros
