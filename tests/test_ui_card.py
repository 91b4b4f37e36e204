"""The resident card page and GET /api/v1/residents/{id} read one card: same tier, reasons and next
follow-up; the trend's guide lines sit at this resident's own targets; the outcomes offered are the
vocabulary's."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from conftest import PASSWORD, add_login, api_key, document, log_in, make_resident, make_visit

from followup.tasks import CallOutcome
from stratify.facts import age_on
from stratify.policy import Policy
from stratify.records import Sex
from stratify.who_risk import who_cvd_risk


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


def who_paragraph(page: str) -> str | None:
    found = re.search(r'<p id="who-risk">(.*?)</p>', page, re.DOTALL)
    return found and re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(1)))


def test_the_card_shows_the_who_risk_and_its_band_for_ages_40_to_74(doctor, settings):
    # OLD: a woman of 70, SBP 145, not smoking, no cholesterol, 61.5 kg and 160 cm -> the non-lab model
    age = age_on(dt.date.fromisoformat(born(settings, 70)), settings.today())
    expected = who_cvd_risk(
        age=age,
        sex=Sex.FEMALE,
        smoker=False,
        sbp=145,
        diabetes=False,
        total_cholesterol=None,
        bmi=61.5 / 1.6**2,
        policy=Policy(),
    )

    shown = who_paragraph(doctor.get("/residents/OLD").text)

    assert shown == f"10年心血管病风险（WHO，按体重指数）: {expected.ten_year * 100:.0f}% 风险图分层 {expected.band}%"


def test_after_a_stroke_the_risk_says_the_charts_are_for_people_without_cvd_and_after_74_there_is_none(
    doctor, db, settings
):
    older = make_resident("OLDER", birth_date=born(settings, 75), visits=[make_visit(sbp=150, dbp=85)], events=[])
    client_post = doctor.post("/api/v1/records", json=document(older), headers=api_key(db, "ingest"))
    assert client_post.json()["accepted"] == 1

    young = who_paragraph(doctor.get("/residents/YOUNG").text)  # 50, a stroke on record
    assert young.startswith("10年心血管病风险") and "风险图适用于尚无心脑血管病者" in young
    assert "风险图适用于" not in who_paragraph(doctor.get("/residents/OLD").text)
    assert who_paragraph(doctor.get("/residents/OLDER").text) is None
    assert doctor.get("/api/v1/residents/OLDER").json()["cvd_risk"] is None


def test_the_api_gives_the_who_risk_as_the_contract_names_it(doctor, settings):
    """CONTRACT §4.4 `cvd_risk`: ten_year, band, model (who2019_nonlab: a BMI, no cholesterol)."""
    card = doctor.get("/residents/OLD").text
    risk = doctor.get("/api/v1/residents/OLD").json()["cvd_risk"]

    assert set(risk) == {"ten_year", "band", "model"} and risk["model"] == "who2019_nonlab"
    assert f"{risk['ten_year'] * 100:.0f}%" in who_paragraph(card) and f"{risk['band']}%" in who_paragraph(card)
