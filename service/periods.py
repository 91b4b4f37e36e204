"""Reporting periods of CONTRACT §11: a year (`2026`), a quarter (`2026Q3`) or a month (`2026-09`),
each a range of dates, first to last day inclusive, with the form DHIS2 gives it (`2026`, `2026Q3`,
`202609`)."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum

import msgspec

_FORMS = re.compile(r"(?P<year>\d{4})(?:Q(?P<quarter>[1-4])|-(?P<month>0[1-9]|1[0-2]))?")
FIRST_YEAR, LAST_YEAR = 1900, 2999  # a year outside is a typing error, not a period


class BadPeriod(ValueError):
    """A period that is none of the three forms (a 400)."""


class PeriodKind(StrEnum):
    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"


class Period(msgspec.Struct, frozen=True):
    code: str  # as asked: 2026, 2026Q3, 2026-09
    kind: PeriodKind
    start: dt.date
    end: dt.date

    @property
    def dhis2(self) -> str:
        return self.code.replace("-", "")


def month_of(year: int, month: int) -> Period:
    last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    return Period(f"{year}-{month:02d}", PeriodKind.MONTH, dt.date(year, month, 1), last)


def months(first: dt.date, last: dt.date) -> list[Period]:
    """Every month from the one holding `first` to the one holding `last`."""
    return [month_of(i // 12, i % 12 + 1) for i in range(_month_index(first), _month_index(last) + 1)]


def months_before(day: dt.date, count: int) -> dt.date:
    """The first day of the month `count` months before the one holding `day`."""
    i = _month_index(day) - count
    return dt.date(i // 12, i % 12 + 1, 1)


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def quarter_of(year: int, quarter: int) -> Period:
    first, last = month_of(year, 3 * quarter - 2), month_of(year, 3 * quarter)
    return Period(f"{year}Q{quarter}", PeriodKind.QUARTER, first.start, last.end)


def year_of(year: int) -> Period:
    return Period(str(year), PeriodKind.YEAR, dt.date(year, 1, 1), dt.date(year, 12, 31))


def parse_period(text: str) -> Period:
    """A period from its §11 form; BadPeriod (with the forms it takes) for anything else."""
    match = _FORMS.fullmatch(text.strip())
    year = int(match["year"]) if match else 0
    if not match or not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadPeriod(f"period: {text!r} is not a year (2026), a quarter (2026Q3) or a month (2026-09)")
    if match["month"]:
        return month_of(year, int(match["month"]))
    if match["quarter"]:
        return quarter_of(year, int(match["quarter"]))
    return year_of(year)
