"""A doctor's list for today: doable, red first, then most overdue, then highest risk."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol, TypeVar

from stratify.tiers import Tier


class Due(Protocol):
    @property
    def tier(self) -> Tier | None: ...
    @property
    def due(self) -> dt.date: ...
    @property
    def risk(self) -> float | None: ...


D = TypeVar("D", bound=Due)
TIER_ORDER = {Tier.RED: 0, Tier.YELLOW: 1, Tier.GREEN: 2, None: 3}


def priority(item: Due, today: dt.date) -> tuple[int, int, float]:
    """Sort key: red first, then most days overdue, then highest risk (CONTRACT §4.5, DESIGN)."""
    return TIER_ORDER[item.tier], -(today - item.due).days, -(item.risk or 0.0)


def todays_list(items: Sequence[D], today: dt.date, capacity: int) -> tuple[list[D], list[D]]:
    """(today's list, carried over): due items in priority order, at most `capacity` today.

    Carried-over items grow more overdue each day, so they rise to the top: nobody waits forever.
    """
    due = sorted((i for i in items if i.due <= today), key=lambda i: priority(i, today))
    return due[:capacity], due[capacity:]
