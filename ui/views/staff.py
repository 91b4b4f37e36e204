"""GET/POST /admin/users: the county center's staff (CONTRACT §9), through `service.staff`: list the
logins of the region, add one, disable, enable, reset a password; a new one-time password is shown
once, on the page that made it."""

from __future__ import annotations

import anyio.to_thread
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from sqlite_utils import Database

from service.auth import LOGIN_ROLES
from service.staff import add_staff, logins, reset_password, staff_row, switch_login
from ui.pages import page
from ui.views.actions import first, read_form

ADMIN_PAGE = "/admin/users"
FIELDS = ("username", "name", "role", "region", "phone")


def users_page(request: Request, db: Database, *, status_code: int = 200, **context: object) -> Template:
    found = logins(db, request.user)
    roles = [r.value for r in LOGIN_ROLES]
    return page(request, "admin_users.html", status_code=status_code, logins=found, roles=roles, **context)


@get(ADMIN_PAGE, include_in_schema=False)
async def staff_page(request: Request, db: NamedDependency[Database]) -> Template:
    """The region's logins. Async on purpose: Litestar 2.25 re-registers every handler of a path when
    another method joins it, wrapping a `sync_to_thread` handler twice (the page would 500)."""
    return await anyio.to_thread.run_sync(lambda: users_page(request, db, form={"region": request.user.region}))


@post(ADMIN_PAGE, include_in_schema=False)
async def add_login_page(request: Request, db: NamedDependency[Database]) -> Template:
    """A new login; its one-time password shown once (the form again, with the message, when refused)."""
    form = await read_form(request)
    values = {name: first(form, name) for name in FIELDS}

    def store() -> Template:
        try:
            password = add_staff(db, request.user, staff_row(values))
        except ValueError as e:
            return users_page(request, db, status_code=422, form=values, error=str(e))
        return users_page(request, db, form={"region": request.user.region}, made=(values["username"], password))

    return await anyio.to_thread.run_sync(store)


@post(ADMIN_PAGE + "/{username:str}/{action:str}", include_in_schema=False)
async def change_login(
    request: Request, username: FromPath[str], action: FromPath[str], db: NamedDependency[Database]
) -> Template:
    """disable, enable or reset (a one-time password, shown once)."""

    def store() -> Template:
        made = None
        if action == "reset":
            made = (username, reset_password(db, request.user, username))
        elif action in ("disable", "enable"):
            switch_login(db, request.user, username, enabled=action == "enable")
        else:
            return users_page(request, db, status_code=404, form={"region": request.user.region})
        return users_page(request, db, form={"region": request.user.region}, made=made, done=(username, action))

    return await anyio.to_thread.run_sync(store)
