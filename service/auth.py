"""Who is calling: API keys (Bearer), roles, region scopes and the guards that check them."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import time
from collections.abc import Callable
from enum import StrEnum

import anyio.to_thread
import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import Receive, Scope, Send
from sqlite_utils import Database

from service.store import Pool, connect, now_utc
from service.store.access import (
    address_failures,
    find_api_key,
    find_user,
    lock_state,
    record_address_failure,
    record_login,
)

KEY_PREFIX = "sb_"
SESSION_USER = "user"
REGION_PATTERN = re.compile(r"^(?:[0-9]{6}|[0-9]{9}|[0-9]{12})$")  # CONTRACT §1: county, township, village

PASSWORDS = PasswordHasher()  # argon2-cffi defaults (RFC 9106 low-memory); the test suite swaps in a cheap profile


class Role(StrEnum):
    VILLAGE_DOCTOR = "village_doctor"
    TOWNSHIP_GP = "township_gp"
    COUNTY_SPECIALIST = "county_specialist"
    CENTER = "center"
    ADMIN = "admin"
    INGEST = "ingest"  # API keys only: may POST records and nothing else


LOGIN_ROLES = tuple(r for r in Role if r is not Role.INGEST)
RECORD_WRITERS = (Role.INGEST, Role.ADMIN, Role.CENTER)


class Principal(msgspec.Struct, frozen=True):
    name: str
    role: Role
    region: str
    via: str  # "key" or "session"
    must_change_password: bool = False  # a one-time password: nothing but changing it until it is changed


class BadRegion(ValueError):
    pass


def check_region(region: str) -> str:
    if not REGION_PATTERN.match(region):
        raise BadRegion(f"region {region!r} must be 6, 9 or 12 digits (county, township, village)")
    return region


def new_api_key() -> tuple[str, str, str]:
    """(key, its hash, a short prefix to recognise it by). Only the hash and prefix are stored."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    return key, hash_api_key(key), key[:10]


def hash_api_key(key: str) -> str:
    """Keys carry 256 random bits, so a plain SHA-256 suffices (no password stretching needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def hash_password(password: str) -> str:
    return PASSWORDS.hash(password)


class AuthMiddleware(AbstractAuthenticationMiddleware):
    """Bearer API keys, else a logged-in session; without either a request is a 401 before anything
    else runs (CSRF included). A session's user is looked up on every request, so a disabled login
    is out at once."""

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        pool = connection.app.state.pool
        header = connection.headers.get("authorization")
        if header is not None:
            scheme, _, key = header.partition(" ")
            if scheme.lower() != "bearer" or not key.strip():
                raise NotAuthorizedException("send 'Authorization: Bearer <api key>'")
            found = await anyio.to_thread.run_sync(_lookup, find_api_key, pool, hash_api_key(key.strip()))
            if found is None:
                raise NotAuthorizedException("invalid or revoked API key")
            name, role, region = found
            return AuthenticationResult(user=Principal(name, Role(role), region, "key"), auth=None)
        username = connection.session.get(SESSION_USER) if connection.scope.get("session") else None
        user = await anyio.to_thread.run_sync(_lookup, find_user, pool, username) if username else None
        if user is None:
            raise NotAuthorizedException("missing credentials: log in, or send 'Authorization: Bearer <api key>'")
        _, role, region, one_time = user
        return AuthenticationResult(user=Principal(username, Role(role), region, "session", bool(one_time)), auth=None)


def _lookup(find: Callable, pool: Pool, key: str) -> tuple | None:
    with pool.connection() as db:
        return find(db, key)


class LockedOut(Exception):
    """Too many failed logins: this login (or this address) must wait until `until` (UTC ISO time)."""

    def __init__(self, until: str) -> None:
        super().__init__(f"too many failed logins; try again after {until}")
        self.until = until


LOCK_AFTER_FAILURES = 5  # OWASP: lock a login after a few failures in a row...
LOCK_MINUTES = 15  # ... for a short while, so a doctor who mistypes is back before the next patient
ADDRESS_FAILURES = 20  # failures from one address (any usernames) within LOCK_MINUTES before it must wait


def check_address(db: Database, address: str, now: float) -> None:
    """LockedOut while an address has had ADDRESS_FAILURES failed logins within LOCK_MINUTES; counted
    in the database, so every server process sees every failure."""
    window = LOCK_MINUTES * 60
    recent = address_failures(db, address, now - window)
    if len(recent) >= ADDRESS_FAILURES:
        raise LockedOut(dt.datetime.fromtimestamp(recent[0] + window, dt.UTC).isoformat(timespec="seconds"))


def check_password(db_path: str, username: str, password: str, *, address: str) -> Principal | None:
    """The login's principal when the password matches its argon2 hash; LockedOut while locked."""
    now = time.time()
    db = connect(db_path)
    try:
        check_address(db, address, now)
        locked = lock_state(db, username)
        if locked and locked > now_utc():
            raise LockedOut(locked)
        found = find_user(db, username)
        verified = False
        if found is None:
            PASSWORDS.hash(password)  # spend the same time as a real check: no username probing by timing
        else:
            try:
                verified = PASSWORDS.verify(found[0], password)
            except (VerifyMismatchError, InvalidHashError):
                verified = False
        if found is not None:
            until = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=LOCK_MINUTES)).isoformat(timespec="seconds")
            record_login(db, username, ok=verified, lock_after=LOCK_AFTER_FAILURES, lock_until=until)
        if not verified:
            record_address_failure(db, address, now, forget_before=now - LOCK_MINUTES * 60)
            return None
        return Principal(username, Role(found[1]), found[2], "session", bool(found[3]))
    finally:
        db.close()


class BearerExemptCSRF(CSRFMiddleware):
    """Litestar's double-submit CSRF check for sessions; API-key requests carry no cookies to forge."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and any(
            name == b"authorization" and value[:7].lower() == b"bearer " for name, value in scope["headers"]
        ):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def allow(*roles: Role) -> Callable[[ASGIConnection, BaseRouteHandler], None]:
    """A guard admitting only these roles (403 otherwise)."""

    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        principal: Principal = connection.user
        if principal.role not in roles:
            raise PermissionDeniedException(f"role {principal.role} may not do this")

    return guard
