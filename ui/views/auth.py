"""Log in and out (CONTRACT §7): a form with username and password, a server-side session."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
import msgspec
from litestar import Request, get, post
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from service.auth import SESSION_USER, LockedOut, check_password
from ui.pages import language, page


class LoginIn(msgspec.Struct):
    username: Annotated[str, msgspec.Meta(max_length=64)] = ""
    password: Annotated[str, msgspec.Meta(max_length=256)] = ""


@get("/login", sync_to_thread=False, include_in_schema=False)
def login_form(request: Request) -> Template:
    return page(request, "login.html", error=None)


@post("/login", include_in_schema=False)
async def login(request: Request, data: URLEncodedBody[LoginIn]) -> Template | Redirect:
    """On success a fresh session and a redirect to /; on failure the form again with a message."""
    state = request.app.state
    address = request.client.host if request.client else "unknown"
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
    request.clear_session()
    request.set_session({SESSION_USER: principal.name, "lang": lang})
    return Redirect("/", status_code=HTTP_303_SEE_OTHER)


@post("/logout", sync_to_thread=False, include_in_schema=False)
def logout(request: Request) -> Redirect:
    request.clear_session()
    return Redirect("/login", status_code=HTTP_303_SEE_OTHER)
