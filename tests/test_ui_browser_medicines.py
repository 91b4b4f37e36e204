"""Medicines on the visit form in a real browser (Debian's chromium against `sanbiao serve`) on a 360 px
phone: a medicine's dose changed and one added in one visit, then one stopped at the next (issue #16)."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest
from conftest import document, make_resident, make_visit
from playwright.sync_api import expect
from servers import start_server
from test_ui_browser import PASSWORD, TODAY, log_in, no_horizontal_scroll, phone, shoot
from test_ui_browser import browser as chromium  # noqa: F401  (the fixture: Debian's chromium, once per module)

from service.auth import hash_password
from service.ingest import Ingestor
from service.reassess import Reassessor
from service.store import connect, migrate
from service.store.access import add_user
from stratify.policy import Policy

pytestmark = pytest.mark.slow

VILLAGE = "350421100201"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("meds") / "county.db"
    db = connect(db_path)
    migrate(db)
    earlier = (TODAY - dt.timedelta(days=60)).isoformat()
    amlodipine = [{"drug": "amlodipine", "daily_dose_mg": 5}]
    resident = make_resident(
        "T-MEDS",
        name="李药",
        village_code=VILLAGE,
        events=[],
        visits=[make_visit(visit_id="v1", date=earlier, sbp=158, dbp=96, fasting_glucose=None, medications=amlodipine)],
    )
    ingestor = Ingestor(db, today=TODAY, on_stored=Reassessor(db, Policy(), TODAY))
    ingestor.begin(origin="cli", source="test", filename=None, actor="test")
    ingestor.run(msgspec.json.encode(r) for r in document(resident)["residents"])
    assert ingestor.end().accepted == 1
    add_user(
        db,
        username="vd-meds",
        password_hash=hash_password(PASSWORD),
        role="village_doctor",
        region=VILLAGE,
        actor="test",
    )
    process, base = start_server(db_path, "--no-scheduler")
    yield base, db
    process.terminate()
    process.wait(timeout=10)
    db.close()


def save_visit(page, day: dt.date, sbp: str, dbp: str) -> None:
    """A visit on its own day: two on one day are ordered by the phone's random visit ids (CONTRACT §12)."""
    page.fill("#visit-form input[name=date]", day.isoformat())
    page.fill("#visit-form input[name=sbp]", sbp)
    page.fill("#visit-form input[name=dbp]", dbp)
    page.click("#visit-form button[type=submit]")
    expect(page.locator("#visit-form input[name=sbp]")).to_have_value("")  # stored: a fresh form


def medicines(page) -> str:
    return page.locator("#current-medicines").inner_text()


def test_a_doctor_changes_adds_and_stops_medicines_on_a_phone(server, chromium):  # noqa: F811 (a fixture)
    base, db = server
    page = phone(chromium).new_page()
    log_in(page, base, "vd-meds")
    page.goto(f"{base}/residents/T-MEDS")
    assert "氨氯地平 5 mg" in medicines(page)
    assert page.input_value("#visit-form .med-row input[name=med_dose]") == "5"  # the last list, pre-filled

    page.fill("#visit-form .med-row input[name=med_dose]", "10")  # change a dose
    page.select_option("#visit-form select[name=add_drug]", "losartan")  # add one from the formulary
    page.fill("#visit-form input[name=add_dose]", "50")
    assert no_horizontal_scroll(page)
    shoot(page, "visit-medicines-360")
    save_visit(page, TODAY - dt.timedelta(days=1), "150", "92")

    assert "氨氯地平 10 mg" in medicines(page) and "氯沙坦 50 mg" in medicines(page)
    assert page.locator("#visit-form .med-row").count() == 2  # the new list, pre-filled for the next visit

    page.locator("#visit-form .med-row", has_text="氯沙坦").locator("input[name=med_stop]").check()  # stop one
    save_visit(page, TODAY, "138", "86")

    assert "氨氯地平 10 mg" in medicines(page) and "氯沙坦" not in medicines(page)
    page.click("#treatment summary")  # the history opens with a tap
    history = page.locator("#medicine-history").inner_text()
    assert "氯沙坦 · 停用" in history and "氨氯地平 · 调整剂量 5 mg → 10 mg" in history
    assert no_horizontal_scroll(page)
    shoot(page, "card-medicines-360")
    lists = [
        row[0]
        for row in db.execute("SELECT medications FROM visits WHERE record_id = 'T-MEDS' ORDER BY date, visit_id")
    ]
    assert [msgspec.json.decode(text) for text in lists][-1] == [{"drug": "amlodipine", "daily_dose_mg": 10}]
