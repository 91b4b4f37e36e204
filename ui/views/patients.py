"""GET /patients?q=: find a resident of your region; GET/POST /residents/new: register one (CONTRACT §10).

Both go through `service.patients`. A registered resident's card opens at once, where the first
visit can be recorded; a refused form comes back with each error beside its field, in the page's
language."""

from __future__ import annotations

import anyio.to_thread
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from sqlite_utils import Database

from service.patients import CONDITIONS, REGISTER_ROLES, require_registrar, search, villages
from service.patients import register as register_resident
from service.validation import Invalid
from ui.pages import form_errors, language, page
from ui.views.actions import first, read_form

NEW_PAGE = "/residents/new"
FIELDS = ("name", "sex", "birth_date", "national_id", "village_code", "phone", *CONDITIONS, *CONDITIONS.values())


@get("/patients", sync_to_thread=True, include_in_schema=False)
def patients_page(request: Request, db: NamedDependency[Database], q: FromQuery[str] = "") -> Template:
    """The search form and, for a query, the residents of the region it finds (at most 50)."""
    found = search(db, request.user, q, request.app.state.settings.today()) if q.strip() else None
    return page(request, "patients.html", q=q, found=found, may_register=request.user.role in REGISTER_ROLES)


def new_page(request: Request, db: Database, *, status_code: int = 200, form: dict, errors: dict) -> Template:
    return page(
        request,
        "resident/new.html",
        status_code=status_code,
        form=form,
        errors=errors,
        villages=villages(db, request.user),
        conditions=CONDITIONS,
        today=request.app.state.settings.today().isoformat(),
    )


@get(NEW_PAGE, include_in_schema=False)
async def registration_form(request: Request, db: NamedDependency[Database]) -> Template:
    """The empty form. Async on purpose: a `sync_to_thread` GET that shares its path with a POST is
    wrapped twice by Litestar 2.25 (see ui.views.staff)."""
    require_registrar(request.user)
    return await anyio.to_thread.run_sync(lambda: new_page(request, db, form={}, errors={}))


@post(NEW_PAGE, include_in_schema=False)
async def register(request: Request, db: NamedDependency[Database]) -> Template | Redirect:
    """Register the resident and open their card; the form again with its errors when refused."""
    form = await read_form(request)
    values = {name: first(form, name) for name in FIELDS if first(form, name)}
    state = request.app.state

    def store() -> Template | Redirect:
        try:
            record_id = register_resident(db, state.policy, request.user, values, state.settings.today())
        except Invalid as e:
            errors = form_errors(e.errors, language(request))
            return new_page(request, db, status_code=422, form=values, errors=errors)
        return Redirect(f"/residents/{record_id}", status_code=HTTP_303_SEE_OTHER)

    return await anyio.to_thread.run_sync(store)
