"""Service settings: a (name, env var, default, help) table, read once at start-up."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec

DEFAULT_DB = Path("data/sanbiao.db")


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    db_path: Path = DEFAULT_DB
    """SQLite database file (env SANBIAO_DB; CLI --db)."""
    config_path: Path | None = None
    """County policy TOML (env SANBIAO_CONFIG; CLI --config); None = the built-in defaults."""
    timezone: str = "Asia/Shanghai"
    """Time zone that decides "today" for as_of dates and validation (env SANBIAO_TZ)."""
    scheduler: bool = True
    """Run the nightly job inside the service (CLI serve --no-scheduler turns it off)."""

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
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        ZoneInfo(settings.timezone)  # fail at start-up on an unknown zone, not on the first request
        return settings

    def today(self) -> dt.date:
        """Today's date in the county's time zone."""
        return dt.datetime.now(ZoneInfo(self.timezone)).date()
