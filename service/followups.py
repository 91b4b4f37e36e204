"""The follow-up list of the API (GET /api/v1/followups): tasks in the caller's region, in list order."""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from followup.tasks import TaskKind, TaskStatus
from service.auth import Principal, check_region
from service.errors import OutsideRegion
from service.store.tasks import FollowupRow, list_followups
from stratify.records import Level
from stratify.tiers import Tier

Position = tuple[int, str, int]  # (tier position, due, task_id): where a page ends


def scope(user: Principal, region: str | None) -> str:
    """The region to list: the caller's, or a part of it."""
    if region is None:
        return user.region
    check_region(region)  # BadRegion: 400
    if not region.startswith(user.region):
        raise OutsideRegion(f"region {region} is outside your region {user.region or 'all'}")
    return region


def followups(
    db: Database,
    user: Principal,
    *,
    region: str | None,
    status: TaskStatus,
    level: Level | None,
    assignee: str | None,
    due_by: dt.date | None,
    kind: TaskKind | None,
    tier: Tier | None,
    after: Position | None,
    limit: int,
) -> tuple[list[FollowupRow], Position | None]:
    """A page of tasks and, when more follow, the position the next page starts after."""
    rows = list_followups(
        db,
        region=scope(user, region),
        status=status,
        level=level,
        assignee=assignee,
        due_by=due_by,
        kind=kind,
        tier=tier,
        after=after,
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return [row for row, _ in rows], rows[-1][1] if more else None
