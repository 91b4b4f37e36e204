"""Every field rule of CONTRACT §3, through the real API: a bad value is rejected at its field path,
the valid resident beside it in the same batch is stored, and nothing of the rejected one is."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from conftest import VILLAGE, document, make_resident, make_visit, stored_rows

from service.settings import Settings
from service.validation import years_before

DELETE = object()
TODAY = Settings().today()
TOMORROW = (TODAY + dt.timedelta(days=1)).isoformat()


def set_path(obj: dict, path: str, value: object) -> None:
    """Set (or with DELETE, remove) the value at a field path like `visits[0].sbp`."""
    keys = [int(k) if k.isdigit() else k for k in re.findall(r"[^.\[\]]+", path)]
    for key in keys[:-1]:
        obj = obj[key]
    if value is DELETE:
        del obj[keys[-1]]
    else:
        obj[keys[-1]] = value


BAD = [
    # (field path to change, bad value, field path reported)
    pytest.param("record_id", "", "record_id", id="record_id-empty"),
    pytest.param("record_id", "35 04", "record_id", id="record_id-space"),
    pytest.param("record_id", "x" * 65, "record_id", id="record_id-65-chars"),
    pytest.param("record_id", DELETE, "record_id", id="record_id-missing"),
    pytest.param("visits[0].visit_id", "v/1", "visits[0].visit_id", id="visit_id-slash"),
    pytest.param("visits[0].visit_id", DELETE, "visits[0].visit_id", id="visit_id-missing"),
    pytest.param("events[0].event_id", "e#1", "events[0].event_id", id="event_id-hash"),
    pytest.param("name", "", "name", id="name-empty"),
    pytest.param("name", "   ", "name", id="name-blank"),
    pytest.param("name", "名" * 51, "name", id="name-51-chars"),
    pytest.param("name", DELETE, "name", id="name-missing"),
    pytest.param("sex", "X", "sex", id="sex-X"),
    pytest.param("sex", "m", "sex", id="sex-lowercase"),
    pytest.param("birth_date", TOMORROW, "birth_date", id="birth-future"),
    pytest.param("birth_date", "1900-01-01", "birth_date", id="birth-age-over-120"),
    pytest.param("birth_date", "1956-02-30", "birth_date", id="birth-not-a-date"),
    pytest.param("village_code", "35042110120", "village_code", id="village-11-digits"),
    pytest.param("village_code", "35042110120a", "village_code", id="village-letter"),
    pytest.param("village_code", 350421101201, "village_code", id="village-number"),
    pytest.param("national_id", "11010519491231002", "national_id", id="national_id-17-chars"),
    pytest.param("national_id", "110105194912310021", "national_id", id="national_id-bad-check-digit"),
    pytest.param("phone", "138000", "phone", id="phone-6-chars"),
    pytest.param("phone", "1" * 21, "phone", id="phone-21-chars"),
    pytest.param("phone", "138-0000-000a", "phone", id="phone-letter"),
    pytest.param("family_doctor", "wang li", "family_doctor", id="family_doctor-space"),
    pytest.param("conditions[0].code", "I1", "conditions[0].code", id="icd-short"),
    pytest.param("conditions[0].code", "i10", "conditions[0].code", id="icd-lowercase"),
    pytest.param("conditions[0].code", "I10.12345", "conditions[0].code", id="icd-long-suffix"),
    pytest.param("conditions[0].diagnosed_on", TOMORROW, "conditions[0].diagnosed_on", id="diagnosed-future"),
    pytest.param("visits[0].date", TOMORROW, "visits[0].date", id="visit-future"),
    pytest.param("visits[0].date", "1956-03-01", "visits[0].date", id="visit-before-birth"),
    pytest.param("visits[0].date", DELETE, "visits[0].date", id="visit-date-missing"),
    pytest.param("events[0].date", TOMORROW, "events[0].date", id="event-future"),
    pytest.param("events[0].date", "1950-01-01", "events[0].date", id="event-before-birth"),
    pytest.param("visits[0].mode", "office", "visits[0].mode", id="mode-unknown"),
    pytest.param("visits[0].mode", DELETE, "visits[0].mode", id="mode-missing"),
    pytest.param("visits[0].level", "province", "visits[0].level", id="level-unknown"),
    pytest.param("visits[0].level", DELETE, "visits[0].level", id="level-missing"),
    pytest.param("visits[0].sbp", 59, "visits[0].sbp", id="sbp-59"),
    pytest.param("visits[0].sbp", 301, "visits[0].sbp", id="sbp-301"),
    pytest.param("visits[0].sbp", 152.5, "visits[0].sbp", id="sbp-fraction"),
    pytest.param("visits[0].dbp", 29, "visits[0].dbp", id="dbp-29"),
    pytest.param("visits[0].dbp", 201, "visits[0].dbp", id="dbp-201"),
    pytest.param("visits[0].dbp", None, "visits[0].dbp", id="sbp-without-dbp"),
    pytest.param("visits[0].sbp", None, "visits[0].sbp", id="dbp-without-sbp"),
    pytest.param("visits[0].dbp", 152, "visits[0].dbp", id="dbp-equal-sbp"),
    pytest.param("visits[0].heart_rate", 19, "visits[0].heart_rate", id="heart_rate-19"),
    pytest.param("visits[0].heart_rate", 251, "visits[0].heart_rate", id="heart_rate-251"),
    pytest.param("visits[0].temperature_c", 29.9, "visits[0].temperature_c", id="temperature-29.9"),
    pytest.param("visits[0].temperature_c", 45.1, "visits[0].temperature_c", id="temperature-45.1"),
    pytest.param("visits[0].weight_kg", 1.9, "visits[0].weight_kg", id="weight-1.9"),
    pytest.param("visits[0].weight_kg", 300.1, "visits[0].weight_kg", id="weight-300.1"),
    pytest.param("visits[0].height_cm", 39, "visits[0].height_cm", id="height-39"),
    pytest.param("visits[0].height_cm", 251, "visits[0].height_cm", id="height-251"),
    pytest.param("visits[0].waist_cm", 29, "visits[0].waist_cm", id="waist-29"),
    pytest.param("visits[0].waist_cm", 251, "visits[0].waist_cm", id="waist-251"),
    pytest.param("visits[0].fasting_glucose", 0.9, "visits[0].fasting_glucose", id="fpg-0.9"),
    pytest.param("visits[0].fasting_glucose", 40.1, "visits[0].fasting_glucose", id="fpg-40.1"),
    pytest.param("visits[0].total_cholesterol", 0.9, "visits[0].total_cholesterol", id="tc-0.9"),
    pytest.param("visits[0].total_cholesterol", 20.1, "visits[0].total_cholesterol", id="tc-20.1"),
    pytest.param("visits[0].hba1c", 2.9, "visits[0].hba1c", id="hba1c-2.9"),
    pytest.param("visits[0].hba1c", 20.1, "visits[0].hba1c", id="hba1c-20.1"),
    pytest.param("visits[0].smoker", "yes", "visits[0].smoker", id="smoker-not-bool"),
    pytest.param("visits[0].adherence", "sometimes", "visits[0].adherence", id="adherence-unknown"),
    pytest.param("visits[0].hypoglycemia", "moderate", "visits[0].hypoglycemia", id="hypoglycemia-unknown"),
    pytest.param("visits[0].symptoms", ["headache"], "visits[0].symptoms[0]", id="symptom-unknown"),
    pytest.param("visits[0].complications", ["cancer"], "visits[0].complications[0]", id="complication-unknown"),
    pytest.param("visits[0].referral", "soon", "visits[0].referral", id="referral-unknown"),
    pytest.param("events[0].type", "fall", "events[0].type", id="event-type-unknown"),
    pytest.param("nickname", "A", "nickname", id="unknown-resident-field"),
    pytest.param("visits[0].bp", "150/90", "visits[0].bp", id="unknown-visit-field"),
    pytest.param("events[0].note", "x", "events[0].note", id="unknown-event-field"),
    pytest.param("conditions[0].stage", 2, "conditions[0].stage", id="unknown-condition-field"),
]


@pytest.mark.parametrize(("path", "value", "field"), BAD)
def test_bad_value_rejected_at_its_field(client, db, ingest, path, value, field):
    bad = make_resident("BAD-1")
    set_path(bad, path, value)
    good = make_resident("GOOD-1")

    response = client.post("/api/v1/records", json=document(good, bad), headers=ingest)

    assert response.status_code == 200
    summary = response.json()
    assert summary["accepted"] == 1
    [rejection] = summary["rejected"]
    assert rejection["index"] == 1
    assert field in [e["field"] for e in rejection["errors"]], rejection
    assert all(e["message"] for e in rejection["errors"])
    assert stored_rows(db, "GOOD-1") == {"residents": 1, "conditions": 1, "visits": 1, "events": 1}
    assert stored_rows(db, "BAD-1") == {"residents": 0, "conditions": 0, "visits": 0, "events": 0}


@pytest.mark.parametrize(
    ("collection", "field"),
    [
        pytest.param("visits", "visit_id", id="visit_id"),
        pytest.param("events", "event_id", id="event_id"),
        pytest.param("conditions", "code", id="condition-code"),
    ],
)
def test_duplicate_ids_within_a_resident_are_rejected(client, db, ingest, collection, field):
    resident = make_resident("DUP-1")
    resident[collection] = resident[collection] * 2

    summary = client.post("/api/v1/records", json=document(resident), headers=ingest).json()

    assert summary["accepted"] == 0
    assert summary["rejected"][0]["errors"][0]["field"] == f"{collection}[1].{field}"
    assert stored_rows(db, "DUP-1")["residents"] == 0


GOOD = [
    # (field path, a value at the edge of what the contract allows)
    pytest.param("visits[0]", make_visit(sbp=60, dbp=30), id="bp-lowest"),
    pytest.param("visits[0]", make_visit(sbp=300, dbp=200), id="bp-highest"),
    pytest.param("visits[0]", make_visit(sbp=None, dbp=None), id="bp-neither"),
    pytest.param(
        "visits[0]",
        {"visit_id": "v-1", "date": "2026-10-02", "mode": "phone", "level": "village"},
        id="visit-only-required-fields",
    ),
    pytest.param("visits[0].heart_rate", 250, id="heart_rate-250"),
    pytest.param("visits[0].temperature_c", 30, id="temperature-30"),
    pytest.param("visits[0].weight_kg", 300, id="weight-300"),
    pytest.param("visits[0].height_cm", 40, id="height-40"),
    pytest.param("visits[0].waist_cm", 250, id="waist-250"),
    pytest.param("visits[0].fasting_glucose", 1.0, id="fpg-1.0"),
    pytest.param("visits[0].fasting_glucose", 40, id="fpg-integer-40"),
    pytest.param("visits[0].total_cholesterol", 20.0, id="tc-20"),
    pytest.param("visits[0].hba1c", 3.0, id="hba1c-3.0"),
    pytest.param("visits[0].date", TODAY.isoformat(), id="visit-today"),
    pytest.param("visits[0].date", "1956-03-02", id="visit-on-birth-date"),
    pytest.param("visits[0].symptoms", ["chest_pain", "sudden_vision_loss"], id="two-symptoms"),
    pytest.param("visits[0].referral", "urgent", id="referral-urgent"),
    pytest.param("national_id", "11010519491231002X", id="national_id-check-X"),
    pytest.param("phone", "+86 138-0000-0000", id="phone-with-plus-and-dashes"),
    pytest.param("family_doctor", "wang.li-2", id="family_doctor-dots"),
    pytest.param("conditions[0].code", "E11.9", id="icd-with-suffix"),
    pytest.param("conditions", [], id="no-conditions"),
    pytest.param("name", "名" * 50, id="name-50-chars"),
    pytest.param("record_id", "x" * 64, id="record_id-64-chars"),
    pytest.param("events", [], id="no-events"),
]


@pytest.mark.parametrize(("path", "value"), GOOD)
def test_edge_values_are_accepted(client, db, ingest, path, value):
    resident = make_resident("EDGE-1")
    set_path(resident, path, value)

    summary = client.post("/api/v1/records", json=document(resident), headers=ingest).json()

    assert summary["rejected"] == [], summary["rejected"]
    assert summary["created"] == 1
    assert stored_rows(db, resident["record_id"])["residents"] == 1


def test_age_120_today_is_accepted_but_not_a_day_more(client, ingest):
    limit = years_before(TODAY, 120)
    oldest = make_resident("OLD-1", birth_date=limit.isoformat(), visits=[], events=[])
    too_old = make_resident("OLD-2", birth_date=(limit - dt.timedelta(days=1)).isoformat(), visits=[], events=[])

    summary = client.post("/api/v1/records", json=document(oldest, too_old), headers=ingest).json()

    assert summary["accepted"] == 1
    assert [r["record_id"] for r in summary["rejected"]] == ["OLD-2"]
    assert summary["rejected"][0]["errors"][0]["field"] == "birth_date"


def test_every_error_of_a_resident_is_reported(client, ingest):
    resident = make_resident("MANY-1", sex="M", visits=[make_visit(date=TOMORROW, sbp=150, dbp=None)])
    resident["national_id"] = "110105194912310021"

    summary = client.post("/api/v1/records", json=document(resident), headers=ingest).json()

    fields = {e["field"] for e in summary["rejected"][0]["errors"]}
    assert fields == {"national_id", "visits[0].date", "visits[0].dbp"}


def test_resident_outside_the_keys_region_is_rejected(client, db, ingest):
    elsewhere = make_resident("FAR-1", village_code="350503101201")

    summary = client.post("/api/v1/records", json=document(elsewhere), headers=ingest).json()

    assert summary["rejected"][0]["errors"][0]["field"] == "village_code"
    assert stored_rows(db, "FAR-1")["residents"] == 0
    assert VILLAGE.startswith("350421")
