"""POST /api/v1/records beyond single fields: idempotency, merging, whole-document errors, auth, limits."""

from __future__ import annotations

import json

import pytest
from conftest import api_key, document, make_resident, make_visit, stored_rows

from service.ingest import MAX_BATCH_BYTES, MAX_BATCH_RESIDENTS

URL = "/api/v1/records"


def post(client, body, headers):
    return client.post(URL, json=body, headers=headers)


def test_second_identical_post_changes_nothing(client, db, ingest):
    doc = document(make_resident("A"), make_resident("B", conditions=[]))
    first = post(client, doc, ingest).json()
    before = db.execute("SELECT * FROM residents ORDER BY record_id").fetchall()

    second = post(client, doc, ingest).json()

    assert (first["created"], first["updated"], first["unchanged"]) == (2, 0, 0)
    assert (second["accepted"], second["created"], second["updated"], second["unchanged"]) == (2, 0, 0, 2)
    assert db.execute("SELECT * FROM residents ORDER BY record_id").fetchall() == before


def test_visits_merge_by_id_and_new_content_updates(client, db, ingest):
    post(client, document(make_resident("A")), ingest)
    resent = make_resident("A", visits=[make_visit(sbp=168, dbp=98), make_visit(visit_id="v-2", date="2026-11-01")])

    summary = post(client, document(resent), ingest).json()

    assert summary["updated"] == 1
    rows = db.execute("SELECT visit_id, sbp FROM visits WHERE record_id = 'A' ORDER BY visit_id").fetchall()
    assert rows == [("v-1", 168), ("v-2", 152)]


def test_resending_without_history_keeps_stored_visits_and_conditions(client, db, ingest):
    post(client, document(make_resident("A")), ingest)

    summary = post(client, document(make_resident("A", conditions=[], visits=[], events=[])), ingest).json()

    assert summary["unchanged"] == 1
    assert stored_rows(db, "A") == {"residents": 1, "conditions": 1, "visits": 1, "events": 1}


def test_resident_fields_are_replaced_by_the_latest_send(client, db, ingest):
    post(client, document(make_resident("A", phone="13800000000")), ingest)

    summary = post(client, document(make_resident("A", phone=None, name="林秀兰")), ingest).json()

    assert summary["updated"] == 1
    assert db.execute("SELECT name, phone FROM residents WHERE record_id = 'A'").fetchone() == (
        "林秀兰",
        None,
    )


def test_managed_follows_conditions(client, db, ingest):
    residents = [
        make_resident("HTN", conditions=[{"code": "I11.9", "diagnosed_on": None}]),
        make_resident("DM", conditions=[{"code": "E11", "diagnosed_on": "2020-01-01"}]),
        make_resident("CKD", conditions=[{"code": "N18.3", "diagnosed_on": "2020-01-01"}]),
        make_resident("NONE", conditions=[]),
    ]
    post(client, document(*residents), ingest)

    managed = dict(db.execute("SELECT record_id, managed FROM residents").fetchall())

    assert managed == {"HTN": 1, "DM": 1, "CKD": 0, "NONE": 0}


def test_same_record_twice_in_one_batch_is_created_then_updated(client, db, ingest):
    doc = document(make_resident("A"), make_resident("A", name="林秀兰"))

    summary = post(client, doc, ingest).json()

    assert (summary["created"], summary["updated"]) == (1, 1)
    assert db.execute("SELECT name FROM residents WHERE record_id = 'A'").fetchone() == ("林秀兰",)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(b"{", "(document)", id="truncated"),
        pytest.param(b"not json", "(document)", id="not-json"),
        pytest.param(b"[]", "(document)", id="array"),
        pytest.param(b'{"residents": []}', "source", id="no-source"),
        pytest.param(b'{"source": "", "residents": []}', "source", id="empty-source"),
        pytest.param(b'{"source": "x", "residents": {}}', "residents", id="residents-object"),
        pytest.param(b'{"source": "x", "residents": [], "extra": 1}', "extra", id="unknown-top-level"),
        pytest.param(b'{"source": "x", "residents": [{"record_id": "A"}', "(document)", id="cut-mid-resident"),
    ],
)
def test_bad_document_is_400_and_stores_nothing(client, db, ingest, body, field):
    response = client.post(URL, content=body, headers={**ingest, "content-type": "application/json"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    assert response.json()["status_code"] == 400
    assert db.execute("SELECT count(*) FROM residents").fetchone()[0] == 0


def test_malformed_json_after_valid_residents_stores_none_of_them(client, db, ingest):
    body = json.dumps(document(make_resident("A"), make_resident("B")))[:-2].encode()

    response = client.post(URL, content=body, headers=ingest)

    assert response.status_code == 400
    assert db.execute("SELECT count(*) FROM residents").fetchone()[0] == 0


def test_too_many_residents_is_413(client, db, ingest):
    doc = document(*[make_resident(f"R{i}", visits=[], events=[]) for i in range(MAX_BATCH_RESIDENTS + 1)])

    response = post(client, doc, ingest)

    assert response.status_code == 413
    assert "5000" in response.json()["detail"]
    assert db.execute("SELECT count(*) FROM residents").fetchone()[0] == 0


def test_body_over_32_mib_is_413(client, db, ingest):
    body = b'{"source": "x", "residents": [' + b" " * MAX_BATCH_BYTES + b"]}"

    response = client.post(URL, content=body, headers=ingest)

    assert response.status_code == 413
    assert db.execute("SELECT count(*) FROM residents").fetchone()[0] == 0


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-header"),
        pytest.param({"Authorization": "Bearer sb_not-a-real-key"}, id="unknown-key"),
        pytest.param({"Authorization": "Basic dXNlcjpwdw=="}, id="basic-auth"),
        pytest.param({"Authorization": "Bearer "}, id="empty-bearer"),
    ],
)
def test_missing_or_invalid_credentials_are_401_before_anything(client, db, headers):
    response = client.post(URL, content=b"{", headers=headers)

    assert response.status_code == 401
    assert response.json()["status_code"] == 401
    assert db.execute("SELECT count(*) FROM import_batches").fetchone()[0] == 0


@pytest.mark.parametrize("role", ["village_doctor", "township_gp", "county_specialist"])
def test_roles_that_may_not_post_records_get_403(client, db, role):
    response = post(client, document(make_resident("A")), api_key(db, role, "350421"))

    assert response.status_code == 403
    assert stored_rows(db, "A")["residents"] == 0


def test_each_request_is_an_import_batch(client, db, ingest):
    post(client, document(make_resident("A"), make_resident("B", sex="X")), ingest)

    row = db.execute(
        "SELECT origin, source, status, received, accepted, created, rejected, rejections FROM import_batches"
    ).fetchone()

    assert row[:7] == ("api", "test clinic", "done", 2, 1, 1, 1)
    assert json.loads(row[7])[0]["errors"][0]["field"] == "sex"


def test_stored_values_round_trip(client, db, ingest):
    visit = make_visit(symptoms=["chest_pain"], smoker=True, hba1c=8.1, referral="urgent")
    post(client, document(make_resident("A", visits=[visit])), ingest)

    row = db.execute(
        "SELECT date, sbp, dbp, smoker, hba1c, symptoms, complications, referral FROM visits WHERE record_id = 'A'"
    ).fetchone()

    assert row == ("2026-10-02", 152, 94, 1, 8.1, '["chest_pain"]', "[]", "urgent")
