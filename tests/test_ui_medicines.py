"""Medicines on the card and its visit form through the real app (TestClient, htmx requests): the last
list pre-filled, keep / change / stop / add in one post, errors beside their row, and the card's
current medicines, history, protocol step, next step and "not intensified"."""

from __future__ import annotations

import datetime as dt
import re

import msgspec
import pytest
from conftest import api_key, card_visit, doctor_of, document, make_resident, make_visit


@pytest.fixture
def doctor(client, db, settings):
    """Logged in as the village doctor of a man with hypertension on amlodipine 5 mg, uncontrolled twice."""
    today = settings.today()
    amlodipine = [{"drug": "amlodipine", "daily_dose_mg": 5}]
    visits = [
        make_visit(visit_id=f"v-{n}", date=str(today - dt.timedelta(days=d)), sbp=156, dbp=96, medications=amlodipine)
        for n, d in ((1, 120), (2, 30))
    ]
    return doctor_of(client, db, make_resident("M1", sex="M", birth_date="1960-05-01", visits=visits, events=[]))


def post_visit(client, **fields):
    return card_visit(client, "M1", **{"sbp": "138", "dbp": "84", **fields})


def latest_list(db) -> list | None:
    row = db.execute(
        "SELECT medications FROM visits WHERE record_id = 'M1' ORDER BY date DESC, visit_id DESC"
    ).fetchone()
    return None if row[0] is None else msgspec.json.decode(row[0])


def test_the_card_shows_the_medicines_the_protocol_step_the_next_and_not_intensified(doctor):
    card = doctor.get("/residents/M1").text

    assert re.search(r'id="current-medicines"><li>氨氯地平 5 mg 每日', card)
    protocol = re.search(r'id="protocol-htn".*?</p>', card, re.S).group(0)
    assert "第1步" in protocol and "下一步（第2步）：<strong>氨氯地平加至 10 mg" in protocol  # HEARTS step 2
    assert "连续两次随访未控制，其间未调整用药" in protocol
    assert 'name="med_drug" value="amlodipine"' in card and 'name="med_dose" type="number"' in card
    assert re.search(r'name="med_dose"[^>]*value="5"', card)  # the previous list, pre-filled


def test_keep_change_stop_and_add_in_one_visit(doctor, db):
    response = post_visit(doctor, med_drug=["amlodipine"], med_dose=["10"], add_drug="losartan", add_dose="50")

    assert response.status_code == 200, re.findall(r'role="alert">[^<]*', response.text)
    assert latest_list(db) == [
        {"drug": "amlodipine", "daily_dose_mg": 10},
        {"drug": "losartan", "daily_dose_mg": 50},
    ]
    assert "近期调整用药" in response.text  # the changed list is a medication change (CONTRACT §3, §5)
    assert "不在本县药品目录" not in response.text


def test_keeping_the_list_as_it_is_records_it_unchanged(doctor, db):
    response = post_visit(doctor, med_drug=["amlodipine"], med_dose=["5"])

    assert response.status_code == 200
    assert latest_list(db) == [{"drug": "amlodipine", "daily_dose_mg": 5}]
    assert "近期调整用药" not in response.text


def test_stopping_the_only_medicine_records_takes_none(doctor, db):
    post_visit(doctor, med_drug=["amlodipine"], med_dose=["5"], med_stop=["amlodipine"])

    assert latest_list(db) == []
    assert "目前未服药" in doctor.get("/residents/M1").text


def test_a_form_without_medicines_records_none(client, db, doctor):
    client.post(
        "/api/v1/records", json=document(make_resident("M1", visits=[], events=[])), headers=api_key(db, "ingest")
    )
    db.execute("UPDATE visits SET medications = NULL")
    db.conn.commit()

    post_visit(doctor)

    assert latest_list(db) is None


@pytest.mark.parametrize(
    ("fields", "key", "says"),
    [
        pytest.param({"med_dose": ["abc"]}, "amlodipine", "请填数字", id="not-a-number"),
        pytest.param({"med_dose": ["0"]}, "amlodipine", "应大于 0", id="zero"),
        pytest.param({"med_dose": ["5"], "add_drug": "xyz", "add_dose": "5"}, "new", "不在本县药品目录", id="unknown"),
        pytest.param({"med_dose": ["5"], "add_drug": "metformin"}, "new", "请填数字", id="added-without-dose"),
    ],
)
def test_a_bad_medicine_is_shown_beside_its_row_and_nothing_is_stored(doctor, db, fields, key, says):
    before = db.execute("SELECT count(*) FROM visits").fetchone()

    response = post_visit(doctor, med_drug=["amlodipine"], **fields)

    assert response.status_code == 422
    row = r'<div class="med-row invalid">.*?</div>' if key != "new" else r'<div class="row med-add invalid">.*?</div>'
    found = re.search(row, response.text, re.S)
    assert found and says in found.group(0), response.text
    assert db.execute("SELECT count(*) FROM visits").fetchone() == before


def test_the_history_lists_starts_dose_changes_and_stops(doctor):
    post_visit(doctor, med_drug=["amlodipine"], med_dose=["10"], add_drug="losartan", add_dose="50")

    history = re.search(r'id="medicine-history">.*?</ul>', doctor.get("/residents/M1?lang=en").text, re.S).group(0)

    assert "amlodipine · dose changed 5 mg → 10 mg" in history
    assert "losartan · started 50 mg" in history
    assert "amlodipine · started 5 mg" in history
