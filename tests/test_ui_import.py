"""The upload page /import (CONTRACT §8) through the real app: a center uploads a county's sheet, follows
its batch, sees the summary and the rejections worded in the page's language, downloads the rejected
rows to fix; a refused file stores nothing and says why; doctors may not import."""

from __future__ import annotations

import io
import re
import time

import pytest
from conftest import PASSWORD, VILLAGE, add_login, csrf, log_in
from litestar.testing import TestClient
from openpyxl import load_workbook

from service.settings import Settings
from service.store.batches import start_batch

HEADER = "档案编号,姓名,性别,出生日期,村编码,疾病,随访日期,随访方式,收缩压(mmHg),舒张压(mmHg)"
GOOD = f"U-1,林秀英,女,1956-03-02,{VILLAGE},高血压,2026/10/8,门诊,138,86"
BAD = f"U-2,陈建国,男,1950-01-01,{VILLAGE},高血压,2026.10.8,电话,高,90"  # 收缩压 "高": not a number
WAIT_SECONDS = 30  # an upload of a few rows is done in well under a second


@pytest.fixture
def center(client, db):
    add_login(db, "center1", role="center", region="350421")
    log_in(client, "center1", PASSWORD)
    return client


def upload(client: TestClient, content: str, name: str = "随访.csv", **fields: str):
    files = {"data": (name, io.BytesIO(content.encode("gb18030")), "text/csv")}
    return client.post("/import", data={"_csrf_token": csrf(client), **fields}, files=files, follow_redirects=False)


def finished(client: TestClient, location: str) -> str:
    """The batch page once the import is no longer running (as htmx polls it)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        part = client.get(location, headers={"HX-Request": "true"}).text
        if "hx-trigger" not in part:
            return client.get(location).text
        time.sleep(0.05)
    raise AssertionError(f"{location} still running after {WAIT_SECONDS} s")


def test_an_upload_imports_the_sheet_and_shows_the_summary(center, db, process):
    answer = upload(center, "\n".join([HEADER, GOOD]))

    assert answer.status_code == 303 and re.fullmatch(r"/import/\d+", answer.headers["location"])
    page = finished(center, answer.headers["location"])
    assert "完成：接收 1 人（新建 1" in page and "拒绝 0 人" in page
    assert db.execute("SELECT origin, actor, status FROM import_batches").fetchone() == ("ui", "center1", "done")
    assert db.execute("SELECT mode FROM visits WHERE record_id = 'U-1'").fetchone() == ("clinic",)
    assert db.execute("SELECT tier FROM assessments WHERE record_id = 'U-1'").fetchone() is not None  # assessed
    assert "随访.csv" in center.get("/import").text  # listed among the past batches


def test_rejected_rows_are_worded_on_the_page_and_download_as_a_workbook_to_fix(
    center, db, settings: Settings, process
):
    answer = upload(center, "\n".join([HEADER, GOOD, BAD]))
    page = finished(center, answer.headers["location"])

    assert "拒绝 1 人" in page and "第 3 行 · 收缩压：请填整数" in page
    english = center.get(answer.headers["location"] + "?lang=en").text
    assert "row 3 · 收缩压：must be a whole number" in english
    center.get("/import?lang=zh-CN")
    download = center.get(answer.headers["location"] + "/rejected.xlsx")
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(download.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "错误" and rows[0][1:] == HEADER.split(",")
    assert len(rows) == 2 and rows[1][1] == "U-2" and "收缩压: 请填整数" in rows[1][0]
    assert db.execute("SELECT count(*) FROM residents WHERE record_id = 'U-2'").fetchone() == (0,)
    audit = db.execute("SELECT detail FROM audit_log WHERE action = 'export'").fetchone()[0]
    assert '"import-rejected"' in audit and "U-2" not in audit

    book = load_workbook(io.BytesIO(download.content))  # the clerk fixes the cell and uploads the file again
    book.active["J2"] = 152
    fixed = io.BytesIO()
    book.save(fixed)
    files = {"data": ("fixed.xlsx", fixed.getvalue(), "application/octet-stream")}
    again = center.post("/import", data={"_csrf_token": csrf(center)}, files=files, follow_redirects=False)
    assert "完成：接收 1 人（新建 1" in finished(center, again.headers["location"])
    assert db.execute("SELECT sbp FROM visits WHERE record_id = 'U-2'").fetchone() == (152,)


def test_an_unknown_header_fails_the_batch_with_the_reason_and_stores_nothing(center, db, process):
    answer = upload(center, "\n".join([HEADER + ",血型", GOOD + ",A"]))
    page = finished(center, answer.headers["location"])

    assert "失败" in page and "不认识的列名：血型" in page
    assert db.execute("SELECT count(*) FROM residents").fetchone() == (0,)
    assert db.execute("SELECT status FROM import_batches").fetchone() == ("failed",)


def test_a_file_that_is_no_spreadsheet_is_refused_on_the_form(center, db):
    answer = upload(center, "hello", name="notes.txt")
    assert answer.status_code == 422 and "请上传电子表格" in answer.text
    assert db.execute("SELECT count(*) FROM import_batches").fetchone() == (0,)


def test_a_mapping_is_checked_saved_and_offered_again(center, db):
    english = "Record no,Name,Sex,Born,Village,Disease,Visit date,How,SBP,DBP\n" + GOOD
    mapping = (
        '[columns]\n"Record no" = "record_id"\n"Name" = "name"\n"Sex" = "sex"\n"Born" = "birth_date"\n'
        '"Village" = "village_code"\n"Disease" = "conditions"\n"Visit date" = "date"\n"How" = "mode"\n'
        '"SBP" = "sbp"\n"DBP" = "dbp"\n'
    )
    refused = upload(center, english, mapping='[columns]\n"X" = "blood_group"\n')
    assert refused.status_code == 422 and "blood_group" in refused.text

    answer = upload(center, english, mapping=mapping, mapping_name="county-en")
    assert "完成：接收 1 人" in finished(center, answer.headers["location"])
    assert '<option value="county-en"' in center.get("/import").text
    again = upload(center, english.replace("U-1", "U-9"), saved="county-en")
    assert "完成：接收 1 人" in finished(center, again.headers["location"])


def test_the_rows_to_fix_of_an_upload_with_its_own_mapping_hold_every_row_of_a_rejected_resident(center, db):
    """The record column found by the upload's own mapping (here the third column): a resident rejected
    for one bad row comes back whole, so the fixed file stores all of their visits."""
    header = "Name,Sex,Record no,Born,Village,Disease,Visit date,How,SBP,DBP"
    rows = [
        f"陈建国,男,E-2,1950-01-01,{VILLAGE},高血压,2026/9/8,门诊,150,90",
        f"林秀英,女,E-1,1956-03-02,{VILLAGE},高血压,2026/10/8,门诊,138,86",
        f"陈建国,男,E-2,1950-01-01,{VILLAGE},高血压,2026/10/8,电话,high,90",
    ]
    mapping = (
        '[columns]\n"Record no" = "record_id"\n"Name" = "name"\n"Sex" = "sex"\n"Born" = "birth_date"\n'
        '"Village" = "village_code"\n"Disease" = "conditions"\n"Visit date" = "date"\n"How" = "mode"\n'
        '"SBP" = "sbp"\n"DBP" = "dbp"\n'
    )
    answer = upload(center, "\n".join([header, *rows]), mapping=mapping)
    assert "拒绝 1 人" in finished(center, answer.headers["location"])

    download = center.get(answer.headers["location"] + "/rejected.xlsx")
    sheet = load_workbook(io.BytesIO(download.content)).active
    fixed = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert [row[3] for row in fixed[1:]] == ["E-2", "E-2"]  # both of the resident's rows, the good one too
    assert fixed[1][0] in (None, "") and "SBP" in fixed[2][0]


def test_a_running_batch_page_refreshes_itself_without_javascript_and_stops_when_done(center, db):
    """htmx polls the status; a phone without JavaScript reloads the page every 3 s instead."""
    running = start_batch(db, origin="ui", source="slow.xlsx", filename="slow.xlsx", actor="center1")
    page = center.get(f"/import/{running}").text
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert f'hx-get="/import/{running}"' in page

    answer = upload(center, "\n".join([HEADER, GOOD]))
    done = finished(center, answer.headers["location"])
    assert 'http-equiv="refresh"' not in done and "hx-trigger" not in done


def test_doctors_may_not_import(client, db):
    add_login(db, "wang")
    log_in(client, "wang", PASSWORD)
    assert client.get("/import").status_code == 403
    assert upload(client, "\n".join([HEADER, GOOD])).status_code == 403
