"""GET /api/v1/indicators: the figures the county answers for, by area, for a year, quarter or month
(CONTRACT §11), as JSON, CSV or a report workbook (audited, like every export) or a DHIS2
dataValueSets document."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import ClientException
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema
from litestar.params import FromQuery
from sqlite_utils import Database

from service.api.errors import errors
from service.auth import LOGIN_ROLES, allow
from service.dhis2 import BadDhis2Mapping, DataValueSet, data_value_set, load_dhis2_mapping
from service.exports import MEDIA_TYPES, ExportFormat, export_report, export_response, file_response, record_export
from service.figure_table import region_figures
from service.indicator_report import report_sheets
from service.period_indicators import Indicators, RegionFigures, TotalFigures, summary
from service.periods import parse_period, year_of
from stratify.policy import Policy


class IndicatorFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"
    DHIS2 = "dhis2"


FILE_TYPES = (MEDIA_TYPES[ExportFormat.CSV], MEDIA_TYPES[ExportFormat.XLSX])


@dataclass
class FilesToo(Operation):
    """The operation's 200 as generated (JSON: the figures or a DHIS2 document), and the CSV and XLSX
    files of `format=csv|xlsx` beside it."""

    def __post_init__(self) -> None:
        answer = (self.responses or {}).get("200")
        if isinstance(answer, OpenAPIResponse) and answer.content is not None:
            answer.content.update(
                {kind: OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING)) for kind in FILE_TYPES}
            )


@get(
    "/api/v1/indicators",
    guards=[allow(*LOGIN_ROLES)],
    sync_to_thread=True,
    tags=["indicators"],
    responses=errors(400),
    operation_class=FilesToo,
)
def get_indicators(
    request: Request,
    db: NamedDependency[Database],
    region: FromQuery[str | None] = None,
    period: FromQuery[str | None] = None,
    format: FromQuery[IndicatorFormat] = IndicatorFormat.JSON,  # the name CONTRACT §11 gives it
) -> Indicators | DataValueSet:  # or a file Response (FilesToo documents it)
    """The region's figures (default: the caller's region and the current year) by township or village,
    and their total: center and admins, township GPs and county specialists for their own region."""
    state = request.app.state
    today = state.settings.today()
    asked = parse_period(period) if period is not None else year_of(today.year)
    [found] = region_figures(db, request.user, region, [asked], today, state.policy)
    if format is IndicatorFormat.XLSX:
        return _workbook(request, db, found, state.policy)
    figures = summary(db, found, state.policy)
    if format is IndicatorFormat.DHIS2:
        return _dhis2(request, db, figures)
    if format is IndicatorFormat.CSV:
        keys = list(TotalFigures.__struct_fields__)
        rows = [[a.code, a.name or "", *(getattr(a, k) for k in keys)] for a in figures.areas]
        rows.append([figures.region, "total", *(getattr(figures.total, k) for k in keys)])
        filters = {"region": figures.region, "period": figures.period}
        name = f"indicators-{figures.region}-{figures.period}"
        return export_response(
            request,
            db,
            ExportFormat.CSV,
            name=name,
            filters=filters,
            header=["code", "name", *keys],
            rows=rows,
            patients=False,
        )
    return figures


def _workbook(request: Request, db: Database, found: RegionFigures, policy: Policy) -> Response:
    """The report workbook (service.indicator_report), audited as an export."""
    name = f"indicators-{found.region}-{found.period.code}"
    filters = {"region": found.region, "period": found.period.code}
    at = dt.datetime.now(ZoneInfo(request.app.state.settings.timezone))
    return file_response(
        export_report(db, request.user, name=name, filters=filters, sheets=report_sheets(db, found, policy), at=at)
    )


def _dhis2(request: Request, db: Database, figures: Indicators) -> DataValueSet:
    """The figures as DHIS2 data values through the county's mapping; audited as an export."""
    path = request.app.state.settings.dhis2_mapping
    if path is None:
        raise ClientException("format: dhis2 needs a mapping file (SANBIAO_DHIS2_MAPPING, docs/dhis2.md)")
    try:
        mapping = load_dhis2_mapping(path)
    except BadDhis2Mapping as e:
        raise ClientException(f"format: the DHIS2 mapping cannot be used: {e}") from None
    document = data_value_set(figures, parse_period(figures.period), mapping)
    filters = {"region": figures.region, "period": figures.period}
    record_export(db, request.user, "indicators-dhis2", filters, len(document.dataValues))
    return document
