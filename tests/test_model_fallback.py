"""A county with too few serious events for a model of its own: training still answers 422 (CONTRACT
§4.3), and from then on the WHO 2019 chart's risk over 12 months is the active model and residents
get it, not null (issue #16); before any training no model is active and `risk` is null (§4.4)."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import PASSWORD, add_login, api_key, document, log_in, make_resident, make_visit

from service.store.models import activate_fallback, active_model_version, register_model
from stratify.model import WHO_FALLBACK_VERSION
from stratify.who_risk import twelve_month_risk

EVENTS = 10  # serious events in the county: a third of the 30 a model needs (CONTRACT §4.3)
RESIDENTS = 40


@pytest.fixture
def small_county(client, db, settings):
    """40 managed residents aged 45-84 with BP, smoking and BMI recorded; 10 had a stroke two years ago."""
    today = settings.today()
    residents = [
        make_resident(
            f"R{n:03d}",
            birth_date=(today - dt.timedelta(days=365 * (45 + n) + 30)).isoformat(),
            sex="MF"[n % 2],
            visits=[
                make_visit(visit_id=f"v{k}", date=(today - dt.timedelta(days=90 * k + 5)).isoformat(), sbp=130 + n)
                for k in range(8)
            ],
            events=[{"event_id": "e1", "date": (today - dt.timedelta(days=700)).isoformat(), "type": "stroke"}]
            if n < EVENTS
            else [],
        )
        for n in range(RESIDENTS)
    ]
    stored = client.post("/api/v1/records", json=document(*residents), headers=api_key(db, "ingest", "350421"))
    assert stored.json()["accepted"] == RESIDENTS, stored.text
    # as if the records had come in earlier: a run in the second of a resident's real-time assessment
    # leaves that (newer) assessment alone (service.store.assessments.reassessed_since)
    with db.conn:
        db.execute("UPDATE assessments SET assessed_at = '2026-01-01T00:00:00+00:00'")
    return client


def train(client, db) -> None:
    response = client.post("/api/v1/model/train", json={}, headers=api_key(db, "admin", "350421"))
    assert response.status_code == 422, response.text
    assert "serious events" in response.json()["detail"]


def test_before_any_training_no_model_is_active_and_risk_is_null(small_county, db):
    center = api_key(db, "center", "350421")
    assert small_county.post("/api/v1/stratify", json={}, headers=center).status_code == 200

    bodies = [small_county.get(f"/api/v1/residents/R{n:03d}", headers=center).json() for n in range(RESIDENTS)]

    assert {(b["risk"], b["model_version"]) for b in bodies} == {(None, None)}
    assert sum(1 for b in bodies if b["cvd_risk"]) == 30  # the chart's 10-year risk is shown all the same
    assert small_county.get("/healthz").json()["model_version"] is None


def test_training_is_still_422_and_makes_the_who_fallback_the_active_model(small_county, db):
    train(small_county, db)

    [(version, active, card)] = db.execute("SELECT version, active, card FROM models").fetchall()
    assert (version, active) == (WHO_FALLBACK_VERSION, 1) and "serious events" in card
    assert small_county.get("/healthz").json()["model_version"] == WHO_FALLBACK_VERSION
    train(small_county, db)  # again: the one fallback row is kept
    assert db.execute("SELECT count(*) FROM models").fetchone() == (1,)


def test_residents_get_the_who_risk_over_12_months_not_null(small_county, db):
    center = api_key(db, "center", "350421")
    train(small_county, db)
    assert small_county.post("/api/v1/stratify", json={}, headers=center).status_code == 200

    bodies = [small_county.get(f"/api/v1/residents/R{n:03d}", headers=center).json() for n in range(RESIDENTS)]

    covered = [b for b in bodies if b["cvd_risk"]]  # ages 40-74: 30 of the 40
    assert len(covered) == 30
    for body in covered:
        assert body["model_version"] == WHO_FALLBACK_VERSION
        assert body["risk"] == pytest.approx(twelve_month_risk(body["cvd_risk"]["ten_year"]), abs=1e-4)
    beyond_the_charts = [b for b in bodies if not b["cvd_risk"]]
    assert all(b["risk"] is None and b["model_version"] is None for b in beyond_the_charts)


def test_the_fallback_raises_no_tier(small_county, db):
    center = api_key(db, "center", "350421")
    train(small_county, db)
    small_county.post("/api/v1/stratify", json={}, headers=center)

    codes = {
        r["code"]
        for n in range(RESIDENTS)
        for r in small_county.get(f"/api/v1/residents/R{n:03d}", headers=center).json()["reasons"]
    }

    assert "model_risk" not in codes


def test_the_card_and_the_dashboard_say_where_the_risk_comes_from(small_county, db):
    add_login(db, "chen", role="center", region="350421")
    log_in(small_county, "chen", PASSWORD)
    assert 'id="model-none"' in small_county.get("/dashboard?lang=en").text
    train(small_county, db)
    small_county.post("/api/v1/stratify", json={}, headers=api_key(db, "center", "350421"))

    card = small_county.get("/residents/R020?lang=en").text
    dashboard = small_county.get("/dashboard?lang=en").text

    assert 'id="risk-source"' in card
    assert "the county has no model of its own in use" in card
    assert 'id="model-fallback"' in dashboard


def test_a_county_model_replaces_the_fallback_and_the_fallback_never_replaces_it(db):
    activate_fallback(db, WHO_FALLBACK_VERSION, '{"why": "too few serious events"}')
    db.execute("UPDATE models SET created_at = '2026-01-01T00:00:00+00:00'")
    activate_fallback(db, WHO_FALLBACK_VERSION, '{"why": "10 serious events"}')  # a later refusal: its reason
    assert db.execute("SELECT card, created_at FROM models").fetchall() == [
        ('{"why": "10 serious events"}', "2026-01-01T00:00:00+00:00")  # active since the first refusal
    ]
    register_model(db, version="county-1", card="{}", artifact=b"x", file_hash="h", activate=True)
    assert active_model_version(db) == "county-1"

    activate_fallback(db, WHO_FALLBACK_VERSION, '{"why": "a later training refused"}')

    assert active_model_version(db) == "county-1"
    assert db.execute("SELECT card FROM models WHERE version = ?", [WHO_FALLBACK_VERSION]).fetchone() == (
        '{"why": "10 serious events"}',
    )
