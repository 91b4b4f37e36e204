"""The county's staff and tasks that follow them (CONTRACT §9): the roster import, disable and enable,
one-time passwords changed at the first sign-in, the admin page, and re-assignment at once and nightly."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from conftest import PASSWORD, VILLAGE, add_login, api_key, csrf, document, log_in, make_resident, make_visit

from service.jobs import run_nightly
from stratify.policy import Policy
from ui.cli import cli

TOWNSHIP = VILLAGE[:9]
ROSTER = (
    "username,name,role,region,phone\n"
    "wang,王医生,village_doctor,{village},13800000001\n"
    "li,李医生,township_gp,{township},\n"
)


@pytest.fixture
def unassigned(client, db):
    """Residents stored before any doctor's login existed: their tasks have nobody."""
    residents = [
        make_resident("GREEN", visits=[make_visit(sbp=120, dbp=70)], events=[], family_doctor="wang"),
        make_resident("YELLOW", visits=[make_visit(sbp=150, dbp=95)], events=[]),
    ]
    assert (
        client.post("/api/v1/records", json=document(*residents), headers=api_key(db, "ingest")).json()["accepted"] == 2
    )
    assert assignees(db) == {("GREEN", "routine_followup"): None, ("YELLOW", "recheck"): None}
    return client


def assignees(db) -> dict[tuple[str, str], str | None]:
    rows = db.execute("SELECT record_id, kind, assignee FROM tasks WHERE status = 'open'").fetchall()
    return {(record_id, kind): assignee for record_id, kind, assignee in rows}


def run(settings, *args: str, **kwargs):
    return CliRunner().invoke(cli, ["--db", str(settings.db_path), *args], catch_exceptions=False, **kwargs)


def roster_file(tmp_path, text: str, encoding: str = "utf-8"):
    path = tmp_path / "staff.csv"
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_the_roster_import_prints_one_time_passwords_and_hands_the_tasks_on(
    unassigned, db, settings, tmp_path, encoding
):
    path = roster_file(tmp_path, ROSTER.format(village=VILLAGE, township=TOWNSHIP), encoding)

    result = run(settings, "users", "import", str(path))

    assert result.exit_code == 0, result.output
    lines = dict(line.split(",") for line in result.output.strip().splitlines())
    assert set(lines) == {"wang", "li"} and all(len(p) >= 12 for p in lines.values())
    assert db.execute(
        "SELECT display_name, phone, must_change_password FROM users WHERE username = 'wang'"
    ).fetchone() == (
        "王医生",
        "13800000001",
        1,
    )
    assert assignees(db) == {("GREEN", "routine_followup"): "wang", ("YELLOW", "recheck"): "li"}


def test_importing_again_updates_and_prints_no_password(db, settings, tmp_path):
    run(settings, "users", "import", str(roster_file(tmp_path, ROSTER.format(village=VILLAGE, township=TOWNSHIP))))
    before = db.execute("SELECT password_hash FROM users WHERE username = 'wang'").fetchone()

    moved = ROSTER.format(village=VILLAGE[:-1] + "2", township=TOWNSHIP).replace("王医生", "王大夫")
    result = run(settings, "users", "import", str(roster_file(tmp_path, moved)))

    assert result.exit_code == 0 and result.output == ""
    assert db.execute("SELECT display_name, region, password_hash FROM users WHERE username = 'wang'").fetchone() == (
        "王大夫",
        VILLAGE[:-1] + "2",
        before[0],
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("x y,Name,village_doctor,350421101201,", "line 3: username"),
        ("zhao,,village_doctor,350421101201,", "line 3: name"),
        ("zhao,Zhao,surgeon,350421101201,", "line 3: role"),
        ("zhao,Zhao,village_doctor,3504211,", "line 3: region"),
        ("zhao,Zhao,village_doctor,350421101201,call me", "line 3: phone"),
        ("wang,Again,village_doctor,350421101201,", "line 3: username wang is also on line 2"),
    ],
)
def test_a_bad_row_stores_nothing_and_names_its_line(db, settings, tmp_path, line, message):
    text = "username,name,role,region,phone\nwang,王医生,village_doctor,350421101201,\n" + line + "\n"

    result = CliRunner().invoke(
        cli, ["--db", str(settings.db_path), "users", "import", str(roster_file(tmp_path, text))]
    )

    assert result.exit_code == 1 and message in result.output and "nothing was stored" in result.output
    assert db.execute("SELECT count(*) FROM users").fetchone() == (0,)


def test_a_roster_without_its_header_is_refused(settings, tmp_path):
    result = CliRunner().invoke(
        cli,
        ["--db", str(settings.db_path), "users", "import", str(roster_file(tmp_path, "wang,王,village_doctor,1,\n"))],
    )

    assert result.exit_code == 1 and "line 1: the header needs" in result.output


def test_a_disabled_login_loses_its_tasks_and_its_session(unassigned, db, settings):
    add_login(db, "wang")
    add_login(db, "zhang")
    run_nightly(db, Policy(), settings.today(), trigger="test", workers=1)  # tasks follow the new logins
    assert assignees(db)[("GREEN", "routine_followup")] == "wang"
    log_in(unassigned, "wang", PASSWORD)
    due = db.execute("SELECT due FROM tasks WHERE record_id = 'GREEN' AND status = 'open'").fetchone()

    assert run(settings, "user", "disable", "wang").exit_code == 0

    assert assignees(db)[("GREEN", "routine_followup")] == "zhang"
    assert db.execute("SELECT due FROM tasks WHERE record_id = 'GREEN' AND status = 'open'").fetchone() == due
    assert unassigned.get("/", follow_redirects=False).status_code == 302  # back to the login form
    assert run(settings, "user", "enable", "wang").exit_code == 0
    assert assignees(db)[("GREEN", "routine_followup")] == "wang"  # the family doctor again


def test_a_task_nobody_may_take_stays_unassigned_and_the_nightly_run_hands_it_on(unassigned, db, settings):
    add_login(db, "wang")
    db.execute("UPDATE tasks SET assignee = NULL WHERE record_id = 'GREEN'")
    db.conn.commit()

    run_nightly(db, Policy(), settings.today(), trigger="test", workers=1)

    assert assignees(db) == {("GREEN", "routine_followup"): "wang", ("YELLOW", "recheck"): None}  # no GP yet


def test_a_one_time_password_must_be_changed_first(unassigned, db, settings, tmp_path):
    output = run(
        settings, "users", "import", str(roster_file(tmp_path, ROSTER.format(village=VILLAGE, township=TOWNSHIP)))
    ).output
    password = dict(line.split(",") for line in output.strip().splitlines())["wang"]

    signed_in = log_in(unassigned, "wang", password)

    assert signed_in.headers["location"] == "/password"
    assert unassigned.get("/", follow_redirects=False).headers["location"] == "/password"
    assert unassigned.get("/api/v1/followups").status_code == 403
    token = csrf(unassigned)
    assert (
        unassigned.post("/password", data={"new": "short", "repeated": "short", "_csrf_token": token}).status_code
        == 422
    )
    changed = unassigned.post(
        "/password",
        data={"new": "a new long one", "repeated": "a new long one", "_csrf_token": token},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert unassigned.get("/").status_code == 200
    assert db.execute("SELECT must_change_password FROM users WHERE username = 'wang'").fetchone() == (0,)


@pytest.mark.parametrize(
    ("current", "new", "code"),
    [
        ("not mine", "a new long one", "当前密码不正确"),  # a borrowed session cannot take the login
        (PASSWORD, "short", "密码至少10位"),
        (PASSWORD, "wang-2026-password", "密码不能包含用户名"),
        (PASSWORD, "a new long one", None),
    ],
)
def test_changing_ones_own_password_needs_the_current_one(client, db, current, new, code):
    add_login(db, "wang")
    log_in(client, "wang", PASSWORD)
    assert 'name="current"' in client.get("/password").text

    answer = client.post(
        "/password",
        data={"current": current, "new": new, "repeated": new, "_csrf_token": csrf(client)},
        follow_redirects=False,
    )

    if code is None:
        assert answer.status_code == 303
        assert log_in(client, "wang", new).headers["location"] == "/"
    else:
        assert answer.status_code == 422 and code in answer.text
        assert log_in(client, "wang", PASSWORD).headers["location"] == "/"


def test_the_center_manages_logins_on_the_admin_page(unassigned, db):
    add_login(db, "center1", role="center", region="350421")
    log_in(unassigned, "center1", PASSWORD)
    form = {"username": "wang", "name": "王医生", "role": "village_doctor", "region": VILLAGE, "phone": ""}

    made = unassigned.post("/admin/users", data={**form, "_csrf_token": csrf(unassigned)})

    password = re.search(r'class="secret">([^<]+)<', made.text).group(1)
    assert made.status_code == 200 and len(password) >= 12
    assert assignees(db)[("GREEN", "routine_followup")] == "wang"
    assert unassigned.post("/admin/users", data={**form, "_csrf_token": csrf(unassigned)}).status_code == 422  # taken
    disabled = unassigned.post("/admin/users/wang/disable", data={"_csrf_token": csrf(unassigned)})
    assert disabled.status_code == 200 and assignees(db)[("GREEN", "routine_followup")] is None
    reset = unassigned.post("/admin/users/wang/reset", data={"_csrf_token": csrf(unassigned)})
    assert re.search(r'class="secret">([^<]+)<', reset.text).group(1) != password
    actions = [row[0] for row in db.execute("SELECT action FROM audit_log WHERE detail LIKE 'wang%' ORDER BY id")]
    assert actions == ["user_add", "user_disable", "password_reset"]


def test_only_the_center_of_the_region_manages_logins(unassigned, db):
    add_login(db, "wang")
    add_login(db, "other-center", role="center", region="350422")
    log_in(unassigned, "wang", PASSWORD)
    assert unassigned.get("/admin/users").status_code == 403

    log_in(unassigned, "other-center", PASSWORD)
    assert unassigned.post("/admin/users/wang/disable", data={"_csrf_token": csrf(unassigned)}).status_code == 403
    assert db.execute("SELECT disabled FROM users WHERE username = 'wang'").fetchone() == (0,)
