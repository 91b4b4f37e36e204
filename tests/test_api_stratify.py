"""Stratify, train and the resident card through the real app on a synthetic county (CONTRACT §4.2-4.4)."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from conftest import api_key, document, make_resident, make_visit
from litestar.testing import TestClient

from service.settings import Settings
from service.store import connect
from service.store.assessments import add_override
from ui.app import create_app

pytestmark = pytest.mark.slow

AS_OF = "2026-11-01"
TODAY = Settings().today()


@pytest.fixture
def county(trained_county, tmp_path):
    """The session's trained county, copied: each test may change it."""
    path = tmp_path / "county.db"
    shutil.copy(trained_county.db_path, path)
    with TestClient(create_app(Settings(db_path=path, scheduler=False))) as client:
        db = connect(path)
        yield client, db
        db.close()


def stratify(client, headers, as_of=AS_OF):
    response = client.post("/api/v1/stratify", json={"as_of": as_of}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_stratify_assesses_every_managed_resident_and_records_the_run(county):
    client, db = county
    center = api_key(db, "center", "350421")

    summary = stratify(client, center)

    managed = db.execute("SELECT count(*) FROM residents WHERE managed = 1").fetchone()[0]
    assert summary["assessed"] == managed
    assert (
        sum(summary["tiers"].values())
        == db.execute("SELECT count(*) FROM assessments WHERE tier IS NOT NULL").fetchone()[0]
    )
    assert summary["changed"] == db.execute("SELECT count(*) FROM tier_history").fetchone()[0]
    run = db.execute(
        "SELECT kind, as_of, status, trigger FROM job_runs WHERE run_id = ?", [summary["run_id"]]
    ).fetchone()
    assert run[:3] == ("nightly", AS_OF, "ok")
    assert run[3].startswith("api:center-")


def test_tier_shares_leave_the_specialists_a_workable_list(county):
    client, db = county
    tiers = stratify(client, api_key(db, "center", "350421"))["tiers"]
    total = sum(tiers.values())

    assert 0.05 <= tiers["red"] / total <= 0.17  # issue #4: roughly 5-15%, a specialist's capacity
    assert tiers["green"] / total >= 0.35


def test_running_again_changes_nothing_and_an_earlier_as_of_is_reproducible(county):
    client, db = county
    center = api_key(db, "center", "350421")
    first = stratify(client, center)
    earlier = stratify(client, center, "2026-08-01")

    again = stratify(client, center)
    back = stratify(client, center, "2026-08-01")

    assert again["tiers"] == first["tiers"]
    assert back["tiers"] == earlier["tiers"]
    assert earlier["tiers"] != first["tiers"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param({"as_of": (TODAY + dt.timedelta(days=1)).isoformat()}, 400, id="future"),
        pytest.param({"as_of": "2026-02-30"}, 400, id="not-a-date"),
        pytest.param({"as_of": "0001-01-01"}, 400, id="before-any-record-found-by-schemathesis"),
        pytest.param({"as_on": "2026-01-01"}, 400, id="unknown-field"),
    ],
)
def test_stratify_rejects_bad_bodies(county, body, status):
    client, db = county

    response = client.post("/api/v1/stratify", json=body, headers=api_key(db, "center", "350421"))

    assert response.status_code == status
    assert response.json()["detail"]
    assert db.execute("SELECT count(*) FROM job_runs").fetchone()[0] == 0


@pytest.mark.parametrize("role", ["ingest", "village_doctor", "township_gp", "county_specialist"])
def test_only_county_center_and_admin_run_jobs(county, role):
    client, db = county
    headers = api_key(db, role, "350421")

    assert client.post("/api/v1/stratify", json={}, headers=headers).status_code == 403
    assert client.post("/api/v1/model/train", json={}, headers=headers).status_code == 403


def test_train_answers_the_card_and_activates_a_good_model(trained_county, county):
    """The session's county was trained through POST /api/v1/model/train (conftest)."""
    _, db = county
    response = trained_county.trained

    card = response["body"]
    assert response["status_code"] == 200
    assert card["active"] is True
    assert {"version", "n_train", "n_events", "auc", "brier", "calibration", "features", "thresholds"} <= set(card)
    assert db.execute("SELECT version FROM models WHERE active = 1").fetchone() == (card["version"],)
    assert trained_county.model.card.version == card["version"]


def test_train_with_too_few_events_is_422_and_keeps_the_old_model(county):
    client, db = county
    before = db.execute("SELECT version FROM models WHERE active = 1").fetchone()

    response = client.post("/api/v1/model/train", json={"as_of": "2024-06-01"}, headers=api_key(db, "admin", "350421"))

    assert response.status_code == 422
    assert "serious events" in response.json()["detail"] and "previous model stays" in response.json()["detail"]
    assert db.execute("SELECT version FROM models WHERE active = 1").fetchone() == before


def test_resident_card_shows_tier_reasons_and_risk(county):
    client, db = county
    stratify(client, api_key(db, "center", "350421"))
    record_id, village = db.execute(
        "SELECT record_id, village_code FROM assessments JOIN residents USING (record_id) WHERE tier = 'red' LIMIT 1"
    ).fetchone()

    body = client.get(f"/api/v1/residents/{record_id}", headers=api_key(db, "village_doctor", village)).json()

    assert (body["record_id"], body["managed"], body["status"], body["tier"]) == (record_id, True, "active", "red")
    assert body["owner_level"] == "county" and body["as_of"] == AS_OF
    assert 0 <= body["risk"] <= 1 and body["model_version"]
    assert body["reasons"][0]["tier"] == "red"
    assert all({"code", "source", "message"} <= set(r) for r in body["reasons"])


def test_resident_card_is_404_unknown_and_403_outside_the_region(county):
    client, db = county
    record_id, village = db.execute("SELECT record_id, village_code FROM residents LIMIT 1").fetchone()
    other_village = village[:9] + ("999" if village[9:] != "999" else "998")

    unknown = client.get("/api/v1/residents/NOPE", headers=api_key(db, "center", "350421"))
    outside = client.get(f"/api/v1/residents/{record_id}", headers=api_key(db, "village_doctor", other_village))
    ingest = client.get(f"/api/v1/residents/{record_id}", headers=api_key(db, "ingest", "350421"))

    assert unknown.status_code == 404
    assert outside.status_code == 403
    assert ingest.status_code == 403


def test_an_unmanaged_resident_has_no_tier(county):
    client, db = county
    record_id = db.execute("SELECT record_id FROM residents WHERE managed = 0 LIMIT 1").fetchone()[0]

    body = client.get(f"/api/v1/residents/{record_id}", headers=api_key(db, "center", "350421")).json()

    assert (body["managed"], body["tier"], body["reasons"]) == (False, None, [])


def test_a_stored_visit_reassesses_that_resident_at_once(county):
    client, db = county
    resident = make_resident("NEW-1", visits=[make_visit(date=TODAY.isoformat(), sbp=186, dbp=112)])

    posted = client.post("/api/v1/records", json=document(resident), headers=api_key(db, "ingest", "350421"))
    assert posted.json()["created"] == 1, posted.text
    body = client.get("/api/v1/residents/NEW-1", headers=api_key(db, "center", "350421")).json()

    assert body["tier"] == "red" and body["as_of"] == TODAY.isoformat()
    assert body["reasons"][0]["message"] == f"BP 186/112 on {TODAY.isoformat()} >= 180/110"
    assert body["risk"] is not None


def test_an_override_in_the_store_is_applied_by_the_nightly_job(county):
    """Regression: overrides read back from SQLite carried plain strings and crashed assessment."""
    client, db = county
    center = api_key(db, "center", "350421")
    stratify(client, center)
    record_id = db.execute("SELECT record_id FROM assessments WHERE tier = 'green' LIMIT 1").fetchone()[0]
    add_override(
        db,
        record_id=record_id,
        tier="red",
        reason="family reports chest pain",
        author="dr.chen",
        starts_on=dt.date.fromisoformat(AS_OF),
        expires_on=dt.date.fromisoformat(AS_OF) + dt.timedelta(days=30),
    )

    stratify(client, center)
    body = client.get(f"/api/v1/residents/{record_id}", headers=center).json()

    assert body["tier"] == "red"
    assert body["reasons"][-1]["code"] == "override" and "dr.chen" in body["reasons"][-1]["message"]
