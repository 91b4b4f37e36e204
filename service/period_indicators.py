"""The figures the county answers for (CONTRACT §11), for any period, by area: BPHS management,
standard management and control, WHO HEARTS control, missed visits and loss to follow-up, tiers,
referrals, serious events and follow-up tasks, each computed from the visits, events, tier history and
tasks kept, never from a snapshot, so a past period gives the same figures whenever it is asked.

"At `end`" means at the period's last day, or today for a period not yet over (there are no data
after today). Each definition is written once, in `resident_counts`; docs/indicators.md says where
each comes from.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from typing import NamedTuple

import msgspec
from sqlite_utils import Database

from followup.hearts import RECENT_VISIT_DAYS, REGISTERED_DAYS, CareState, care_state
from service.area_views import CHILD_DIGITS
from service.periods import Period, PeriodKind
from service.store import now_utc
from service.store.areas import area_names, area_populations
from service.store.period_facts import ResidentFacts, VisitFacts, resident_facts, tasks_due_by
from stratify.facts import SERIOUS_EVENTS, age_on
from stratify.medicines import not_intensified, regimen_of
from stratify.policy import Policy
from stratify.records import DIABETES_CODES, HYPERTENSION_CODES, Medication
from stratify.tiers import Status

FACE_TO_FACE = frozenset({"clinic", "home"})  # BPHS-3: a phone call is not a face-to-face follow-up
STANDARD_VISITS_A_YEAR = 4  # BPHS-3: at least 4 face-to-face follow-ups a year = 规范管理
STANDARD_VISITS_A_PART = 1  # sanbiao, CONTRACT §11: a quarter or a month needs one
REFERRAL_DONE_DAYS = 30  # CONTRACT §11: a referral is completed by a township or county visit within 30 days
REFERRAL_LEVELS = frozenset({"township", "county"})
LTFU_LOOKBACK_DAYS = 365  # WHO HEARTS: lost to follow-up = no visit in 12 months (the visits to read)
GONE = frozenset({Status.DIED.value, Status.MOVED_AWAY.value})


class Figures(msgspec.Struct, kw_only=True):
    """One area's counts (or the region's total), in the order of CONTRACT §11."""

    htn_managed: int = 0
    htn_standard: int = 0
    htn_controlled: int = 0
    dm_managed: int = 0
    dm_standard: int = 0
    dm_controlled: int = 0
    hearts_htn_registered: int = 0
    hearts_htn_controlled: int = 0
    hearts_htn_missed: int = 0
    hearts_htn_ltfu: int = 0
    red: int = 0
    yellow: int = 0
    green: int = 0
    referrals_up: int = 0
    referrals_completed: int = 0
    serious_events: int = 0
    tasks_due: int = 0
    tasks_done_on_time: int = 0
    htn_uncontrolled_not_intensified: int = 0
    dm_uncontrolled_not_intensified: int = 0

    def add(self, counts: Counter[str]) -> None:
        for key, n in counts.items():
            setattr(self, key, getattr(self, key) + n)


class TotalFigures(Figures, kw_only=True):
    """The counts with the patients the area is expected to have (CONTRACT §11): its population aged
    35+ x the policy's prevalence; None when its population is not known."""

    htn_expected: int | None = None
    dm_expected: int | None = None


EXPECTED = ("htn_expected", "dm_expected")


class AreaFigures(TotalFigures, kw_only=True):
    code: str
    name: str | None


class Indicators(msgspec.Struct):
    region: str
    period: str
    start: dt.date
    end: dt.date
    computed_at: str
    areas: list[AreaFigures]
    total: TotalFigures


def as_of(period: Period, today: dt.date) -> dt.date:
    """The day the period's state is taken on: its last day, or today while it is not over."""
    return min(period.end, today)


def _has(r: ResidentFacts, codes: tuple[str, ...], day: dt.date) -> bool:
    return any(code[:3] in codes and (on is None or on <= day) for code, on in r.conditions)


def _registered_by(r: ResidentFacts, codes: tuple[str, ...], day: dt.date) -> bool:
    """HEARTS: diagnosed (registered) at least 3 months before `day` (followup.hearts)."""
    return _has(r, codes, day - dt.timedelta(days=REGISTERED_DAYS))


def _alive_and_here(r: ResidentFacts, day: dt.date) -> bool:
    """Neither died nor moved away on or before `day` (by status, or a death event)."""
    if r.status in GONE and (r.status_changed_on is None or r.status_changed_on <= day):
        return False
    return not any(kind == "death" and on <= day for on, kind in r.events)


def _latest(visits: list[VisitFacts], measured: str) -> VisitFacts | None:
    return next((v for v in reversed(visits) if getattr(v, measured) is not None), None)


def _standard(visits: list[VisitFacts], period: Period, day: dt.date) -> bool:
    """规范管理: 4 face-to-face visits in the calendar year up to `day` for a year, 1 in a quarter or month."""
    if period.kind is PeriodKind.YEAR:
        since, needed = dt.date(day.year, 1, 1), STANDARD_VISITS_A_YEAR
    else:
        since, needed = period.start, STANDARD_VISITS_A_PART
    return sum(v.mode in FACE_TO_FACE and since <= v.date <= day for v in visits) >= needed


def _bp_controlled(visit: VisitFacts | None, target: tuple[int, int]) -> bool:
    return visit is not None and visit.dbp is not None and visit.sbp < target[0] and visit.dbp < target[1]


def _referrals(visits: list[VisitFacts], period: Period, day: dt.date) -> tuple[int, int]:
    """Visits in the period with a referral, and those followed by a township or county visit within
    30 days (a period's completed referrals are final 30 days after its end)."""
    up = done = 0
    for visit in visits:
        if visit.referral and period.start <= visit.date <= day:
            up += 1
            by = visit.date + dt.timedelta(days=REFERRAL_DONE_DAYS)
            done += any(
                v.level in REFERRAL_LEVELS and visit.date <= v.date <= by and v.visit_id != visit.visit_id
                for v in visits
            )
    return up, done


_decode_regimen = msgspec.json.Decoder(list[Medication]).decode


def _not_intensified(seen: list[VisitFacts], start: dt.date, uncontrolled: Callable[[VisitFacts], bool | None]) -> bool:
    """The latest two visits in the period that measured it (from `start`) both uncontrolled, with no
    change of medicines between them (stratify.medicines.not_intensified; lists recorded before the
    period count, as far back as the visits read)."""
    if not any(v.medications is not None for v in seen):
        return False
    return not_intensified(
        [uncontrolled(v) if v.date >= start else None for v in seen],
        [None if v.medications is None else regimen_of(_decode_regimen(v.medications)) for v in seen],
        [bool(v.medication_changed) for v in seen],
    )


def resident_counts(r: ResidentFacts, period: Period, today: dt.date, policy: Policy) -> Counter[str]:
    """Which of the §11 counts one resident adds to (visits: those read for the period's window)."""
    day = as_of(period, today)
    counts: Counter[str] = Counter()
    up, done = _referrals(r.visits, period, day)
    counts.update(referrals_up=up, referrals_completed=done)
    counts["serious_events"] = sum(kind in SERIOUS_EVENTS and period.start <= on <= day for on, kind in r.events)
    if not _alive_and_here(r, day):
        return counts
    htn, dm = _has(r, HYPERTENSION_CODES, day), _has(r, DIABETES_CODES, day)
    if not (htn or dm):
        return counts
    tier = r.tier_on(day)
    if tier in ("red", "yellow", "green"):
        counts[tier] += 1
    seen = [v for v in r.visits if v.date <= day]
    in_period = [v for v in seen if v.date >= period.start]
    if in_period:
        standard = _standard(seen, period, day)
        if htn:
            elderly = age_on(r.birth_date, period.end) >= policy.elderly_age
            target = policy.bp_target_elderly if elderly else policy.bp_target
            counts.update(htn_managed=1, htn_standard=standard)
            counts["htn_controlled"] += _bp_controlled(_latest(in_period, "sbp"), target)
            counts["htn_uncontrolled_not_intensified"] += _not_intensified(
                seen, period.start, lambda v: None if v.dbp is None else not _bp_controlled(v, target)
            )
        if dm:
            counts.update(dm_managed=1, dm_standard=standard)
            latest = _latest(in_period, "fasting_glucose")
            counts["dm_controlled"] += latest is not None and latest.fasting_glucose < policy.fpg_target
            counts["dm_uncontrolled_not_intensified"] += _not_intensified(
                seen,
                period.start,
                lambda v: None if v.fasting_glucose is None else v.fasting_glucose >= policy.fpg_target,
            )
    if htn and _registered_by(r, HYPERTENSION_CODES, day):
        recent = [v for v in seen if (day - v.date).days < RECENT_VISIT_DAYS]
        state = care_state(seen[-1].date if seen else None, Status.ACTIVE, day, policy)
        counts.update(
            hearts_htn_registered=1,
            hearts_htn_controlled=_bp_controlled(_latest(recent, "sbp"), policy.bp_target),
            hearts_htn_missed=state is CareState.MISSED_VISIT,
            hearts_htn_ltfu=state is CareState.LOST_TO_FOLLOW_UP,
        )
    return +counts  # without the zeros


Unit = tuple[str, str]  # (village code, family doctor or '' for residents without one)


def _summed(parts: Iterable[tuple[str, Figures]]) -> dict[str, Figures]:
    found: dict[str, Figures] = {}
    for key, figures in parts:
        found.setdefault(key, Figures()).add(Counter(msgspec.structs.asdict(figures)))
    return found


class RegionFigures(NamedTuple):
    """The §11 figures of a region for one period, by village and family doctor."""

    region: str
    period: Period
    units: dict[Unit, Figures]

    def rolled_up(self, digits: int) -> dict[str, Figures]:
        """The figures summed by area code of `digits` (12: villages, 9: townships, 6: the county)."""
        return _summed((village[:digits], figures) for (village, _), figures in self.units.items())

    def doctors(self, village: str) -> dict[str, Figures]:
        """A village's figures by family doctor ('' for residents without one)."""
        return _summed((doctor, figures) for (code, doctor), figures in self.units.items() if code == village)


def computed_figures(
    db: Database, region: str, periods: list[Period], today: dt.date, policy: Policy
) -> dict[str, dict[Unit, Figures]]:
    """period code -> (village, family doctor) -> figures of the region, computed from the visits,
    events, tier history and tasks in one pass over the region's residents (the definitions;
    `service.figure_table` keeps what this gives)."""
    days = [as_of(period, today) for period in periods]
    lookback = dt.timedelta(days=LTFU_LOOKBACK_DAYS)
    visits_from = min(min(p.start, day - lookback) for p, day in zip(periods, days, strict=True))
    visits_to = min(max(p.end for p in periods) + dt.timedelta(days=REFERRAL_DONE_DAYS), today)
    found: dict[str, dict[Unit, Figures]] = {p.code: {} for p in periods}
    for resident in resident_facts(db, region, visits_from=visits_from, visits_to=visits_to, as_of=max(days)):
        for period in periods:
            counts = resident_counts(resident, period, today, policy)
            unit = (resident.village_code, resident.family_doctor or "")
            found[period.code].setdefault(unit, Figures()).add(counts)
    for period, day in zip(periods, days, strict=True):
        for unit, (due, done) in tasks_due_by(db, region, period.start, day).items():
            found[period.code].setdefault(unit, Figures()).add(Counter(tasks_due=due, tasks_done_on_time=done))
    return found


def population(code: str, known: dict[str, int], villages: set[str]) -> int | None:
    """An area's population aged 35+: its own figure, else the sum of its townships' or villages'
    (those with residents or a figure of their own) when every one has a figure, else None."""
    if code in known:
        return known[code]
    if len(code) == 12:
        return None
    digits = CHILD_DIGITS[len(code)]
    children = {c[:digits] for c in (*villages, *known) if c.startswith(code) and len(c) >= digits}
    counts = [population(child, known, villages) for child in sorted(children)]
    return sum(counts) if counts and None not in counts else None  # type: ignore[arg-type]


def expectations(db: Database, found: RegionFigures, policy: Policy) -> Callable[[str], dict[str, int | None]]:
    """code -> htn_expected and dm_expected of an area of the region (None when its population is not
    known), from the populations loaded (read once)."""
    known = area_populations(db, found.region)
    villages = {village for village, _ in found.units}
    prevalence = (policy.htn_prevalence_35plus, policy.dm_prevalence_35plus)

    def expected(code: str) -> dict[str, int | None]:
        people = population(code, known, villages)
        return {key: None if people is None else round(people * p) for key, p in zip(EXPECTED, prevalence, strict=True)}

    return expected


def summary(db: Database, found: RegionFigures, policy: Policy) -> Indicators:
    """The region's areas (townships of a county, villages of a township) and its total, each with the
    patients it is expected to have where its population is known."""
    by_area = found.rolled_up(CHILD_DIGITS[len(found.region)])
    names = area_names(db, list(by_area))
    expected = expectations(db, found, policy)

    def fields(code: str, figures: Figures) -> dict:
        return msgspec.structs.asdict(figures) | expected(code)

    return Indicators(
        region=found.region,
        period=found.period.code,
        start=found.period.start,
        end=found.period.end,
        computed_at=now_utc(),
        areas=[AreaFigures(code=code, name=names.get(code), **fields(code, by_area[code])) for code in sorted(by_area)],
        total=TotalFigures(**fields(found.region, found.rolled_up(len(found.region)).get(found.region, Figures()))),
    )
