"""GET /api/v1/indicators (CONTRACT §11) through the real app: each indicator at its edges, as a table
of cases with their sources; tiers from the history kept; a past period unchanged by later data; a
year the sum of its months where the count is additive; who may ask; bad periods."""

from __future__ import annotations

import io

import msgspec
import pytest
from conftest import PASSWORD, VILLAGE, add_login, api_key, log_in, make_resident, make_visit
from litestar.testing import TestClient
from openpyxl import load_workbook

from service.indicator_report import LABELS, period_label
from service.ingest import Ingestor
from service.jobs import run_nightly
from service.period_indicators import RegionFigures, TotalFigures
from service.periods import parse_period
from service.store.areas import save_areas
from stratify.policy import Policy
from ui.app import create_app

TOWNSHIP = VILLAGE[:9]
OTHER_VILLAGE = "350421102201"  # another township
Q3 = "2026Q3"  # 2026-07-01 .. 2026-09-30, over (today is the machine's date, after it)
A5, A10 = {"drug": "amlodipine", "daily_dose_mg": 5}, {"drug": "amlodipine", "daily_dose_mg": 10}
N30, M1000 = {"drug": "nifedipine", "daily_dose_mg": 30}, {"drug": "metformin", "daily_dose_mg": 1000}


def visit(visit_id: str, date: str, **fields: object) -> dict:
    """A follow-up with nothing measured unless given."""
    base = {"visit_id": visit_id, "date": date, "sbp": None, "dbp": None, "fasting_glucose": None}
    return make_visit(**{**base, **fields})


def dm(record_id: str, *visits: dict) -> dict:
    return make_resident(
        record_id, conditions=[{"code": "E11", "diagnosed_on": "2015-01-01"}], visits=list(visits), events=[]
    )


def htn(record_id: str, *visits: dict, born: str = "1950-01-01", diagnosed: str = "2015-06-01", **more) -> dict:
    return make_resident(
        record_id,
        birth_date=born,
        conditions=[{"code": "I10", "diagnosed_on": diagnosed}],
        visits=list(visits),
        events=more.pop("events", []),
        **more,
    )


def store(db, settings, *residents: dict) -> None:
    ingestor = Ingestor(db, today=settings.today())
    ingestor.begin(origin="cli", source="test", filename=None, actor="test")
    ingestor.run(msgspec.json.encode(r) for r in residents)
    summary = ingestor.end()
    assert summary.rejected_total == 0, summary.rejected


@pytest.fixture
def center(client, db):
    add_login(db, "center1", role="center", region="350421")
    log_in(client, "center1", PASSWORD)
    return client


def total(client, period: str, region: str = "350421") -> dict:
    response = client.get("/api/v1/indicators", params={"region": region, "period": period})
    assert response.status_code == 200, response.text
    return response.json()["total"]


CASES = [
    # (why, source, residents, period, expected counts of the total)
    (
        "145/85 at 65 is controlled (< 150/90)",
        "BPHS-3, CHG-2018: < 150/90 from age 65, age at the period's end",
        [htn("A65", visit("v1", "2026-08-01", sbp=145, dbp=85), born="1961-09-30")],
        Q3,
        {"htn_managed": 1, "htn_controlled": 1},
    ),
    (
        "145/85 at 64 is not (< 140/90)",
        "BPHS-3: < 140/90 under 65",
        [htn("A64", visit("v1", "2026-08-01", sbp=145, dbp=85), born="1961-10-01")],
        Q3,
        {"htn_managed": 1, "htn_controlled": 0},
    ),
    (
        "the latest reading of the period decides control",
        "BPHS-3: the latest follow-up BP in the period",
        [htn("L1", visit("v1", "2026-07-05", sbp=128, dbp=80), visit("v2", "2026-09-05", sbp=162, dbp=96))],
        Q3,
        {"htn_managed": 1, "htn_controlled": 0},
    ),
    (
        "4 face-to-face visits in the year are standard management",
        "BPHS-3: at least 4 face-to-face follow-ups a year",
        [
            htn(
                "S4",
                visit("v1", "2025-02-01", mode="clinic"),
                visit("v2", "2025-05-01", mode="home"),
                visit("v3", "2025-08-01", mode="clinic"),
                visit("v4", "2025-11-01", mode="clinic"),
            )
        ],
        "2025",
        {"htn_managed": 1, "htn_standard": 1},
    ),
    (
        "3 face-to-face and a phone call are not",
        "BPHS-3: only face-to-face follow-ups count",
        [
            htn(
                "S3",
                visit("v1", "2025-02-01", mode="clinic"),
                visit("v2", "2025-05-01", mode="home"),
                visit("v3", "2025-08-01", mode="clinic"),
                visit("v4", "2025-11-01", mode="phone"),
            )
        ],
        "2025",
        {"htn_managed": 1, "htn_standard": 0},
    ),
    (
        "a phone call alone keeps a quarter managed, not standard",
        "CONTRACT §11: a quarter needs one face-to-face visit",
        [htn("P1", visit("v1", "2026-08-01", mode="phone"))],
        Q3,
        {"htn_managed": 1, "htn_standard": 0},
    ),
    (
        "died before the period's end: not managed; the death is a serious event",
        "CONTRACT §11: alive and managed at end; §4.3 serious types",
        [
            htn(
                "D1",
                visit("v1", "2026-07-10", sbp=130, dbp=80),
                events=[{"event_id": "e1", "date": "2026-09-15", "type": "death"}],
            )
        ],
        Q3,
        {"htn_managed": 0, "serious_events": 1},
    ),
    (
        "died after the period's end: managed in it",
        "CONTRACT §11: alive at end",
        [
            htn(
                "D2",
                visit("v1", "2026-07-10", sbp=130, dbp=80),
                events=[{"event_id": "e1", "date": "2026-10-05", "type": "death"}],
            )
        ],
        Q3,
        {"htn_managed": 1, "htn_controlled": 1, "serious_events": 0},
    ),
    (
        "diagnosed less than 3 months before the end: not yet in the HEARTS cohort",
        "WHO HEARTS: registered 3 months or more",
        [htn("H1", visit("v1", "2026-08-10", sbp=130, dbp=80), diagnosed="2026-08-01")],
        Q3,
        {"htn_managed": 1, "hearts_htn_registered": 0},
    ),
    (
        "diagnosed 4 months before: in it, controlled in the last 3 months",
        "WHO HEARTS: BP < 140/90 at the latest visit of the last 3 months",
        [htn("H2", visit("v1", "2026-08-10", sbp=130, dbp=80), diagnosed="2026-06-01")],
        Q3,
        {"hearts_htn_registered": 1, "hearts_htn_controlled": 1, "hearts_htn_missed": 0},
    ),
    (
        "the last visit 364 days before the end: a missed visit, not lost",
        "WHO HEARTS: missed = no visit in 3 months; lost = none in 12",
        [htn("M1", visit("v1", "2025-10-01", sbp=130, dbp=80))],
        Q3,
        {"htn_managed": 0, "hearts_htn_registered": 1, "hearts_htn_missed": 1, "hearts_htn_ltfu": 0},
    ),
    (
        "the last visit 365 days before the end: lost to follow-up",
        "WHO HEARTS: no visit in 12 months",
        [htn("M2", visit("v1", "2025-09-30", sbp=130, dbp=80))],
        Q3,
        {"hearts_htn_registered": 1, "hearts_htn_missed": 0, "hearts_htn_ltfu": 1},
    ),
    (
        "a referral followed by a township visit on day 30 is completed",
        "CONTRACT §11: within 30 days",
        [
            htn(
                "R30",
                visit("v1", "2026-08-01", referral="routine"),
                visit("v2", "2026-08-31", level="township"),
            )
        ],
        Q3,
        {"referrals_up": 1, "referrals_completed": 1},
    ),
    (
        "... on day 31 it is not",
        "CONTRACT §11: within 30 days",
        [
            htn(
                "R31",
                visit("v1", "2026-08-01", referral="routine"),
                visit("v2", "2026-09-01", level="township"),
            )
        ],
        Q3,
        {"referrals_up": 1, "referrals_completed": 0},
    ),
    (
        "a village visit does not complete a referral",
        "CONTRACT §11: a township or county visit",
        [htn("RV", visit("v1", "2026-08-01", referral="urgent"), visit("v2", "2026-08-05", level="village"))],
        Q3,
        {"referrals_up": 1, "referrals_completed": 0},
    ),
    (
        "fasting glucose 6.9 is controlled, 7.0 is not",
        "BPHS-3 (diabetes): FPG < 7.0 mmol/L",
        [
            dm("G69", visit("v1", "2026-08-01", fasting_glucose=6.9)),
            dm("G70", visit("v1", "2026-08-01", fasting_glucose=7.0)),
        ],
        Q3,
        {"dm_managed": 2, "dm_controlled": 1, "htn_managed": 0},
    ),
    (
        "uncontrolled twice on the same medicines is not intensified; a dose change or a swap is",
        "issue #16, docs/indicators.md: the latest two BP visits of the period, lists unchanged between them",
        [
            htn(
                "SAME",
                visit("v1", "2026-07-05", sbp=150, dbp=92, medications=[A5]),
                visit("v2", "2026-09-05", sbp=152, dbp=90, medications=[A5]),
            ),
            htn(
                "DOSE",
                visit("v1", "2026-07-05", sbp=150, dbp=92, medications=[A5]),
                visit("v2", "2026-09-05", sbp=152, dbp=90, medications=[A10]),
            ),
            htn(
                "SWAP",
                visit("v1", "2026-07-05", sbp=150, dbp=92, medications=[A5]),
                visit("v2", "2026-09-05", sbp=152, dbp=90, medications=[N30]),
            ),
            htn("NONE", visit("v1", "2026-07-05", sbp=150, dbp=92), visit("v2", "2026-09-05", sbp=152, dbp=90)),
        ],
        Q3,
        {"htn_managed": 4, "htn_uncontrolled_not_intensified": 1},
    ),
    (
        "a list from before the period is in force; a controlled second visit is not counted",
        "issue #16, docs/indicators.md",
        [
            htn(
                "PRIOR",
                visit("v0", "2026-05-05", medications=[A5]),
                visit("v1", "2026-07-05", sbp=150, dbp=92),
                visit("v2", "2026-09-05", sbp=150, dbp=92),
            ),
            htn(
                "CTRL",
                visit("v1", "2026-07-05", sbp=150, dbp=92, medications=[A5]),
                visit("v2", "2026-09-05", sbp=130, dbp=80, medications=[A5]),
            ),
            htn(
                "ONE",
                visit("v0", "2026-06-05", sbp=150, dbp=92, medications=[A5]),
                visit("v1", "2026-08-05", sbp=150, dbp=92),
            ),
        ],
        Q3,
        {"htn_managed": 3, "htn_uncontrolled_not_intensified": 1},
    ),
    (
        "diabetes: fasting glucose >= 7.0 twice on the same metformin dose",
        "issue #16; BPHS-3 (diabetes): FPG < 7.0 mmol/L",
        [
            dm(
                "DMSAME",
                visit("v1", "2026-07-05", fasting_glucose=8.1, medications=[M1000]),
                visit("v2", "2026-09-05", fasting_glucose=7.0, medications=[M1000]),
            ),
            dm(
                "DMUP",
                visit("v1", "2026-07-05", fasting_glucose=8.1, medications=[M1000]),
                visit("v2", "2026-09-05", fasting_glucose=7.5, medications=[{**M1000, "daily_dose_mg": 2000}]),
            ),
        ],
        Q3,
        {"dm_managed": 2, "dm_uncontrolled_not_intensified": 1, "htn_uncontrolled_not_intensified": 0},
    ),
]


@pytest.mark.parametrize(("why", "source", "residents", "period", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_indicator_at_its_edges(center, db, settings, why, source, residents, period, expected):
    store(db, settings, *residents)
    counts = total(center, period)
    assert {key: counts[key] for key in expected} == expected, f"{why} ({source})"


def test_tiers_are_those_kept_at_the_periods_end(center, db, settings):
    store(db, settings, htn("T1", visit("v1", "2026-09-10", sbp=186, dbp=112)))
    run_nightly(db, Policy(), parse_period(Q3).end, trigger="test", workers=1)

    assert total(center, Q3)["red"] == 1
    assert total(center, "2026-06")["red"] == 0  # no tier was kept before its first assessment


def test_a_past_period_does_not_change_when_later_data_arrive(center, db, settings):
    """Visits after the period (and 30 days, for referrals), and a resident diagnosed since. (Data about
    the past do change it: a resident diagnosed in 2015 whose records arrive now was registered then.)"""
    store(
        db,
        settings,
        htn("P1", visit("v1", "2026-08-01", sbp=150, dbp=95, referral="routine")),
        htn("P2", visit("v1", "2026-07-03", sbp=120, dbp=70)),
    )
    before = total(center, Q3)
    store(
        db,
        settings,
        htn("P1", visit("v1", "2026-08-01", sbp=150, dbp=95, referral="routine"), visit("v2", "2026-11-02")),
        htn("P3", visit("v1", "2026-11-03", sbp=120, dbp=70), diagnosed="2026-11-01"),  # new since
    )
    assert total(center, Q3) == before


def test_a_year_is_the_sum_of_its_months_where_a_count_adds_up(center, db, settings):
    store(
        db,
        settings,
        htn("Y1", visit("v1", "2025-01-20", referral="routine"), visit("v2", "2025-02-10", level="county")),
        htn("Y2", visit("v1", "2025-06-30", referral="urgent"), visit("v2", "2025-11-30", referral="routine")),
        htn("Y3", events=[{"event_id": "e1", "date": "2025-03-03", "type": "stroke"}]),
    )
    for record_id, due, status, closed in (
        ("Y1", "2025-03-01", "done", "2025-02-27"),
        ("Y2", "2025-07-15", "done", "2025-07-20"),
        ("Y3", "2025-12-31", "open", None),
    ):
        db.execute(
            "INSERT INTO tasks (record_id, kind, owner_level, village_code, status, created_on, due, closed_on) "
            "VALUES (?, 'routine_followup', 'village', ?, ?, '2025-01-01', ?, ?)",
            [record_id, VILLAGE, status, due, closed],
        )
    db.conn.commit()
    additive = ("referrals_up", "referrals_completed", "serious_events", "tasks_due", "tasks_done_on_time")

    year = total(center, "2025")
    months = [total(center, f"2025-{m:02d}") for m in range(1, 13)]

    assert {k: year[k] for k in additive} == {
        "referrals_up": 3,
        "referrals_completed": 1,
        "serious_events": 1,
        "tasks_due": 3,
        "tasks_done_on_time": 1,
    }
    assert {k: sum(m[k] for m in months) for k in additive} == {k: year[k] for k in additive}


def test_areas_are_the_regions_townships_or_villages_with_names(center, db, settings):
    store(
        db,
        settings,
        htn("V1", visit("v1", "2026-08-01")),
        htn("V2", visit("v1", "2026-08-01"), village_code=OTHER_VILLAGE),
    )
    save_areas(db, [(TOWNSHIP, "青山镇"), (VILLAGE, "上坪村")], actor="test")

    county = center.get("/api/v1/indicators", params={"period": Q3}).json()
    township = center.get("/api/v1/indicators", params={"period": Q3, "region": TOWNSHIP}).json()

    assert (county["region"], county["period"], county["start"], county["end"]) == (
        "350421",
        Q3,
        "2026-07-01",
        "2026-09-30",
    )
    assert [(a["code"], a["name"], a["htn_managed"]) for a in county["areas"]] == [
        (TOWNSHIP, "青山镇", 1),
        (OTHER_VILLAGE[:9], None, 1),
    ]
    assert county["total"]["htn_managed"] == 2
    assert [(a["code"], a["name"]) for a in township["areas"]] == [(VILLAGE, "上坪村")]


@pytest.mark.parametrize("period", ["2025Q5", "2025-13", "abc", "2025-1", "25", "0999"])
def test_a_bad_period_is_a_400_with_the_json_error_body(center, period):
    response = center.get("/api/v1/indicators", params={"period": period})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("period:")


def test_a_period_not_yet_begun_is_a_400(center, settings):
    response = center.get("/api/v1/indicators", params={"period": str(settings.today().year + 1)})
    assert response.status_code == 400 and "has not begun" in response.json()["detail"]


def test_the_default_period_is_the_current_year(center, settings):
    answer = center.get("/api/v1/indicators").json()
    year = settings.today().year
    assert (answer["region"], answer["period"], answer["start"]) == ("350421", str(year), f"{year}-01-01")


def test_who_may_ask(client, db):
    add_login(db, "wang")  # a village doctor of VILLAGE
    add_login(db, "gp1", role="township_gp", region=TOWNSHIP)
    add_login(db, "spec1", role="county_specialist", region="350421")

    log_in(client, "wang", PASSWORD)
    assert client.get("/api/v1/indicators", params={"period": Q3}).status_code == 403
    log_in(client, "gp1", PASSWORD)
    assert client.get("/api/v1/indicators", params={"period": Q3}).json()["region"] == TOWNSHIP
    assert client.get("/api/v1/indicators", params={"period": Q3, "region": VILLAGE}).status_code == 200
    assert client.get("/api/v1/indicators", params={"period": Q3, "region": "350421"}).status_code == 403
    assert client.get("/api/v1/indicators", params={"period": Q3, "region": OTHER_VILLAGE[:9]}).status_code == 403
    log_in(client, "spec1", PASSWORD)
    assert client.get("/api/v1/indicators", params={"period": Q3}).status_code == 200
    ingest = api_key(db, "ingest", "350421")
    assert client.get("/api/v1/indicators", params={"period": Q3}, headers=ingest).status_code == 403


def test_the_same_table_as_csv_is_an_audited_export(center, db, settings):
    store(db, settings, htn("C1", visit("v1", "2026-08-01", sbp=130, dbp=80)))

    response = center.get("/api/v1/indicators", params={"period": Q3, "region": TOWNSHIP, "format": "csv"})

    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    first, header, *rows = response.content.decode("utf-8-sig").splitlines()
    assert first.startswith(f'"# sanbiao export: indicators-{TOWNSHIP}-{Q3}; by center1 (center)')
    assert header.startswith("code,name,htn_managed,htn_standard,htn_controlled,")
    assert rows[0].startswith(f"{VILLAGE},,1,1,1,") and rows[-1].startswith(f"{TOWNSHIP},total,1,1,1,")
    audit = db.execute("SELECT actor, detail FROM audit_log WHERE action = 'export'").fetchall()
    assert audit == [
        (
            "center1",
            f'{{"list":"indicators-{TOWNSHIP}-{Q3}","filters":{{"region":"{TOWNSHIP}","period":"{Q3}"}},"rows":2}}',
        )
    ]


DHIS2_MAPPING = f"""
category_option_combo = "HllvX50cXC0"

[data_elements]
hearts_htn_controlled = "ChIb461qMBC"
htn_managed = "Xy4AbCdEf12"

[org_units]
"{VILLAGE}" = "Ab1CdEfGh23"
"{TOWNSHIP}" = "Zz9YxWvUt87"
"""


def test_a_dhis2_data_value_set_holds_what_the_mapping_maps(client, db, settings, tmp_path):
    mapping = tmp_path / "dhis2.toml"
    mapping.write_text(DHIS2_MAPPING, encoding="utf-8")
    mapped = msgspec.structs.replace(settings, dhis2_mapping=mapping)
    store(db, settings, htn("D1", visit("v1", "2026-08-01", sbp=130, dbp=80)), htn("D2", visit("v1", "2026-09-02")))
    add_login(db, "center1", role="center", region="350421")
    with TestClient(create_app(mapped)) as mapped_client:
        log_in(mapped_client, "center1", PASSWORD)
        answer = mapped_client.get(
            "/api/v1/indicators", params={"period": "2026-09", "region": TOWNSHIP, "format": "dhis2"}
        )
        quarter = mapped_client.get("/api/v1/indicators", params={"period": Q3, "region": TOWNSHIP, "format": "dhis2"})

    values = {
        (v["orgUnit"], v["dataElement"], v["period"], v["categoryOptionCombo"]): v["value"]
        for v in answer.json()["dataValues"]
    }
    assert values == {
        ("Ab1CdEfGh23", "ChIb461qMBC", "202609", "HllvX50cXC0"): "1",  # D1's reading of August, in the last 3 months
        ("Ab1CdEfGh23", "Xy4AbCdEf12", "202609", "HllvX50cXC0"): "1",  # D2 visited in September
        ("Zz9YxWvUt87", "ChIb461qMBC", "202609", "HllvX50cXC0"): "1",
        ("Zz9YxWvUt87", "Xy4AbCdEf12", "202609", "HllvX50cXC0"): "1",
    }
    assert {v["period"] for v in quarter.json()["dataValues"]} == {"2026Q3"}
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'export'").fetchone() == (2,)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (None, "needs a mapping file"),
        ('[data_elements]\nblood_groups = "ChIb461qMBC"\n', "not an indicator: blood_groups"),
        ('[org_units]\n"350421" = "not-a-uid"\n', "not a DHIS2 uid"),
        ("[data_elements\n", "cannot be used"),
    ],
)
def test_a_dhis2_export_without_a_usable_mapping_is_a_400(client, db, settings, tmp_path, text, says):
    mapping = None
    if text is not None:
        mapping = tmp_path / "dhis2.toml"
        mapping.write_text(text, encoding="utf-8")
    add_login(db, "center1", role="center", region="350421")
    with TestClient(create_app(msgspec.structs.replace(settings, dhis2_mapping=mapping))) as mapped_client:
        log_in(mapped_client, "center1", PASSWORD)
        response = mapped_client.get("/api/v1/indicators", params={"period": Q3, "format": "dhis2"})
    assert response.status_code == 400 and says in response.json()["detail"]


def test_an_unknown_format_is_a_400(center):
    response = center.get("/api/v1/indicators", params={"period": Q3, "format": "pdf"})
    assert response.status_code == 400


def test_the_report_workbook_has_a_sheet_per_level_chinese_headers_and_the_period_in_its_titles(center, db, settings):
    store(
        db,
        settings,
        htn("W1", visit("v1", "2026-08-01", sbp=130, dbp=80)),
        htn("W2", visit("v1", "2026-08-02"), village_code=OTHER_VILLAGE),
    )
    save_areas(db, [("350421", "沙县区"), (TOWNSHIP, "青山镇"), (VILLAGE, "上坪村")], actor="test")

    response = center.get("/api/v1/indicators", params={"period": Q3, "format": "xlsx"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["乡镇", "村"]
    townships = [[c.value for c in row] for row in book["乡镇"].iter_rows()]
    villages = [[c.value for c in row] for row in book["村"].iter_rows()]
    assert townships[0][0] == "沙县区（350421）2026年第3季度 高血压、糖尿病管理指标（2026-07-01 至 2026-09-30）"
    assert townships[1][0].startswith("# sanbiao export: indicators-350421-2026Q3; by center1 (center)")
    assert townships[2][:5] == ["编码", "名称", "高血压管理人数", "高血压规范管理人数", "高血压血压控制人数"]
    assert [row[:3] for row in townships[3:]] == [
        [TOWNSHIP, "青山镇", 1],
        [OTHER_VILLAGE[:9], None, 1],
        ["350421", "合计", 2],
    ]
    assert [row[:3] for row in villages[3:]] == [
        [VILLAGE, "上坪村", 1],
        [OTHER_VILLAGE, None, 1],
        ["350421", "合计", 2],
    ]
    assert len(townships[2]) == 2 + len(LABELS) and set(LABELS) == set(TotalFigures.__struct_fields__)
    assert townships[2][-2:] == ["高血压估算患病人数（35岁及以上）", "糖尿病估算患病人数（35岁及以上）"]
    assert townships[3][-2:] == [None, None]  # no population loaded: empty, never a guess
    audit = db.execute("SELECT detail FROM audit_log WHERE action = 'export'").fetchone()[0]
    assert '"list":"indicators-350421-2026Q3"' in audit and '"rows":6' in audit


@pytest.mark.parametrize(
    ("period", "label"), [("2025", "2025年"), ("2026Q3", "2026年第3季度"), ("2026-09", "2026年9月")]
)
def test_a_period_is_named_as_a_report_names_it(period, label):
    assert period_label(RegionFigures("350421", parse_period(period), {})) == label


def test_expected_patients_are_the_population_aged_35_plus_times_the_policys_prevalence(center, db, settings):
    """CONTRACT §11: an area's own population, else its townships' or villages' when all are known;
    defaults 37.2% hypertension, 12.4% diabetes (docs/policy.md)."""
    elsewhere = htn("E2", visit("v1", "2026-08-02"), village_code=OTHER_VILLAGE)
    store(db, settings, htn("E1", visit("v1", "2026-08-01")), elsewhere)
    other_township = OTHER_VILLAGE[:9]
    save_areas(db, [(TOWNSHIP, "青山镇", 10_000), (VILLAGE, "上坪村", 800)], actor="test")

    county = center.get("/api/v1/indicators", params={"period": Q3}).json()
    by_code = {a["code"]: a for a in county["areas"]}
    assert (by_code[TOWNSHIP]["htn_expected"], by_code[TOWNSHIP]["dm_expected"]) == (3720, 1240)
    assert by_code[other_township]["htn_expected"] is None and county["total"]["htn_expected"] is None  # partial

    save_areas(db, [(OTHER_VILLAGE, "下坪村", 5_000)], actor="test")  # the other township's only village
    county = center.get("/api/v1/indicators", params={"period": Q3}).json()
    by_code = {a["code"]: a for a in county["areas"]}
    assert by_code[other_township]["htn_expected"] == 1860  # from its villages, all known
    assert (county["total"]["htn_expected"], county["total"]["dm_expected"]) == (5580, 1860)  # 15,000 people

    township = center.get("/api/v1/indicators", params={"period": Q3, "region": TOWNSHIP}).json()
    assert township["areas"][0]["htn_expected"] == 298  # 800 x 0.372 = 297.6
    assert township["total"]["htn_expected"] == 3720  # the township's own figure, not its villages' sum
