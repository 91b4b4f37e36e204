"""What a phone fetches to work offline (CONTRACT §12): the service worker at the root, the manifest,
the outbox's words in the page's language, and a fresh CSRF token that the outbox can send with.
The worker and the outbox at work, in a browser: test_offline.py."""

from __future__ import annotations

import json
import re

import pytest
from conftest import PASSWORD, add_login, document, log_in, make_resident

from ui.i18n import MESSAGES

RECORD = "3504210001"


@pytest.fixture
def doctor(client, db, ingest):
    client.post("/api/v1/records", json=document(make_resident(RECORD)), headers=ingest)
    add_login(db, "wang")
    log_in(client, "wang", PASSWORD)
    return client


def test_the_worker_is_served_at_the_root_to_anyone_and_checked_each_time(client):
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "no-cache"
    assert 'const PAGES = "sanbiao-pages"' in response.text


def test_the_manifest_makes_the_list_installable(client):
    response = client.get("/manifest.webmanifest")
    manifest = response.json()

    assert response.headers["content-type"].startswith("application/manifest+json")
    assert response.headers["cache-control"] == "no-cache"
    assert (manifest["start_url"], manifest["display"], manifest["name"]) == ("/", "standalone", "三标 慢病分级管理")
    assert [client.get(icon["src"]).status_code for icon in manifest["icons"]] == [200, 200, 200]


def test_pages_link_the_manifest_and_carry_the_outbox_words_in_their_language(doctor):
    page = doctor.get("/?lang=en").text
    words = json.loads(re.search(r'<script type="application/json" id="offline-words">(.*?)</script>', page).group(1))

    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert 'data-user="wang"' in page
    assert words["outbox_pending"] == "{n} waiting to be sent"
    assert words["offline_stale"] == "Offline: showing what was saved at {time}"
    assert set(words) <= set(MESSAGES)


def test_the_outbox_token_needs_a_session(client):
    response = client.get("/outbox/token", follow_redirects=False)

    assert response.status_code in (302, 303) and response.headers["location"].startswith("/login")


def test_the_outbox_sends_with_a_token_taken_at_send_time(doctor, db):
    token = doctor.get("/outbox/token").json()
    form = {"visit_id": "phone-0001", "date": "2026-10-20", "mode": "home", "sbp": "150", "dbp": "95"}

    response = doctor.post(
        f"/residents/{RECORD}/visits", data=form, headers={"x-csrftoken": token["csrf"], "hx-request": "true"}
    )

    assert token["user"] == "wang"
    assert response.status_code == 200  # the card's status part, as htmx would get it
    assert db.execute("SELECT mode FROM visits WHERE visit_id = 'phone-0001'").fetchall() == [("home",)]
