"""The dashboard's figures for a chosen period (CONTRACT §11): the region's areas and total from the
kept table, the last 12 months as trend lines, a village's figures by family doctor, and the live
lists of the day (new reds, overdue urgent referrals)."""

from __future__ import annotations

import datetime as dt

import msgspec
from sqlite_utils import Database

from service.auth import Principal
from service.figure_table import TREND_MONTHS, region_figures
from service.period_indicators import Figures, Indicators, summary
from service.periods import Period, month_of, months, months_before, quarter_of, year_of
from service.store.live_lists import new_reds, overdue_referrals
from stratify.policy import Policy

PICKER_YEARS = 3  # the picker offers this year and the two before, their quarters and months


class Doctor(msgspec.Struct, frozen=True):
    username: str  # "" = residents without a family doctor
    figures: Figures


class LiveList(msgspec.Struct, frozen=True):
    rows: list[tuple]
    total: int


class PeriodBoard(msgspec.Struct, frozen=True):
    period: Period
    choices: list[Period]  # the picker's periods, newest first
    figures: Indicators
    trend: list[tuple[Period, Figures]]  # the region's total of each month, oldest first
    doctors: list[Doctor] | None  # a village's figures by family doctor
    new_reds: LiveList
    overdue_referrals: LiveList


def picker_periods(today: dt.date) -> list[Period]:
    """Years, then quarters, then months, newest first, none after today's."""
    years = range(today.year, today.year - PICKER_YEARS, -1)
    quarters = [quarter_of(y, q) for y in years for q in range(4, 0, -1)]
    months = [month_of(y, m) for y in years for m in range(12, 0, -1)]
    return [p for p in (*map(year_of, years), *quarters, *months) if p.start <= today]


def trend_months(period: Period, today: dt.date) -> list[Period]:
    """The 12 months up to the period's last month (or today's, while it is not over)."""
    last = min(period.end, today)
    return months(months_before(last, TREND_MONTHS - 1), last)


def period_board(
    db: Database, user: Principal, region: str | None, period: Period, today: dt.date, policy: Policy
) -> PeriodBoard:
    """The period's figures of the region (default: the user's); NotAllowed, OutsideRegion or BadPeriod."""
    found, *months = region_figures(db, user, region, [period, *trend_months(period, today)], today, policy)
    region = found.region
    trend = [(month.period, month.rolled_up(len(region)).get(region, Figures())) for month in months]
    by_doctor = found.doctors(region) if len(region) == 12 else None
    doctors = None if by_doctor is None else [Doctor(name, by_doctor[name]) for name in sorted(by_doctor)]
    return PeriodBoard(
        period=period,
        choices=picker_periods(today),
        figures=summary(db, found, policy),
        trend=trend,
        doctors=doctors,
        new_reds=LiveList(*new_reds(db, region, today)),
        overdue_referrals=LiveList(*overdue_referrals(db, region, today)),
    )
