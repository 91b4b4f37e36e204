"""The model registry: every trained model version, its card, its artifact, which one is active."""

from __future__ import annotations

from sqlite_utils import Database

from service.store import now_utc, writing


def active_model_version(db: Database) -> str | None:
    row = db.execute("SELECT version FROM models WHERE active = 1").fetchone()
    return row[0] if row else None


def model_artifact(db: Database, version: str) -> tuple[str, bytes, str]:
    """(card JSON, artifact, file hash) of a model version."""
    return db.execute("SELECT card, artifact, file_hash FROM models WHERE version = ?", [version]).fetchone()


def register_model(db: Database, *, version: str, card: str, artifact: bytes, file_hash: str, activate: bool) -> None:
    """Keep every version; activating one deactivates the others in the same transaction."""
    with writing(db):
        if activate:
            db.execute("UPDATE models SET active = 0 WHERE active = 1")
        db.execute(
            "INSERT INTO models (version, created_at, card, file_hash, artifact, active) VALUES (?, ?, ?, ?, ?, ?)",
            [version, now_utc(), card, file_hash, artifact, int(activate)],
        )
