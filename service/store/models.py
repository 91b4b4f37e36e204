"""The model registry: every trained model version, its card, its artifact, which one is active."""

from __future__ import annotations

from sqlite_utils import Database


def active_model_version(db: Database) -> str | None:
    row = db.execute("SELECT version FROM models WHERE active = 1").fetchone()
    return row[0] if row else None
