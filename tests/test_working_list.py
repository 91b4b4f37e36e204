"""The doctor's working list (CONTRACT §10) through the real app: one row per resident, urgent first,
lost to follow-up split at `ltfu_days`, old imported referrals not chased, full numbers and audited
call links for the doctors of the area, and the dashboard's LTFU and unassigned counts."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
from conftest import PASSWORD, VILLAGE, add_login, api_key, document, log_in, make_resident, make_visit
from litestar.testing import TestClient

from service.jobs import run_nightly
from service.settings import Settings
from stratify.policy import Policy
from ui.app import create_app

TODAY = Settings().today()
OTHER_VILLAGE = "350421102201"
STROKE = {"event_id": "e", "date": (TODAY - dt.timedelta(days=30)).isoformat(), "type": "stroke"}  # red for 90 days


def day(n: int) -> str:
    return (TODAY + dt.timedelta(days=n)).isoformat()


def resident(record_id: str, *, days_ago: int, sbp: int, dbp: int, **extra) -> dict:
    visit = make_visit(visit_id=f"{record_id}-v", date=day(-days_ago), sbp=sbp, dbp=dbp, fasting_glucose=None)
    return make_resident(record_id, **{"visits": [visit], "events": [], "phone": "138 0000 0001", **extra})


def post(client: TestClient, db, *residents: dict) -> None:
    answer = client.post("/api/v1/records", json=document(*residents), headers=api_key(db, "ingest"))
    assert answer.json()["accepted"] == len(residents), answer.text


def set_due(db, record_id: str, overdue_days: int) -> None:
    """Make every open task of a resident this many days overdue (as imported history leaves them)."""
    db.execute("UPDATE tasks SET due = ? WHERE record_id = ? AND status = 'open'", [day(-overdue_days), record_id])
    db.conn.commit()


def open_kinds(db, record_id: str) -> list[str]:
    rows = db.execute("SELECT kind FROM tasks WHERE record_id = ? AND status = 'open' ORDER BY kind", [record_id])
    return [kind for (kind,) in rows]


def listed(client: TestClient, **params: str) -> list[str]:
    """The record_ids of the API's working list, in order (the area's unless mine is asked for)."""
    answer = client.get("/api/v1/followups/today", params={"mine": "false", **params})
    assert answer.status_code == 200, answer.text
    return [item["record_id"] for item in answer.json()["items"]]


def page_rows(client: TestClient, query: str = "") -> list[str]:
    return re.findall(r'<a href="/residents/([\w-]+)" class="who">', client.get(f"/{query}").text)


def call(client: TestClient, record_id: str):
    """GET a call link without httpx's redirect handling, which cannot parse a `tel:` Location."""
    response = client._transport.handle_request(client.build_request("GET", f"/residents/{record_id}/call"))
    response.read()
    return response


@pytest.fixture
def doctor(client, db):
    add_login(db, "wang")
    log_in(client, "wang", PASSWORD)
    return client


def test_a_resident_with_several_tasks_is_one_row_with_all_of_them(doctor, db):
    post(doctor, db, resident("LONG-UNSEEN", days_ago=200, sbp=150, dbp=95))  # a GP review and a recall
    assert len(open_kinds(db, "LONG-UNSEEN")) == 2
    set_due(db, "LONG-UNSEEN", 3)

    [item] = doctor.get("/api/v1/followups/today", params={"mine": "false"}).json()["items"]

    assert item["record_id"] == "LONG-UNSEEN" and sorted(t["kind"] for t in item["tasks"]) == open_kinds(
        db, "LONG-UNSEEN"
    )
    assert page_rows(doctor) == ["LONG-UNSEEN"]
    assert doctor.get("/").text.count('class="what"') == 2  # both tasks on its row


@pytest.mark.parametrize(
    ("ltfu_days", "expected"),
    [
        (365, ["URGENT", "LATE-YELLOW"]),  # the 1,000-day-old task is lost to follow-up: off the daily list
        (2000, ["URGENT", "ANCIENT", "LATE-YELLOW"]),  # a county that keeps it: still after the urgent one
    ],
)
def test_an_urgent_referral_comes_before_any_old_task(settings, db, tmp_path, ltfu_days, expected):
    policy = tmp_path / "policy.toml"
    policy.write_text(f"ltfu_days = {ltfu_days}\n")
    with TestClient(create_app(Settings(db_path=settings.db_path, config_path=policy, scheduler=False))) as client:
        post(
            client,
            db,
            resident(
                "ANCIENT", days_ago=20, sbp=150, dbp=95, events=[{"event_id": "e", "date": day(-30), "type": "stroke"}]
            ),
            resident("LATE-YELLOW", days_ago=10, sbp=150, dbp=95),
            resident("URGENT", days_ago=0, sbp=186, dbp=112),
        )
        set_due(db, "ANCIENT", 1000)
        set_due(db, "LATE-YELLOW", 40)
        add_login(db, "wang")
        log_in(client, "wang", PASSWORD)

        assert listed(client) == expected
        assert page_rows(client) == expected
        assert "紧急 1" in client.get("/").text


@pytest.mark.parametrize(
    ("overdue", "lost"),
    [
        (364, False),
        (365, False),  # CONTRACT §10: *more than* ltfu_days overdue
        (366, True),
    ],
)
def test_lost_to_follow_up_is_split_at_ltfu_days(doctor, db, overdue, lost):
    post(doctor, db, resident("SOMEONE", days_ago=20, sbp=150, dbp=95), resident("TODAY", days_ago=0, sbp=150, dbp=95))
    set_due(db, "SOMEONE", overdue)
    set_due(db, "TODAY", 0)

    assert ("SOMEONE" in listed(doctor)) is not lost
    assert ("SOMEONE" in listed(doctor, ltfu="true")) is lost
    assert doctor.get("/api/v1/followups/today", params={"mine": "false"}).json()["ltfu"] == int(lost)
    assert ("SOMEONE" in page_rows(doctor, "?show=ltfu")) is lost
    assert ("失访 1" in doctor.get("/").text) is lost  # the count on the list, linking to ?show=ltfu


def test_an_urgent_referral_keeps_a_resident_with_an_old_task_on_the_daily_list(doctor, db):
    post(doctor, db, resident("CRISIS", days_ago=0, sbp=186, dbp=112))
    db.execute(  # an old recall of theirs, lost to follow-up on its own
        "INSERT INTO tasks (record_id, kind, tier, owner_level, village_code, status, created_on, due) "
        "VALUES ('CRISIS', 'recall', 'red', 'village', ?, 'open', ?, ?)",
        [VILLAGE, day(-500), day(-500)],
    )
    db.conn.commit()

    assert listed(doctor) == ["CRISIS"]
    assert listed(doctor, ltfu="true") == []


@pytest.mark.parametrize(("referral_days_ago", "chased"), [(20, True), (400, False)])
def test_an_imported_referral_is_chased_only_when_recent(doctor, db, referral_days_ago, chased):
    referred = make_visit(
        visit_id="r", date=day(-referral_days_ago), sbp=150, dbp=95, fasting_glucose=None, referral="routine"
    )
    post(doctor, db, make_resident("REFERRED", visits=[referred], events=[]))

    assert ("referral_outcome" in open_kinds(db, "REFERRED")) is chased


def test_doctors_of_the_area_see_the_number_and_their_calls_are_audited(doctor, db):
    post(doctor, db, resident("CALL-ME", days_ago=0, sbp=186, dbp=112, national_id="350421195603021238"))

    card = doctor.get("/residents/CALL-ME").text
    assert "138 0000 0001" in card and 'href="/residents/CALL-ME/call"' in card
    assert "350421195603021238" not in card  # the national id stays the family doctor's
    called = call(doctor, "CALL-ME")
    assert (called.status_code, called.headers["location"]) == (303, "tel:13800000001")
    audit = db.execute("SELECT actor, action FROM audit_log WHERE record_id = 'CALL-ME' AND action = 'call'")
    assert audit.fetchall() == [("wang", "call")]


@pytest.mark.parametrize(
    ("username", "role", "region", "status"),
    [
        ("center1", "center", "350421", 403),  # the center sees numbers masked and has no call link
        ("far", "village_doctor", OTHER_VILLAGE, 403),  # outside the doctor's area
    ],
)
def test_others_get_a_masked_number_and_no_call(client, db, username, role, region, status):
    post(client, db, resident("CALL-ME", days_ago=0, sbp=186, dbp=112))
    add_login(db, username, role=role, region=region)
    log_in(client, username, PASSWORD)

    assert call(client, "CALL-ME").status_code == status
    if role == "center":
        card = client.get("/residents/CALL-ME").text
        assert re.search(r"138\*+01", card) and "/call" not in card
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'call'").fetchone()[0] == 0


def test_the_dashboard_counts_the_lost_and_lists_the_tasks_nobody_holds(client, db, settings):
    # uncontrolled at a visit 400 days ago: a re-check due 386 days ago, which the nightly run keeps
    post(client, db, resident("LOST", days_ago=400, sbp=150, dbp=95), resident("FRESH", days_ago=0, sbp=150, dbp=95))
    run_nightly(db, Policy(), TODAY, trigger="test", workers=1)
    assert db.execute("SELECT min(due) FROM tasks WHERE record_id = 'LOST' AND status = 'open'").fetchone() == (
        day(-386),
    )
    add_login(db, "center1", role="center", region="350421")
    log_in(client, "center1", PASSWORD)

    board = client.get("/dashboard").text
    nobody = db.execute("SELECT count(*) FROM tasks WHERE status = 'open' AND assignee IS NULL").fetchone()[0]

    assert "失访 1 人" in board
    assert nobody > 0 and f"{nobody} 项随访任务无人负责" in board
    detail = client.get("/dashboard", params={"show": "unassigned"}).text
    assert re.search(rf"{VILLAGE}.*?乡镇全科医生</td><td>\d+</td>", detail, re.S)  # no township GP login


def test_a_long_list_is_paged_and_counted_up_to_the_cap(doctor, db, monkeypatch):
    post(doctor, db, *(resident(f"P-{i}", days_ago=200, sbp=150, dbp=95) for i in range(5)))
    for i in range(5):
        set_due(db, f"P-{i}", 3 + i)  # P-4 the most overdue
    whole = doctor.get("/api/v1/followups/today", params={"mine": "false"}).json()
    assert whole["complete"] is True and whole["next_cursor"] is None
    assert [item["record_id"] for item in whole["items"]] == [f"P-{i}" for i in (4, 3, 2, 1, 0)]
    assert "今日 5 人" in doctor.get("/").text

    first = doctor.get("/api/v1/followups/today", params={"mine": "false", "limit": 2}).json()
    second = doctor.get(
        "/api/v1/followups/today", params={"mine": "false", "limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert [i["record_id"] for i in first["items"] + second["items"]] == ["P-4", "P-3", "P-2", "P-1"]
    assert doctor.get("/api/v1/followups/today", params={"cursor": "nonsense"}).status_code == 400

    monkeypatch.setattr("service.today.COUNT_CAP", 3)  # more residents due than a list counts
    monkeypatch.setattr("ui.views.today.PAGE_ROWS", 2)
    capped = doctor.get("/api/v1/followups/today", params={"mine": "false", "limit": 2}).json()
    assert capped["complete"] is False and [i["record_id"] for i in capped["items"]] == ["P-4", "P-3"]
    assert "今日 3+ 人" in doctor.get("/").text


def set_task(db, record_id: str, kind: str, *, tier: str, overdue_days: int) -> None:
    rank = {"red": 0, "yellow": 1, "green": 2}[tier]
    db.execute(
        "UPDATE tasks SET tier = ?, tier_rank = ?, due = ? WHERE record_id = ? AND kind = ? AND status = 'open'",
        [tier, rank, day(-overdue_days), record_id, kind],
    )
    db.conn.commit()


def test_a_row_is_placed_and_described_by_its_most_pressing_task(doctor, db):
    post(doctor, db, resident("A", days_ago=200, sbp=150, dbp=95), resident("B", days_ago=200, sbp=150, dbp=95))
    set_task(db, "A", "recheck", tier="red", overdue_days=0)  # red, due today
    set_task(db, "A", "recall", tier="yellow", overdue_days=30)  # and a yellow task a month late
    set_task(db, "B", "recheck", tier="red", overdue_days=5)
    set_task(db, "B", "recall", tier="red", overdue_days=5)

    items = doctor.get("/api/v1/followups/today", params={"mine": "false"}).json()["items"]

    assert [i["record_id"] for i in items] == ["B", "A"]  # both red: B's red task is the more overdue
    a = items[1]
    assert (a["tier"], a["overdue_days"]) == ("red", 0)  # what places the row is what the row says
    assert [(t["kind"], t["tier"]) for t in a["tasks"]] == [("recheck", "red"), ("recall", "yellow")]


def test_a_doctors_own_list_carries_over_beyond_capacity_and_exports_whole(client, db, monkeypatch):
    add_login(db, "wang")  # before the records: their tasks are his at once
    post(client, db, *(resident(f"M-{i:02d}", days_ago=200, sbp=150, dbp=95, family_doctor="wang") for i in range(20)))
    for i in range(20):
        set_due(db, f"M-{i:02d}", 3 + i)
    log_in(client, "wang", PASSWORD)
    capacity = Policy().daily_capacity

    mine = client.get("/api/v1/followups/today").json()
    assert (len(mine["items"]), mine["carried_over"], mine["complete"]) == (capacity, 20 - capacity, True)
    assert f"另有 {20 - capacity} 项顺延到明天" in client.get("/?show=mine").text
    exported = client.get("/?show=mine&export=csv").text
    assert all(f"M-{i:02d}," in exported for i in range(20))  # the whole list, what carries over included

    monkeypatch.setattr("service.today.COUNT_CAP", capacity + 1)  # fewer counted than are due
    monkeypatch.setattr("ui.views.today.PAGE_ROWS", 2)
    last_page = client.get("/", params={"show": "mine", "start": capacity - 1}).text  # under the last page
    assert re.search(r"另有 \d+\+ 项顺延到明天", last_page)  # at least that many: not all were counted
    assert client.get("/api/v1/followups/today", params={"limit": 2}).json()["complete"] is False


def test_a_cursor_this_api_did_not_give_is_a_400(doctor):
    negative = base64.urlsafe_b64encode(b'{"start":-5}').decode()
    assert doctor.get("/api/v1/followups/today", params={"cursor": negative}).status_code == 400
