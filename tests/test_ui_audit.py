"""The center's audit log page: who read or changed what, scoped to the county, filtered, paged, masked."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from conftest import PASSWORD, VILLAGE, add_login, api_key, document, log_in, make_resident
from litestar.testing import TestClient

from service.store.assessments import add_override
from service.store.audit import record_action
from ui.app import create_app

OTHER_COUNTY_VILLAGE = "350422100201"


@pytest.fixture
def county(settings, db):
    """Two residents (one in another county), a doctor and a center login; the doctor read a card."""
    add_login(db, "wang")
    add_login(db, "zhou", role="center", region=VILLAGE[:6])
    with TestClient(create_app(settings)) as client:
        residents = document(make_resident("R-IN"), make_resident("R-OUT", village_code=OTHER_COUNTY_VILLAGE))
        assert client.post("/api/v1/records", json=residents, headers=api_key(db, "ingest")).json()["accepted"] == 2
        log_in(client, "wang", PASSWORD)
        assert client.get("/residents/R-IN").status_code == 200
        client.cookies.clear()
        record_action(db, actor="li", action="read_card", record_id="R-OUT")  # someone of the other county
        yield client, db


def rows(html: str) -> int:
    return html.count("<tr><td>")


def test_the_center_sees_reads_changes_and_logins_of_its_county_only(county):
    client, _ = county
    log_in(client, "zhou", PASSWORD)

    page = client.get("/audit?lang=en").text

    assert "/residents/R-IN" in page and "read the card" in page
    assert "R-OUT" not in page  # a resident of another county stays invisible
    for action in ("login", "import", "user added"):
        assert action in page
    assert "wang" in page


def test_filters_narrow_the_list(county):
    client, _ = county
    log_in(client, "zhou", PASSWORD)

    reads = client.get("/audit?action=read_card&lang=en").text
    by_wang = client.get("/audit?actor=wang&lang=en").text
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    future = client.get(f"/audit?since={tomorrow}&lang=en").text

    assert rows(reads) == 1
    assert rows(by_wang) == 2  # the login and the card
    assert rows(future) == 0 and "No entries match" in future


def test_a_bad_filter_is_a_400_page_and_other_roles_are_refused(county):
    client, _ = county
    log_in(client, "zhou", PASSWORD)
    bad = client.get("/audit?action=delete_everything")
    client.cookies.clear()
    log_in(client, "wang", PASSWORD)
    doctor = client.get("/audit")

    assert bad.status_code == 400 and bad.headers["content-type"].startswith("text/html")
    assert doctor.status_code == 403


def test_phone_numbers_and_ids_typed_into_free_text_are_masked_on_the_page_and_in_csv(county):
    client, db = county
    today = dt.date.today()
    reason = "family asked, call 13812345678, id 350421194912310021"
    add_override(db, record_id="R-IN", tier="red", reason=reason, author="zhou", starts_on=today, expires_on=today)
    log_in(client, "zhou", PASSWORD)

    page = client.get("/audit?action=override").text
    csv = client.get("/audit?action=override&export=csv").text

    for text in (page, csv):
        assert "13812345678" not in text and "350421194912310021" not in text
        assert "138******78" in text and "350421**********21" in text


def test_pages_of_100_link_to_older_entries(county):
    client, db = county
    for n in range(130):
        record_action(db, actor="bulk", action="read_card", record_id="R-IN", detail=str(n))
    log_in(client, "zhou", PASSWORD)

    first = client.get("/audit?actor=bulk").text
    older = html.unescape(re.search(r'href="(/audit\?[^"]*before=\d+)"', first).group(1))
    second = client.get(older).text

    assert rows(first) == 100 and rows(second) == 30
    assert ">129<" in first and ">0<" in second


def test_the_filter_form_as_a_browser_sends_it_with_empty_fields_shows_everything(county):
    client, _ = county
    log_in(client, "zhou", PASSWORD)

    response = client.get("/audit?actor=&action=&record_id=&since=&until=&lang=en")

    assert response.status_code == 200
    assert "read the card" in response.text and "user added" in response.text
