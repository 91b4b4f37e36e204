"""The model registry: every trained model version, its card, its artifact, which one is active."""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from service.store import now_utc, writing


def active_model_version(db: Database) -> str | None:
    row = db.execute("SELECT version FROM models WHERE active = 1").fetchone()
    return row[0] if row else None


def activate_fallback(db: Database, version: str, card: str) -> None:
    """Register the WHO fallback (`version`, no artifact) as the active model unless a model is active.
    Its one row is kept and re-activated, its card replaced."""
    with writing(db):
        if db.execute("SELECT 1 FROM models WHERE active = 1").fetchone():
            return
        db.execute(
            "INSERT INTO models (version, created_at, card, file_hash, artifact, active) VALUES (?, ?, ?, '', x'', 1)"
            " ON CONFLICT (version) DO UPDATE SET created_at = excluded.created_at, card = excluded.card, active = 1",
            [version, now_utc(), card],
        )


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


def activated_on(db: Database, version: str) -> dt.date:
    """The day (UTC) a model was registered: an active model is activated as it is registered."""
    created = db.execute("SELECT created_at FROM models WHERE version = ?", [version]).fetchone()[0]
    return dt.datetime.fromisoformat(created).date()


def card_drift(db: Database, version: str) -> str:
    """The drift list (JSON) in a model's card, `[]` when none yet."""
    row = db.execute("SELECT coalesce(json_extract(card, '$.drift'), '[]') FROM models WHERE version = ?", [version])
    return row.fetchone()[0]


def save_drift(db: Database, version: str, drift: str) -> None:
    """Replace the drift list (JSON) in a model's card."""
    with writing(db):
        db.execute("UPDATE models SET card = json_set(card, '$.drift', json(?)) WHERE version = ?", [drift, version])
