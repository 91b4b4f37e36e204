"""GET /dashboard: the county center's figures, drilling down county -> township -> village -> patients
(`service.dashboard`); each area's tiers drawn as a bar."""

from __future__ import annotations

from typing import Literal

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template
from markupsafe import Markup
from sqlite_utils import Database

from service.dashboard import AreaRow, dashboard
from service.exports import export_response
from service.period_board import PeriodBoard, period_board
from service.periods import Period, parse_period, year_of
from service.vocabulary import URGENT_FIRST
from ui.charts import Series, stacked_bar_svg, trend_svg
from ui.export import export_format, reason_cell
from ui.i18n import translate
from ui.pages import language, page

CONTROL_COLUMNS = ("htn_registered", "htn_controlled", "dm_registered", "dm_controlled")  # WHO HEARTS


@get("/dashboard", sync_to_thread=True, include_in_schema=False)
def dashboard_page(
    request: Request,
    db: NamedDependency[Database],
    region: FromQuery[str | None] = None,
    show: FromQuery[Literal["unassigned"] | None] = None,
    export: FromQuery[str | None] = None,
    period: FromQuery[str | None] = None,
) -> Template | Response:
    """Tiers by area, the §11 figures of a period (default: this year) with their trends, the day's live
    lists, model and runs; `?show=unassigned` lists the tasks nobody holds by village."""
    board = dashboard(db, request.user, region, unassigned=show == "unassigned")
    fmt = export_format(export)
    if fmt is not None and not board.village:
        return export_response(
            request,
            db,
            fmt,
            name=f"tiers-{board.region}",
            filters={"region": board.region},
            header=("area", "name", *URGENT_FIRST, "untiered", *CONTROL_COLUMNS),
            rows=((a.area, a.name or "", *_counts(a)) for a in board.areas),
            patients=False,
        )
    if fmt is not None:
        return export_response(
            request,
            db,
            fmt,
            name=f"patients-{board.region}",
            filters={"region": board.region},
            header=("record_id", "name", "tier", "reason"),
            rows=((p.record_id, p.name, p.tier or "", reason_cell(request, p.reason)) for p in board.patients),
            patients=True,
        )
    bars = {
        a.area: stacked_bar_svg(a.name or a.area, a.tiers(), URGENT_FIRST, f"/dashboard?region={a.area}")
        for a in board.areas
    }
    state = request.app.state
    today = state.settings.today()
    chosen = parse_period(period) if period else year_of(today.year)
    figures = period_board(db, request.user, board.region, chosen, today, state.policy)
    lang = language(request)
    return page(
        request,
        "dashboard.html",
        page=board,
        bars=bars,
        figures=figures,
        charts=trend_charts(figures, lang),
        period_name=lambda p: period_name(p, lang),
        share=share,
        figure_columns=FIGURE_COLUMNS,
    )


# The period figures' columns, head and cells from this one list: (label, is a share, its figures): a
# share shows part / whole as a percentage, otherwise the figures are shown as counts joined by "/".
FIGURE_COLUMNS = (
    ("col_htn_managed", False, ("htn_managed",)),
    ("col_htn_rate", True, ("htn_managed", "htn_expected")),
    ("col_htn_standard", True, ("htn_standard", "htn_managed")),
    ("col_htn_controlled", True, ("htn_controlled", "htn_managed")),
    ("col_dm_managed", False, ("dm_managed",)),
    ("col_dm_rate", True, ("dm_managed", "dm_expected")),
    ("col_dm_controlled", True, ("dm_controlled", "dm_managed")),
    ("col_hearts_controlled", True, ("hearts_htn_controlled", "hearts_htn_registered")),
    ("col_hearts_missed", True, ("hearts_htn_missed", "hearts_htn_registered")),
    ("col_hearts_ltfu", True, ("hearts_htn_ltfu", "hearts_htn_registered")),
    ("col_tiers", False, ("red", "yellow", "green")),
    ("col_referrals", False, ("referrals_completed", "referrals_up")),
    ("col_events", False, ("serious_events",)),
    ("col_tasks", True, ("tasks_done_on_time", "tasks_due")),
    ("col_not_intensified", False, ("htn_uncontrolled_not_intensified", "dm_uncontrolled_not_intensified")),
)


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def period_name(period: Period, lang: str) -> str:
    """2026年 / 2026年第3季度 / 2026年9月, or their English forms."""
    year, month = period.start.year, period.start.month
    return translate(lang, f"period_{period.kind}", year=year, quarter=(month + 2) // 3, month=month)


def trend_charts(figures: PeriodBoard, lang: str) -> list[Markup]:
    """The region's 12 months: control, standard management and missed visits (%), and the tiers."""
    months = [p.code for p, _ in figures.trend]
    totals = [f for _, f in figures.trend]

    def percent(part: str, whole: str) -> list[float | None]:
        return [None if (r := share(getattr(f, part), getattr(f, whole))) is None else 100 * r for f in totals]

    rates = [
        Series(translate(lang, "col_htn_controlled"), percent("htn_controlled", "htn_managed"), "control"),
        Series(translate(lang, "col_htn_standard"), percent("htn_standard", "htn_managed"), "standard"),
        Series(translate(lang, "col_hearts_missed"), percent("hearts_htn_missed", "hearts_htn_registered"), "missed"),
    ]
    tiers = [Series(translate(lang, tier), [getattr(f, tier) for f in totals], tier) for tier in URGENT_FIRST]
    most = max((getattr(f, tier) for f in totals for tier in URGENT_FIRST), default=0)
    return [
        trend_svg(months, rates, low=0, high=100, guides=(50,), label=translate(lang, "trend_rates")),
        trend_svg(months, tiers, low=0, high=max(most, 1), label=translate(lang, "trend_tiers")),
    ]


def _counts(a: AreaRow) -> tuple[int, ...]:
    c = a.counts
    return (
        *a.tiers().values(),
        c.untiered,
        c.bp.registered,
        c.bp.controlled,
        c.glucose.registered,
        c.glucose.controlled,
    )
