"""Service settings: a (name, env var, default, help) table, read once at start-up."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec

DEFAULT_DB = Path("data/sanbiao.db")


def parse_time(text: str) -> tuple[int, int]:
    """ "HH:MM" as (hour, minute)."""
    clock = dt.datetime.strptime(text, "%H:%M")
    return clock.hour, clock.minute


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    db_path: Path = DEFAULT_DB
    """SQLite database file (env SANBIAO_DB; CLI --db)."""
    config_path: Path | None = None
    """County policy TOML (env SANBIAO_CONFIG; CLI --config); None = the built-in defaults."""
    timezone: str = "Asia/Shanghai"
    """Time zone that decides "today" for as_of dates and validation (env SANBIAO_TZ)."""
    scheduler: bool = True
    """Run the nightly job inside the service (CLI serve --no-scheduler turns it off)."""
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

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ, **overrides: object) -> Settings:
        """Settings from SANBIAO_* variables; explicit (non-None) overrides win."""
        values: dict[str, object] = {}
        if env.get("SANBIAO_DB"):
            values["db_path"] = Path(env["SANBIAO_DB"])
        if env.get("SANBIAO_CONFIG"):
            values["config_path"] = Path(env["SANBIAO_CONFIG"])
        if env.get("SANBIAO_TZ"):
            values["timezone"] = env["SANBIAO_TZ"]
        if env.get("SANBIAO_NIGHTLY_AT"):
            values["nightly_at"] = parse_time(env["SANBIAO_NIGHTLY_AT"])
        if env.get("SANBIAO_SECURE_COOKIES"):
            values["secure_cookies"] = env["SANBIAO_SECURE_COOKIES"] not in ("0", "false", "no")
        if env.get("SANBIAO_SESSION_MINUTES"):
            values["session_minutes"] = float(env["SANBIAO_SESSION_MINUTES"])
        if env.get("SANBIAO_JOB_INTERVAL"):
            values["job_interval_seconds"] = int(env["SANBIAO_JOB_INTERVAL"])
        if env.get("SANBIAO_LOCK_RETRY"):
            values["lock_retry_seconds"] = int(env["SANBIAO_LOCK_RETRY"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        ZoneInfo(settings.timezone)  # fail at start-up on an unknown zone, not on the first request
        return settings

    def secret(self) -> str:
        """The signing secret for CSRF tokens: kept beside the database (0600), made on first use."""
        path = Path(f"{self.db_path}.secret")
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
                    f.write(secrets.token_hex(32))
            except FileExistsError:  # another process made it first
                pass
        return path.read_text().strip()

    def today(self) -> dt.date:
        """Today's date in the county's time zone."""
        return dt.datetime.now(ZoneInfo(self.timezone)).date()
