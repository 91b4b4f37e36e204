"""Medicines through the API (CONTRACT §3, §4.4): located errors for a bad list, the list stored and read
back, `medications` in GET /api/v1/residents/{id} (the latest list recorded, null when none was), the
medication change derived from the lists, the protocol's next step on the uncontrolled reason, and the
county's own formulary."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest
from conftest import api_key, document, make_resident, make_visit
from litestar.testing import TestClient

from service.settings import Settings
from service.store import connect
from ui.app import create_app

URL = "/api/v1/records"
AMLODIPINE_5 = {"drug": "amlodipine", "daily_dose_mg": 5}


def visit(visit_id: str, date: dt.date | str, medications: list | None, **fields: object) -> dict:
    return make_visit(visit_id=visit_id, date=str(date), medications=medications, **fields)


def post(client, db, *residents: dict) -> dict:
    response = client.post(URL, json=document(*residents), headers=api_key(db, "ingest", "350421"))
    assert response.status_code == 200, response.text
    return response.json()


def resident(client, db, record_id: str) -> dict:
    return client.get(f"/api/v1/residents/{record_id}", headers=api_key(db, "center", "350421")).json()


BAD_LISTS = [
    # (the list at visits[1], the field named, words of the message), CONTRACT §3
    pytest.param(
        [{"drug": "xyz", "daily_dose_mg": 5}],
        "visits[1].medications[0].drug",
        "unknown drug 'xyz' (not in the county formulary)",
        id="unknown-drug",
    ),
    pytest.param(
        [AMLODIPINE_5, {"drug": "Metformin", "daily_dose_mg": 500}],
        "visits[1].medications[1].drug",
        "matching regex",
        id="not-lowercase",
    ),
    pytest.param([{"drug": "amlodipine", "daily_dose_mg": 0}], "visits[1].medications[0].daily_dose_mg", "> 0", id="0"),
    pytest.param(
        [{"drug": "amlodipine", "daily_dose_mg": -5}], "visits[1].medications[0].daily_dose_mg", "> 0", id="-5"
    ),
    pytest.param([{"drug": "amlodipine"}], "visits[1].medications[0].daily_dose_mg", "required", id="no-dose"),
    pytest.param(
        [{**AMLODIPINE_5, "route": "oral"}], "visits[1].medications[0].route", "unknown field", id="unknown-field"
    ),
    pytest.param(
        [AMLODIPINE_5, {"drug": "amlodipine", "daily_dose_mg": 10}],
        "visits[1].medications[1].drug",
        "duplicate drug 'amlodipine' (also visits[1].medications[0])",
        id="twice",
    ),
    pytest.param({"drug": "amlodipine"}, "visits[1].medications", "Expected `array | null`", id="not-a-list"),
]


@pytest.mark.parametrize(("medications", "field", "says"), BAD_LISTS)
def test_a_bad_list_rejects_the_resident_naming_the_field(client, db, medications, field, says):
    doc = make_resident("BAD", visits=[visit("v-1", "2026-10-02", None), visit("v-2", "2026-10-20", medications)])

    summary = post(client, db, doc, make_resident("GOOD"))

    assert summary["accepted"] == 1
    [rejected] = summary["rejected"]
    assert rejected["record_id"] == "BAD"
    assert any(e["field"] == field and says in e["message"] for e in rejected["errors"]), rejected["errors"]
    assert db.execute("SELECT count(*) FROM visits WHERE record_id = 'BAD'").fetchone()[0] == 0


@pytest.mark.parametrize(
    ("visits", "expected"),
    [
        pytest.param([visit("v-1", "2026-10-02", None)], None, id="never-recorded-is-null"),
        pytest.param([visit("v-1", "2026-10-02", [])], [], id="takes-none"),
        pytest.param(
            [visit("v-1", "2026-09-02", [AMLODIPINE_5]), visit("v-2", "2026-10-02", None)],
            [{"drug": "amlodipine", "daily_dose_mg": 5}],
            id="the-latest-list-recorded",
        ),
        pytest.param(
            [
                visit("v-1", "2026-09-02", [AMLODIPINE_5]),
                visit("v-2", "2026-10-02", [{"drug": "metformin", "daily_dose_mg": 1000}, AMLODIPINE_5]),
            ],
            [{"drug": "metformin", "daily_dose_mg": 1000}, {"drug": "amlodipine", "daily_dose_mg": 5}],
            id="a-later-list-replaces-it-in-its-order",
        ),
    ],
)
def test_the_resident_carries_the_latest_list_recorded(client, db, visits, expected):
    post(client, db, make_resident("A", visits=visits))

    assert resident(client, db, "A")["medications"] == expected


def test_a_list_is_stored_once_and_sent_again_changes_nothing(client, db):
    doc = make_resident(
        "A", visits=[visit("v-1", "2026-10-02", [AMLODIPINE_5, {"drug": "insulin", "daily_dose_mg": 12}])]
    )

    first, second = post(client, db, doc), post(client, db, doc)

    assert (first["created"], second["unchanged"]) == (1, 1)
    stored = db.execute("SELECT medications FROM visits WHERE record_id = 'A'").fetchone()[0]
    assert msgspec.json.decode(stored) == [AMLODIPINE_5, {"drug": "insulin", "daily_dose_mg": 12}]


def test_a_changed_list_is_a_medication_change_with_a_recheck(client, db, settings):
    today = settings.today()
    earlier = visit("v-1", today - dt.timedelta(days=40), [AMLODIPINE_5], sbp=150, dbp=92)
    later = visit("v-2", today - dt.timedelta(days=3), [{"drug": "amlodipine", "daily_dose_mg": 10}], sbp=128, dbp=80)

    post(client, db, make_resident("A", visits=[earlier, later], events=[]))

    body = resident(client, db, "A")
    assert "medication_changed" in [r["code"] for r in body["reasons"]]
    assert body["next_followup"]["kind"] == "recheck"  # CONTRACT §6: yellow after medication_changed


def test_the_same_list_again_is_no_change(client, db, settings):
    today = settings.today()
    earlier = visit("v-1", today - dt.timedelta(days=40), [AMLODIPINE_5], sbp=128, dbp=80)
    later = visit("v-2", today - dt.timedelta(days=3), [AMLODIPINE_5], sbp=126, dbp=78)

    post(client, db, make_resident("A", visits=[earlier, later], events=[]))

    assert "medication_changed" not in [r["code"] for r in resident(client, db, "A")["reasons"]]


@pytest.mark.parametrize(
    ("medications", "says"),
    [
        pytest.param([AMLODIPINE_5], "hypertension protocol: next step 2", id="step-1-next-2"),
        pytest.param(
            [
                {"drug": "amlodipine", "daily_dose_mg": 10},
                {"drug": "losartan", "daily_dose_mg": 100},
                {"drug": "hydrochlorothiazide", "daily_dose_mg": 25},
            ],
            "hypertension protocol exhausted: refer",
            id="last-step-refer",
        ),
        pytest.param(None, None, id="no-list-no-step"),
    ],
)
def test_the_uncontrolled_reason_says_the_protocols_next_step(client, db, settings, medications, says):
    today = settings.today()
    only = visit("v-1", today - dt.timedelta(days=3), medications, sbp=150, dbp=92, fasting_glucose=None)

    post(client, db, make_resident("A", visits=[only], events=[]))

    [uncontrolled] = [r for r in resident(client, db, "A")["reasons"] if r["code"] == "uncontrolled"]
    assert (says in uncontrolled["message"]) if says else ("protocol" not in uncontrolled["message"])


def test_the_countys_own_formulary_decides_what_is_known(tmp_path):
    config = tmp_path / "county.toml"
    config.write_text(
        'dm_protocol = []\n[formulary.amlodipine]\nname_zh = "氨氯地平"\nclass = "ccb"\nusual_daily = [2.5, 10]\n'
        '[[htn_protocol]]\nlabel = "氨氯地平"\nlabel_en = "amlodipine"\nneeds = [{classes = ["ccb"]}]\n'
    )
    settings = Settings(db_path=tmp_path / "county.db", scheduler=False, config_path=config)
    with TestClient(create_app(settings)) as client:
        db = connect(settings.db_path)
        metformin = [{"drug": "metformin", "daily_dose_mg": 1000}]
        summary = post(client, db, make_resident("A", visits=[visit("v-1", "2026-10-02", metformin)]))
        stored = post(client, db, make_resident("B", visits=[visit("v-1", "2026-10-02", [AMLODIPINE_5])]))

    assert summary["rejected"][0]["errors"][0]["field"] == "visits[0].medications[0].drug"
    assert stored["accepted"] == 1


def test_the_recheck_task_of_an_uncontrolled_resident_says_the_next_step(client, db, settings):
    today = settings.today()
    only = visit("v-1", today - dt.timedelta(days=3), [AMLODIPINE_5], sbp=150, dbp=92, fasting_glucose=None)
    post(client, db, make_resident("A", visits=[only], events=[]))

    tasks = client.get("/api/v1/followups", params={"status": "open"}, headers=api_key(db, "center", "350421")).json()

    [task] = [t for t in tasks["items"] if t["record_id"] == "A"]
    assert task["kind"] == "recheck"
    assert any("hypertension protocol: next step 2" in reason for reason in task["reasons"]), task["reasons"]
