"""The doctor's list page through the real app: filters by tier and by kind of task, and their CSV."""

from __future__ import annotations

import html
import re

import pytest
from conftest import PASSWORD, add_login, api_key, document, log_in, make_resident, make_visit

from service.today import COUNT_CAP


@pytest.fixture
def doctor(client, db):
    crisis = make_resident("CRISIS", visits=[make_visit(sbp=186, dbp=112)])
    routine = make_resident("ROUTINE", visits=[make_visit(sbp=150, dbp=92)])
    posted = client.post("/api/v1/records", json=document(crisis, routine), headers=api_key(db, "ingest"))
    assert posted.json()["accepted"] == 2
    add_login(db, "wang")
    log_in(client, "wang", PASSWORD)
    kinds = dict(db.execute("SELECT record_id, group_concat(kind) FROM tasks WHERE status = 'open' GROUP BY 1"))
    return client, kinds


def test_the_kind_filter_shows_only_that_kind_of_task(doctor):
    client, kinds = doctor
    only_crisis = next(k for k in kinds["CRISIS"].split(",") if k not in kinds["ROUTINE"].split(","))

    everything = client.get("/").text
    filtered = client.get(f"/?kind={only_crisis}").text

    assert "/residents/CRISIS" in everything and "/residents/ROUTINE" in everything
    assert "/residents/CRISIS" in filtered and "/residents/ROUTINE" not in filtered
    assert f"kind={only_crisis}&export=csv" in html.unescape(filtered)  # the CSV link keeps the filter


def test_the_csv_holds_the_filtered_rows_only(doctor):
    client, kinds = doctor
    only_crisis = next(k for k in kinds["CRISIS"].split(",") if k not in kinds["ROUTINE"].split(","))

    lines = client.get(f"/?kind={only_crisis}&export=csv").text.strip().splitlines()

    assert len(lines) == 3 and lines[2].startswith("CRISIS,")  # who, when, filters; the header; the row
    assert f"filters: show=area, kind={only_crisis}" in lines[0]


def test_the_csv_reason_is_in_the_readers_language_with_iso_dates(doctor):
    client, _ = doctor

    chinese = next(line for line in client.get("/?export=csv").text.splitlines() if line.startswith("CRISIS,"))
    english = next(line for line in client.get("/?export=csv&lang=en").text.splitlines() if line.startswith("CRISIS,"))

    assert re.search(r",血压危象：\d{4}-\d\d-\d\d血压 186/112 mmHg（≥180/110）,", chinese)
    assert re.search(r",BP 186/112 on \d{4}-\d\d-\d\d >= 180/110,", english)


def test_an_unknown_kind_is_a_400_page(doctor):
    client, _ = doctor

    response = client.get("/?kind=surgery")

    assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")


def test_the_forms_all_choices_send_empty_values_and_mean_no_filter(doctor):
    client, _ = doctor

    response = client.get("/?show=area&tier=&kind=")

    assert response.status_code == 200
    assert "/residents/CRISIS" in response.text and "/residents/ROUTINE" in response.text


BUSY = 160


@pytest.fixture
def busy_village(client, db):
    """BUSY residents of one village with a BP crisis today: that many urgent tasks due, over two pages
    (without paging this list was 66 KB: ~415 bytes a row)."""
    residents = [
        make_resident(f"BUSY-{n:02d}", visits=[make_visit(sbp=186, dbp=112, symptoms=["chest_pain", "dizziness"])])
        for n in range(BUSY)
    ]
    assert (
        client.post("/api/v1/records", json=document(*residents), headers=api_key(db, "ingest")).json()["accepted"]
        == BUSY
    )
    add_login(db, "wang")
    log_in(client, "wang", PASSWORD)
    return client


def test_the_list_comes_a_page_at_a_time_and_more_loads_the_rest(busy_village):
    first = busy_village.get("/")
    pages, more = [first.text], re.search(r'hx-get="([^"]+)"', first.text.split('id="more"')[-1])
    while more:  # follow "more" as htmx does: a fragment swapped in place of the link
        fragment = busy_village.get(html.unescape(more.group(1)), headers={"HX-Request": "true"}).text
        assert "<html" not in fragment
        pages.append(fragment)
        more = re.search(r'id="more"><a[^>]*hx-get="([^"]+)"', fragment)

    # a list counts COUNT_CAP residents ahead: beyond, "100+"; paging still reaches every one of them
    assert ">更多</a>" in first.text and 'hx-get="/?show=area&amp;start=50"' in first.text
    assert f"今日 {COUNT_CAP}+ 人" in first.text
    assert [page.count('<li class="task ') for page in pages] == [50, 50, 50, BUSY - 150]
    shown = re.findall(r'href="/residents/(BUSY-\d+)"', "".join(pages))
    assert len(shown) == len(set(shown)) == BUSY  # every due task once, none lost between pages


def test_a_full_page_of_the_list_stays_under_60_kb(busy_village):
    assert len(busy_village.get("/").content) < 60_000  # issue #6: the largest doctor's list page


def test_a_start_beyond_the_cap_is_a_400(busy_village):
    assert busy_village.get("/?start=100000").status_code == 400


def test_the_api_and_the_page_list_the_same_tasks_in_the_same_order(busy_village):
    """Both come from one service function: the area's list holds everything due, in one order."""
    api = busy_village.get("/api/v1/followups/today", params={"mine": "false", "limit": 500}).json()
    page = re.findall(r'href="/residents/(BUSY-\d+)"', busy_village.get("/").text)

    assert api["capacity"] is None and len(api["items"]) == BUSY and api["next_cursor"] is None
    assert [item["record_id"] for item in api["items"]][:50] == page
