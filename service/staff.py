"""The county's staff (CONTRACT §9): logins from the roster file or the admin page, disabled and enabled,
passwords reset to one-time ones that are changed at the first sign-in; after every change the
tasks of the logins' areas follow (`service.assignment.reassign`)."""

from __future__ import annotations

import csv
import io
import re
import secrets
from pathlib import Path

import msgspec
from sqlite_utils import Database

from service.assignment import reassign
from service.auth import LOGIN_ROLES, REGION_PATTERN, Principal, Role, hash_password
from service.errors import NotAllowed, OutsideRegion
from service.session_store import end_sessions
from service.store import writing
from service.store.access import save_user, set_disabled, set_password, user_row, users_in
from stratify.records import USERNAME_PATTERN

ROSTER_COLUMNS = ("username", "name", "role", "region", "phone")  # CONTRACT §9
MAX_NAME_CHARS = 50
PHONE = re.compile(r"^[0-9 +-]{7,20}$")  # CONTRACT §3's phone
MIN_PASSWORD_CHARS = 10
STAFF_ADMINS = (Role.CENTER, Role.ADMIN)


class StaffRow(msgspec.Struct, frozen=True):
    username: str
    name: str
    role: Role
    region: str
    phone: str | None


class BadRoster(ValueError):
    """A roster file that cannot be used; the message names the line."""


class BadPassword(ValueError):
    """`code` names what is wrong (the pages word it): too_short, differ."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def one_time_password() -> str:
    """12 characters a person can type from a printout (9 random bytes)."""
    return secrets.token_urlsafe(9)


def staff_row(values: dict[str, str]) -> StaffRow:
    """One login's fields checked; ValueError names the field."""
    username, name = values.get("username", "").strip(), values.get("name", "").strip()
    role, region, phone = (values.get(k, "").strip() for k in ("role", "region", "phone"))
    if not re.match(USERNAME_PATTERN, username):
        raise ValueError("username: 1-64 letters, digits, '.', '_' or '-'")
    if not 1 <= len(name) <= MAX_NAME_CHARS:
        raise ValueError(f"name: 1-{MAX_NAME_CHARS} characters")
    if role not in {r.value for r in LOGIN_ROLES}:
        raise ValueError(f"role: one of {', '.join(r.value for r in LOGIN_ROLES)}")
    if not REGION_PATTERN.match(region):
        raise ValueError("region: 6, 9 or 12 digits (county, township, village)")
    if phone and not PHONE.match(phone):
        raise ValueError("phone: 7-20 digits, spaces, + or -")
    return StaffRow(username, name, Role(role), region, phone or None)


def decode_text(data: bytes) -> str:
    """A CSV as UTF-8 (with or without BOM), else GB18030 (what Chinese spreadsheet programs write)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def read_roster(path: Path) -> list[StaffRow]:
    """`username,name,role,region,phone` rows (header required, any column order); a bad row names its line."""
    try:
        text = decode_text(path.read_bytes())
    except UnicodeDecodeError:
        raise BadRoster("the file is neither UTF-8 nor GB18030 text") from None
    rows = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(rows, [])]
    missing = [c for c in ROSTER_COLUMNS if c not in header]
    if missing:
        raise BadRoster(f"line 1: the header needs {', '.join(ROSTER_COLUMNS)} (missing {', '.join(missing)})")
    found: list[StaffRow] = []
    seen: dict[str, int] = {}
    for line, cells in enumerate(rows, start=2):
        if not any(c.strip() for c in cells):
            continue
        try:
            row = staff_row(dict(zip(header, cells, strict=False)))
        except ValueError as e:
            raise BadRoster(f"line {line}: {e}") from None
        if row.username in seen:
            raise BadRoster(f"line {line}: username {row.username} is also on line {seen[row.username]}")
        seen[row.username] = line
        found.append(row)
    return found


def import_roster(db: Database, rows: list[StaffRow], *, actor: str) -> list[tuple[str, str]]:
    """Create or update every login of the roster in one transaction, then hand their areas' tasks
    on; returns (username, one-time password) of each new login, to be printed once."""
    new = [r for r in rows if user_row(db, r.username) is None]
    passwords = {r.username: one_time_password() for r in new}
    hashes = {username: hash_password(p) for username, p in passwords.items()}  # slow: before the lock
    with writing(db):
        regions = set()
        for row in rows:
            before = user_row(db, row.username)
            if before is not None:
                regions.add(before[3])
            save_user(
                db,
                username=row.username,
                name=row.name,
                role=row.role,
                region=row.region,
                phone=row.phone,
                password_hash=hashes.get(row.username),
                actor=actor,
            )
            regions.add(row.region)
        reassign(db, sorted(regions))
    return [(r.username, passwords[r.username]) for r in new if r.username in passwords]


def require_staff_admin(user: Principal, region: str) -> None:
    """Center staff and admins manage the logins of their own region."""
    if user.role not in STAFF_ADMINS:
        raise NotAllowed(f"role {user.role} does not manage logins")
    if not region.startswith(user.region):
        raise OutsideRegion(f"region {region} is outside your region")


def add_staff(db: Database, user: Principal, row: StaffRow) -> str:
    """A new login made on the admin page; returns its one-time password (shown once)."""
    require_staff_admin(user, row.region)
    if row.role is Role.ADMIN and user.role is not Role.ADMIN:
        raise NotAllowed("only an admin creates admins")
    if user_row(db, row.username) is not None:
        raise ValueError(f"username: {row.username} is taken")
    return import_roster(db, [row], actor=user.name)[0][1]


def _target(db: Database, user: Principal, username: str) -> tuple:
    found = user_row(db, username)
    if found is None:
        raise ValueError(f"no login {username!r}")
    require_staff_admin(user, found[3])
    return found


def set_enabled(db: Database, username: str, enabled: bool, *, actor: str) -> None:
    """Disable a login (its sessions end: refused at once, each request looks the login up, and removed,
    so none comes back when it is enabled again) or enable it again; the tasks of its area follow at once."""
    with writing(db):
        found = user_row(db, username)
        if found is None:
            raise ValueError(f"no login {username!r}")
        set_disabled(db, username, not enabled, actor=actor)
        reassign(db, [found[3]])
    if not enabled:
        end_sessions(db, username)


def switch_login(db: Database, user: Principal, username: str, enabled: bool) -> None:
    """The admin page's disable or enable, within the user's region."""
    _target(db, user, username)
    set_enabled(db, username, enabled, actor=user.name)


def reset_password(db: Database, user: Principal, username: str) -> str:
    """A one-time password (shown once) that must be changed at the next sign-in."""
    _target(db, user, username)
    password = one_time_password()
    set_password(db, username, hash_password(password), one_time=True, actor=user.name)
    end_sessions(db, username)  # a reset is for a forgotten password or a lost phone
    return password


def change_password(db: Database, username: str, new: str, repeated: str) -> None:
    """The user's own new password (the caller has checked who they are); BadPassword says what is wrong."""
    if len(new) < MIN_PASSWORD_CHARS:
        raise BadPassword("password_too_short", f"at least {MIN_PASSWORD_CHARS} characters")
    if username.casefold() in new.casefold():
        raise BadPassword("password_has_username", "must not contain the username")
    if new != repeated:
        raise BadPassword("password_differ", "the two entries differ")
    set_password(db, username, hash_password(new), one_time=False, actor=username)


class Login(msgspec.Struct, frozen=True):
    username: str
    name: str | None
    role: str
    region: str
    phone: str | None
    disabled: bool
    must_change_password: bool


def logins(db: Database, user: Principal) -> list[Login]:
    """The logins of the user's region, for the admin page."""
    require_staff_admin(user, user.region)
    return [Login(*row[:5], bool(row[5]), bool(row[6])) for row in users_in(db, user.region)]
