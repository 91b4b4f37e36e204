"""Server-side sessions in a small SQLite file of their own beside the database (`<db>.sessions.db`).

Every request of a signed-in user reads its session, and Litestar writes it back with a new expiry
after each response. Litestar's FileStore did that with a file per session: a read, a directory check
and a temporary file renamed into place, each a hop to a worker thread, about a third of a short
request's time. Here a read is one indexed SELECT on the event loop, and the write back is skipped
while the stored copy is the same and its expiry was set less than RENEW_EVERY_SECONDS ago (the
session's idle timeout slides by the minute, not by the request). Its own file, so a session never
waits for the county's database writers; synchronous=NORMAL: a power cut may forget the last minute's
sign-ins (those doctors sign in again), never the county's data.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from pathlib import Path

from litestar import Request
from litestar.stores.base import Store
from sqlite_utils import Database

from service.auth import SESSION_USER
from service.store import write_ahead_log

RENEW_EVERY_SECONDS = 60  # a session's expiry is written again at most this often while it is unchanged
RENEW_SHARE = 10  # ... and at most a tenth of its lifetime (a short test session still slides)
PURGE_EVERY_SECONDS = 60  # expired sessions are deleted at most this often by each process
LOCK_TIMEOUT_SECONDS = 5  # a write waits this long for the other workers' (each takes well under 1 ms)
SESSION_COOKIE = "session"  # the session cookie's name (Litestar's default, set explicitly in service.app)
EMPTY = b"{}"  # the session Litestar gives a request without one (an API call, the login form): never stored

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY,
    value BLOB NOT NULL,
    expires_at REAL  -- Unix time; NULL: never
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entries_expiry ON entries (expires_at);
"""


def _seconds(expires_in: int | dt.timedelta | None) -> float | None:
    return expires_in.total_seconds() if isinstance(expires_in, dt.timedelta) else expires_in


class SqliteStore(Store):
    """A Litestar store in an SQLite file, shared by the server's worker processes."""

    __slots__ = ("_conn", "_purged_at", "path")

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._purged_at = 0.0

    def _db(self) -> sqlite3.Connection:
        """This process's connection, opened (and the file made) on first use; used on the event loop only."""
        if self._conn is None:
            self.path.touch(mode=0o600)  # session ids are the keys: the owner's only (its WAL follows)
            conn = sqlite3.connect(
                self.path, timeout=LOCK_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
            )
            write_ahead_log(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.executescript(_SCHEMA)
            self._conn = conn
        return self._conn

    def _row(self, key: str) -> tuple[bytes, float | None] | None:
        return self._db().execute("SELECT value, expires_at FROM entries WHERE key = ?", [key]).fetchone()

    async def set(self, key: str, value: str | bytes, expires_in: int | dt.timedelta | None = None) -> None:
        data = value.encode() if isinstance(value, str) else value
        seconds = _seconds(expires_in)
        expires_at = time.time() + seconds if seconds is not None else None
        stored = self._row(key)
        if stored is None and data == EMPTY:
            return
        if stored is not None and stored[0] == data:
            if expires_at is None and stored[1] is None:
                return
            if expires_at is not None and stored[1] is not None:
                renew_every = min(RENEW_EVERY_SECONDS, seconds / RENEW_SHARE)
                if 0 <= expires_at - stored[1] < renew_every:
                    return  # the same session, its expiry set moments ago
        now = time.time()
        if now - self._purged_at >= PURGE_EVERY_SECONDS:
            self._purged_at = now
            self._db().execute("DELETE FROM entries WHERE expires_at < ?", [now])
        self._db().execute(
            "INSERT INTO entries (key, value, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
            [key, data, expires_at],
        )

    async def get(self, key: str, renew_for: int | dt.timedelta | None = None) -> bytes | None:
        stored = self._row(key)
        if stored is None:
            return None
        value, expires_at = stored
        if expires_at is not None and expires_at <= time.time():
            await self.delete(key)
            return None
        if renew_for and expires_at is not None:
            await self.set(key, value, expires_in=renew_for)
        return value

    async def delete(self, key: str) -> None:
        self._db().execute("DELETE FROM entries WHERE key = ?", [key])

    async def delete_all(self) -> None:
        self._db().execute("DELETE FROM entries")

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        stored = self._row(key)
        if stored is None or stored[1] is None:
            return None
        return max(0, int(stored[1] - time.time()))

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def session_file(db_path: Path) -> Path:
    """Where a county database's sessions are kept."""
    return Path(f"{db_path}.sessions.db")


def end_sessions(db: Database, username: str) -> int:
    """End every session of a login (disabled, or given a new password by an admin), so that a session
    left on a lost phone does not come back when the login is enabled again; how many ended."""
    path = session_file(Path(db.execute("PRAGMA database_list").fetchone()[2]))
    if not path.exists():
        return 0
    conn = sqlite3.connect(path, timeout=LOCK_TIMEOUT_SECONDS, isolation_level=None)
    try:
        return conn.execute(
            "DELETE FROM entries WHERE json_valid(CAST(value AS TEXT)) AND json_extract(CAST(value AS TEXT), ?) = ?",
            [f"$.{SESSION_USER}", username],
        ).rowcount
    finally:
        conn.close()


async def renew_session_id(request: Request, store: Store) -> None:
    """Give a sign-in a session id of its own: the one the browser brought (possibly planted there by
    someone else: session fixation) is ended and dropped from this request, so Litestar makes a new
    one when it stores the session (it keeps a cookie's id otherwise)."""
    old = request.cookies.pop(SESSION_COOKIE, None)  # the connection's cookies, as the middleware reads them
    if old and old != "null":
        await store.delete(old)
