"""County indicators on a small hand-made county: HEARTS control (WHO HEARTS definitions), tiers,
completion, overdue by doctor and transitions, as the nightly run stores them by village and the
dashboard sums them by region."""

from __future__ import annotations

import datetime as dt

import msgspec
from conftest import make_resident, make_visit

from service.ingest import Ingestor
from service.jobs import run_nightly
from service.store.indicators import VillageTally, region_indicators, save_indicators
from service.store.jobs import start_run
from stratify.policy import Policy

TODAY = dt.date(2026, 11, 1)
TOWNSHIP, OTHER_TOWNSHIP = "350421101", "350421102"


def day(n: int) -> str:
    return (TODAY + dt.timedelta(days=n)).isoformat()


def store(db, *residents: dict) -> None:
    ingestor = Ingestor(db, today=TODAY)
    ingestor.begin(origin="cli", source="test", filename=None, actor="test")
    ingestor.run(msgspec.json.encode(r) for r in residents)
    ingestor.end()


def htn(record_id: str, diagnosed: str, *visits: dict, village: str = TOWNSHIP + "201", **fields) -> dict:
    conditions = [{"code": "I10", "diagnosed_on": diagnosed}]
    return make_resident(
        record_id, conditions=conditions, visits=list(visits), events=[], village_code=village, **fields
    )


def test_hearts_control_counts_registered_patients_with_a_recent_controlled_reading(db):
    store(
        db,
        htn("CONTROLLED", day(-400), make_visit(visit_id="a", date=day(-10), sbp=130, dbp=80)),
        htn("HIGH", day(-400), make_visit(visit_id="a", date=day(-10), sbp=150, dbp=95)),
        htn("STALE", day(-400), make_visit(visit_id="a", date=day(-200), sbp=120, dbp=70)),
        htn("NEW", day(-30), make_visit(visit_id="a", date=day(-5), sbp=120, dbp=70)),  # registered < 3 months
        htn(
            "LATEST-COUNTS",
            day(-400),
            make_visit(visit_id="a", date=day(-40), sbp=120, dbp=70),
            make_visit(visit_id="b", date=day(-5), sbp=145, dbp=80),
        ),
        htn(
            "ELSEWHERE",
            day(-400),
            make_visit(visit_id="a", date=day(-10), sbp=120, dbp=70),
            village=OTHER_TOWNSHIP + "201",
        ),
        htn("DIED", day(-400), make_visit(visit_id="a", date=day(-10), sbp=120, dbp=70))
        | {"events": [{"event_id": "d", "date": day(-2), "type": "death"}]},
        make_resident(
            "DM",
            conditions=[{"code": "E11.9", "diagnosed_on": day(-400)}],
            events=[],
            visits=[make_visit(visit_id="a", date=day(-20), fasting_glucose=6.5, sbp=None, dbp=None)],
            village_code=TOWNSHIP + "202",
        ),
    )
    run_nightly(db, Policy(), TODAY, trigger="test", workers=1)

    township = region_indicators(db, TOWNSHIP, 12)
    county = region_indicators(db, "350421", 9)

    assert (township.bp.registered, township.bp.controlled) == (4, 1)  # NEW is too new; DIED is not counted
    assert (township.glucose.registered, township.glucose.controlled) == (1, 1)
    assert (county.bp.registered, county.bp.controlled) == (5, 2)  # ELSEWHERE adds its township
    assert [a.area for a in township.areas] == [TOWNSHIP + "201", TOWNSHIP + "202"]
    assert [(a.area, a.untiered) for a in county.areas] == [(TOWNSHIP, 1), (OTHER_TOWNSHIP, 0)]
    assert sum(a.red + a.yellow + a.green for a in county.areas) == 7  # every living managed resident, once
    assert region_indicators(db, "350421103", 12).bp.registered == 0


def test_completion_overdue_by_doctor_and_transitions(db):
    store(db, htn("A", day(-400), make_visit(visit_id="a", date=day(-10))))
    rows = [
        ("A", "routine_followup", "done", day(-5), "vd1"),
        ("A", "gp_review", "open", day(-3), "gp1"),
        ("A", "recall", "open", day(-60), None),
        ("A", "recheck", "cancelled", day(-2), "gp1"),
    ]
    with db.atomic():
        for record_id, kind, status, due, assignee in rows:
            db.execute(
                "INSERT INTO tasks (record_id, kind, tier, owner_level, assignee, village_code, status, created_on, "
                "due) VALUES (?, ?, 'yellow', 'township', ?, ?, ?, ?, ?)",
                [record_id, kind, assignee, TOWNSHIP + "201", status, day(-90), due],
            )
        db.execute(
            "INSERT INTO tier_history (record_id, as_of, from_tier, to_tier, reasons, created_at) VALUES "
            "('A', ?, 'green', 'red', '[{\"code\": \"bp_crisis\"}]', 'now'), "
            "('A', ?, 'red', 'yellow', '[{\"code\": \"uncontrolled\"}]', 'now')",  # last month: not counted
            [day(0), day(-31)],
        )
        run_id = start_run(db, "nightly", TODAY, "test")
        save_indicators(db, run_id, TODAY, VillageTally(), Policy())

    county = region_indicators(db, "350421", 9)

    assert (county.completion.controlled, county.completion.registered) == (1, 2)  # cancelled tasks do not count
    assert county.overdue_by_doctor == [("", 1), ("gp1", 1)]
    assert [(t.from_tier, t.to_tier, t.residents, t.top_code) for t in county.transitions] == [
        ("green", "red", 1, "bp_crisis")
    ]
    assert region_indicators(db, OTHER_TOWNSHIP, 12).overdue_by_doctor == []


def test_each_run_replaces_the_figures_and_none_exist_before_the_first(db):
    assert region_indicators(db, "350421", 9) is None
    store(db, htn("A", day(-400), make_visit(visit_id="a", date=day(-10), sbp=186, dbp=112)))
    first = run_nightly(db, Policy(), TODAY, trigger="test", workers=1)
    store(db, htn("B", day(-400), make_visit(visit_id="a", date=day(-10), sbp=120, dbp=70)))
    second = run_nightly(db, Policy(), TODAY, trigger="test", workers=1)

    figures = region_indicators(db, "350421", 9)

    assert figures.run_id == second.run_id != first.run_id
    assert [(a.red, a.green) for a in figures.areas] == [(1, 1)]
