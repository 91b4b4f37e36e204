"""GET /healthz: is the service up, is its database usable (CONTRACT §4.6)."""

from __future__ import annotations

import msgspec
from litestar import Request, Response, get
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from service.store import connect, is_current
from service.store.models import active_model_version


class Health(msgspec.Struct):
    status: str
    db: str
    scheduler: str
    model_version: str | None


@get("/healthz", sync_to_thread=True, tags=["system"])
def healthz(request: Request) -> Response[Health]:
    """Liveness and readiness: 200 when the database answers and its schema is current, else 503."""
    version = None
    try:
        db = connect(request.app.state.settings.db_path)
        try:
            db_state = "ok" if is_current(db) else "schema out of date: run `sanbiao init-db`"
            version = active_model_version(db)
        finally:
            db.close()
    except Exception as e:  # any database failure is reported, not raised
        db_state = f"error: {type(e).__name__}"
    ok = db_state == "ok"
    scheduler = request.app.state.scheduler.state
    health = Health(status="ok" if ok else "degraded", db=db_state, scheduler=scheduler, model_version=version)
    return Response(health, status_code=HTTP_200_OK if ok else HTTP_503_SERVICE_UNAVAILABLE)
