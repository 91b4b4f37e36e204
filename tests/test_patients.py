"""Finding and registering patients (CONTRACT §10) through the real app: search by name, record_id and
the last 4 digits of phone or national id, never outside the region; registration with the §3 rules,
sex and birth date from the national id, a duplicate national id refused, errors in the page's language."""

from __future__ import annotations

import logging
import re

import pytest
from conftest import PASSWORD, VILLAGE, add_login, api_key, csrf, document, log_in, make_resident, national_id
from litestar.testing import TestClient

from service.app import ACCESS_FILTER
from service.settings import Settings

TODAY = Settings().today()
OTHER_VILLAGE = "350421102201"  # another township


MAN_1950 = national_id("19500315", "131")  # 17th character 1: a man born 15 March 1950
WOMAN_1962 = national_id("19621102", "242")


def found(client: TestClient, q: str) -> list[str]:
    answer = client.get("/patients", params={"q": q})
    assert answer.status_code == 200, answer.text
    return re.findall(r'<a href="/residents/([\w-]+)" class="who">', answer.text)


@pytest.fixture
def county(client, db):
    """Three residents of the doctor's village and one of another township."""
    residents = [
        make_resident(
            "R-1", name="林秀英", phone="138 0000 4321", national_id=WOMAN_1962, sex="F", birth_date="1962-11-02"
        ),
        make_resident("R-2", name="林建国", phone="139-1111-2222"),
        make_resident("R-3", name="陈美玲", national_id=MAN_1950, sex="M", birth_date="1950-03-15"),
        make_resident("FAR-1", name="林远方", village_code=OTHER_VILLAGE, phone="137 0000 4321"),
    ]
    answer = client.post("/api/v1/records", json=document(*residents), headers=api_key(db, "ingest"))
    assert answer.json()["accepted"] == 4, answer.text
    add_login(db, "wang")
    log_in(client, "wang", PASSWORD)
    return client


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("林", ["R-2", "R-1"]),  # a surname: by name; the other township's 林远方 is not listed
        ("秀英", ["R-1"]),  # part of a name
        ("R-3", ["R-3"]),  # a record_id
        ("r-", ["R-2", "R-1", "R-3"]),  # a record_id prefix, any case
        ("4321", ["R-1"]),  # last 4 digits of a phone with spaces (137 0000 4321 lies outside the region)
        ("2222", ["R-2"]),  # ... with dashes
        (MAN_1950[-4:], ["R-3"]),  # last 4 of a national id
        ("0000", []),  # digits in the middle of a number are no match
        ("%", []),  # LIKE's wildcards are plain characters
        ("张", []),
    ],
)
def test_search_finds_by_name_record_id_and_last_digits_within_the_region(county, query, expected):
    assert found(county, query) == expected


def test_an_exact_record_id_comes_first(client, db):
    residents = [make_resident("A-10", name="甲"), make_resident("A-1", name="乙")]
    client.post("/api/v1/records", json=document(*residents), headers=api_key(db, "ingest"))
    add_login(db, "wang")
    log_in(client, "wang", PASSWORD)
    assert found(client, "A-1") == ["A-1", "A-10"]


def test_search_shows_the_number_to_the_area_doctor_and_masks_it_for_the_center(county, db):
    assert "138 0000 4321" in county.get("/patients", params={"q": "秀英"}).text
    add_login(db, "center1", role="center", region="350421")
    log_in(county, "center1", PASSWORD)
    page = county.get("/patients", params={"q": "秀英"}).text
    assert "138 0000 4321" not in page and "138******21" in page
    assert "/residents/new" not in page  # the center does not register patients
    assert county.get("/residents/new").status_code == 403


def form(client: TestClient, **fields: str) -> dict[str, str]:
    return {"_csrf_token": csrf(client), "village_code": VILLAGE, "I10": "on", **fields}


def register(client: TestClient, lang: str = "zh-CN", **fields: str):
    client.get("/patients", params={"lang": lang})
    return client.post("/residents/new", data=form(client, **fields), follow_redirects=False)


NEW_MAN = national_id("19480704", "357")  # a man born 4 July 1948


def test_registration_from_a_national_id_stores_sex_and_birth_date_and_opens_the_card(county, db):
    answer = register(county, name="张三", national_id=NEW_MAN, phone="13812345678", E11="on", dm_since="2020-05-01")
    assert answer.status_code == 303, answer.text
    record_id = answer.headers["location"].rsplit("/", 1)[1]
    assert record_id == f"S-{VILLAGE}-0001"
    row = db.execute(
        "SELECT name, sex, birth_date, family_doctor, managed, source FROM residents WHERE record_id = ?", [record_id]
    ).fetchone()
    assert row == ("张三", "M", "1948-07-04", "wang", 1, "registration")
    codes = db.execute("SELECT code, diagnosed_on FROM conditions WHERE record_id = ? ORDER BY code", [record_id])
    assert list(codes) == [("E11", "2020-05-01"), ("I10", None)]
    assert db.execute("SELECT tier FROM assessments WHERE record_id = ?", [record_id]).fetchone() is not None
    audit = db.execute("SELECT actor FROM audit_log WHERE action = 'register' AND record_id = ?", [record_id])
    assert [actor for (actor,) in audit] == ["wang"]
    card = county.get(answer.headers["location"])
    assert card.status_code == 200 and "张三" in card.text
    second = register(county, name="李四", sex="F", birth_date="1960-01-01")
    assert second.headers["location"].endswith(f"S-{VILLAGE}-0002")


@pytest.mark.parametrize(
    ("fields", "field", "zh", "en"),
    [
        ({"name": "", "sex": "F", "birth_date": "1960-01-01"}, "name", "不能为空", "must not be blank"),
        (
            {"name": "王五", "sex": "F"},
            "birth_date",
            "请填出生日期或身份证号",
            "give the birth date or the national id",
        ),
        (
            {"name": "王五", "national_id": NEW_MAN, "sex": "F"},
            "sex",
            "性别与身份证号不符",
            "does not match the national id",
        ),
        (
            {"name": "王五", "national_id": NEW_MAN, "birth_date": "1948-07-05"},
            "birth_date",
            "出生日期 1948-07-05 与身份证号不符",
            "does not match the national id (1948-07-04)",
        ),
        (
            {"name": "王五", "national_id": NEW_MAN[:-1] + "0"},
            "national_id",
            "校验位不对",
            "check digit does not match",
        ),
        ({"name": "王五", "national_id": "12345"}, "national_id", "身份证号应为18位", "18 characters"),
        ({"name": "王五", "national_id": MAN_1950}, "national_id", "该身份证号已登记，档案号 R-3", "registered as R-3"),
        ({"name": "王五", "sex": "M", "birth_date": "2999-01-01"}, "birth_date", "晚于今天", "is in the future"),
        (
            {"name": "王五", "sex": "M", "birth_date": "1960-01-01", "phone": "abc"},
            "phone",
            "电话号码为7-20位数字",
            "7-20 digits",
        ),
        (
            {"name": "王五", "sex": "M", "birth_date": "1960-01-01", "htn_since": "2999-01-01"},
            "htn_since",
            "晚于今天",
            "is in the future",
        ),
        (
            {"name": "王五", "sex": "M", "birth_date": "1960-01-01", "I10": ""},
            "conditions",
            "请选择高血压",
            "choose hypertension",
        ),
        (
            {"name": "王五", "sex": "M", "birth_date": "1960-01-01", "village_code": OTHER_VILLAGE},
            "village_code",
            "不在您可以录入的辖区",
            "outside the region",
        ),
        ({"name": "王" * 51, "sex": "M", "birth_date": "1960-01-01"}, "name", "最多 50 个字", "at most 50 characters"),
    ],
)
def test_registration_errors_are_located_and_in_the_page_language_and_store_nothing(county, db, fields, field, zh, en):
    before = db.execute("SELECT count(*) FROM residents").fetchone()[0]
    for lang, text in (("zh-CN", zh), ("en", en)):
        answer = register(county, lang, **fields)
        assert answer.status_code == 422, answer.text
        errors = re.findall(r'<span class="field-error" role="alert">([^<]*)</span>', answer.text)
        assert any(text in e for e in errors), errors
        anchor = "<legend>" if field == "conditions" else f'name="{field}"'  # the error sits beside its field
        near = answer.text.split(anchor, 1)[1].split("</label>" if field != "conditions" else "</fieldset>", 1)[0]
        assert text in near.replace("&#34;", '"')
    assert db.execute("SELECT count(*) FROM residents").fetchone()[0] == before
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'register'").fetchone()[0] == 0


def test_a_national_id_held_elsewhere_is_refused_without_naming_the_card(county, db):
    far = national_id("19700101", "111")
    db.execute("UPDATE residents SET national_id = ? WHERE record_id = 'FAR-1'", [far])
    db.conn.commit()
    answer = register(county, name="王五", national_id=far)
    assert answer.status_code == 422 and "该身份证号已在其他辖区登记" in answer.text
    assert "FAR-1" not in answer.text


def test_a_second_tap_registers_nobody_twice(county, db):
    first = register(county, name="赵六", sex="M", birth_date="1955-05-05")
    assert first.status_code == 303
    again = register(county, name="赵六", sex="M", birth_date="1955-05-05")
    assert again.status_code == 422 and "本村已登记同名、同出生日期的居民" in again.text
    assert db.execute("SELECT count(*) FROM residents WHERE name = '赵六'").fetchone() == (1,)


def test_a_national_id_of_other_digits_is_a_located_error_not_a_500(county):
    answer = register(county, name="王五", national_id="3504211990010112²X")
    assert answer.status_code == 422 and "身份证号应为18位" in answer.text


def test_a_search_never_reaches_the_access_log(county):
    """uvicorn logs each request as '%s - "%s %s HTTP/%s" %d'; the server's filter drops query strings."""
    access = logging.getLogger("uvicorn.access")
    assert ACCESS_FILTER in access.filters  # put there when the app started
    record = access.makeRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/patients?q=13800004321", "1.1", 200),
        None,
    )
    assert ACCESS_FILTER.filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /patients?… HTTP/1.1" 200'
