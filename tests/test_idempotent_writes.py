"""A visit or a call outcome sent twice with the id the phone made for it (CONTRACT §12: the offline
outbox sends again until it hears back): stored, assessed and audited once; other content under the
same id is a clear 409, and nothing is stored."""

from __future__ import annotations

import pytest
from conftest import PASSWORD, add_login, api_key, csrf, document, log_in, make_resident

from service.auth import Principal
from service.errors import AlreadyStored
from service.visits import record_visit
from stratify.policy import Policy

RECORD = "3504210001"
PHONE_ID = "phone-7f3a-0001"


@pytest.fixture
def doctor(client, db, ingest):
    client.post("/api/v1/records", json=document(make_resident(RECORD, family_doctor="wang")), headers=ingest)
    add_login(db, "wang")
    log_in(client, "wang", PASSWORD)
    return client


def post_visit(client, **fields: str):
    form = {"_csrf_token": csrf(client), "date": "2026-10-20", "mode": "clinic", "sbp": "150", "dbp": "95", **fields}
    return client.post(f"/residents/{RECORD}/visits", data=form, follow_redirects=False)


def stored(db) -> list[tuple]:
    return db.execute(
        "SELECT visit_id, sbp FROM visits WHERE record_id = ? AND visit_id = ?", [RECORD, PHONE_ID]
    ).fetchall()


def audited(db) -> int:
    return db.execute("SELECT count(*) FROM audit_log WHERE action = 'visit' AND detail = ?", [PHONE_ID]).fetchone()[0]


def test_the_same_visit_sent_again_is_stored_once(doctor, db):
    assert post_visit(doctor, visit_id=PHONE_ID).status_code == 303
    assert post_visit(doctor, visit_id=PHONE_ID).status_code == 303  # the retry: as if it were the first

    assert stored(db) == [(PHONE_ID, 150)]
    assert audited(db) == 1


def test_other_content_under_the_same_id_is_a_409_and_changes_nothing(doctor, db):
    post_visit(doctor, visit_id=PHONE_ID)

    response = post_visit(doctor, visit_id=PHONE_ID, sbp="132")

    assert response.status_code == 409 and "同一编号已保存了不同的内容" in response.text
    assert stored(db) == [(PHONE_ID, 150)]
    assert audited(db) == 1


def test_without_an_id_each_post_is_a_new_visit(doctor, db):
    post_visit(doctor)
    post_visit(doctor)
    count = db.execute("SELECT count(*) FROM visits WHERE record_id = ? AND visit_id LIKE 'ui-%'", [RECORD]).fetchone()
    assert count == (2,)


def test_a_bad_phone_id_is_a_located_error(doctor, db):
    response = post_visit(doctor, visit_id="no spaces allowed")
    assert response.status_code == 422 and "随访编号应为1-64位字母、数字、_ 或 -" in response.text
    assert db.execute("SELECT count(*) FROM visits WHERE record_id = ?", [RECORD]).fetchone() == (1,)  # make_resident's


def test_the_service_says_which_visit_conflicts(db, settings, ingest, client):
    client.post("/api/v1/records", json=document(make_resident(RECORD)), headers=ingest)
    center = Principal("c1", "center", "350421", "session")
    visit = {"visit_id": PHONE_ID, "date": "2026-10-20", "sbp": 150, "dbp": 95}
    record_visit(db, Policy(), center, RECORD, visit, settings.today())
    with pytest.raises(AlreadyStored, match=PHONE_ID):
        record_visit(db, Policy(), center, RECORD, {**visit, "sbp": 151}, settings.today())


@pytest.fixture
def task(client, db, ingest):
    """The open follow-up task that storing a resident plans, and a village doctor's key for it."""
    client.post("/api/v1/records", json=document(make_resident(RECORD)), headers=ingest)
    [item] = client.get("/api/v1/followups", headers=api_key(db, "center", "350421")).json()["items"]
    return item["task_id"], api_key(db, "village_doctor", make_resident()["village_code"])


def outcomes(db) -> list[tuple]:
    return db.execute("SELECT outcome, note, client_id FROM task_outcomes").fetchall()


def test_the_same_outcome_sent_again_is_stored_once_even_after_it_closed_the_task(client, db, task):
    task_id, doctor = task
    body = {"outcome": "visited", "note": "came in", "outcome_id": "phone-call-01"}

    first = client.post(f"/api/v1/followups/{task_id}/outcome", json=body, headers=doctor)
    again = client.post(f"/api/v1/followups/{task_id}/outcome", json=body, headers=doctor)

    assert first.status_code == again.status_code == 200
    assert again.json()["status"] == "done" == first.json()["status"]  # not "task already done" (409)
    assert outcomes(db) == [("visited", "came in", "phone-call-01")]
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'task_outcome'").fetchone() == (1,)


def test_another_outcome_under_the_same_id_is_a_409(client, db, task):
    task_id, doctor = task
    url = f"/api/v1/followups/{task_id}/outcome"
    client.post(url, json={"outcome": "unreachable", "outcome_id": "phone-call-02"}, headers=doctor)

    response = client.post(url, json={"outcome": "refused", "outcome_id": "phone-call-02"}, headers=doctor)

    assert response.status_code == 409 and "phone-call-02" in response.json()["detail"]
    assert outcomes(db) == [("unreachable", "", "phone-call-02")]


def test_outcomes_without_an_id_are_each_stored(client, db, task):
    task_id, doctor = task
    for _ in range(2):
        client.post(f"/api/v1/followups/{task_id}/outcome", json={"outcome": "unreachable"}, headers=doctor)
    assert outcomes(db) == [("unreachable", "", None), ("unreachable", "", None)]
