"""Is the service up and its database usable (GET /healthz, CONTRACT §4.6)."""

from __future__ import annotations

from pathlib import Path

import msgspec

from service.store import connect, is_current
from service.store.models import active_model_version


class Health(msgspec.Struct):
    status: str
    db: str
    scheduler: str
    model_version: str | None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def health(db_path: Path, scheduler: str) -> Health:
    """The database's state (usable, schema current) and the active model; failures are reported, not raised."""
    version = None
    try:
        db = connect(db_path)
        try:
            db_state = "ok" if is_current(db) else "schema out of date: run `sanbiao init-db`"
            version = active_model_version(db)
        finally:
            db.close()
    except Exception as e:  # any database failure is reported, not raised
        db_state = f"error: {type(e).__name__}"
    return Health(
        status="ok" if db_state == "ok" else "degraded", db=db_state, scheduler=scheduler, model_version=version
    )
