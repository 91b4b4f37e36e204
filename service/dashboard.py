"""The county center's dashboard, drilling down county -> township -> village -> patients.

Tier counts, indicators and residents lost to follow-up come from the village tables the nightly run
keeps (fast on any county); a village's patient list and the tasks nobody holds are read live.
"""

from __future__ import annotations

import msgspec
from sqlite_utils import Database

from followup.assign import ROLE_LEVEL
from service.area_views import CHILD_DIGITS, area_region
from service.auth import Principal
from service.jobs import JobRun, job_runs
from service.reasons import StoredReason, stored_reason
from service.store.areas import area_names
from service.store.indicators import AreaCounts, RegionIndicators, active_card, region_indicators
from service.store.residents import village_patients
from service.store.tasks import unassigned_by_village, unassigned_count
from stratify.model import WHO_FALLBACK_VERSION
from stratify.records import Level
from stratify.tiers import URGENT_FIRST, Tier


class AreaRow(msgspec.Struct, frozen=True):
    area: str
    name: str | None
    counts: AreaCounts

    def tiers(self) -> dict[str, int]:
        return {tier: getattr(self.counts, tier) for tier in URGENT_FIRST}


class Patient(msgspec.Struct, frozen=True):
    record_id: str
    name: str
    tier: Tier | None
    reason: StoredReason | None  # the first reason of the current assessment


class Unassigned(msgspec.Struct, frozen=True):
    """Open tasks of one level in one village that no active login covers (CONTRACT §9)."""

    village: str
    name: str | None
    level: Level
    tasks: int

    @property
    def role(self) -> str:
        """The role whose login would take these tasks."""
        return next(role for role, level in ROLE_LEVEL.items() if level == self.level)


class Dashboard(msgspec.Struct, frozen=True):
    region: str
    name: str | None
    parent: str | None  # the region one level up, when the user may see it
    areas: list[AreaRow]  # townships or villages; empty on a village's page
    totals: dict[str, int]  # by tier
    patients: list[Patient]  # a village's managed residents, red first
    indicators: RegionIndicators | None  # None until the first nightly run
    model: dict | None  # the active model's card (the WHO fallback's: `model_fallback`)
    runs: list[JobRun]  # the latest job runs
    ltfu: int  # residents lost to follow-up, as of the nightly run
    unassigned: int  # open tasks nobody holds, now
    unassigned_areas: list[Unassigned] | None  # by village and level, when asked for

    @property
    def village(self) -> bool:
        return len(self.region) == 12

    @property
    def model_fallback(self) -> bool:
        """The active model is the WHO fallback (docs/model.md)."""
        return self.model is not None and self.model["version"] == WHO_FALLBACK_VERSION


def dashboard(db: Database, user: Principal, region: str | None, *, unassigned: bool = False) -> Dashboard:
    """The dashboard of `region` (default: the user's), with the unassigned tasks by village when asked;
    NotAllowed or OutsideRegion when not theirs."""
    region = area_region(user, region, "dashboard")
    indicators = region_indicators(db, region, CHILD_DIGITS[len(region)])
    counts = indicators.areas if indicators else []
    held_by_nobody = unassigned_by_village(db, region) if unassigned else None
    names = area_names(db, [region, *(a.area for a in counts), *(v for v, _, _ in held_by_nobody or ())])
    village = len(region) == 12
    patients = [
        Patient(record_id, name, Tier(tier) if tier else None, stored_reason(reason))
        for record_id, name, tier, reason in (village_patients(db, region) if village else [])
    ]
    parent = region[:-3] if len(region) > 6 and region[:-3].startswith(user.region) else None
    return Dashboard(
        region=region,
        name=names.get(region),
        parent=parent,
        areas=[] if village else [AreaRow(a.area, names.get(a.area), a) for a in counts],
        totals={tier: sum(getattr(a, tier) for a in counts) for tier in URGENT_FIRST},
        patients=patients,
        indicators=indicators,
        model=active_card(db),
        runs=job_runs(db),
        ltfu=sum(a.ltfu for a in counts),
        unassigned=unassigned_count(db, region),
        unassigned_areas=None
        if held_by_nobody is None
        else [Unassigned(v, names.get(v), Level(level), n) for v, level, n in held_by_nobody],
    )
