"""GET /api/v1/followups and outcomes through the real app (CONTRACT §4.5, §6)."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import api_key, document, make_resident, make_visit
from litestar.testing import TestClient

from service.settings import Settings
from service.store.access import add_user
from ui.app import create_app

TODAY = Settings().today()
VILLAGE = "350421101201"


def day(n: int) -> str:
    return (TODAY + dt.timedelta(days=n)).isoformat()


def county_residents() -> list[dict]:
    """A red, a yellow and two green residents in one village, one green in another township."""
    return [
        make_resident("RED", visits=[make_visit(visit_id="v1", date=day(-1), sbp=186, dbp=112)], family_doctor="vd1"),
        make_resident(
            "YELLOW",
            visits=[make_visit(visit_id="v1", date=day(-6), sbp=150, dbp=95, fasting_glucose=None)],
            family_doctor="vd1",
        ),
        make_resident(
            "GREEN",
            visits=[
                make_visit(visit_id="v1", date=day(-100), sbp=126, dbp=80, fasting_glucose=None),
                make_visit(visit_id="v2", date=day(-10), sbp=128, dbp=78, fasting_glucose=None),
            ],
            events=[],
            family_doctor="vd1",
        ),
        make_resident(
            "GREEN-2",
            visits=[
                make_visit(visit_id="v1", date=day(-95), sbp=126, dbp=80, fasting_glucose=None),
                make_visit(visit_id="v2", date=day(-30), sbp=120, dbp=78, fasting_glucose=None),
            ],
            events=[],
            family_doctor="vd1",
        ),
        make_resident(
            "FAR",
            village_code="350421102201",
            visits=[make_visit(date=day(-3), sbp=120, dbp=70, fasting_glucose=None)],
            events=[],
        ),
    ]


@pytest.fixture
def county(settings, db):
    add_user(db, username="gp101", password_hash="x", role="township_gp", region="350421101", actor="test")
    add_user(db, username="spec", password_hash="x", role="county_specialist", region="350421", actor="test")
    add_user(db, username="vd1", password_hash="x", role="village_doctor", region=VILLAGE, actor="test")
    with TestClient(create_app(settings)) as client:
        posted = client.post("/api/v1/records", json=document(*county_residents()), headers=api_key(db, "ingest"))
        assert posted.json()["accepted"] == 5, posted.text
        yield client, db


def listing(client, headers, **params):
    response = client.get("/api/v1/followups", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_storing_visits_plans_one_routine_task_each_red_first(county):
    client, db = county

    items = listing(client, api_key(db, "center", "350421"))["items"]

    assert [i["record_id"] for i in items][:2] == ["RED", "YELLOW"]
    kinds = {i["record_id"]: (i["kind"], i["tier"], i["owner_level"], i["due"], i["assignee"]) for i in items}
    assert kinds["RED"] == ("urgent_referral", "red", "county", TODAY.isoformat(), "spec")
    assert kinds["YELLOW"] == ("recheck", "yellow", "township", day(-6 + 14), "gp101")
    assert kinds["GREEN"] == ("routine_followup", "green", "village", day(-10 + 90), "vd1")
    assert all(i["status"] == "open" and i["reasons"] for i in items if i["tier"] != "green")


def test_a_village_doctor_sees_only_their_village(county):
    client, db = county

    items = listing(client, api_key(db, "village_doctor", VILLAGE))["items"]

    assert {i["record_id"] for i in items} == {"RED", "YELLOW", "GREEN", "GREEN-2"}


def test_listing_another_region_is_403_and_bad_parameters_are_400(county):
    client, db = county
    doctor = api_key(db, "village_doctor", VILLAGE)

    assert client.get("/api/v1/followups", params={"region": "350421102"}, headers=doctor).status_code == 403
    assert client.get("/api/v1/followups", params={"limit": 0}, headers=doctor).status_code == 400
    assert client.get("/api/v1/followups", params={"cursor": "not-ours"}, headers=doctor).status_code == 400
    assert client.get("/api/v1/followups", params={"level": "province"}, headers=doctor).status_code == 400
    assert client.get("/api/v1/followups", headers=api_key(db, "ingest")).status_code == 403


def test_filters_and_cursor_paging(county):
    client, db = county
    center = api_key(db, "center", "350421")

    first = listing(client, center, limit=2)
    second = listing(client, center, limit=2, cursor=first["next_cursor"])
    last = listing(client, center, limit=2, cursor=second["next_cursor"])

    pages = [i["task_id"] for page in (first, second, last) for i in page["items"]]
    everything = [i["task_id"] for i in listing(client, center, limit=100)["items"]]
    assert pages == everything and len(set(pages)) == len(pages) == 5
    assert last["next_cursor"] is None
    assert [i["record_id"] for i in listing(client, center, level="township")["items"]] == ["YELLOW"]
    assert [i["record_id"] for i in listing(client, center, assignee="spec")["items"]] == ["RED"]
    assert {i["record_id"] for i in listing(client, center, due_by=TODAY.isoformat())["items"]} == {"RED"}


def test_resident_card_names_the_next_follow_up(county):
    client, db = county

    body = client.get("/api/v1/residents/RED", headers=api_key(db, "center", "350421")).json()

    assert body["next_followup"]["kind"] == "urgent_referral"
    assert body["next_followup"]["due"] == TODAY.isoformat()
    assert body["next_followup"]["assignee"] == "spec"


def task_of(client, db, record_id):
    [item] = [i for i in listing(client, api_key(db, "center", "350421"))["items"] if i["record_id"] == record_id]
    return item["task_id"]


def post_outcome(client, db, task_id, body, region=VILLAGE):
    return client.post(f"/api/v1/followups/{task_id}/outcome", json=body, headers=api_key(db, "village_doctor", region))


def test_remind_later_re_dates_the_task(county):
    client, db = county
    task_id = task_of(client, db, "GREEN")

    response = post_outcome(client, db, task_id, {"outcome": "remind_later", "remind_on": day(5), "note": "at market"})

    assert response.status_code == 200
    assert response.json()["due"] == day(5) and response.json()["status"] == "open"
    assert db.execute("SELECT outcome, note FROM task_outcomes").fetchall() == [("remind_later", "at market")]
    assert db.execute("SELECT action, record_id FROM audit_log WHERE record_id IS NOT NULL").fetchall() == [
        ("task_outcome", "GREEN")
    ]


def test_visited_closes_the_task(county):
    client, db = county
    task_id = task_of(client, db, "GREEN-2")

    response = post_outcome(client, db, task_id, {"outcome": "visited"})
    again = post_outcome(client, db, task_id, {"outcome": "visited"})

    assert response.json()["status"] == "done"
    assert again.status_code == 409


@pytest.mark.parametrize("ending", ["died", "moved_away"])
def test_died_or_moved_away_ends_management(county, ending):
    client, db = county
    task_id = task_of(client, db, "YELLOW")

    response = post_outcome(client, db, task_id, {"outcome": ending})
    card = client.get("/api/v1/residents/YELLOW", headers=api_key(db, "center", "350421")).json()

    assert response.json()["status"] == "cancelled"
    assert (card["status"], card["tier"], card["next_followup"]) == (ending, None, None)
    assert db.execute("SELECT count(*) FROM tasks WHERE record_id = 'YELLOW' AND status = 'open'").fetchone() == (0,)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param({"outcome": "remind_later"}, 400, id="remind-later-without-date"),
        pytest.param({"outcome": "remind_later", "remind_on": day(0)}, 400, id="remind-today"),
        pytest.param({"outcome": "visited", "remind_on": day(3)}, 400, id="date-without-remind-later"),
        pytest.param({"outcome": "abducted"}, 400, id="unknown-outcome"),
        pytest.param({"outcome": "refused", "note": "x" * 501}, 400, id="note-too-long"),
    ],
)
def test_bad_outcomes_are_400_and_change_nothing(county, body, status):
    client, db = county
    task_id = task_of(client, db, "GREEN")

    response = post_outcome(client, db, task_id, body)

    assert response.status_code == status
    assert db.execute("SELECT count(*) FROM task_outcomes").fetchone() == (0,)


def test_outcomes_outside_the_region_or_unknown_tasks_are_refused(county):
    client, db = county
    task_id = task_of(client, db, "FAR")

    assert post_outcome(client, db, task_id, {"outcome": "unreachable"}).status_code == 403
    assert post_outcome(client, db, 999999, {"outcome": "unreachable"}).status_code == 404


def test_stratify_twice_on_one_day_creates_no_duplicate_tasks(county):
    client, db = county
    center = api_key(db, "center", "350421")
    before = db.execute("SELECT count(*) FROM tasks").fetchone()[0]

    first = client.post("/api/v1/stratify", json={}, headers=center).json()
    second = client.post("/api/v1/stratify", json={}, headers=center).json()

    assert second["tasks_opened"] == second["tasks_closed"] == 0
    assert db.execute("SELECT count(*) FROM tasks").fetchone()[0] == before + first["tasks_opened"]
    assert db.execute("SELECT count(*) FROM tasks WHERE status = 'open'").fetchone()[0] >= 5


def test_todays_list_is_the_doctors_due_tasks_red_first_within_capacity(county, settings):
    client, db = county
    doctor = api_key(db, "village_doctor", VILLAGE)
    doctor_key_name = db.execute("SELECT name FROM api_keys ORDER BY key_id DESC LIMIT 1").fetchone()[0]
    db.execute(
        "UPDATE tasks SET assignee = ?, due = ? WHERE status = 'open' AND village_code = ?",
        [doctor_key_name, day(-1), VILLAGE],
    )
    db.conn.commit()

    response = client.get("/api/v1/followups/today", headers=doctor)
    assert response.status_code == 200, response.text
    mine = response.json()
    everyone = client.get(
        "/api/v1/followups/today", params={"mine": "false"}, headers=api_key(db, "township_gp", "350421101")
    ).json()

    assert [i["record_id"] for i in mine["items"]][:2] == ["RED", "YELLOW"]
    assert mine["capacity"] == 15 and mine["carried_over"] == 0 and mine["ltfu"] == 0
    assert all(t["assignee"] == doctor_key_name for i in mine["items"] for t in i["tasks"])
    assert {i["record_id"] for i in everyone["items"]} == {"RED", "YELLOW", "GREEN", "GREEN-2"}


def test_resident_card_gives_the_hearts_care_state(county):
    client, db = county
    center = api_key(db, "center", "350421")

    assert client.get("/api/v1/residents/GREEN", headers=center).json()["care_state"] == "under_care"
    assert client.get("/api/v1/residents/RED", headers=center).json()["care_state"] == "under_care"


def test_a_task_id_beyond_sqlite_integers_is_a_400_not_a_500(county):
    """Regression (found by schemathesis): a 22-digit task_id overflowed SQLite's INTEGER."""
    client, db = county

    response = post_outcome(client, db, 2257093363039818743808, {"outcome": "died"})

    assert response.status_code == 400
