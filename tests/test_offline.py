"""Offline visits on a village phone (CONTRACT §12, issue #17): Debian's chromium at 360 px against
`sanbiao serve` on 127.0.0.1 (a secure context: the service worker runs). The doctor's list and cards
open without network, forms made offline wait in the outbox and are each stored once when it is back."""

from __future__ import annotations

import sqlite3

import msgspec
import pytest
import test_ui_browser
from conftest import document, make_resident, make_visit
from playwright.sync_api import expect
from servers import start_server
from test_ui_browser import PASSWORD, SHOTS, TODAY, VILLAGE, day, no_horizontal_scroll, phone

from service.auth import Principal, Role, hash_password
from service.ingest import Ingestor
from service.reassess import Reassessor
from service.store import connect, migrate
from service.store.access import add_user
from service.visits import record_visit
from stratify.policy import Policy

pytestmark = pytest.mark.slow
browser = test_ui_browser.browser  # the fixture: Debian's chromium, one per module


DOCTOR, CENTER = "vd-offline", "center-offline"
VISIT_POSTS = "**/residents/OFF-RED/visits"
# visits made by the outbox: ids from the phone, ui-YYYYMMDD-<13 hex>-<8 hex> (the server's own end in 4 hex)
PHONE_IDS = "visit_id GLOB 'ui-[0-9]*-*-????????' AND visit_id <> 'v1'"


@pytest.fixture
def server(tmp_path):
    """Two residents of one village doctor, each with a follow-up due today or overdue (a county of
    each test's own: what one test records changes the list)."""
    db_path = tmp_path / "county.db"
    db = connect(db_path)
    migrate(db)
    residents = [
        make_resident(
            "OFF-RED",
            name="陈红",
            village_code=VILLAGE,
            family_doctor=DOCTOR,
            phone="13800000012",
            visits=[make_visit(visit_id="v1", date=day(-1), sbp=186, dbp=112, fasting_glucose=None)],
            events=[],
        ),
        make_resident(
            "OFF-YELLOW",
            name="林黄",
            village_code=VILLAGE,
            family_doctor=DOCTOR,
            visits=[make_visit(visit_id="v1", date=day(-60), sbp=146, dbp=92, fasting_glucose=None)],
            events=[],
        ),
    ]
    ingestor = Ingestor(db, today=TODAY, on_stored=Reassessor(db, Policy(), TODAY))
    ingestor.begin(origin="cli", source="test", filename=None, actor="test")
    ingestor.run(msgspec.json.encode(r) for r in document(*residents)["residents"])
    ingestor.end()
    password = hash_password(PASSWORD)
    add_user(db, username=DOCTOR, password_hash=password, role="village_doctor", region=VILLAGE, actor="test")
    add_user(db, username=CENTER, password_hash=password, role="center", region=VILLAGE[:6], actor="test")
    process, base = start_server(db_path, "--no-scheduler")
    yield base, db, db_path
    process.terminate()
    process.wait(timeout=10)
    db.close()


def sign_in(page, base: str, username: str = DOCTOR, landing: str = "/") -> None:
    """The login form, then the list (not "network idle": the outbox may be sending meanwhile)."""
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{landing}")


def online_once(browser, base: str):
    """A phone that signed in and opened its list online: the list and its cards are on the phone."""
    context = phone(browser)
    page = context.new_page()
    sign_in(page, base)
    page.wait_for_selector("#offline-saved:has-text('2')")
    return context, page


def offline_visit(page, sbp: str, dbp: str) -> None:
    """A visit recorded without a network: queued once the outbox lists one more item (the form's
    "queued" note alone may be the previous visit's)."""
    items = page.locator("#outbox li.item")
    before = items.count()
    page.fill("#visit-form input[name=sbp]", sbp)
    page.fill("#visit-form input[name=dbp]", dbp)
    page.evaluate("document.querySelector('#visit-form').noValidate = true")
    page.click("#visit-form button[type=submit]")
    page.wait_for_selector("#visit-form .queued")
    expect(items).to_have_count(before + 1)


def queued_on_card(browser, base: str, record_id: str, sbp: str):
    """A phone that went online once, opened a card, lost the network and recorded a visit there."""
    context, page = online_once(browser, base)
    page.goto(f"{base}/residents/{record_id}")
    context.set_offline(True)
    offline_visit(page, sbp, "80")
    return context, page


def queued(page) -> list[str]:
    """The phone-made ids of the outbox's items, as listed."""
    return page.eval_on_selector_all("#outbox li.item", "rows => rows.map(r => r.dataset.id)")


def send_now(page) -> None:
    """The network is back for the visit form's posts: the doctor taps "send now"."""
    page.unroute(VISIT_POSTS)
    page.click("#outbox button.send")
    page.wait_for_selector("#outbox .count:has-text('1 条已上传')")


def pending(page) -> str:
    return page.locator("#outbox .count").inner_text()


def phone_visits(db, record_id: str) -> list[tuple]:
    return db.execute(f"SELECT visit_id, sbp FROM visits WHERE record_id = ? AND {PHONE_IDS}", [record_id]).fetchall()


def test_visits_and_an_outcome_made_offline_are_each_stored_once(server, browser):
    base, db, _ = server
    context, page = online_once(browser, base)
    context.set_offline(True)

    page.goto(f"{base}/")
    assert "离线：显示的是" in page.locator("p.stale").inner_text()  # the list from the phone, marked so
    page.click("a.who:has-text('林黄')")
    page.wait_for_selector("#visit-form")
    assert "/residents/OFF-YELLOW" in page.url and page.locator("p.stale").count() == 1
    page.select_option("#tasks form.outcome select[name=outcome]", "unreachable")
    page.click("#tasks form.outcome button[type=submit]")
    page.wait_for_selector("#tasks form.outcome .queued")
    offline_visit(page, "138", "86")
    offline_visit(page, "132", "82")
    assert pending(page) == "3 条待上传"
    assert no_horizontal_scroll(page)  # the outbox fits a phone
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / "offline-360.png"))  # the screen, not the whole card: the outbox
    assert page.locator("#outbox li.item").count() == 3
    ids = queued(page)
    assert phone_visits(db, "OFF-YELLOW") == []  # nothing reached the server

    context.set_offline(False)  # the browser's `online` event sends the outbox

    page.wait_for_selector("#outbox .count:has-text('3 条已上传')")
    assert page.locator("#outbox li.item").count() == 0
    assert sorted(phone_visits(db, "OFF-YELLOW")) == sorted([(ids[1], 138), (ids[2], 132)])
    assert ids[1] < ids[2]  # the day's second visit sorts after the first: it is the latest reading
    outcomes = "SELECT outcome, client_id FROM task_outcomes WHERE client_id = ?"
    assert db.execute(outcomes, [ids[0]]).fetchall() == [("unreachable", ids[0])]
    context.close()


def test_a_visit_the_server_refuses_stays_with_its_message_until_fixed(server, browser):
    base, db, _ = server
    context, page = queued_on_card(browser, base, "OFF-RED", "400")  # SBP above 300: the server refuses it

    context.set_offline(False)

    refused = page.locator("#outbox li.item.rejected")
    refused.wait_for()
    assert "不能大于 300" in refused.inner_text() and "未被接收" in refused.inner_text()
    page.reload()  # still there on the next page
    assert "不能大于 300" in page.locator("#outbox li.item.rejected").inner_text()
    assert pending(page) == "1 条待上传"
    assert phone_visits(db, "OFF-RED") == []

    page.click("#outbox a.fix")
    expect(page.locator("#visit-form input[name=sbp]")).to_have_value("400")
    page.fill("#visit-form input[name=sbp]", "160")
    page.click("#visit-form button[type=submit]")
    expect(page.locator("#visit-form input[name=sbp]")).to_have_value("")  # stored: a fresh form
    expect(page.locator("#outbox")).to_be_hidden()
    assert [sbp for _, sbp in phone_visits(db, "OFF-RED")] == [160]
    context.close()


def test_other_content_stored_under_the_phone_id_is_shown_until_discarded(server, browser):
    base, db, _ = server
    context, page = queued_on_card(browser, base, "OFF-YELLOW", "144")
    [item] = queued(page)
    doctor = Principal(DOCTOR, Role.VILLAGE_DOCTOR, VILLAGE, "session")
    record_visit(
        db, Policy(), doctor, "OFF-YELLOW", {"visit_id": item, "date": TODAY.isoformat(), "sbp": 150, "dbp": 90}, TODAY
    )

    context.set_offline(False)

    refused = page.locator("#outbox li.item.rejected")
    refused.wait_for()
    assert "同一编号已保存了不同的内容" in refused.inner_text()  # the server's 409, in the page's words
    page.click("#outbox button.discard")
    expect(page.locator("#outbox")).to_be_hidden()
    assert page.evaluate(SAVED)["outbox"] == 0
    assert phone_visits(db, "OFF-YELLOW") == [(item, 150)]  # the first content stays, once
    context.close()


def test_an_expired_session_keeps_the_queue_until_the_doctor_signs_in(server, browser):
    base, db, db_path = server
    context, page = queued_on_card(browser, base, "OFF-YELLOW", "128")
    [item] = queued(page)
    with sqlite3.connect(f"{db_path}.sessions.db") as sessions:
        sessions.execute("DELETE FROM entries")  # the session ends on the server meanwhile

    context.set_offline(False)

    page.wait_for_selector("#outbox li.item.login")
    assert "请重新登录" in page.locator("#outbox").inner_text()
    assert db.execute("SELECT count(*) FROM visits WHERE visit_id = ?", [item]).fetchone() == (0,)
    sign_in(page, base)
    page.wait_for_selector("#outbox .count:has-text('1 条已上传')")
    assert db.execute("SELECT count(*) FROM visits WHERE visit_id = ?", [item]).fetchone() == (1,)
    context.close()


CONTROLLED = """() => navigator.serviceWorker.controller ? true : new Promise(resolve =>
  navigator.serviceWorker.addEventListener('controllerchange', () => resolve(true)))"""
SAVED = """async () => {
  const cards = [];
  for (const name of await caches.keys()) {
    for (const request of await (await caches.open(name)).keys()) cards.push(new URL(request.url).pathname);
  }
  const { createStore, keys } = await import('/static/vendor/idb-keyval.js');
  const outbox = await keys(createStore('sanbiao-outbox', 'items'));
  return { cards: cards.filter(path => path.startsWith('/residents/')), outbox: outbox.length };
}"""


def test_sign_out_sends_the_outbox_then_clears_the_phone(server, browser):
    base, _, _ = server
    context, page = queued_on_card(browser, base, "OFF-YELLOW", "126")
    assert sorted(page.evaluate(SAVED)["cards"]) == ["/residents/OFF-RED", "/residents/OFF-YELLOW"]
    page.once("dialog", lambda dialog: dialog.dismiss())  # offline: it cannot be sent; keep it

    page.click("header form.inline button[type=submit]")

    page.wait_for_timeout(500)
    assert pending(page) == "1 条待上传" and page.evaluate(SAVED)["outbox"] == 1
    context.set_offline(False)
    page.wait_for_selector("#outbox .count:has-text('1 条已上传')")
    page.click("header form.inline button[type=submit]")
    page.wait_for_url(f"{base}/login")
    assert page.evaluate(SAVED) == {"cards": [], "outbox": 0}
    context.close()


def test_nothing_of_the_center_staff_is_kept_on_the_phone(server, browser):
    base, _, _ = server
    context = phone(browser)
    page = context.new_page()
    sign_in(page, base, CENTER, landing="/dashboard")
    assert page.evaluate(CONTROLLED)  # the worker runs for them too (the app shell)
    page.goto(f"{base}/residents/OFF-RED")  # a card read online, on no list of theirs
    page.goto(f"{base}/dashboard")
    page.wait_for_timeout(500)

    assert page.evaluate(SAVED) == {"cards": [], "outbox": 0}
    assert page.evaluate("caches.has('sanbiao-pages')") is False
    context.close()


def test_send_now_sends_what_a_failed_attempt_left(server, browser):
    base, db, _ = server
    context, page = queued_on_card(browser, base, "OFF-RED", "150")
    [item] = queued(page)
    page.route(VISIT_POSTS, lambda route: route.abort("internetdisconnected"))

    with page.expect_request(VISIT_POSTS):
        context.set_offline(False)  # the `online` event sends; the post finds no network on the way
    page.wait_for_selector("#outbox li.item.waiting")

    assert pending(page) == "1 条待上传" and phone_visits(db, "OFF-RED") == []
    send_now(page)
    assert phone_visits(db, "OFF-RED") == [(item, 150)]
    context.close()


def test_a_form_whose_post_finds_no_network_is_kept_under_the_id_it_was_sent_with(server, browser):
    base, db, _ = server
    context, page = online_once(browser, base)
    page.goto(f"{base}/residents/OFF-RED")
    page.route(VISIT_POSTS, lambda route: route.abort("internetdisconnected"))

    with page.expect_request(VISIT_POSTS) as attempt:
        offline_visit(page, "152", "88")  # the phone thinks it is online: htmx posts, and fails

    [item] = queued(page)
    assert f"visit_id={item}" in attempt.value.post_data
    send_now(page)
    assert phone_visits(db, "OFF-RED") == [(item, 152)]
    context.close()


def test_the_list_again_within_half_an_hour_reads_no_card_again(server, browser):
    base, db, _ = server
    card_reads = "SELECT count(*) FROM audit_log WHERE action = 'read_card'"
    context, page = online_once(browser, base)
    assert db.execute(card_reads).fetchone() == (2,)  # saving the cards read them: audited

    page.goto(f"{base}/")
    page.wait_for_selector("#offline-saved:has-text('2')")

    assert db.execute(card_reads).fetchone() == (2,)
    context.close()
