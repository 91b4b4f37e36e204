"""GET /dashboard: the county center's figures, drilling down county -> township -> village -> patients
(`service.dashboard`); each area's tiers drawn as a bar."""

from __future__ import annotations

from typing import Literal

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template
from sqlite_utils import Database

from service.dashboard import AreaRow, dashboard
from service.exports import export_response
from service.vocabulary import URGENT_FIRST
from ui.charts import stacked_bar_svg
from ui.export import export_format, reason_cell
from ui.pages import page

CONTROL_COLUMNS = ("htn_registered", "htn_controlled", "dm_registered", "dm_controlled")  # WHO HEARTS


@get("/dashboard", sync_to_thread=True, include_in_schema=False)
def dashboard_page(
    request: Request,
    db: NamedDependency[Database],
    region: FromQuery[str | None] = None,
    show: FromQuery[Literal["unassigned"] | None] = None,
    export: FromQuery[str | None] = None,
) -> Template | Response:
    """Tiers by area, indicators, model and runs; `?show=unassigned` lists the tasks nobody holds by village."""
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
    return page(request, "dashboard.html", page=board, bars=bars)


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
