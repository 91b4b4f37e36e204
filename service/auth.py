"""Who is calling: API keys (Bearer), roles, region scopes and the guards that check them."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from enum import StrEnum

import anyio.to_thread
import msgspec
from argon2 import PasswordHasher
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from service.store import connect
from service.store.access import find_api_key

KEY_PREFIX = "sb_"
REGION_PATTERN = re.compile(r"^(?:[0-9]{6}|[0-9]{9}|[0-9]{12})$")  # CONTRACT §1: county, township, village

_passwords = PasswordHasher()


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
    return _passwords.hash(password)


class AuthMiddleware(AbstractAuthenticationMiddleware):
    """Bearer API keys; a request without valid credentials is a 401 before anything else runs."""

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        scheme, _, key = connection.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise NotAuthorizedException("missing credentials: send 'Authorization: Bearer <api key>'")
        db_path = connection.app.state.settings.db_path
        found = await anyio.to_thread.run_sync(_lookup_key, db_path, hash_api_key(key.strip()))
        if found is None:
            raise NotAuthorizedException("invalid or revoked API key")
        name, role, region = found
        return AuthenticationResult(user=Principal(name, Role(role), region, "key"), auth=None)


def _lookup_key(db_path: str, key_hash: str) -> tuple[str, str, str] | None:
    db = connect(db_path)
    try:
        return find_api_key(db, key_hash)
    finally:
        db.close()


def allow(*roles: Role) -> Callable[[ASGIConnection, BaseRouteHandler], None]:
    """A guard admitting only these roles (403 otherwise)."""

    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        principal: Principal = connection.user
        if principal.role not in roles:
            raise PermissionDeniedException(f"role {principal.role} may not do this")

    return guard
