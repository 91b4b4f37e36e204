"""The pages in a real browser: Playwright driving Debian's chromium against `sanbiao serve`, at 360 px."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import msgspec
import pytest
from conftest import document, make_resident, make_visit
from openpyxl import load_workbook
from playwright.sync_api import expect, sync_playwright
from servers import start_server

from fixtures.county import area_names
from service.auth import hash_password
from service.importer import import_file
from service.ingest import Ingestor
from service.jobs import run_nightly
from service.reassess import Reassessor
from service.settings import Settings
from service.store import connect, migrate
from service.store.access import add_user
from service.store.areas import save_areas
from stratify.policy import Policy

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
LONG_SOURCE = "/srv/county-exports/2026/sanming/shaxian/hypertension-followups-quarter-4-final-v2.ndjson"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SAMPLE = Path(__file__).parent.parent / "fixtures" / "sample.ndjson"
SHOTS = Path(__file__).parent / "artifacts" / "screens"
VILLAGE, OTHER_VILLAGE = "350421100201", "350421101201"
PASSWORD = "correct horse battery"
TODAY = Settings().today()
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}


def day(n: int) -> str:
    return (TODAY + dt.timedelta(days=n)).isoformat()


def scenario_residents() -> list[dict]:
    return [
        make_resident(
            "T-RED",
            name="陈红",
            village_code=VILLAGE,
            family_doctor="vd-test",
            phone="13800000012",
            visits=[make_visit(visit_id="v1", date=day(-1), sbp=186, dbp=112, fasting_glucose=None)],
            events=[],
        ),
        make_resident(
            "T-YELLOW",
            name="林黄",
            village_code=VILLAGE,
            family_doctor="vd-test",
            events=[],
            visits=[make_visit(visit_id="v1", date=day(-60), sbp=146, dbp=92, fasting_glucose=None)],
        ),
        make_resident(
            "T-GREEN",
            name="张绿",
            village_code=VILLAGE,
            family_doctor="vd-test",
            events=[],
            visits=[
                make_visit(visit_id="v1", date=day(-100), sbp=126, dbp=78, fasting_glucose=None),
                make_visit(visit_id="v2", date=day(-10), sbp=122, dbp=76, fasting_glucose=None),
            ],
        ),
        make_resident(
            "T-FAR",
            name="王远",
            village_code=OTHER_VILLAGE,
            events=[],
            visits=[make_visit(visit_id="v1", date=day(-3), sbp=120, dbp=70, fasting_glucose=None)],
        ),
    ]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ui")
    db_path = folder / "county.db"
    db = connect(db_path)
    migrate(db)
    import_file(db, SAMPLE, source=None, actor="test", today=TODAY)
    ingestor = Ingestor(db, today=TODAY, on_stored=Reassessor(db, Policy(), TODAY))
    # A long path with no spaces, as a CLI import of a county's file has: pages must still fit a phone.
    ingestor.begin(origin="cli", source=LONG_SOURCE, filename=None, actor="test")
    ingestor.run(msgspec.json.encode(r) for r in document(*scenario_residents())["residents"])
    ingestor.end()
    for username, role, region in (
        ("vd-test", "village_doctor", VILLAGE),
        ("center-test", "center", "350421"),
        ("gp-test", "township_gp", VILLAGE[:9]),
    ):
        add_user(db, username=username, password_hash=hash_password(PASSWORD), role=role, region=region, actor="test")
    save_areas(db, area_names(), actor="test")
    run_nightly(db, Policy(), TODAY, trigger="test", workers=1)
    process, base = start_server(db_path, "--no-scheduler")
    yield base, db
    process.terminate()
    process.wait(timeout=10)
    db.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


def phone(browser):
    return browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)


def doctor_on_a_phone(browser, base: str):
    """A new phone-sized page, logged in as the village doctor."""
    page = phone(browser).new_page()
    log_in(page, base, "vd-test")
    return page


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_village_doctor_works_through_the_day_on_a_phone(server, browser):
    base, _db = server
    context = phone(browser)
    page = context.new_page()
    page.goto(f"{base}/login")
    shoot(page, "login-360")

    log_in(page, base, "vd-test")
    rows = page.locator("ul.tasks li")
    assert page.url == f"{base}/"
    assert rows.count() >= 2
    assert "陈红" in rows.first.inner_text() and "红标" in rows.first.inner_text()  # red first, tier as text
    call = page.locator("a.call", has_text="13800000012")  # a doctor of the village may call (audited)
    assert re.fullmatch(r"/residents/T-\w+/call", call.get_attribute("href"))
    assert no_horizontal_scroll(page)
    shoot(page, "today-360")

    rows.first.locator("a.who").click()
    page.wait_for_load_state("networkidle")
    assert "/residents/T-RED" in page.url
    assert "红标" in page.locator("#tier").inner_text()
    assert "186/112" in page.locator("#tier .reasons").inner_text()
    assert no_horizontal_scroll(page)
    shoot(page, "card-360")

    page.select_option("#tasks form.outcome select[name=outcome]", "visited")
    page.click("#tasks form.outcome button[type=submit]")
    page.wait_for_selector("#tasks", state="detached")  # the answer swapped in (networkidle was reached long ago)
    page.goto(f"{base}/")
    assert "陈红" not in page.locator("ul.tasks").inner_text()  # the visited task left the list
    context.close()


def test_two_qualifying_visits_turn_a_yellow_resident_green(server, browser):
    base, db = server
    page = doctor_on_a_phone(browser, base)
    page.goto(f"{base}/residents/T-YELLOW")
    assert "黄标" in page.locator("#tier").inner_text()

    def record(sbp: str, dbp: str, when: str) -> str:
        page.fill("#visit-form input[name=sbp]", sbp)
        page.fill("#visit-form input[name=dbp]", dbp)
        page.fill("#visit-form input[name=date]", when)
        page.click("#visit-form button[type=submit]")
        expect(page.locator("#visit-form input[name=sbp]")).to_have_value("")  # stored: a fresh form, the new tier
        return page.locator("#tier").inner_text()

    assert "黄标" in record("128", "78", day(-20))  # one good visit: held while stepping down
    assert "绿标" in record("126", "76", day(0))  # the second, 20 days later: green, no page reload
    assert db.execute("SELECT count(*) FROM visits WHERE record_id = 'T-YELLOW'").fetchone() == (3,)


def test_a_bad_value_is_shown_beside_its_field_and_nothing_is_stored(server, browser):
    base, db = server
    page = doctor_on_a_phone(browser, base)
    page.goto(f"{base}/residents/T-RED")
    before = db.execute("SELECT count(*) FROM visits WHERE record_id = 'T-RED'").fetchone()

    page.fill("#visit-form input[name=sbp]", "400")
    page.fill("#visit-form input[name=dbp]", "90")
    page.evaluate("document.querySelector('#visit-form').noValidate = true")
    page.click("#visit-form button[type=submit]")
    page.wait_for_selector("#visit-form .field-error")

    error = page.locator("#visit-form label.invalid").inner_text()
    assert "不能大于 300" in error  # the API's "Expected `int` <= 300", worded on a Chinese page, beside SBP
    assert db.execute("SELECT count(*) FROM visits WHERE record_id = 'T-RED'").fetchone() == before


def test_a_village_doctor_cannot_open_a_resident_outside_their_villages(server, browser):
    base, _ = server
    page = doctor_on_a_phone(browser, base)

    response = page.goto(f"{base}/residents/T-FAR")

    assert response.status == 403
    assert "无权查看" in page.content()
    assert "王远" not in page.content()


def test_center_staff_drill_down_the_dashboard(server, browser):
    base, _ = server
    for viewport, suffix in ((DESKTOP, "1280"), (PHONE, "360")):
        page = browser.new_context(viewport=viewport).new_page()
        log_in(page, base, "center-test")
        assert page.url == f"{base}/dashboard"
        assert page.locator("table.areas svg.bar").count() >= 1
        assert "青山镇" in page.locator("table.areas").first.inner_text()  # townships by name, not only code
        shoot(page, f"dashboard-{suffix}")
        page.click("table.areas a >> nth=0")
        page.wait_for_load_state("networkidle")
        assert "region=350421" in page.url and len(page.url.split("region=")[1]) == 9
        page.click(f"table.areas a[href$='{VILLAGE}']")
        page.wait_for_load_state("networkidle")
        assert "陈红" in page.locator("ul.tasks").inner_text()
        assert no_horizontal_scroll(page)
        page.context.close()


def test_pages_switch_language_and_remember_it(server, browser):
    base, _ = server
    page = browser.new_context(viewport=DESKTOP).new_page()
    log_in(page, base, "vd-test")

    page.goto(f"{base}/?lang=en")
    english = page.locator("h1").inner_text()
    page.goto(f"{base}/residents/T-RED")

    assert english == "Today's follow-ups"
    assert "Red" in page.locator("#tier").inner_text()
    shoot(page, "card-1280")
    page.goto(f"{base}/")
    shoot(page, "today-1280")
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    shoot(page, "login-1280")


def test_the_doctors_list_is_small_and_loads_nothing_from_outside(server, browser):
    base, _ = server
    page = phone(browser).new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    log_in(page, base, "vd-test")

    response = page.goto(f"{base}/")

    assert len(response.body()) < 60_000
    assert all(url.startswith(base) for url in requests)
    assert any(url.endswith("/static/vendor/htmx.min.js") for url in requests)


def test_center_staff_override_a_tier_with_a_reason_and_an_expiry(server, browser):
    base, db = server
    page = browser.new_context(viewport=DESKTOP).new_page()
    log_in(page, base, "center-test")
    response = page.goto(f"{base}/residents/T-GREEN")
    assert response.status == 200, page.content()[:3000]
    assert "绿标" in page.locator("#tier").inner_text()

    page.select_option("#override-form select[name=tier]", "red")
    page.fill("#override-form input[name=reason]", "家属报告胸闷")
    page.fill("#override-form input[name=expires_on]", day(500))
    page.evaluate("document.querySelector('#override-form').noValidate = true")
    page.click("#override-form button[type=submit]")
    assert "365" in page.locator("#override-form label.invalid").inner_text()  # too far ahead, shown in place
    assert db.execute("SELECT count(*) FROM overrides").fetchone() == (0,)

    page.fill("#override-form input[name=expires_on]", day(30))
    page.click("#override-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#tier").count() == 1, page.url + page.content()[-1500:]

    assert "红标" in page.locator("#tier").inner_text()
    assert "家属报告胸闷" in page.locator("#tier .reasons").inner_text()
    assert db.execute("SELECT action FROM audit_log WHERE record_id = 'T-GREEN' AND action = 'override'").fetchone()


def test_lists_export_as_csv(server, browser):
    base, _ = server
    page = browser.new_context(viewport=DESKTOP).new_page()
    log_in(page, base, "center-test")

    county = page.request.get(f"{base}/dashboard?region=350421&export=csv")
    village = page.request.get(f"{base}/dashboard?region={VILLAGE}&export=csv")

    assert county.headers["content-type"].startswith("text/csv")
    assert (
        county.text().lstrip("\ufeff").splitlines()[1]
        == "area,name,red,yellow,green,untiered,htn_registered,htn_controlled,dm_registered,dm_controlled"
    )
    assert any(line.startswith("T-RED,陈红,red,") for line in village.text().splitlines())


def test_pages_run_under_the_content_security_policy(server, browser):
    base, _ = server
    page = phone(browser).new_page()
    violations = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    log_in(page, base, "vd-test")
    page.goto(f"{base}/residents/T-RED")
    page.goto(f"{base}/")
    page.select_option("select[name=tier]", "red")  # an htmx swap of the rows
    page.wait_for_load_state("networkidle")

    assert violations == []
    assert all("红标" in row.inner_text() for row in page.locator("ul.tasks li").all())


def test_a_reminder_without_a_date_is_refused_beside_the_form(server, browser):
    base, db = server
    page = doctor_on_a_phone(browser, base)
    page.goto(f"{base}/residents/T-GREEN")
    before = db.execute("SELECT count(*) FROM task_outcomes").fetchone()

    page.select_option("#tasks form.outcome select[name=outcome] >> nth=0", "remind_later")
    page.click("#tasks form.outcome button[type=submit] >> nth=0")
    page.wait_for_selector("#tasks .field-error")

    assert "请填提醒日期" in page.locator("#tasks .field-error").inner_text()  # worded in the page's language
    assert db.execute("SELECT count(*) FROM task_outcomes").fetchone() == before


def test_reasons_read_as_sentences_in_the_chosen_language_with_local_dates(server, browser):
    base, _ = server
    page = doctor_on_a_phone(browser, base)

    page.goto(f"{base}/residents/T-RED?lang=zh-CN")
    chinese = page.locator("#tier .reasons li").first.inner_text()
    page.goto(f"{base}/residents/T-RED?lang=en")
    english = page.locator("#tier .reasons li").first.inner_text()

    assert re.fullmatch(r"血压危象：\d{1,2}月\d{1,2}日血压 186/112 mmHg（≥180/110）", chinese)
    assert re.fullmatch(r"BP 186/112 on \d{1,2} [A-Z][a-z]{2} >= 180/110", english)


def fits(page) -> None:
    """The page is no wider than a 360 px phone: nothing scrolls sideways."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"


def test_a_doctor_finds_a_patient_and_records_a_phone_visit_on_a_phone(server, browser):
    base, db = server
    page = doctor_on_a_phone(browser, base)
    page.click("header a[href='/patients']")
    page.fill("input[name=q]", "林黄")
    page.press("input[name=q]", "Enter")
    page.wait_for_load_state("networkidle")
    fits(page)
    shoot(page, "patients-360")
    page.click("ul.found a.who >> nth=0")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/residents/T-YELLOW")

    page.select_option("#visit-form select[name=mode]", "phone")
    page.fill("#visit-form input[name=sbp]", "132")
    page.fill("#visit-form input[name=dbp]", "84")
    page.click("#visit-form button[type=submit]")
    expect(page.locator("#visit-form input[name=sbp]")).to_have_value("")  # stored: a fresh form

    stored = db.execute(
        "SELECT mode, sbp FROM visits WHERE record_id = 'T-YELLOW' AND date = ? AND sbp = 132", [day(0)]
    ).fetchall()
    assert stored == [("phone", 132)]
    fits(page)


def test_a_doctor_registers_a_new_patient_on_a_phone(server, browser):
    base, db = server
    page = doctor_on_a_phone(browser, base)
    page.goto(f"{base}/patients")
    page.click("a[href='/residents/new']")
    page.wait_for_load_state("networkidle")
    fits(page)

    page.fill("input[name=name]", "郑新")
    page.select_option("select[name=sex]", "F")
    page.fill("input[name=birth_date]", "1961-05-20")
    page.fill("input[name=phone]", "abc")
    page.check("input[name=I10]")
    page.click("form.register-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "电话号码为7-20位数字" in page.locator("label.invalid").inner_text()  # Chinese, beside the phone
    fits(page)
    shoot(page, "register-360")

    page.fill("input[name=phone]", "13912345678")
    page.click("form.register-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert re.search(rf"/residents/S-{VILLAGE}-[0-9]{{4}}$", page.url), page.url
    assert "郑新" in page.locator("h1").inner_text()
    row = db.execute("SELECT sex, birth_date, phone FROM residents WHERE name = '郑新'").fetchone()
    assert row == ("F", "1961-05-20", "13912345678")


def test_no_page_is_wider_than_a_phone(server, browser):
    base, _ = server
    pages = {
        "vd-test": [
            "/",
            "/?show=ltfu",
            "/?lang=en",
            "/patients?q=林",
            "/residents/new",
            "/residents/T-RED",
            "/password",
        ],
        "gp-test": [  # a township GP's own list and the dashboard of their township
            "/",
            "/dashboard",
            f"/dashboard?region={VILLAGE}",
            "/dashboard?lang=en",
        ],
        "center-test": [
            "/dashboard",
            "/dashboard?region=350421100",
            f"/dashboard?region={VILLAGE}",
            "/dashboard?show=unassigned",
            "/audit",
            "/admin/users",
            "/patients?q=林",
            "/residents/T-GREEN",
            "/dashboard?lang=en",
            "/audit?lang=en",
            "/import",
            "/import/2",  # the batch of LONG_SOURCE, named in full
        ],
    }
    for username, paths in pages.items():
        page = phone(browser).new_page()
        log_in(page, base, username)
        lang = "zh-CN"
        for path in paths:
            response = page.goto(f"{base}{path}")
            assert response.ok, path
            lang = "en" if "lang=en" in path else lang  # a chosen language is remembered
            assert page.locator("html").get_attribute("lang") == lang, path
            fits(page)
            header = page.locator("header.top").bounding_box()
            assert header["width"] <= PHONE["width"]
        page.context.close()


def test_the_center_uploads_a_sheet_and_downloads_the_rows_to_fix(server, browser, tmp_path):
    base, db = server
    sheet = tmp_path / "随访表.csv"
    header = "档案编号,姓名,性别,出生日期,村编码,疾病,随访日期,随访方式,收缩压(mmHg),舒张压(mmHg)"
    rows = [f"UP-{n},上传{n},女,1960-01-0{n},{VILLAGE},高血压,2026/10/{n},门诊,13{n},8{n}" for n in range(1, 4)]
    rows.append(f"UP-9,上传9,男,1960-01-09,{VILLAGE},高血压,2026/10/9,门诊,abc,80")
    sheet.write_bytes("\n".join([header, *rows]).encode("gb18030"))
    for viewport, suffix in ((PHONE, "360"), (DESKTOP, "1280")):
        page = browser.new_context(viewport=viewport, accept_downloads=True).new_page()
        log_in(page, base, "center-test")
        page.goto(f"{base}/import")
        if viewport is PHONE:
            fits(page)
        page.set_input_files("input[name=data]", str(sheet))
        page.click("#upload button[type=submit]")
        page.wait_for_selector("#import-status .summary")
        status = page.locator("#import-status").inner_text()
        assert "接收 3 人" in status and "拒绝 1 人" in status and "第 5 行 · 收缩压：请填整数" in status
        if viewport is PHONE:
            fits(page)
        shoot(page, f"import-{suffix}")
        with page.expect_download() as download:
            page.click("#import-status a[href$='rejected.xlsx']")
        saved = tmp_path / f"rejected-{suffix}.xlsx"
        download.value.save_as(saved)
        assert load_workbook(saved).active["B2"].value == "UP-9"
        page.context.close()
    assert db.execute("SELECT count(*) FROM residents WHERE record_id LIKE 'UP-%'").fetchone() == (3,)


def test_the_dashboards_period_picker_works_on_a_phone_without_script(server, browser):
    """The picker is a plain form: a quarter chosen at 360 px with JavaScript off shows that quarter's
    figures by township and their total, in the page's language, without sideways scrolling."""
    base, _ = server
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    log_in(page, base, "center-test")
    page.goto(f"{base}/dashboard")
    quarter = page.locator("#period select[name=period] option[value*='Q']").first.get_attribute("value")

    page.select_option("#period select[name=period]", quarter)
    page.click("#period button[type=submit]")

    assert f"period={quarter}" in page.url
    assert page.locator("#period h2").inner_text().endswith("季度管理指标")
    assert page.locator("#period table.figures tr.total").count() == 1
    assert "青山镇" in page.locator("#period table.figures").inner_text()
    fits(page)
    page.goto(f"{base}/dashboard?period={quarter}&lang=en")
    assert page.locator("#period h2").inner_text().startswith("Figures for ")
    fits(page)
    context.close()
