"""Tiers, reasons and assessments: the vocabulary of CONTRACT §5."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import msgspec

from stratify.records import Level
from stratify.wording import EN, sentence


class Tier(StrEnum):
    """Declared from least to most urgent: that order is the one source of every tier ordering."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"

    @property
    def rank(self) -> int:
        """Severity: green 0, yellow 1, red 2."""
        return _RANK[self]

    @property
    def owner_level(self) -> Level:
        """Who leads care at this tier (CONTRACT §5)."""
        return _OWNER[self]


_RANK = {tier: rank for rank, tier in enumerate(Tier)}
URGENT_FIRST = tuple(reversed(Tier))  # red, yellow, green: how lists, counts and menus show tiers
_OWNER = {Tier.GREEN: Level.VILLAGE, Tier.YELLOW: Level.TOWNSHIP, Tier.RED: Level.COUNTY}


def list_position(tier: Tier | None) -> int:
    """Where a tier sorts in a working list: red 0, yellow 1, green 2, untiered last."""
    return URGENT_FIRST.index(tier) if tier else len(URGENT_FIRST)


def highest(tiers: list[Tier] | tuple[Tier, ...], default: Tier = Tier.GREEN) -> Tier:
    return max(tiers, key=_RANK.__getitem__, default=default)


class Source(StrEnum):
    RULE = "rule"
    MODEL = "model"
    OVERRIDE = "override"


class Finding(msgspec.Struct, frozen=True, omit_defaults=True, array_like=True):
    """One fact behind a reason: its kind (a key of `stratify.wording.FINDINGS`), its date, the
    reading, the limit it reached (`op` says how), and coded items (symptoms, events, tiers...)."""

    kind: str
    on: dt.date | None = None
    value: str | None = None
    op: str | None = None
    limit: str | None = None
    items: tuple[str, ...] = ()


class Reason(msgspec.Struct, frozen=True):
    """Why a tier: a stable code, the tier it forces, where it came from, and the findings behind it.

    Stored as these fields; `message` (the API's English line) and the pages' sentences are worded
    from the findings by `stratify.wording` when someone reads them.
    """

    code: str
    tier: Tier
    source: Source = Source.RULE
    findings: tuple[Finding, ...] = ()

    @property
    def message(self) -> str:
        return sentence(self.code, self.findings, EN)


def because(code: str, tier: Tier, *findings: Finding, source: Source = Source.RULE) -> Reason:
    return Reason(code, tier, source, findings)


class Status(StrEnum):
    ACTIVE = "active"
    DIED = "died"
    MOVED_AWAY = "moved_away"


class Assessment(msgspec.Struct, frozen=True, kw_only=True):
    """One resident's tier as of a date, with every reason that applies (highest first)."""

    record_id: str
    as_of: dt.date
    managed: bool
    status: Status
    tier: Tier | None
    floor: Tier | None
    risk: float | None = None
    model_version: str | None = None
    reasons: tuple[Reason, ...] = ()

    @property
    def owner_level(self) -> Level | None:
        return self.tier.owner_level if self.tier else None
