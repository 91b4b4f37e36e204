"""Personal data that leaves the screen (CONTRACT §13): every export audited with its row count, cells a
spreadsheet would run as formulas written as text, patient lists only within the user's region (and
not at all for village doctors where the county says so), and browsers told to keep nothing."""

from __future__ import annotations

import csv
import io
import json

import msgspec
import openpyxl
import pytest
from conftest import PASSWORD, VILLAGE, add_login, api_key, document, log_in, make_resident
from litestar.testing import TestClient
from openpyxl.utils.escape import unescape

from service.jobs import run_nightly
from stratify.policy import Policy
from ui.app import create_app

DANGEROUS = ['=HYPERLINK("http://x","a")', "+86 138", "-1+2", "@SUM(A1)", "\tcmd", "\rcmd"]  # OWASP's list
OTHER_VILLAGE = "350421101202"


@pytest.fixture
def doctor(client, db, settings):
    """A village doctor whose village has residents named like formulas, and one resident next door."""
    residents = [make_resident(f"F{n}", name=name) for n, name in enumerate(DANGEROUS)]
    residents.append(make_resident("NEXT-DOOR", name="邻村居民", village_code=OTHER_VILLAGE))
    posted = client.post("/api/v1/records", json=document(*residents), headers=api_key(db, "ingest"))
    assert posted.json()["accepted"] == len(DANGEROUS) + 1
    run_nightly(db, Policy(), settings.today(), trigger="test", workers=1)
    add_login(db, "wang")
    add_login(db, "center1", role="center", region="350421")
    log_in(client, "wang", PASSWORD)
    return client


def exports(db) -> list[dict]:
    rows = db.execute("SELECT actor, detail FROM audit_log WHERE action = 'export' ORDER BY id").fetchall()
    return [{"actor": actor, **json.loads(detail)} for actor, detail in rows]


def csv_table(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))


def xlsx_cells(response) -> list[list[openpyxl.cell.Cell]]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows()]


def test_the_doctors_list_exports_with_who_when_and_filters_and_is_audited(doctor, db):
    response = doctor.get("/?export=csv&tier=yellow")

    first, header, *rows = csv_table(response)
    assert first[0].startswith(f"# sanbiao export: due-{VILLAGE}; by wang (village_doctor); at ")
    assert first[0].endswith("filters: show=area, tier=yellow")
    assert header[:2] == ["record_id", "name"] and len(rows) == len(DANGEROUS)
    assert exports(db) == [
        {"actor": "wang", "list": f"due-{VILLAGE}", "filters": {"show": "area", "tier": "yellow"}, "rows": len(rows)}
    ]


def test_formulas_in_names_come_out_as_text_in_csv(doctor):
    names = {row[0]: row[1] for row in csv_table(doctor.get("/?export=csv"))[2:]}

    assert {names[f"F{n}"] for n in range(len(DANGEROUS))} == {"'" + name for name in DANGEROUS}


def test_formulas_in_names_come_out_as_text_in_xlsx(doctor, db):
    response = doctor.get("/?export=xlsx")

    cells = xlsx_cells(response)
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert not [c.coordinate for row in cells for c in row if c.data_type == "f"]  # not one formula cell
    names = {row[0].value: row[1] for row in cells[2:]}
    assert {unescape(names[f"F{n}"].value) for n in range(len(DANGEROUS))} == set(DANGEROUS)  # OOXML's _x000D_
    assert {names[f"F{n}"].data_type for n in range(len(DANGEROUS))} == {"s"}
    assert exports(db)[-1]["rows"] == len(cells) - 2


def test_a_village_doctor_exports_only_their_own_village(doctor):
    for fmt in ("csv", "xlsx"):
        response = doctor.get(f"/?export={fmt}")
        assert b"NEXT-DOOR" not in response.content

    assert doctor.get(f"/dashboard?region={OTHER_VILLAGE}&export=csv").status_code == 403


def test_a_county_may_keep_patient_lists_from_village_doctors(settings, db, doctor):
    strict = msgspec.structs.replace(settings, config_path=settings.db_path.parent / "county.toml")
    strict.config_path.write_text("village_doctor_exports = false\n")
    with TestClient(create_app(strict)) as client:
        log_in(client, "wang", PASSWORD)

        listing = client.get("/")
        assert listing.status_code == 200 and "export=csv" not in listing.text  # the list stays on the screen
        assert client.get("/?export=csv").status_code == 403
        log_in(client, "center1", PASSWORD)
        assert client.get(f"/dashboard?region={VILLAGE}&export=csv").status_code == 200  # center staff still may
    assert [e["actor"] for e in exports(db)] == ["center1"]


@pytest.mark.parametrize(
    ("path", "name", "rows"),
    [
        ("/dashboard?region=350421&export=xlsx", "tiers-350421", 1),
        (f"/dashboard?region={VILLAGE}&export=csv", f"patients-{VILLAGE}", len(DANGEROUS)),
        ("/audit?action=login&export=csv", "audit", 2),
    ],
    ids=["area-counts", "village-patients", "audit-log"],
)
def test_every_center_export_is_audited_with_its_rows(doctor, db, path, name, rows):
    log_in(doctor, "center1", PASSWORD)

    response = doctor.get(path)

    assert response.status_code == 200
    assert exports(db)[-1] == {"actor": "center1", "list": name, "filters": exports(db)[-1]["filters"], "rows": rows}


def test_an_unknown_export_format_is_a_400(doctor):
    assert doctor.get("/?export=pdf").status_code == 400


@pytest.mark.parametrize(
    ("path", "cache"),
    [
        ("/", "no-store"),
        ("/?export=csv", "no-store"),
        ("/residents/F0", "no-store"),
        ("/api/v1/followups", "no-store"),
        ("/static/sanbiao.css", "public, max-age=86400"),
        ("/healthz", "private, no-cache"),
        ("/login", "private, no-cache"),
    ],
)
def test_browsers_keep_no_personal_data_but_may_cache_static_files(doctor, path, cache):
    response = doctor.get(path, follow_redirects=False)

    assert response.headers.get_list("cache-control") == [cache]
