"""GET /dashboard: the county center's figures, drilling down county -> township -> village -> patients.

Tier counts and indicators come from the village tables the nightly run keeps (fast on any county);
a village's patient list is read live.
"""

from __future__ import annotations

import msgspec
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template
from sqlite_utils import Database

from service.auth import Principal, Role
from service.store.areas import area_names
from service.store.indicators import AreaCounts, RegionIndicators, active_card, recent_runs, region_indicators
from service.store.residents import village_patients
from ui.charts import stacked_bar_svg
from ui.export import csv_response, reason_cell
from ui.pages import error_page, page

CHILD_DIGITS = {6: 9, 9: 12, 12: 12}  # county -> townships, township -> villages, a village itself
TIERS = ("red", "yellow", "green")
CONTROL_COLUMNS = ("htn_registered", "htn_controlled", "dm_registered", "dm_controlled")  # WHO HEARTS


class AreaRow(msgspec.Struct):
    area: str
    name: str | None
    counts: AreaCounts
    bar: str


class Patient(msgspec.Struct):
    record_id: str
    name: str
    tier: str | None
    reason: dict | None  # the first reason of the current assessment


class DashboardPage(msgspec.Struct):
    region: str
    name: str | None
    parent: str | None
    areas: list[AreaRow]  # townships or villages; empty on a village's page
    totals: dict[str, int]
    patients: list[Patient]  # a village's managed residents, red first
    indicators: RegionIndicators | None  # None until the first nightly run
    model: dict | None
    runs: list[tuple]


@get("/dashboard", sync_to_thread=True, include_in_schema=False)
def dashboard(
    request: Request,
    db: NamedDependency[Database],
    region: FromQuery[str | None] = None,
    export: FromQuery[str | None] = None,
) -> Template | Response:
    user: Principal = request.user
    if user.role not in (Role.CENTER, Role.ADMIN):
        return error_page(request, 403, "forbidden")
    region = region or user.region
    if len(region) not in CHILD_DIGITS or not region.isdigit() or not region.startswith(user.region):
        return error_page(request, 403, "forbidden")
    indicators = region_indicators(db, region, CHILD_DIGITS[len(region)])
    counts = indicators.areas if indicators else []
    names = area_names(db, [region, *(a.area for a in counts)])
    village = len(region) == 12
    areas = [AreaRow(a.area, names.get(a.area), a, _bar(a, names)) for a in ([] if village else counts)]
    patients = [
        Patient(record_id, name, tier, msgspec.json.decode(reasons)[0] if reasons and reasons != "[]" else None)
        for record_id, name, tier, reasons in (village_patients(db, region) if village else [])
    ]
    totals = {tier: sum(getattr(a, tier) for a in counts) for tier in TIERS}
    if export == "csv":
        if not village:
            return csv_response(
                f"tiers-{region}.csv",
                ("area", "name", "red", "yellow", "green", "untiered", *CONTROL_COLUMNS),
                ((a.area, a.name or "", *_counts(a.counts)) for a in areas),
            )
        return csv_response(
            f"patients-{region}.csv",
            ("record_id", "name", "tier", "reason"),
            ((p.record_id, p.name, p.tier or "", reason_cell(request, p.reason)) for p in patients),
        )
    parent = region[:-3] if len(region) > 6 and region[:-3].startswith(user.region) else None
    context = DashboardPage(
        region, names.get(region), parent, areas, totals, patients, indicators, active_card(db), recent_runs(db)
    )
    return page(request, "dashboard.html", page=context)


def _counts(a: AreaCounts) -> tuple[int, ...]:
    bp, glucose = a.bp, a.glucose
    return (a.red, a.yellow, a.green, a.untiered, bp.registered, bp.controlled, glucose.registered, glucose.controlled)


def _bar(a: AreaCounts, names: dict[str, str]) -> str:
    counts = {tier: getattr(a, tier) for tier in TIERS}
    return stacked_bar_svg(names.get(a.area, a.area), counts, f"/dashboard?region={a.area}")
