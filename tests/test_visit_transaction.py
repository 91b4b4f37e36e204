"""A visit is one write transaction (issue: one visit, one transaction): validated once, the resident read
once and re-assessed from memory, the roster read only when a task opens; a failure at any step stores
nothing. A one-resident upload to the API is one transaction too, its import batch included."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest
from conftest import PASSWORD, VILLAGE, add_login, api_key, csrf, document, log_in, make_resident, make_visit

from service.auth import Principal, Role
from service.ingest import ingest_document
from service.jobs import read_and_assess, roster_of, write_batch
from service.reassess import Reassessor
from service.store.histories import managed_ranges
from service.validation import Invalid
from service.visits import record_visit
from stratify.policy import Policy

DOCTOR = Principal("wang", Role.VILLAGE_DOCTOR, VILLAGE, "session")


@pytest.fixture
def stored(db, settings):
    """One managed resident with a controlled visit ten days ago, stored and assessed (a routine task open)."""
    today = settings.today()
    earlier = (today - dt.timedelta(days=10)).isoformat()
    resident = make_resident("R1", visits=[make_visit(date=earlier, sbp=128, dbp=78)], events=[])
    ingest_document(
        db,
        msgspec.json.encode(document(resident)),
        actor="test",
        region="",
        today=today,
        on_stored=Reassessor(db, Policy(), today),
    )
    return today


def traced(db, action) -> list[str]:
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    try:
        action()
    finally:
        db.conn.set_trace_callback(None)
    return statements


def counts(db) -> dict[str, int]:
    tables = ("visits", "tasks", "tier_history", "import_batches", "audit_log", "task_outcomes")
    return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def test_a_visit_is_one_write_transaction_reading_the_resident_once(db, stored):
    today = stored
    # recorded late: dated before today's task was planned, it completes no task and opens none
    fields = {"date": (today - dt.timedelta(days=5)).isoformat(), "sbp": 132, "dbp": 80}

    sql = traced(db, lambda: record_visit(db, Policy(), DOCTOR, "R1", fields, today))

    assert [s for s in sql if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE"]
    assert sql.count("COMMIT") == 1
    assert sum("FROM visits WHERE record_id IN" in s for s in sql) == 1  # the history, read once
    assert not any("import_batches" in s for s in sql)  # a form visit is no import
    assert not any("FROM users" in s for s in sql)  # no task opened: nobody to assign
    assert db.execute("SELECT count(*) FROM tasks WHERE record_id = 'R1'").fetchone() == (1,)


def test_a_visit_that_opens_a_task_reads_only_the_doctors_of_its_village(db, stored):
    today = stored
    add_login(db, "wang")
    fields = {"date": today.isoformat(), "sbp": 186, "dbp": 112}  # a crisis: an urgent referral opens

    sql = traced(db, lambda: record_visit(db, Policy(), DOCTOR, "R1", fields, today))

    roster = [s for s in sql if "FROM users" in s or "GROUP BY assignee" in s]
    assert roster and all("json_each" in s for s in roster)  # scoped to the village and its doctors
    assert db.execute("SELECT kind FROM tasks WHERE status = 'open' AND record_id = 'R1'").fetchall() == [
        ("urgent_referral",)
    ]


def test_a_bad_visit_stores_nothing_and_names_its_own_field(db, stored):
    before = counts(db)

    with pytest.raises(Invalid) as error:
        record_visit(db, Policy(), DOCTOR, "R1", {"date": stored.isoformat(), "sbp": 400, "dbp": 80}, stored)

    assert [e.field for e in error.value.errors] == ["sbp"]
    assert counts(db) == before


def test_a_failure_after_the_visit_was_written_leaves_nothing_behind(client, db, stored):
    """The audit entry is the last write of a visit: when it fails, the visit, the new tier and the
    re-planned tasks roll back with it."""
    db.execute(
        "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log WHEN NEW.action = 'visit' "
        "BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END"
    )
    add_login(db, "wang")
    log_in(client, "wang", PASSWORD)
    before = counts(db)
    tier = db.execute("SELECT tier, reasons FROM assessments WHERE record_id = 'R1'").fetchone()
    form = {"_csrf_token": csrf(client), "date": stored.isoformat(), "sbp": "190", "dbp": "115"}

    response = client.post("/residents/R1/visits", data=form, headers={"HX-Request": "true"})

    assert response.status_code >= 500
    assert counts(db) == {**before, "audit_log": counts(db)["audit_log"]}  # logins are audited meanwhile
    assert db.execute("SELECT tier, reasons FROM assessments WHERE record_id = 'R1'").fetchone() == tier


def test_a_one_resident_upload_is_one_transaction_with_its_batch(db, stored):
    today = stored
    resident = make_resident("R1", visits=[make_visit(visit_id="v-2", date=today.isoformat(), sbp=150, dbp=95)])
    body = msgspec.json.encode(document(resident))

    sql = traced(
        db,
        lambda: ingest_document(
            db, body, actor="clinic", region="", today=today, on_stored=Reassessor(db, Policy(), today)
        ),
    )

    assert [s for s in sql if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE"]
    assert db.execute("SELECT status, accepted, updated FROM import_batches ORDER BY batch_id DESC").fetchone() == (
        "done",
        1,
        1,
    )


def test_the_api_and_the_page_record_visits_alike(client, db, stored):
    """The same visit posted as a record (API) or on the card (page) leaves the same tier."""
    add_login(db, "wang")
    log_in(client, "wang", PASSWORD)
    form = {"_csrf_token": csrf(client), "date": stored.isoformat(), "sbp": "150", "dbp": "95"}
    assert client.post("/residents/R1/visits", data=form, headers={"HX-Request": "true"}).status_code == 200
    page_tier = client.get("/api/v1/residents/R1").json()

    earlier = (stored - dt.timedelta(days=10)).isoformat()
    twin = make_resident(
        "R2",
        visits=[
            make_visit(date=earlier, sbp=128, dbp=78),
            make_visit(visit_id="v-2", date=stored.isoformat(), sbp=150, dbp=95),
        ],
        events=[],
    )
    posted = client.post("/api/v1/records", json=document(twin), headers=api_key(db, "ingest"))
    assert posted.json()["accepted"] == 1
    api_tier = client.get("/api/v1/residents/R2").json()

    assert (page_tier["tier"], [r["code"] for r in page_tier["reasons"]]) == (
        api_tier["tier"],
        [r["code"] for r in api_tier["reasons"]],
    )
    assert page_tier["tier"] == "yellow"  # 150/95 at 70 years: uncontrolled (target below 150/90)


def test_two_visits_on_one_day_keep_the_order_they_were_recorded_in(db, stored):
    today = stored
    record_visit(db, Policy(), DOCTOR, "R1", {"date": today.isoformat(), "sbp": 186, "dbp": 112}, today)
    record_visit(db, Policy(), DOCTOR, "R1", {"date": today.isoformat(), "sbp": 128, "dbp": 78}, today)

    latest = db.execute("SELECT sbp FROM visits WHERE record_id = 'R1' ORDER BY date DESC, visit_id DESC").fetchone()

    assert latest == (128,)  # the re-measurement, not the crisis an hour before


def test_a_visit_recorded_while_the_nightly_job_runs_is_not_overwritten_by_it(db, stored):
    """The job reads a batch, a crisis visit re-assesses one of its residents in real time, then the job
    writes what it read: that resident keeps the newer tier and task (the job leaves it out)."""
    today = stored
    (bounds,) = managed_ranges(db)
    batch = read_and_assess(db, bounds, today, Policy(), None, {})
    record_visit(db, Policy(), DOCTOR, "R1", {"date": today.isoformat(), "sbp": 190, "dbp": 115}, today)

    write_batch(db, batch, roster_of(db), run_id=None)

    assert db.execute("SELECT tier FROM assessments WHERE record_id = 'R1'").fetchone() == ("red",)
    assert db.execute("SELECT kind FROM tasks WHERE record_id = 'R1' AND status = 'open'").fetchall() == [
        ("urgent_referral",)
    ]
