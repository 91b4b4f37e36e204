"""Logging in and out through the real app: sessions, CSRF, lockout after failures, disabled logins."""

from __future__ import annotations

import time

import msgspec
import pytest
from conftest import PASSWORD, add_login, csrf, log_in
from litestar.testing import TestClient

from service.auth import ADDRESS_FAILURES, LOCK_AFTER_FAILURES
from ui.app import create_app


@pytest.fixture
def browser(settings, db):
    add_login(db, "wang")
    with TestClient(create_app(settings)) as client:
        yield client, db


def test_a_good_login_starts_a_session_and_logout_ends_it(browser):
    client, db = browser

    response = log_in(client, "wang", PASSWORD)
    home = client.get("/", follow_redirects=False)
    client.post("/logout", data={"_csrf_token": csrf(client)})
    after = client.get("/", follow_redirects=False)

    assert (response.status_code, response.headers["location"]) == (303, "/")
    assert home.status_code == 200
    assert after.status_code == 302 and after.headers["location"].startswith("/login")
    assert db.execute("SELECT action FROM audit_log WHERE actor = 'wang'").fetchall() == [("login",)]


def test_a_form_post_without_the_csrf_token_is_refused(browser):
    client, _ = browser

    response = client.post("/login", data={"username": "wang", "password": PASSWORD}, follow_redirects=False)

    assert response.status_code == 403


def test_a_wrong_password_is_a_401_with_the_form_again(browser):
    client, _ = browser

    response = log_in(client, "wang", "not the password")

    assert response.status_code == 401
    assert "用户名或密码不正确" in response.text
    assert 'value="wang"' in response.text


def test_repeated_failures_lock_the_login_even_for_the_right_password(browser):
    client, db = browser
    for _ in range(LOCK_AFTER_FAILURES):
        assert log_in(client, "wang", "guess").status_code == 401

    locked = log_in(client, "wang", PASSWORD)

    assert locked.status_code == 429
    assert "失败次数过多" in locked.text
    assert db.execute("SELECT locked_until FROM users WHERE username = 'wang'").fetchone()[0] is not None
    failures = db.execute("SELECT count(*) FROM audit_log WHERE action = 'login_failed'").fetchone()[0]
    assert failures == LOCK_AFTER_FAILURES


def test_a_success_resets_the_failure_count(browser):
    client, db = browser
    for _ in range(LOCK_AFTER_FAILURES - 1):
        log_in(client, "wang", "guess")

    assert log_in(client, "wang", PASSWORD).status_code == 303
    assert db.execute("SELECT failed_logins FROM users WHERE username = 'wang'").fetchone() == (0,)


def test_one_address_guessing_many_usernames_must_wait(browser):
    client, _ = browser
    for n in range(ADDRESS_FAILURES):
        assert log_in(client, f"nobody{n}", "guess").status_code == 401

    assert log_in(client, "wang", PASSWORD).status_code == 429


def test_a_disabled_login_loses_its_session_at_once(browser):
    client, db = browser
    log_in(client, "wang", PASSWORD)
    with db.atomic():
        db.execute("UPDATE users SET disabled = 1 WHERE username = 'wang'")

    assert client.get("/", follow_redirects=False).status_code == 302
    assert client.get("/api/v1/followups").status_code == 401


@pytest.mark.slow  # waits for the session to run out
def test_a_session_expires_and_the_user_signs_in_again(settings, db):
    add_login(db, "wang")
    short = msgspec.structs.replace(settings, session_minutes=0.03)  # 1.8 seconds
    with TestClient(create_app(short)) as client:
        log_in(client, "wang", PASSWORD)
        before = client.get("/", follow_redirects=False)
        time.sleep(2.5)
        after = client.get("/", follow_redirects=False)

    assert before.status_code == 200
    assert after.status_code == 302 and after.headers["location"].startswith("/login")


@pytest.mark.parametrize("secure", [True, False])
def test_cookies_are_http_only_and_secure_behind_an_https_proxy(settings, db, secure):
    add_login(db, "wang")
    app = create_app(msgspec.structs.replace(settings, secure_cookies=secure))
    with TestClient(app, base_url="https://sanbiao.example") as client:
        form = client.get("/login")
        login = log_in(client, "wang", PASSWORD)
        home = client.get("/", follow_redirects=False)

    csrf_cookie = form.headers["set-cookie"]
    session_cookie = next(c for c in login.headers.get_list("set-cookie") if c.startswith("session="))
    assert home.status_code == 200
    assert ("; secure" in csrf_cookie.lower()) is secure
    assert ("; secure" in session_cookie.lower()) is secure
    assert "httponly" in session_cookie.lower() and "samesite=lax" in session_cookie.lower()


def test_a_sign_in_gets_a_session_id_of_its_own(browser, settings):
    """Session fixation: an id planted in a browser (a shared clinic computer) before someone signs in
    there must not become their session; a second sign-in on the same browser renews the id too."""
    browser, _ = browser
    planted = "a" * 64
    browser.cookies.set("session", planted, domain="testserver.local", path="/")

    log_in(browser, "wang", PASSWORD)

    issued = browser.cookies.get("session")
    assert issued and issued != planted
    assert browser.get("/", follow_redirects=False).status_code == 200
    with TestClient(create_app(settings)) as attacker:
        attacker.cookies.set("session", planted, domain="testserver.local", path="/")
        assert attacker.get("/", follow_redirects=False).headers["location"].startswith("/login")

    log_in(browser, "wang", PASSWORD)
    renewed = browser.cookies.get("session")
    assert renewed not in (issued, planted)
    with TestClient(create_app(settings)) as old_cookie:
        old_cookie.cookies.set("session", issued, domain="testserver.local", path="/")
        assert old_cookie.get("/", follow_redirects=False).headers["location"].startswith("/login")
