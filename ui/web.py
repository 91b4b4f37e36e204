"""The htmx face as the app factory mounts it: templates, static files, page routes, HTML errors."""

from __future__ import annotations

from pathlib import Path

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from ui.pages import error_page
from ui.views.actions import add_visit, override, task_outcome
from ui.views.audit import audit_page
from ui.views.auth import login, login_form, logout
from ui.views.dashboard import dashboard
from ui.views.resident import resident_page
from ui.views.today import today_page

HERE = Path(__file__).parent
HTMX_DIST = HERE.parent / "node_modules" / "htmx.org" / "dist"  # from npm (package.json pins it)
PAGE_ROUTES = [
    login_form,
    login,
    logout,
    today_page,
    resident_page,
    add_visit,
    task_outcome,
    override,
    dashboard,
    audit_page,
]
PUBLIC_PAGES = ["^/login$", "^/static/"]
ERROR_MESSAGES = {403: "forbidden", 404: "not_found"}


def template_config() -> TemplateConfig:
    return TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine)


def static_router():
    return create_static_files_router(
        path="/static", directories=[HERE / "static", HTMX_DIST], include_in_schema=False, send_as_attachment=False
    )


def is_page(request: Request) -> bool:
    """A browser page rather than the JSON API or the OpenAPI document."""
    path = request.url.path
    return not (path.startswith("/api/") or path.startswith("/schema") or path == "/healthz")


def page_error(request: Request, exc: HTTPException) -> Response:
    """401 on a page sends the browser to the login form; other errors render in the user's language."""
    if exc.status_code == 401:
        return Redirect(f"/login?next={request.url.path}")
    return error_page(request, exc.status_code, ERROR_MESSAGES.get(exc.status_code, "not_found"))
