"""The resident card page and GET /api/v1/residents/{id} read one card: same tier, reasons and next
follow-up; the trend's guide lines sit at this resident's own targets; the outcomes offered are the
vocabulary's."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from conftest import PASSWORD, add_login, api_key, document, log_in, make_resident, make_visit

from followup.tasks import CallOutcome


def born(settings, years: int) -> str:
    return (settings.today() - dt.timedelta(days=365 * years + 30)).isoformat()


@pytest.fixture
def doctor(client, db, settings):
    residents = [
        make_resident("OLD", birth_date=born(settings, 70), visits=[make_visit(sbp=145, dbp=85)], events=[]),
        make_resident("YOUNG", birth_date=born(settings, 50), visits=[make_visit(sbp=186, dbp=112)]),
    ]
    assert (
        client.post("/api/v1/records", json=document(*residents), headers=api_key(db, "ingest")).json()["accepted"] == 2
    )
    add_login(db, "wang")
    log_in(client, "wang", PASSWORD)
    return client


@pytest.mark.parametrize(("record_id", "target"), [("OLD", "150"), ("YOUNG", "140")])
def test_the_bp_trend_draws_the_residents_own_target(doctor, record_id, target):
    svg = re.search(r'<svg[^>]*class="trend".*?</svg>', doctor.get(f"/residents/{record_id}").text).group()

    assert re.findall(r'<text x="2"[^>]*class="axis">(\d+)</text>', svg) == [target, "90"]


def test_the_page_and_the_api_tell_the_same_card(doctor):
    page = doctor.get("/residents/YOUNG").text
    api = doctor.get("/api/v1/residents/YOUNG").json()

    reasons = re.search(r'<ul class="reasons">(.*?)</ul>', page, re.DOTALL).group(1)
    assert re.findall(r'<li class="(\w+)">', reasons) == [r["tier"] for r in api["reasons"]]
    assert f'class="tier {api["tier"]}"' in page
    assert f"/tasks/{api['next_followup']['task_id']}/outcome" in page.split('id="tasks"')[1].split("</form>")[0]


def test_the_outcomes_offered_are_the_vocabularys(doctor):
    page = doctor.get("/residents/YOUNG").text
    select = re.search(r'<select name="outcome".*?</select>', page, re.DOTALL).group()

    assert re.findall(r'<option value="(\w+)"', select) == [o.value for o in CallOutcome]


def test_opening_the_card_is_audited_and_so_is_the_apis_read(doctor, db):
    doctor.get("/residents/OLD")
    doctor.get("/api/v1/residents/OLD")

    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'read_card' AND record_id = 'OLD'").fetchone() == (
        2,
    )
