"""What a phone needs to work offline (CONTRACT §12): the service worker at scope `/`, the web app
manifest, and a fresh CSRF token for the outbox to send its queued forms with.

The worker and the outbox themselves are `ui/static/sw.js` and `ui/static/offline.js`.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Request, Response, get
from litestar.utils.scope.state import ScopeState

from ui.i18n import translate
from ui.pages import language

WORKER = Path(__file__).parent.parent / "static" / "sw.js"
ICONS = [
    {"src": "/static/icon-192.png", "sizes": "192x192", "type": "image/png"},
    {"src": "/static/icon-512.png", "sizes": "512x512", "type": "image/png"},
    {"src": "/static/icon.svg", "sizes": "any", "type": "image/svg+xml"},
]


@get("/sw.js", sync_to_thread=False, include_in_schema=False)
def service_worker() -> Response[bytes]:
    """The worker's script, served from the root so that its scope is the whole site."""
    return Response(WORKER.read_bytes(), media_type="text/javascript; charset=utf-8")


@get("/manifest.webmanifest", sync_to_thread=False, include_in_schema=False)
def manifest(request: Request) -> Response[dict]:
    """Installable to the home screen: name, icons, opens the doctor's list standalone."""
    lang = language(request)
    return Response(
        {
            "name": translate(lang, "app"),
            "short_name": translate(lang, "app_short"),
            "lang": lang,
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#0b4f9c",
            "icons": ICONS,
        },
        media_type="application/manifest+json",
    )


@get("/outbox/token", sync_to_thread=False, include_in_schema=False)
def outbox_token(request: Request) -> dict[str, str]:
    """Who is signed in and a CSRF token, taken just before the outbox sends (a page saved hours ago
    holds an old one). Without a session the pages' rule applies: a redirect to the login form."""
    return {"user": request.user.name, "csrf": ScopeState.from_scope(request.scope).csrf_token or ""}
