"""The application factory: the service's API and configuration (`service.app`) with the pages on top.

It sits in `ui/`, the outermost layer, so every import points one way: ui -> service -> followup ->
stratify. `sanbiao serve` and the tests build the app here.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar, Request, Response
from litestar.exceptions import HTTPException
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from service.app import PageErrors, service_config
from service.settings import Settings
from ui.pages import error_page
from ui.views.actions import add_visit, override, task_outcome
from ui.views.audit import audit_page
from ui.views.auth import change_password, login, login_form, logout, password_form
from ui.views.dashboard import dashboard_page
from ui.views.imports import batch_page, import_form, rejected_rows, upload
from ui.views.offline import manifest, outbox_token, service_worker
from ui.views.patients import patients_page, register, registration_form
from ui.views.resident import call_page, resident_page
from ui.views.staff import add_login_page, change_login, staff_page
from ui.views.today import today_page

HERE = Path(__file__).parent
STATIC = HERE / "static"  # our CSS, and the npm assets the build copies into static/vendor (setup.py)
PAGE_ROUTES = [
    login_form,
    login,
    logout,
    password_form,
    change_password,
    today_page,
    resident_page,
    call_page,
    add_visit,
    task_outcome,
    override,
    dashboard_page,
    audit_page,
    staff_page,
    add_login_page,
    change_login,
    patients_page,
    registration_form,
    register,
    import_form,
    upload,
    batch_page,
    rejected_rows,
    service_worker,
    manifest,
    outbox_token,
]
PUBLIC_PAGES = ("^/login$", "^/static/", "^/sw.js$", "^/manifest.webmanifest$")
ERROR_MESSAGES = {403: "forbidden", 404: "not_found", 409: "conflict"}


def is_page(request: Request) -> bool:
    """A browser page rather than the JSON API or the OpenAPI document."""
    path = request.url.path
    return not (path.startswith("/api/") or path.startswith("/schema") or path == "/healthz")


def page_error(request: Request, exc: HTTPException) -> Response:
    """401 on a page sends the browser to the login form; other errors render in the user's language."""
    if exc.status_code == 401:
        return Redirect(f"/login?next={request.url.path}")
    return error_page(request, exc.status_code, ERROR_MESSAGES.get(exc.status_code, "not_found"))


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the service with its pages. The database is migrated when the app starts, not at import."""
    config = service_config(
        settings or Settings.from_env(), pages=PageErrors(is_page, page_error), public_paths=PUBLIC_PAGES
    )
    config.route_handlers += [
        *PAGE_ROUTES,
        create_static_files_router(path="/static", directories=[STATIC], include_in_schema=False),
    ]
    config.template_config = TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine)
    config.plugins.append(HTMXPlugin())
    return Litestar.from_config(config)


def app_from_env() -> Litestar:
    """The app of a server worker process: its settings come from the environment (`Settings.to_env`)."""
    return create_app(Settings.from_env())
