"""A doctor's list for today: doable, urgent first, then red, yellow, green, then most overdue, then
highest risk (CONTRACT §10)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol, TypeVar

from stratify.tiers import Tier, list_position


class Due(Protocol):
    @property
    def urgent(self) -> bool: ...
    @property
    def tier(self) -> Tier | None: ...
    @property
    def due(self) -> dt.date: ...
    @property
    def risk(self) -> float | None: ...


D = TypeVar("D", bound=Due)


def priority(item: Due, today: dt.date) -> tuple[bool, int, int, float]:
    """Sort key: an urgent referral first, then red, yellow, green, then most days overdue, then highest
    risk (CONTRACT §10, DESIGN)."""
    return not item.urgent, list_position(item.tier), -(today - item.due).days, -(item.risk or 0.0)


def todays_list(items: Sequence[D], today: dt.date, capacity: int) -> tuple[list[D], list[D]]:
    """(today's list, carried over): due items in priority order, at most `capacity` today.

    Carried-over items grow more overdue each day, so they rise to the top: nobody waits forever.
    """
    due = sorted((i for i in items if i.due <= today), key=lambda i: priority(i, today))
    return due[:capacity], due[capacity:]
