"""GET /dashboard: the county center's tier distribution, drilling down county -> township -> village."""

from __future__ import annotations

import msgspec
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template
from sqlite_utils import Database

from service.auth import Principal, Role
from service.store.indicators import (
    Control,
    active_card,
    bp_control,
    completion,
    glucose_control,
    overdue_by_doctor,
    recent_runs,
    transitions,
)
from service.store.residents import region_tiers, village_patients
from ui.charts import stacked_bar_svg
from ui.export import csv_response, reason_cell
from ui.pages import error_page, page

CHILD_DIGITS = {6: 9, 9: 12}  # county -> townships, township -> villages


class AreaRow(msgspec.Struct):
    area: str
    red: int
    yellow: int
    green: int
    untiered: int
    bar: str


class Patient(msgspec.Struct):
    record_id: str
    name: str
    tier: str | None
    reason: dict | None  # the first reason of the current assessment


class Indicators(msgspec.Struct):
    """The HEARTS and follow-up indicators of a region (definitions in service/store/indicators.py)."""

    bp: Control
    glucose: Control
    completion: tuple[int, int]
    overdue_by_doctor: list[tuple[str, int]]
    transitions: list[tuple[str | None, str | None, int, str]]
    model: dict | None
    runs: list[tuple]


class DashboardPage(msgspec.Struct):
    region: str
    parent: str | None
    areas: list[AreaRow]
    totals: dict[str, int]
    patients: list[Patient]
    indicators: Indicators


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
    if len(region) not in (6, 9, 12) or not region.isdigit() or not region.startswith(user.region):
        return error_page(request, 403, "forbidden")
    areas, patients = [], []
    if len(region) in CHILD_DIGITS:
        digits = CHILD_DIGITS[len(region)]
        for area, red, yellow, green, untiered in region_tiers(db, region, digits):
            counts = {"red": red or 0, "yellow": yellow or 0, "green": green or 0}
            areas.append(
                AreaRow(
                    area,
                    counts["red"],
                    counts["yellow"],
                    counts["green"],
                    untiered or 0,
                    stacked_bar_svg(area, counts, f"/dashboard?region={area}"),
                )
            )
    else:
        for record_id, name, tier, reasons in village_patients(db, region):
            first = msgspec.json.decode(reasons)[0] if reasons and reasons != "[]" else None
            patients.append(Patient(record_id, name, tier, first))
    totals = (
        {k: sum(getattr(a, k) for a in areas) for k in ("red", "yellow", "green")}
        if areas
        else {k: sum(p.tier == k for p in patients) for k in ("red", "yellow", "green")}
    )
    if export == "csv":
        if areas:
            return csv_response(
                f"tiers-{region}.csv",
                ("area", "red", "yellow", "green", "untiered"),
                ((a.area, a.red, a.yellow, a.green, a.untiered) for a in areas),
            )
        return csv_response(
            f"patients-{region}.csv",
            ("record_id", "name", "tier", "reason"),
            ((p.record_id, p.name, p.tier or "", reason_cell(request, p.reason)) for p in patients),
        )
    parent = region[:-3] if len(region) > 6 and region[:-3].startswith(user.region) else None
    state = request.app.state
    today = state.settings.today()
    indicators = Indicators(
        bp=bp_control(db, region, today, state.policy),
        glucose=glucose_control(db, region, today, state.policy),
        completion=tuple(n or 0 for n in completion(db, region, today)),
        overdue_by_doctor=overdue_by_doctor(db, region, today),
        transitions=transitions(db, region, today.replace(day=1)),
        model=active_card(db),
        runs=recent_runs(db),
    )
    return page(request, "dashboard.html", page=DashboardPage(region, parent, areas, totals, patients, indicators))
