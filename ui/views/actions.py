"""The card's forms: record a visit, record a call outcome. htmx swaps the card's status in place;
without JavaScript the forms post and redirect like any web form."""

from __future__ import annotations

import re
from collections.abc import Callable

import anyio.to_thread
import msgspec
from litestar import post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from sqlite_utils import Database

from service.auth import Principal
from service.card import read_card
from service.errors import BadReminder
from service.outcomes import OutcomeIn, record_outcome, task_resident
from service.overrides import set_override
from service.params import TaskId
from service.problems import problem, word
from service.validation import FieldError, Invalid, located
from service.visits import record_visit
from ui.pages import field_key, form_errors, language, page
from ui.views.resident import CardPage, card_page

INTEGER_FIELDS = ("sbp", "dbp", "heart_rate")
DECIMAL_FIELDS = ("fasting_glucose", "hba1c", "temperature_c")
CHOICE_FIELDS = ("visit_id", "date", "mode", "adherence", "referral", "hypoglycemia")  # visit_id: a phone's own

Form = dict[str, list[str]]
LISTED_FIELDS = frozenset({"symptoms", "med_drug", "med_dose", "med_stop"})  # fields sent once per row or box


def first(form: Form, name: str) -> str:
    return (form.get(name) or [""])[0].strip()


def parse_visit(form: Form) -> tuple[dict, list[FieldError], list[str]]:
    """Form fields -> a record-format visit, errors for values that are not numbers, and the form key of
    each of the visit's medicines (`parse_medicines`)."""
    visit: dict = {name: first(form, name) for name in CHOICE_FIELDS if first(form, name)}
    errors: list[FieldError] = []
    for name, kind in [*((n, int) for n in INTEGER_FIELDS), *((n, float) for n in DECIMAL_FIELDS)]:
        if value := first(form, name):
            try:
                visit[name] = kind(value)
            except ValueError:
                errors.append(FieldError(name, problem("whole_number" if kind is int else "number")))
    visit["medication_changed"] = first(form, "medication_changed") == "on"
    if first(form, "pregnant") == "on":  # unticked is "not asked" (the box shows only for women 15-49)
        visit["pregnant"] = True
    visit["symptoms"] = [s for s in form.get("symptoms", []) if s]
    medications, keys, wrong = parse_medicines(form)
    if medications is not None:
        visit["medications"] = medications
    return visit, errors + wrong, keys


NEW_MEDICINE = "med:new"  # the form key of the "add a medicine" row's errors; a listed one's is med:<drug>


def parse_medicines(form: Form) -> tuple[list[dict] | None, list[str], list[FieldError]]:
    """The form's medicines -> the visit's list (CONTRACT §3), the form key of each entry (for errors
    beside their row) and errors for doses that are not numbers. The list is recorded when the form
    showed one (the last list, pre-filled) or a medicine is added; every one stopped records `[]`."""
    drugs, doses, stopped = form.get("med_drug", []), form.get("med_dose", []), set(form.get("med_stop", []))
    rows = [
        (drug, dose.strip(), f"med:{drug}") for drug, dose in zip(drugs, doses, strict=False) if drug not in stopped
    ]
    if added := first(form, "add_drug"):
        rows.append((added, first(form, "add_dose"), NEW_MEDICINE))
    if not drugs and not added:
        return None, [], []
    medications, keys, errors = [], [], []
    for drug, dose, key in rows:
        try:
            medications.append({"drug": drug, "daily_dose_mg": float(dose)})
            keys.append(key)
        except ValueError:
            errors.append(FieldError(key, problem("number")))
    return medications, keys, errors


_MEDICINE_PATH = re.compile(r"^medications\[(\d+)\]")


def error_key(keys: list[str]) -> Callable[[str], str]:
    """The form field a visit error belongs beside: a medicine's row for `medications[i]...`."""

    def key(path: str) -> str:
        found = _MEDICINE_PATH.match(path)
        if found and int(found[1]) < len(keys):
            return keys[int(found[1])]
        return field_key(path)

    return key


async def read_form(request: HTMXRequest) -> Form:
    form = await request.form()
    return {key: form.getall(key) for key in form}


def current(request: HTMXRequest, db: Database, record_id: str) -> CardPage:
    """The card again, as it stands after the user's own change (not audited as a new read)."""
    state = request.app.state
    return card_page(read_card(db, request.user, record_id, state.policy, state.settings.today()), request)


def after_change(request: HTMXRequest, db: Database, record_id: str) -> Template | Redirect:
    """The card's status part for htmx (with a fresh visit form), else back to the card."""
    if not request.htmx:
        return Redirect(f"/residents/{record_id}", status_code=HTTP_303_SEE_OTHER)
    return page(request, "resident/_status.html", page=current(request, db, record_id), fresh_form=True)


@post("/residents/{record_id:str}/visits", include_in_schema=False)
async def add_visit(
    request: HTMXRequest, record_id: FromPath[str], db: NamedDependency[Database]
) -> Template | Redirect:
    """Store a visit (validated like any record) and re-assess at once; errors come back beside their fields."""
    form = await read_form(request)
    state = request.app.state
    today = state.settings.today()
    user: Principal = request.user
    visit, errors, medicine_keys = parse_visit(form)

    def store() -> Template | Redirect | None:
        nonlocal errors
        if not errors:
            try:
                record_visit(db, state.policy, user, record_id, visit, today)
                return after_change(request, db, record_id)
            except Invalid as e:
                errors = e.errors
        context = current(request, db, record_id)
        values = {k: v if k in LISTED_FIELDS else v[0] for k, v in form.items()}
        messages = form_errors(errors, language(request), error_key(medicine_keys))
        context = msgspec.structs.replace(context, form=values, errors=messages)
        template = "resident/_visit_form.html" if request.htmx else "resident/card.html"
        response = page(request, template, status_code=422, page=context)
        if request.htmx:
            response.headers.update({"HX-Retarget": "#visit-form", "HX-Reswap": "outerHTML"})
        return response

    return await anyio.to_thread.run_sync(store)


@post("/tasks/{task_id:int}/outcome", include_in_schema=False)
async def task_outcome(request: HTMXRequest, task_id: TaskId, db: NamedDependency[Database]) -> Template | Redirect:
    """A call outcome from the card, with the same rules and audit as the API."""
    form = await read_form(request)
    values = {name: first(form, name) for name in ("outcome", "note", "remind_on", "outcome_id") if first(form, name)}
    state = request.app.state
    today = state.settings.today()

    def store() -> Template | Redirect:
        try:
            data = msgspec.convert(values, OutcomeIn, strict=False)
            task = record_outcome(db, state.policy, request.user, task_id, data, today)
            return after_change(request, db, task.record_id)
        except (msgspec.ValidationError, BadReminder) as e:
            error = located(e, "outcome") if isinstance(e, msgspec.ValidationError) else FieldError("remind_on", str(e))
            message = word(error.field, error.message, language(request))
            record_id = task_resident(db, request.user, task_id)
            context = msgspec.structs.replace(current(request, db, record_id), outcome_errors={task_id: message})
            template = "resident/_status.html" if request.htmx else "resident/card.html"
            return page(request, template, status_code=422, page=context)

    return await anyio.to_thread.run_sync(store)


@post("/residents/{record_id:str}/override", include_in_schema=False)
async def override(
    request: HTMXRequest, record_id: FromPath[str], db: NamedDependency[Database]
) -> Template | Redirect:
    """A center override with a reason and an expiry; errors come back beside their fields."""
    form = await read_form(request)
    values = {name: first(form, name) for name in ("tier", "reason", "expires_on")}
    state = request.app.state
    today = state.settings.today()

    def store() -> Template | Redirect:
        try:
            set_override(db, state.policy, request.user, record_id, values, today)
            return after_change(request, db, record_id)
        except Invalid as e:
            context = current(request, db, record_id)
            errors = form_errors(e.errors, language(request))
            context = msgspec.structs.replace(context, override_form=values, override_errors=errors)
            return page(request, "resident/card.html", status_code=422, page=context)

    return await anyio.to_thread.run_sync(store)
