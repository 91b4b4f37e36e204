"""GET /residents/{record_id}: tier and why, trends, visits, open tasks; ids masked unless it is your patient."""

from __future__ import annotations

import datetime as dt

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from sqlite_utils import Database

from followup.tasks import Task
from service.actions import OVERRIDE_ROLES, OutsideRegion, ResidentNotFound
from service.auth import Principal
from service.store.audit import record_read
from service.store.residents import resident_card
from service.store.tasks import resident_tasks
from ui.charts import Series, trend_svg
from ui.pages import age_on, page
from ui.privacy import mask_national_id, mask_phone

CHILDBEARING_AGES = (15, 49)  # WHO: women of reproductive age; the visit form asks about pregnancy


class CardPage(msgspec.Struct):
    card: dict
    age: int
    national_id: str
    phone: str
    can_call: bool
    tasks: list[Task]
    bp_chart: str
    glucose_chart: str
    today: str
    form: dict = msgspec.field(default_factory=dict)  # the visit form's values, kept when it has errors
    errors: dict = msgspec.field(default_factory=dict)  # field -> message, shown beside the field
    may_override: bool = False
    may_be_pregnant: bool = False
    override_form: dict = msgspec.field(default_factory=dict)
    override_errors: dict = msgspec.field(default_factory=dict)
    outcome_errors: dict = msgspec.field(default_factory=dict)  # task_id -> message


@get("/residents/{record_id:str}", sync_to_thread=True, include_in_schema=False)
def resident_page(request: Request, record_id: FromPath[str], db: NamedDependency[Database]) -> Template:
    user: Principal = request.user
    context = card_page(db, record_id, user, request.app.state.settings.today())
    record_read(db, actor=user.name, record_id=record_id)
    return page(request, "resident/card.html", page=context)


def card_page(db: Database, record_id: str, user: Principal, today: dt.date) -> CardPage:
    """Everything the card shows; raises ResidentNotFound or OutsideRegion."""
    card = resident_card(db, record_id)
    if card is None:
        raise ResidentNotFound(record_id)
    if not card["village_code"].startswith(user.region):
        raise OutsideRegion(f"resident {record_id} is outside your region")
    own = card["family_doctor"] == user.name
    age = age_on(card["birth_date"], today)
    visits = list(reversed(card["visits"]))
    dates = [v["date"] for v in visits]
    bp = trend_svg(
        dates,
        [Series("SBP", [v["sbp"] for v in visits], "sbp"), Series("DBP", [v["dbp"] for v in visits], "dbp")],
        low=50,
        high=220,
        guides=(140, 90),
    )
    glucose = (
        trend_svg(dates, [Series("FPG", [v["fasting_glucose"] for v in visits], "fpg")], low=2, high=20, guides=(7.0,))
        if any(v["fasting_glucose"] for v in visits)
        else ""
    )
    return CardPage(
        card=card,
        age=age,
        national_id=(card["national_id"] or "") if own else mask_national_id(card["national_id"]),
        phone=(card["phone"] or "") if own else mask_phone(card["phone"]),
        can_call=own and bool(card["phone"]),
        tasks=resident_tasks(db, record_id),
        bp_chart=bp,
        glucose_chart=glucose,
        today=today.isoformat(),
        may_override=user.role in OVERRIDE_ROLES,
        may_be_pregnant=card["sex"] == "F" and CHILDBEARING_AGES[0] <= age <= CHILDBEARING_AGES[1],
    )
