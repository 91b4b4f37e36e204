"""County indicators, each defined once: tiers, HEARTS control, follow-up completion, overdue work by
doctor and tier transitions. The nightly run counts them by village (`VillageTally` while it assesses,
SQL over tasks and tier history at its end) and replaces the village tables in one transaction; the
dashboard sums villages under a region prefix, so a county of 1M residents reads a few hundred rows.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable

import msgspec
from sqlite_utils import Database

from followup.hearts import bp_control, glucose_control
from service.store import now_utc, region_bounds
from service.store.tasks import lost_by_village
from stratify.policy import Policy
from stratify.records import Resident, Visit
from stratify.tiers import Assessment

COMPLETION_DAYS = 30  # follow-up completion: tasks that fell due in the last 30 days
TOP_DOCTORS = 10  # overdue work: the doctors with most, on the dashboard
COUNTS = ("red", "yellow", "green", "untiered", "htn_registered", "htn_controlled", "dm_registered", "dm_controlled")
AT = {name: i for i, name in enumerate(COUNTS)}  # a count's position in a village's row


class VillageTally(msgspec.Struct):
    """Per village, the COUNTS of the residents assessed so far (a batch, or a whole run)."""

    villages: dict[str, list[int]] = msgspec.field(default_factory=dict)

    def add(self, resident: Resident, visits: list[Visit], a: Assessment, policy: Policy) -> None:
        row = self.villages.setdefault(resident.village_code, [0] * len(COUNTS))
        row[AT[a.tier.value if a.tier else "untiered"]] += 1
        for prefix, control in (("htn", bp_control), ("dm", glucose_control)):
            registered, controlled = control(resident, visits, a.status, a.as_of, policy)
            row[AT[f"{prefix}_registered"]] += registered
            row[AT[f"{prefix}_controlled"]] += controlled

    def merge(self, other: VillageTally) -> None:
        for village, counts in other.villages.items():
            row = self.villages.setdefault(village, [0] * len(COUNTS))
            for i, n in enumerate(counts):
                row[i] += n


def save_indicators(db: Database, run_id: int, as_of: dt.date, tally: VillageTally, policy: Policy) -> None:
    """Replace the village tables with this run's figures (call inside a write transaction)."""
    since = (as_of - dt.timedelta(days=COMPLETION_DAYS)).isoformat()
    tasks = {
        village: (due, done)
        for village, due, done in db.execute(
            "SELECT village_code, count(*), sum(status = 'done') FROM tasks "
            "WHERE due > ? AND due <= ? AND status != 'cancelled' GROUP BY village_code",
            [since, as_of.isoformat()],
        )
    }
    lost = dict(lost_by_village(db, today=as_of, lost_before=as_of - dt.timedelta(days=policy.ltfu_days)))
    for table in ("village_indicators", "village_overdue", "village_transitions"):
        db.execute(f"DELETE FROM {table}")
    empty = [0] * len(COUNTS)
    db.conn.executemany(
        f"INSERT INTO village_indicators VALUES (?, {', '.join('?' * len(COUNTS))}, ?, ?, ?)",
        [
            (village, *tally.villages.get(village, empty), *tasks.get(village, (0, 0)), lost.get(village, 0))
            for village in sorted(tally.villages.keys() | tasks.keys() | lost.keys())
        ],
    )
    db.execute(
        "INSERT INTO village_overdue SELECT village_code, coalesce(assignee, ''), count(*) FROM tasks "
        "WHERE status = 'open' AND due < ? GROUP BY 1, 2",
        [as_of.isoformat()],
    )
    db.execute(
        "INSERT INTO village_transitions SELECT r.village_code, h.from_tier, coalesce(h.to_tier, ''), "
        "coalesce(json_extract(h.reasons, '$[0].code'), ''), count(*) FROM tier_history h "
        "JOIN residents r USING (record_id) WHERE h.as_of >= ? AND h.as_of <= ? AND h.from_tier IS NOT NULL "
        "GROUP BY 1, 2, 3, 4",
        [as_of.replace(day=1).isoformat(), as_of.isoformat()],
    )
    db.execute(
        "INSERT INTO indicators_run (only, run_id, as_of, computed_at) VALUES (1, ?, ?, ?) "
        "ON CONFLICT (only) DO UPDATE SET run_id = excluded.run_id, as_of = excluded.as_of, "
        "computed_at = excluded.computed_at",
        [run_id, as_of.isoformat(), now_utc()],
    )


class Control(msgspec.Struct):
    registered: int
    controlled: int

    @property
    def rate(self) -> float | None:
        return self.controlled / self.registered if self.registered else None


class AreaCounts(msgspec.Struct):
    area: str
    red: int
    yellow: int
    green: int
    untiered: int
    bp: Control
    glucose: Control
    completion: Control
    ltfu: int  # residents lost to follow-up (CONTRACT §10)


class Transition(msgspec.Struct):
    from_tier: str
    to_tier: str | None
    residents: int
    top_code: str  # the most common first reason of the new tier


class RegionIndicators(msgspec.Struct):
    """A region's figures as of the nightly run that computed them."""

    run_id: int
    as_of: str
    computed_at: str
    areas: list[AreaCounts]  # the region's townships or villages
    bp: Control
    glucose: Control
    completion: Control  # tasks done among those that fell due in the last 30 days
    overdue_by_doctor: list[tuple[str, int]]  # '' = unassigned
    transitions: list[Transition]


def region_indicators(db: Database, region: str, child_digits: int) -> RegionIndicators | None:
    """Sum the villages under `region`, by child area of `child_digits`; None before any nightly run."""
    run = db.execute("SELECT run_id, as_of, computed_at FROM indicators_run").fetchone()
    if run is None:
        return None
    low, high = region_bounds(region)
    in_region = "village_code >= ? AND village_code < ?"
    areas = [
        AreaCounts(
            *row[:5], bp=Control(*row[5:7]), glucose=Control(*row[7:9]), completion=Control(*row[9:11]), ltfu=row[11]
        )
        for row in db.execute(
            "SELECT substr(village_code, 1, ?), sum(red), sum(yellow), sum(green), sum(untiered), "
            "sum(htn_registered), sum(htn_controlled), sum(dm_registered), sum(dm_controlled), "
            f"sum(tasks_due), sum(tasks_done), sum(ltfu) FROM village_indicators WHERE {in_region} "
            "GROUP BY 1 ORDER BY 1",
            [child_digits, low, high],
        )
    ]
    overdue = db.execute(
        f"SELECT assignee, sum(overdue) FROM village_overdue WHERE {in_region} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?",
        [low, high, TOP_DOCTORS],
    ).fetchall()
    return RegionIndicators(
        *run,
        areas=areas,
        bp=_total(a.bp for a in areas),
        glucose=_total(a.glucose for a in areas),
        completion=_total(a.completion for a in areas),
        overdue_by_doctor=[tuple(row) for row in overdue],
        transitions=_transitions(db, low, high),
    )


def _total(controls: Iterable[Control]) -> Control:
    total = Control(0, 0)
    for c in controls:
        total.registered += c.registered
        total.controlled += c.controlled
    return total


def _transitions(db: Database, low: str, high: str) -> list[Transition]:
    """Tier changes this month (to the run's as_of), most first, each with its commonest first reason."""
    counts: Counter[tuple[str, str]] = Counter()
    by_code: defaultdict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for from_tier, to_tier, code, n in db.execute(
        "SELECT from_tier, to_tier, code, sum(residents) FROM village_transitions "
        "WHERE village_code >= ? AND village_code < ? GROUP BY 1, 2, 3",
        [low, high],
    ):
        counts[from_tier, to_tier] += n
        by_code[from_tier, to_tier][code] += n
    return [
        Transition(a, b or None, n, by_code[a, b].most_common(1)[0][0])
        for (a, b), n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def active_card(db: Database) -> dict | None:
    """The active model's card (the WHO fallback's says only why the county has no model of its own)."""
    row = db.execute("SELECT card FROM models WHERE active = 1").fetchone()
    return msgspec.json.decode(row[0]) if row else None
