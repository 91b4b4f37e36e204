"""The county center's dashboard through the real app: figures from the nightly run's village
tables, drill-down county -> township -> village -> patients, names, CSV, and who may see it."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import PASSWORD, add_login, api_key, document, log_in, make_resident, make_visit

from service.jobs import run_nightly
from service.store.areas import save_areas
from stratify.policy import Policy

TOWNSHIP = "350421100"
VILLAGE = TOWNSHIP + "201"


@pytest.fixture
def county(client, db, settings):
    """Two villages of one township and one of another; a red, a yellow and a green resident."""
    residents = [
        make_resident("RED", village_code=VILLAGE, visits=[make_visit(sbp=186, dbp=112)]),
        make_resident("YELLOW", village_code=TOWNSHIP + "202", visits=[make_visit(sbp=150, dbp=92)], events=[]),
        make_resident("GREEN", village_code="350421101201", visits=[make_visit(sbp=120, dbp=70)], events=[]),
    ]
    posted = client.post("/api/v1/records", json=document(*residents), headers=api_key(db, "ingest"))
    assert posted.json()["accepted"] == 3
    save_areas(db, [(TOWNSHIP, "青山镇"), (VILLAGE, "上坪村")], actor="test")
    add_login(db, "center1", role="center", region="350421")
    log_in(client, "center1", PASSWORD)
    return client


def test_before_the_first_nightly_run_the_page_says_so(county):
    page = county.get("/dashboard").text

    assert "还没有统计" in page and 'class="bar"' not in page  # no tier bars; the period figures are live


def test_drill_down_from_county_to_a_villages_patients(county, db, settings):
    run = run_nightly(db, Policy(), settings.today(), trigger="test", workers=1)

    county_page = county.get("/dashboard").text
    township_page = county.get(f"/dashboard?region={TOWNSHIP}").text
    village_page = county.get(f"/dashboard?region={VILLAGE}").text

    assert f'href="/dashboard?region={TOWNSHIP}">青山镇' in county_page
    assert 'href="/dashboard?region=350421101">350421101<' in county_page  # no name loaded: its code
    assert f"第{run.run_id}次夜间任务" in county_page
    assert county_page.count("血压控制 0%") == 1 and "血压控制 100%" in county_page  # per township (GREEN's)
    assert f'href="/dashboard?region={VILLAGE}">上坪村' in township_page and "350421101" not in township_page
    assert "/residents/RED" in village_page and "/residents/YELLOW" not in village_page
    assert "血压危象：" in village_page


def test_area_csv_has_names_and_counts(county, db, settings):
    run_nightly(db, Policy(), settings.today(), trigger="test", workers=1)

    first, *lines = county.get(f"/dashboard?region={TOWNSHIP}&export=csv").text.lstrip("\ufeff").splitlines()

    assert first.startswith(f"# sanbiao export: tiers-{TOWNSHIP}; by center1 (center); at ")
    assert lines[0] == "area,name,red,yellow,green,untiered,htn_registered,htn_controlled,dm_registered,dm_controlled"
    assert sorted(lines[1:]) == [
        f"{VILLAGE},上坪村,1,0,0,0,1,0,0,0",  # registered for hypertension, BP not controlled
        f"{TOWNSHIP}202,,0,1,0,0,1,0,0,0",
    ]


@pytest.mark.parametrize("region", ["350422", "35042", "350421x", "3504210001"])
def test_regions_outside_the_users_or_malformed_are_403(county, region):
    response = county.get(f"/dashboard?region={region}")

    assert response.status_code == 403 and response.headers["content-type"].startswith("text/html")


def test_a_village_doctor_may_not_see_the_dashboard(client, db):
    add_login(db, "wang")
    log_in(client, "wang", PASSWORD)

    assert client.get("/dashboard").status_code == 403
    assert 'href="/dashboard"' not in client.get("/").text


def test_a_township_gp_sees_the_dashboard_of_their_township_only(county, client, db, settings):
    add_login(db, "gp1", role="township_gp", region=TOWNSHIP)
    log_in(client, "gp1", PASSWORD)
    run_nightly(db, Policy(), settings.today(), trigger="test", workers=1)

    own = client.get("/dashboard")
    assert own.status_code == 200 and f"/dashboard?region={VILLAGE}" in own.text
    assert 'href="/dashboard"' in client.get("/").text and 'href="/admin/users"' not in own.text
    assert client.get(f"/dashboard?region={VILLAGE}").status_code == 200  # drills down to a village
    assert client.get("/dashboard?region=350421").status_code == 403  # not up to the county
    assert client.get("/dashboard?region=350421101").status_code == 403  # nor into another township


def test_a_county_specialist_sees_the_county(client, db, settings):
    add_login(db, "spec1", role="county_specialist", region="350421")
    log_in(client, "spec1", PASSWORD)

    assert client.get("/dashboard").status_code == 200
    assert client.get(f"/dashboard?region={TOWNSHIP}").status_code == 200
    assert client.get("/dashboard?region=350422").status_code == 403


def test_an_area_name_is_text_in_its_bar_never_markup(county, db, settings):
    """Names come from a county's CSV: a name with a tag and quotes stays text inside the SVG."""
    save_areas(db, [(TOWNSHIP, '<script>alert("x")</script>" onmouseover="y')], actor="test")
    run_nightly(db, Policy(), settings.today(), trigger="test", workers=1)

    page = county.get("/dashboard").text

    assert "<script>" not in page and 'onmouseover="y' not in page
    assert 'aria-label="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&#34; onmouseover=&#34;y"' in page


def test_the_figures_of_a_chosen_period_by_area_with_their_total(county):
    """CONTRACT §11 figures on the page: the picker keeps the period, each area links down with it."""
    page = county.get("/dashboard?period=2026-10").text

    assert "2026年10月管理指标" in page and '<option value="2026-10" selected>2026年10月</option>' in page
    assert '<option value="2026Q4" ' in page and '<option value="2026" ' in page
    assert f'href="/dashboard?region={TOWNSHIP}&period=2026-10#period">青山镇' in page
    township_row = page.split(f"region={TOWNSHIP}&period=2026-10#period")[1].split("</tr>")[0]
    assert '<td data-label="高血压管理">2</td>' in township_row
    assert '<td data-label="血压控制率">0%</td>' in township_row
    total_row = page.split('<tr class="total">')[1].split("</tr>")[0]
    assert '<td data-label="高血压管理">3</td>' in total_row and '<td data-label="血压控制率">33%</td>' in total_row
    assert "/api/v1/indicators?region=350421&period=2026-10&format=xlsx" in page


def test_a_period_of_another_form_is_a_400_page(county):
    response = county.get("/dashboard?period=2026Q5")

    assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")


def test_twelve_months_of_trend_lines_up_to_the_periods_last_month(county):
    page = county.get("/dashboard?period=2026Q3").text
    trend = page.split('id="trend"')[1].split("</section>")[0]

    assert trend.count('<svg viewBox="0 0 320 120" class="trend"') == 2
    assert ">2025-10</text>" in trend and ">2026-09</text>" in trend  # Q3's last month, 12 months back
    assert 'aria-label="高血压控制率、规范管理率、3个月未随访率"' in trend


def test_a_villages_figures_by_family_doctor(client, db):
    residents = [
        make_resident(
            record_id, village_code=VILLAGE, family_doctor=doctor, visits=[make_visit(sbp=s, dbp=d)], events=[]
        )
        for record_id, doctor, s, d in (("D1", "wang", 128, 80), ("D2", "wang", 162, 96), ("D3", None, 120, 70))
    ]
    assert client.post("/api/v1/records", json=document(*residents), headers=api_key(db, "ingest")).status_code == 200
    add_login(db, "center1", role="center", region="350421")
    log_in(client, "center1", PASSWORD)

    page = client.get(f"/dashboard?region={VILLAGE}&period=2026-10").text
    doctors = page.split('id="doctors"')[1].split("</section>")[0]

    wang = doctors.split("<td>wang</td>")[1].split("</tr>")[0]
    assert '<td data-label="高血压管理">2</td>' in wang and '<td data-label="血压控制率">50%</td>' in wang
    assert "<td>未签约家庭医生</td>" in doctors


def test_the_days_new_reds_and_overdue_urgent_referrals_are_live(county, db, settings):
    """Read when the page is asked for: the ingest's re-assessment made RED red today, before any night."""
    live = county.get("/dashboard").text.split('id="live"')[1].split("</section>")[0]
    assert "今日新增红标（1）" in live and "/residents/RED" in live and "逾期未完成的紧急转诊（0）" in live

    two_days_ago = (settings.today() - dt.timedelta(days=2)).isoformat()
    db.execute("UPDATE tasks SET due = ? WHERE record_id = 'RED' AND kind = 'urgent_referral'", [two_days_ago])
    db.conn.commit()

    live = county.get("/dashboard").text.split('id="live"')[1].split("</section>")[0]
    assert "逾期未完成的紧急转诊（1）" in live and live.count("/residents/RED") == 2
    other_township = county.get("/dashboard?region=350421101").text.split('id="live"')[1].split("</section>")[0]
    assert "今日新增红标（0）" in other_township and "逾期未完成的紧急转诊（0）" in other_township


def test_the_management_rate_is_shown_where_the_population_is_known(county, db):
    """Managed / expected (population aged 35+ x 37.2%): 2 of 10 expected in 青山镇, unknown elsewhere."""
    save_areas(db, [(TOWNSHIP, "青山镇", 27)], actor="test")  # 27 x 0.372 = 10.04 -> 10 expected

    page = county.get("/dashboard?period=2026-10").text
    township_row = page.split(f"region={TOWNSHIP}&period=2026-10#period")[1].split("</tr>")[0]
    other_row = page.split("region=350421101&period=2026-10#period")[1].split("</tr>")[0]

    assert '<td data-label="高血压管理率">20%</td>' in township_row
    assert '<td data-label="高血压管理率">—</td>' in other_row
