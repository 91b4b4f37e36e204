"""Logins and API keys: only hashes are stored."""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from service.store import now_utc, writing
from service.store.audit import record_action


class AlreadyExists(Exception):
    """A username or key name that is taken."""


def add_api_key(db: Database, *, name: str, key_hash: str, prefix: str, role: str, region: str, actor: str) -> int:
    """Store a key's hash (never the key); audited as `actor` without the key."""
    with writing(db):
        taken = db.execute("SELECT 1 FROM api_keys WHERE name = ? AND revoked_at IS NULL", [name]).fetchone()
        if taken:
            raise AlreadyExists(f"an active API key named {name!r} exists")
        cursor = db.execute(
            "INSERT INTO api_keys (name, key_hash, prefix, role, region, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [name, key_hash, prefix, role, region, now_utc()],
        )
        record_action(db, actor=actor, action="apikey_create", detail=f"{name} ({prefix}...): {role}, region {region}")
    return cursor.lastrowid


def find_api_key(db: Database, key_hash: str) -> tuple[str, str, str] | None:
    """(name, role, region) of an active key with this hash; notes the day it was last used."""
    row = db.execute(
        "SELECT key_id, name, role, region, last_used_at FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
        [key_hash],
    ).fetchone()
    if row is None:
        return None
    key_id, name, role, region, last_used = row
    today = dt.date.today().isoformat()
    if last_used is None or last_used[:10] < today:  # one write a day per key, not one per request
        with writing(db):
            db.execute("UPDATE api_keys SET last_used_at = ? WHERE key_id = ?", [now_utc(), key_id])
    return name, role, region


def user_exists(db: Database, username: str) -> bool:
    return db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone() is not None


def add_user(db: Database, *, username: str, password_hash: str, role: str, region: str, actor: str) -> None:
    """Create a login; audited as `actor` without the password."""
    with writing(db):
        if user_exists(db, username):
            raise AlreadyExists(f"user {username!r} exists")
        db.execute(
            "INSERT INTO users (username, password_hash, role, region, created_at) VALUES (?, ?, ?, ?, ?)",
            [username, password_hash, role, region, now_utc()],
        )
        record_action(db, actor=actor, action="user_add", detail=f"{username}: {role}, region {region}")


def find_user(db: Database, username: str) -> tuple[str, str, str, int] | None:
    """(password_hash, role, region, must_change_password) of an enabled login."""
    return db.execute(
        "SELECT password_hash, role, region, must_change_password FROM users WHERE username = ? AND disabled = 0",
        [username],
    ).fetchone()


USER_COLUMNS = ("username", "display_name", "role", "region", "phone", "disabled", "must_change_password")


def users_in(db: Database, region: str) -> list[tuple]:
    """USER_COLUMNS of the logins whose region lies within `region`, by username."""
    return db.execute(
        f"SELECT {', '.join(USER_COLUMNS)} FROM users WHERE substr(region, 1, ?) = ? ORDER BY username",
        [len(region), region],
    ).fetchall()


def user_row(db: Database, username: str) -> tuple | None:
    return db.execute(f"SELECT {', '.join(USER_COLUMNS)} FROM users WHERE username = ?", [username]).fetchone()


def save_user(
    db: Database,
    *,
    username: str,
    name: str | None,
    role: str,
    region: str,
    phone: str | None,
    password_hash: str | None,
    actor: str,
) -> bool:
    """Create a login (with `password_hash`, to be changed at first sign-in) or update one's name, role,
    region and phone (its password stays). Returns whether it was created; audited either way."""
    with writing(db):
        created = not user_exists(db, username)
        if created:
            db.execute(
                "INSERT INTO users (username, display_name, password_hash, role, region, phone, created_at, "
                "must_change_password) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                [username, name, password_hash, role, region, phone, now_utc()],
            )
        else:
            db.execute(
                "UPDATE users SET display_name = ?, role = ?, region = ?, phone = ? WHERE username = ?",
                [name, role, region, phone, username],
            )
        record_action(
            db,
            actor=actor,
            action="user_add" if created else "user_update",
            detail=f"{username}: {role}, region {region}",
        )
    return created


def set_password(db: Database, username: str, password_hash: str, *, one_time: bool, actor: str) -> None:
    """A new password; a one-time one (a reset) must be changed at the next sign-in. Audited."""
    with writing(db):
        db.execute(
            "UPDATE users SET password_hash = ?, must_change_password = ?, failed_logins = 0, locked_until = NULL "
            "WHERE username = ?",
            [password_hash, int(one_time), username],
        )
        record_action(db, actor=actor, action="password_reset" if one_time else "password_change", detail=username)


def set_disabled(db: Database, username: str, disabled: bool, *, actor: str) -> None:
    """Disable or enable a login (its data stay); audited."""
    with writing(db):
        db.execute("UPDATE users SET disabled = ? WHERE username = ?", [int(disabled), username])
        record_action(db, actor=actor, action="user_disable" if disabled else "user_enable", detail=username)


def lock_state(db: Database, username: str) -> str | None:
    """The UTC time until which a login is locked, if it is."""
    row = db.execute("SELECT locked_until FROM users WHERE username = ?", [username]).fetchone()
    return row[0] if row else None


def record_login(db: Database, username: str, *, ok: bool, lock_after: int, lock_until: str) -> str | None:
    """Count a login attempt; `lock_after` failures in a row lock the login until `lock_until`.

    Returns the lock time when this failure locked it. Audited either way, without the password.
    """
    with writing(db):
        if ok:
            db.execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE username = ?", [username])
            locked = None
        else:
            db.execute("UPDATE users SET failed_logins = failed_logins + 1 WHERE username = ?", [username])
            row = db.execute("SELECT failed_logins FROM users WHERE username = ?", [username]).fetchone()
            locked = lock_until if row and row[0] >= lock_after else None
            if locked:
                db.execute(
                    "UPDATE users SET locked_until = ?, failed_logins = 0 WHERE username = ?", [locked, username]
                )
        record_action(db, actor=username, action="login" if ok else "login_failed")
    return locked


def address_failures(db: Database, address: str, since: float) -> list[float]:
    """When logins from this address failed since `since` (epoch seconds), oldest first."""
    rows = db.execute("SELECT at FROM login_failures WHERE address = ? AND at >= ? ORDER BY at", [address, since])
    return [row[0] for row in rows]


def record_address_failure(db: Database, address: str, at: float, forget_before: float) -> None:
    """Count a failed login from an address; failures older than the window are forgotten on the way."""
    with writing(db):
        db.execute("DELETE FROM login_failures WHERE at < ?", [forget_before])
        db.execute("INSERT INTO login_failures (address, at) VALUES (?, ?)", [address, at])
