"""GET /healthz: is the service up, is its database usable (CONTRACT §4.6)."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from service.health import Health, health


@get("/healthz", sync_to_thread=True, tags=["system"])
def healthz(request: Request) -> Response[Health]:
    """Liveness and readiness: 200 when the database answers and its schema is current, else 503."""
    state = request.app.state
    found = health(state.settings.db_path, state.scheduler.state)
    return Response(found, status_code=HTTP_200_OK if found.ok else HTTP_503_SERVICE_UNAVAILABLE)
