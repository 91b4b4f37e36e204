"""GET /residents/{record_id}: tier and why, trends, visits, open tasks; ids masked unless it is your patient.

The card comes from `service.card.read_card`, as GET /api/v1/residents/{record_id}'s answer does.
"""

from __future__ import annotations

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from markupsafe import Markup
from sqlite_utils import Database

from service.card import Card, dial, open_card
from ui.charts import Series, trend_svg
from ui.i18n import translate
from ui.pages import language, page

BP_CHART = (50, 220)  # mmHg shown on the BP trend
FPG_CHART = (2, 20)  # mmol/L shown on the glucose trend


class MedicineRow(msgspec.Struct, frozen=True):
    """A medicine on the visit form: kept as it is, its dose changed, or stopped."""

    drug: str
    dose: str
    stopped: bool = False


class CardPage(msgspec.Struct):
    card: Card
    bp_chart: Markup
    glucose_chart: Markup
    today: str
    form: dict = msgspec.field(default_factory=dict)  # the visit form's values, kept when it has errors
    errors: dict = msgspec.field(default_factory=dict)  # field -> message, shown beside the field
    override_form: dict = msgspec.field(default_factory=dict)
    override_errors: dict = msgspec.field(default_factory=dict)
    outcome_errors: dict = msgspec.field(default_factory=dict)  # task_id -> message

    @property
    def medicine_rows(self) -> list[MedicineRow]:
        """The visit form's medicines: as sent when the form comes back with errors, else the last list."""
        if "med_drug" in self.form:
            stopped = set(self.form.get("med_stop", ()))
            doses = self.form.get("med_dose", [])
            return [
                MedicineRow(drug, dose, drug in stopped)
                for drug, dose in zip(self.form["med_drug"], doses, strict=False)
            ]
        return [MedicineRow(m.drug, f"{m.daily_dose_mg:g}") for m in self.card.treatment.medicines or ()]


@get("/residents/{record_id:str}", sync_to_thread=True, include_in_schema=False)
def resident_page(request: Request, record_id: FromPath[str], db: NamedDependency[Database]) -> Template:
    """The card, audited as a read of the resident."""
    state = request.app.state
    today = state.settings.today()
    return page(
        request,
        "resident/card.html",
        page=card_page(open_card(db, request.user, record_id, state.policy, today), request),
    )


@get("/residents/{record_id:str}/call", sync_to_thread=True, include_in_schema=False)
def call_page(request: Request, record_id: FromPath[str], db: NamedDependency[Database]) -> Redirect:
    """A call link: audited as a read of the number, then on to the phone's dialler."""
    return Redirect(f"tel:{dial(db, request.user, record_id)}", status_code=HTTP_303_SEE_OTHER)


def card_page(card: Card, request: Request) -> CardPage:
    """The card with its charts, guide lines at this resident's own targets."""
    visits = list(reversed(card.visits))
    dates = [v.date.isoformat() for v in visits]
    label = translate(language(request), "trend")
    bp = trend_svg(
        dates,
        [Series("SBP", [v.sbp for v in visits], "sbp"), Series("DBP", [v.dbp for v in visits], "dbp")],
        low=BP_CHART[0],
        high=BP_CHART[1],
        guides=card.bp_target,
        label=label,
    )
    glucose = (
        trend_svg(
            dates,
            [Series("FPG", [v.fasting_glucose for v in visits], "fpg")],
            low=FPG_CHART[0],
            high=FPG_CHART[1],
            guides=(card.fpg_target,),
            label=label,
        )
        if any(v.fasting_glucose for v in visits)
        else Markup("")
    )
    return CardPage(card=card, bp_chart=bp, glucose_chart=glucose, today=request.app.state.settings.today().isoformat())
