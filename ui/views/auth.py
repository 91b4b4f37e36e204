"""Log in and out (CONTRACT §7): a form with username and password, a server-side session."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from sqlite_utils import Database

from service.app import PASSWORD_PAGE
from service.auth import SESSION_USER, LockedOut, check_password
from service.session_store import renew_session_id
from service.staff import BadPassword
from service.staff import change_password as set_own_password
from ui.pages import language, page


class LoginIn(msgspec.Struct):
    username: Annotated[str, msgspec.Meta(max_length=64)] = ""
    password: Annotated[str, msgspec.Meta(max_length=256)] = ""


def client_address(request: Request) -> str:
    """The address sign-in failures are counted against (the proxy's client when it is trusted)."""
    return request.client.host if request.client else "unknown"


@get("/login", sync_to_thread=False, include_in_schema=False)
def login_form(request: Request) -> Template:
    return page(request, "login.html", error=None)


@post("/login", include_in_schema=False)
async def login(request: Request, data: URLEncodedBody[LoginIn]) -> Template | Redirect:
    """On success a fresh session and a redirect to /; on failure the form again with a message."""
    state = request.app.state
    address = client_address(request)
    try:
        principal = await anyio.to_thread.run_sync(
            lambda: check_password(
                state.settings.db_path,
                data.username.strip(),
                data.password,
                address=address,
            )
        )
    except LockedOut as e:
        return page(
            request,
            "login.html",
            status_code=429,
            error="locked",
            until=e.until[11:16] + " UTC",
            username=data.username,
        )
    if principal is None:
        return page(request, "login.html", status_code=401, error="bad_login", username=data.username)
    lang = language(request)
    await renew_session_id(request, request.app.stores.get("sessions"))
    request.clear_session()
    request.set_session({SESSION_USER: principal.name, "lang": lang})
    return Redirect(PASSWORD_PAGE if principal.must_change_password else "/", status_code=HTTP_303_SEE_OTHER)


@post("/logout", sync_to_thread=False, include_in_schema=False)
def logout(request: Request) -> Redirect:
    request.clear_session()
    return Redirect("/login", status_code=HTTP_303_SEE_OTHER)


class PasswordIn(msgspec.Struct):
    current: Annotated[str, msgspec.Meta(max_length=256)] = ""
    new: Annotated[str, msgspec.Meta(max_length=256)] = ""
    repeated: Annotated[str, msgspec.Meta(max_length=256)] = ""


@get(PASSWORD_PAGE, sync_to_thread=False, include_in_schema=False)
def password_form(request: Request) -> Template:
    return page(request, "password.html", error=None)


@post(PASSWORD_PAGE, include_in_schema=False)
async def change_password(
    request: Request, data: URLEncodedBody[PasswordIn], db: NamedDependency[Database]
) -> Template | Redirect:
    """The user's own password: after a one-time one (required; they have just typed it) or whenever they
    want, with the current one (checked like a sign-in: failures count towards the lock)."""
    user = request.user

    def store() -> None:
        if (
            not user.must_change_password
            and check_password(
                request.app.state.settings.db_path, user.name, data.current, address=client_address(request)
            )
            is None
        ):
            raise BadPassword("password_wrong_current", "the current password is wrong")
        set_own_password(db, user.name, data.new, data.repeated)

    try:
        await anyio.to_thread.run_sync(store)
    except LockedOut:
        request.clear_session()
        return Redirect("/login", status_code=HTTP_303_SEE_OTHER)
    except BadPassword as e:
        return page(request, "password.html", status_code=422, error=e.code)
    return Redirect("/", status_code=HTTP_303_SEE_OTHER)
