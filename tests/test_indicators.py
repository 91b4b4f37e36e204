"""County indicators on a small hand-made county: HEARTS control, completion, overdue by doctor."""

from __future__ import annotations

import datetime as dt

import msgspec
from conftest import make_resident, make_visit

from service.ingest import Ingestor
from service.store.indicators import bp_control, completion, glucose_control, overdue_by_doctor, transitions
from stratify.policy import Policy

TODAY = dt.date(2026, 11, 1)


def day(n: int) -> str:
    return (TODAY + dt.timedelta(days=n)).isoformat()


def store(db, *residents: dict) -> None:
    ingestor = Ingestor(db, today=TODAY)
    ingestor.begin(origin="cli", source="test", filename=None, actor="test")
    ingestor.run(msgspec.json.encode(r) for r in residents)
    ingestor.end()


def htn(record_id: str, diagnosed: str, *visits: dict) -> dict:
    return make_resident(
        record_id, conditions=[{"code": "I10", "diagnosed_on": diagnosed}], visits=list(visits), events=[]
    )


def test_hearts_control_counts_registered_patients_with_a_recent_controlled_reading(db):
    store(
        db,
        htn("CONTROLLED", day(-400), make_visit(visit_id="a", date=day(-10), sbp=130, dbp=80)),
        htn("HIGH", day(-400), make_visit(visit_id="a", date=day(-10), sbp=150, dbp=95)),
        htn("STALE", day(-400), make_visit(visit_id="a", date=day(-200), sbp=120, dbp=70)),
        htn("NEW", day(-30), make_visit(visit_id="a", date=day(-5), sbp=120, dbp=70)),
        htn(
            "LATEST-COUNTS",
            day(-400),
            make_visit(visit_id="a", date=day(-40), sbp=120, dbp=70),
            make_visit(visit_id="b", date=day(-5), sbp=145, dbp=80),
        ),
        make_resident(
            "DM",
            conditions=[{"code": "E11.9", "diagnosed_on": day(-400)}],
            events=[],
            visits=[make_visit(visit_id="a", date=day(-20), fasting_glucose=6.5, sbp=None, dbp=None)],
        ),
    )

    bp = bp_control(db, "350421", TODAY, Policy())
    glucose = glucose_control(db, "350421", TODAY, Policy())

    assert (bp.registered, bp.controlled) == (4, 1)  # NEW is not registered 3 months yet
    assert (glucose.registered, glucose.controlled) == (1, 1)
    assert bp_control(db, "350421102", TODAY, Policy()).registered == 0


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
                "due) VALUES (?, ?, 'yellow', 'township', ?, '350421101201', ?, ?, ?)",
                [record_id, kind, assignee, status, day(-90), due],
            )
        db.execute(
            "INSERT INTO tier_history (record_id, as_of, from_tier, to_tier, reasons, created_at) VALUES "
            "('A', ?, 'green', 'red', '[{\"code\": \"bp_crisis\"}]', 'now')",
            [day(0)],
        )

    assert completion(db, "350421", TODAY) == (1, 2)  # cancelled tasks do not count; the recall fell due earlier
    assert overdue_by_doctor(db, "350421", TODAY) == [("", 1), ("gp1", 1)]
    assert transitions(db, "350421", TODAY.replace(day=1)) == [("green", "red", 1, "bp_crisis")]
