"""Service settings: a (name, env var, default, help) table, read once at start-up.

Every setting has an environment variable, so worker processes started by `sanbiao serve --workers`
receive the settings of the command that started them (`Settings.to_env`).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec

DEFAULT_DB = Path("data/sanbiao.db")


def parse_time(text: str) -> tuple[int, int]:
    """ "HH:MM" as (hour, minute)."""
    clock = dt.datetime.strptime(text, "%H:%M")
    return clock.hour, clock.minute


def parse_flag(text: str) -> bool:
    return text.strip().lower() not in ("0", "false", "no", "off", "")


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    db_path: Path = DEFAULT_DB
    """SQLite database file (env SANBIAO_DB; CLI --db)."""
    config_path: Path | None = None
    """County policy TOML (env SANBIAO_CONFIG; CLI --config); None = the built-in defaults."""
    timezone: str = "Asia/Shanghai"
    """Time zone that decides "today" for as_of dates and validation (env SANBIAO_TZ)."""
    scheduler: bool = True
    """Run the nightly job inside the service (env SANBIAO_SCHEDULER=0; CLI serve --no-scheduler)."""
    nightly_at: tuple[int, int] = (2, 0)
    """Local time of the nightly job, HH:MM (env SANBIAO_NIGHTLY_AT)."""
    secure_cookies: bool = False
    """Mark session and CSRF cookies Secure: set behind an HTTPS proxy (env SANBIAO_SECURE_COOKIES=1)."""
    session_minutes: float = 600
    """A login lasts this long, then the user signs in again (env SANBIAO_SESSION_MINUTES; a working day)."""
    job_interval_seconds: int | None = None
    """Run the job every N seconds instead of nightly (env SANBIAO_JOB_INTERVAL; for tests and drills)."""
    lock_retry_seconds: int = 60
    """A standby process tries to take over the nightly job this often (env SANBIAO_LOCK_RETRY)."""
    trusted_proxies: str | None = None
    """Reverse proxies whose X-Forwarded-For/-Proto headers are believed, e.g. 127.0.0.1 (env
    SANBIAO_TRUSTED_PROXIES); unset: the connecting address is the client's (login limits count it)."""
    dhis2_mapping: Path | None = None
    """The TOML file mapping indicators and areas to DHIS2 uids (env SANBIAO_DHIS2_MAPPING, docs/dhis2.md)."""
    workers: int = os.cpu_count() or 1
    """Server processes sharing the database (env SANBIAO_WORKERS; CLI serve --workers; default: the cores)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ, **overrides: object) -> Settings:
        """Settings from SANBIAO_* variables; explicit (non-None) overrides win."""
        values: dict[str, object] = {field: parse(env[var]) for field, (var, parse, _) in ENV.items() if env.get(var)}
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        ZoneInfo(settings.timezone)  # fail at start-up on an unknown zone, not on the first request
        return settings

    def to_env(self) -> dict[str, str]:
        """These settings as SANBIAO_* variables (what `from_env` reads back)."""
        return {
            var: show(getattr(self, field)) for field, (var, _, show) in ENV.items() if getattr(self, field) is not None
        }

    def secret(self) -> str:
        """The signing secret for CSRF tokens: kept beside the database (0600), made on first use.

        Written whole to a file of its own, then linked into place: a worker starting at the same
        moment reads either no file (and links its own, losing to the first) or a complete one,
        never an empty one, so every worker signs with the same secret."""
        path = Path(f"{self.db_path}.secret")
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            draft = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
            with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
                f.write(secrets.token_hex(32))
            try:
                os.link(draft, path)  # fails if another process linked its secret first
            except FileExistsError:
                pass
            finally:
                draft.unlink()
        return path.read_text().strip()

    def today(self) -> dt.date:
        """Today's date in the county's time zone."""
        return dt.datetime.now(ZoneInfo(self.timezone)).date()


ENV: dict[str, tuple[str, Callable[[str], object], Callable[[object], str]]] = {
    "db_path": ("SANBIAO_DB", Path, str),
    "config_path": ("SANBIAO_CONFIG", Path, str),
    "timezone": ("SANBIAO_TZ", str, str),
    "scheduler": ("SANBIAO_SCHEDULER", parse_flag, lambda on: "1" if on else "0"),
    "nightly_at": ("SANBIAO_NIGHTLY_AT", parse_time, lambda at: f"{at[0]:02d}:{at[1]:02d}"),
    "secure_cookies": ("SANBIAO_SECURE_COOKIES", parse_flag, lambda on: "1" if on else "0"),
    "session_minutes": ("SANBIAO_SESSION_MINUTES", float, str),
    "job_interval_seconds": ("SANBIAO_JOB_INTERVAL", int, str),
    "lock_retry_seconds": ("SANBIAO_LOCK_RETRY", int, str),
    "trusted_proxies": ("SANBIAO_TRUSTED_PROXIES", str, str),
    "workers": ("SANBIAO_WORKERS", int, str),
    "dhis2_mapping": ("SANBIAO_DHIS2_MAPPING", Path, str),
}  # setting -> (environment variable, parse, show)
