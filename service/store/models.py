"""The model registry: every trained model version, its card, its artifact, which one is active."""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from service.store import now_utc, writing


def active_model_version(db: Database) -> str | None:
    row = db.execute("SELECT version FROM models WHERE active = 1").fetchone()
    return row[0] if row else None


def activate_fallback(db: Database, version: str, card: str) -> None:
    """Make the WHO fallback (`version`, no artifact) the active model unless a county model is; its one
    row is kept, its card (why the county has no model of its own) replaced, its activation time kept
    while it stays active."""
    with writing(db):
        active = db.execute("SELECT version FROM models WHERE active = 1").fetchone()
        if active is not None and active[0] != version:
            return
        db.execute(
            "INSERT INTO models (version, created_at, card, file_hash, artifact, active) VALUES (?, ?, ?, '', x'', 1)"
            " ON CONFLICT (version) DO UPDATE SET card = excluded.card, active = 1, created_at ="
            " CASE WHEN models.active = 1 THEN models.created_at ELSE excluded.created_at END",
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
