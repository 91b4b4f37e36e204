"""Server-side sessions in their own SQLite file (service.session_store): what Litestar's session
middleware asks of a store, shared by worker processes, and the write back skipped while nothing changed."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from conftest import PASSWORD, add_login, log_in
from litestar.testing import TestClient

from service import session_store
from service.auth import Principal, Role
from service.session_store import RENEW_EVERY_SECONDS, SqliteStore
from service.staff import reset_password, set_enabled
from ui.app import create_app


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(session_store.time, "time", clock.time)
    return clock


@pytest.fixture
def path(tmp_path):
    return tmp_path / "county.db.sessions.db"


def run(coroutine):
    return asyncio.run(coroutine)


def stored(path, key: str) -> tuple | None:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT value, expires_at FROM entries WHERE key = ?", [key]).fetchone()


def test_a_session_is_kept_until_it_expires_and_is_gone_after(path, clock):
    store = SqliteStore(path)
    run(store.set("s1", "data", expires_in=600))
    assert run(store.get("s1")) == b"data"
    assert run(store.expires_in("s1")) == 600
    assert run(store.exists("s1"))
    clock.now += 601
    assert run(store.get("s1")) is None
    assert stored(path, "s1") is None  # an expired session is removed when it is read


def test_every_worker_sees_a_session_another_made_and_ended(path, clock):
    first, second = SqliteStore(path), SqliteStore(path)
    run(first.set("s1", b"wang", expires_in=600))
    assert run(second.get("s1")) == b"wang"
    run(second.delete("s1"))  # signed out on the other worker
    assert run(first.get("s1")) is None
    assert not run(first.exists("s1"))


def test_an_unchanged_session_is_written_again_at_most_once_a_minute(path, clock):
    store = SqliteStore(path)
    run(store.set("s1", b"wang", expires_in=600))
    first_expiry = stored(path, "s1")[1]
    clock.now += RENEW_EVERY_SECONDS - 1
    run(store.set("s1", b"wang", expires_in=600))  # the next request, within the minute: no write
    assert stored(path, "s1")[1] == first_expiry
    clock.now += 2
    run(store.set("s1", b"wang", expires_in=600))  # past the minute: the idle timeout slides
    assert stored(path, "s1")[1] == clock.now + 600
    run(store.set("s1", b"wang, changed", expires_in=600))  # a change is always written
    assert stored(path, "s1")[0] == b"wang, changed"


def test_an_idle_session_expires_even_while_writes_are_skipped(path, clock):
    """Skipping writes never extends a session: its expiry is at most a minute short of sliding."""
    store = SqliteStore(path)
    run(store.set("s1", b"wang", expires_in=600))
    for _ in range(10):  # a request every 5 seconds for 50 seconds, then idle
        clock.now += 5
        run(store.set("s1", b"wang", expires_in=600))
    clock.now += 600 - 50 + 1
    assert run(store.get("s1")) is None


def test_a_sign_in_clears_expired_sessions_and_renewal_on_read_works(path, clock):
    store = SqliteStore(path)
    run(store.set("old", b"x", expires_in=60))
    clock.now += 61
    run(store.set("new", b"y", expires_in=600))
    assert stored(path, "old") is None
    clock.now += 300
    assert run(store.get("new", renew_for=600)) == b"y"
    assert stored(path, "new")[1] == clock.now + 600
    run(store.set("forever", b"z"))
    assert run(store.expires_in("forever")) is None
    run(store.delete_all())
    assert run(store.get("new")) is None and run(store.get("forever")) is None
    store.close()


def test_the_empty_session_of_a_request_without_one_is_never_stored(path, clock):
    """Litestar gives every request without a session cookie an empty session and writes it back: an API
    call or the login form would otherwise leave a row each."""
    store = SqliteStore(path)
    for n in range(5):
        run(store.set(f"anonymous-{n}", b"{}", expires_in=600))
    run(store.set("signed-in", b'{"user": "wang"}', expires_in=600))
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT key FROM entries").fetchall() == [("signed-in",)]
    run(store.set("signed-in", b"{}", expires_in=600))  # an existing session emptied is written
    assert stored(path, "signed-in")[0] == b"{}"


def test_a_short_session_still_slides(path, clock):
    """The write back is skipped for at most a tenth of a session's lifetime."""
    store = SqliteStore(path)
    run(store.set("s1", b"wang", expires_in=30))
    clock.now += 4
    run(store.set("s1", b"wang", expires_in=30))
    assert stored(path, "s1")[1] == clock.now + 30


def test_a_shorter_lifetime_is_written_at_once(path, clock):
    """After the session lifetime is lowered, a session does not keep its longer expiry."""
    store = SqliteStore(path)
    run(store.set("s1", b"wang", expires_in=600))
    run(store.set("s1", b"wang", expires_in=60))
    assert stored(path, "s1")[1] == clock.now + 60


def test_the_file_is_the_owners_only(path, clock):
    run(SqliteStore(path).set("s1", b"wang", expires_in=600))
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_disabled_or_reset_login_loses_its_sessions_for_good(client, db, settings):
    """A session left on a lost phone stays ended when the login is enabled again (or given a new
    password); other people's sessions stay."""
    add_login(db, "wang")
    add_login(db, "li")
    log_in(client, "wang", PASSWORD)
    with TestClient(create_app(settings)) as other:
        log_in(other, "li", PASSWORD)
        set_enabled(db, "wang", False, actor="admin")
        set_enabled(db, "wang", True, actor="admin")

        assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")
        assert other.get("/", follow_redirects=False).status_code == 200

        log_in(client, "wang", PASSWORD)
        admin = Principal("admin", Role.ADMIN, "350421", "session")
        reset_password(db, admin, "wang")
        assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")
        assert other.get("/", follow_redirects=False).status_code == 200
