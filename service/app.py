"""The service's half of the Litestar application: settings, a database per request, auth, sessions,
CSRF, the API routes, the scheduler and the one mapping of domain errors to status codes.

`ui.app.create_app` adds the pages to this configuration: the pages import the service, never the
other way round. How a page shows an error is passed in (`PageErrors`).
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from litestar import Litestar, MediaType, Request, Response
from litestar.config.app import AppConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.response import Redirect
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_400_BAD_REQUEST,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from litestar.types import Empty, Message, Scope
from sqlite_utils import Database

from service import __version__
from service.api.followups import list_followups, outcome, today_list
from service.api.health import healthz
from service.api.indicators import get_indicators
from service.api.records import post_records
from service.api.residents import get_resident
from service.api.stratify import stratify, train
from service.auth import AuthMiddleware, BadRegion, BearerExemptCSRF
from service.errors import (
    AlreadyStored,
    BadReminder,
    NotAllowed,
    OutsideRegion,
    ResidentNotFound,
    TaskClosed,
    TaskNotFound,
)
from service.ingest import BadDocument, TooLarge
from service.jobs import BadAsOf
from service.periods import BadPeriod
from service.policy_file import load_policy
from service.risk import active_risk_model
from service.scheduler import NightlyScheduler
from service.session_store import SESSION_COOKIE, SqliteStore
from service.settings import Settings
from service.store import Pool, connect, migrate
from stratify.model import NotEnoughData

log = logging.getLogger("sanbiao")

PUBLIC_PATHS = ["^/healthz$", "^/schema"]
DEFAULT_MAX_BODY_BYTES = 10_000_000  # Litestar's default request body limit (POST /api/v1/records sets its own)


@dataclass(frozen=True)
class PageErrors:
    """How the pages show an error: which requests are pages, and the response a page gets instead of JSON."""

    is_page: Callable[[Request], bool]
    render: Callable[[Request, HTTPException], Response]


def _error(status: int, detail: str, headers: dict[str, str] | None = None, **extra: object) -> Response:
    return Response(
        {"status_code": status, "detail": detail, **extra},
        status_code=status,
        media_type=MediaType.JSON,
        headers=headers,
    )


def _bad_document(_: Request, exc: BadDocument) -> Response:
    return _error(HTTP_400_BAD_REQUEST, str(exc), errors=[{"field": exc.error.field, "message": exc.error.message}])


def _too_large(_: Request, exc: TooLarge) -> Response:
    return _error(HTTP_413_REQUEST_ENTITY_TOO_LARGE, str(exc))


def _bad_as_of(_: Request, exc: BadAsOf) -> Response:
    return _error(HTTP_400_BAD_REQUEST, str(exc))


def _not_enough_data(_: Request, exc: NotEnoughData) -> Response:
    return _error(HTTP_422_UNPROCESSABLE_ENTITY, f"{exc}; the previous model stays active")


def _database_error(request: Request, exc: sqlite3.Error) -> Response:
    log.error("database error on %s %s: %s", request.method, request.url.path, exc, exc_info=exc)
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return _error(HTTP_503_SERVICE_UNAVAILABLE, "the database is busy; try again shortly")
    if type(exc) in (sqlite3.OperationalError, sqlite3.DatabaseError):
        return _error(HTTP_503_SERVICE_UNAVAILABLE, "the database is unavailable")
    return _error(HTTP_500_INTERNAL_SERVER_ERROR, "database error")


DOMAIN_ERRORS: dict[type[Exception], int] = {
    TaskNotFound: HTTP_404_NOT_FOUND,
    ResidentNotFound: HTTP_404_NOT_FOUND,
    OutsideRegion: HTTP_403_FORBIDDEN,
    NotAllowed: HTTP_403_FORBIDDEN,
    TaskClosed: HTTP_409_CONFLICT,
    AlreadyStored: HTTP_409_CONFLICT,
    BadReminder: HTTP_400_BAD_REQUEST,
    BadRegion: HTTP_400_BAD_REQUEST,
    BadPeriod: HTTP_400_BAD_REQUEST,
}  # the one place domain errors become status codes


PASSWORD_PAGE = "/password"  # where a one-time password is changed (ui/views/auth.py)


def _one_time_password_gate(pages: PageErrors | None) -> Callable[[Request], Response | None]:
    """A login with a one-time password may do nothing but change it (and sign out)."""

    async def gate(request: Request) -> Response | None:  # async: runs on the loop, no thread for a check
        user = request.scope.get("user")
        if not getattr(user, "must_change_password", False) or request.url.path in (PASSWORD_PAGE, "/logout"):
            return None
        if pages is not None and pages.is_page(request):
            return Redirect(PASSWORD_PAGE, status_code=HTTP_303_SEE_OTHER)
        return _error(HTTP_403_FORBIDDEN, f"change the one-time password first ({PASSWORD_PAGE})")

    return gate


def _handlers(pages: PageErrors | None) -> dict:
    """Exception handlers: JSON bodies for the API, the pages' own rendering for pages."""

    def shown_as_page(request: Request) -> bool:
        return pages is not None and pages.is_page(request)

    def domain_error(request: Request, exc: Exception) -> Response:
        status = DOMAIN_ERRORS[type(exc)]
        if shown_as_page(request):
            return pages.render(request, HTTPException(status_code=status, detail=str(exc)))
        return _error(status, str(exc))

    def unexpected(request: Request, exc: Exception) -> Response:
        if isinstance(exc, HTTPException):
            if shown_as_page(request):
                return pages.render(request, exc)
            # keep the exception's headers: 405 must say Allow, 401 may say WWW-Authenticate
            return _error(exc.status_code, exc.detail, exc.headers, **({"extra": exc.extra} if exc.extra else {}))
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error(HTTP_500_INTERNAL_SERVER_ERROR, "internal error")

    return {
        BadDocument: _bad_document,
        TooLarge: _too_large,
        BadAsOf: _bad_as_of,
        NotEnoughData: _not_enough_data,
        sqlite3.Error: _database_error,
        **dict.fromkeys(DOMAIN_ERRORS, domain_error),
        Exception: unexpected,
    }


SECURITY_HEADERS = {
    # Pages load only what this server serves; no inline script or style anywhere (htmx's own
    # indicator style is switched off in base.html).
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


_HEADER_BYTES = [(name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]


# Browsers keep nothing with residents' data (CONTRACT §13): every page, API answer and export is
# no-store; the few answers without personal data may be kept privately but checked again; static
# files (CSS, htmx) are cached.
CACHEABLE_STATIC = (b"cache-control", b"public, max-age=86400")
PRIVATE = (b"cache-control", b"private, no-cache")
NO_STORE = (b"cache-control", b"no-store")
CHECKED = (b"cache-control", b"no-cache")  # the service worker and manifest: a new version is seen at once
OFFLINE_FILES = {"/sw.js", "/manifest.webmanifest"}  # CONTRACT §12, served by ui/views/offline.py


def cache_control(path: str) -> tuple[bytes, bytes]:
    if path.startswith("/static/"):
        return CACHEABLE_STATIC
    if path in OFFLINE_FILES:
        return CHECKED
    if path in {"/login", "/healthz"} or path.startswith("/schema"):
        return PRIVATE
    return NO_STORE


async def _security_headers(message: Message, scope: Scope) -> None:
    """Add SECURITY_HEADERS and a Cache-Control to every response start, errors and static files included."""
    if message["type"] == "http.response.start":
        headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
        message["headers"] = [*headers, *_HEADER_BYTES, cache_control(scope["path"])]


API_ROUTES = [healthz, post_records, stratify, train, get_resident, list_followups, today_list, outcome, get_indicators]


class NoQueryStrings(logging.Filter):
    """uvicorn's access log without query strings: a search (`/patients?q=`) may hold a name, a phone
    number or a national id, and those never go into logs (SECURITY.md)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3 and isinstance(record.args[2], str):
            path, _, query = record.args[2].partition("?")
            record.args = (*record.args[:2], path + ("?…" if query else ""), *record.args[3:])
        return True


ACCESS_FILTER = NoQueryStrings()


def service_config(
    settings: Settings, *, pages: PageErrors | None = None, public_paths: tuple[str, ...] = ()
) -> AppConfig:
    """The API and everything it needs; `public_paths` are more routes that need no login (pages' own)."""
    policy = load_policy(settings.config_path)
    scheduler = NightlyScheduler(settings, policy)
    pool = Pool(settings.db_path)  # each request borrows a connection (the auth lookup, then the handler)
    session_store = SqliteStore(Path(f"{settings.db_path}.sessions.db"))

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        logging.getLogger("uvicorn.access").addFilter(ACCESS_FILTER)  # each worker process, once
        shutil.rmtree(f"{settings.db_path}.sessions", ignore_errors=True)  # FileStore sessions (to 2026-11)
        db = connect(settings.db_path)
        try:
            applied = migrate(db)
            try:
                active_risk_model(db)  # the served model (and scikit-learn) loads now, not on the first visit
            except ValueError:
                log.exception("the active model could not be loaded; assessments wait for a good one")
        finally:
            db.close()
        if applied:
            log.info("migrated %s: %s", settings.db_path, ", ".join(applied))
        scheduler.start()
        try:
            yield
        finally:
            scheduler.stop()
            pool.close()
            session_store.close()

    sessions = ServerSideSessionConfig(
        key=SESSION_COOKIE,
        max_age=round(settings.session_minutes * 60),
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    csrf = CSRFConfig(secret=settings.secret(), cookie_secure=settings.secure_cookies, cookie_samesite="lax")

    def provide_db() -> Iterator[Database]:
        with pool.connection() as db:
            yield db

    return AppConfig(
        # AppConfig's own defaults differ from Litestar()'s on these two: keep Litestar's
        request_max_body_size=DEFAULT_MAX_BODY_BYTES,
        logging_config=Empty,
        route_handlers=list(API_ROUTES),
        dependencies={"db": Provide(provide_db)},
        lifespan=[lifespan],
        state=State({"settings": settings, "policy": policy, "scheduler": scheduler, "pool": pool}),
        before_send=[_security_headers],
        before_request=_one_time_password_gate(pages),
        middleware=[
            sessions.middleware,
            DefineMiddleware(AuthMiddleware, exclude=[*PUBLIC_PATHS, *public_paths]),
            DefineMiddleware(BearerExemptCSRF, config=csrf),
        ],
        stores={"sessions": session_store},
        exception_handlers=_handlers(pages),
        openapi_config=OpenAPIConfig(
            title="sanbiao",
            version=__version__,
            description="Red/yellow/green tiered chronic disease management for a county (CONTRACT.md).",
            path="/schema",
            render_plugins=[JsonRenderPlugin()],
        ),
    )
