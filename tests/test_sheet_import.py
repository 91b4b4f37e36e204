"""A county's BPHS follow-up spreadsheets in (CONTRACT §8) through `sanbiao import`: every built-in
header and value form, CSV encodings, Excel date cells, located errors, whole-file refusals,
national-id-derived sex and birth date, re-import, a custom mapping."""

from __future__ import annotations

import codecs
import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from click.testing import CliRunner
from conftest import VILLAGE, national_id

from fixtures.bphs import AS_OF, write_sheet
from fixtures.county import generate
from service import row_staging, sheet_aside, sheet_files
from service.cli import cli
from service.settings import Settings
from service.sheet_import import import_sheet
from service.sheets import STAGING_ROWS
from service.store import connect, migrate


def row(record_id: str = "H-1", **cells: object) -> dict[str, object]:
    base = {
        "档案编号": record_id,
        "姓名": "林秀英",
        "性别": "女",
        "出生日期": "1956-03-02",
        "村编码": VILLAGE,
        "疾病": "高血压",
        "随访日期": "2026-10-08",
        "随访方式": "门诊",
        "收缩压(mmHg)": 138,
        "舒张压（mmHg）": 86,
    }
    return {**base, **cells}


def write_xlsx(path: Path, sheets: dict[str, list[dict[str, object]]]) -> Path:
    workbook = xlsxwriter.Workbook(str(path))
    dates = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        header = list(dict.fromkeys(key for r in rows for key in r))
        sheet.write_row(0, 0, header)
        for i, r in enumerate(rows, 1):
            for j, key in enumerate(header):
                value = r.get(key)
                if isinstance(value, dt.date):
                    sheet.write_datetime(i, j, dt.datetime.combine(value, dt.time()), dates)
                elif value is not None:
                    sheet.write(i, j, value)
    workbook.close()
    return path


def write_csv(path: Path, rows: list[dict[str, object]], encoding: str = "utf-8") -> Path:
    header = list(dict.fromkeys(key for r in rows for key in r))
    lines = [",".join(header)] + [",".join(str(r.get(k, "")) for k in header) for r in rows]
    path.write_bytes("\r\n".join(lines).encode(encoding))
    return path


@pytest.fixture
def county(tmp_path):
    settings = Settings(db_path=tmp_path / "county.db", scheduler=False)
    db = connect(settings.db_path)
    migrate(db)
    yield settings, db
    db.close()


def run_import(settings: Settings, *args: object):
    result = CliRunner().invoke(cli, ["--db", str(settings.db_path), "import", "--no-assess", *map(str, args)])
    return result


def imported(settings: Settings, *args: object) -> dict:
    result = run_import(settings, *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def visit(db, record_id: str = "H-1") -> dict:
    db.conn.row_factory = None
    columns = [c.name for c in db["visits"].columns]
    values = db.execute("SELECT * FROM visits WHERE record_id = ? ORDER BY date", [record_id]).fetchall()
    return [dict(zip(columns, v, strict=True)) for v in values][-1]


SYMPTOMS_CELL = "头晕、胸痛;视物模糊"


def test_every_built_in_header_reaches_its_field(county, tmp_path):
    settings, db = county
    born = "19500315"
    full = row(
        **{
            "身份证号": national_id(born, "242"),
            "出生日期": "1950-03-15",
            "联系电话": "13800001234",
            "责任医生": "wang",
            "确诊日期": "2015/6/1",
            "随访编号": "V-77",
            "随访机构级别": "乡镇",
            "心率(次/分)": 72,
            "体温(℃)": 36.6,
            "体重(kg)": 61.5,
            "身高(cm)": 158,
            "腰围(cm)": 80,
            "空腹血糖(mmol/L)": 6.4,
            "糖化血红蛋白(%)": 6.9,
            "总胆固醇(mmol/L)": 5.1,
            "吸烟": "否",
            "服药依从性": "间断",
            "药物不良反应": "无",
            "低血糖反应": "偶尔",
            "症状": SYMPTOMS_CELL,
            "转诊": "常规",
            "此次随访分类": "控制满意",
            "下次随访日期": "2026-11-08",
            "备注": "测试",
            " 疾病 ": "高血压、糖尿病",
        }
    )
    del full["疾病"]
    summary = imported(settings, write_xlsx(tmp_path / "full.xlsx", {"高血压": [full]}))

    assert summary["accepted"] == 1, summary
    person = db.execute(
        "SELECT sex, birth_date, national_id, phone, family_doctor FROM residents WHERE record_id = 'H-1'"
    ).fetchone()
    assert person == ("F", "1950-03-15", national_id(born, "242"), "13800001234", "wang")
    conditions = db.execute("SELECT code, diagnosed_on FROM conditions WHERE record_id = 'H-1' ORDER BY code")
    assert list(conditions) == [("E11", "2015-06-01"), ("I10", "2015-06-01")]
    v = visit(db)
    assert (v["visit_id"], v["date"], v["mode"], v["level"]) == ("V-77", "2026-10-08", "clinic", "township")
    assert (v["sbp"], v["dbp"], v["heart_rate"], v["temperature_c"]) == (138, 86, 72, 36.6)
    assert (v["weight_kg"], v["height_cm"], v["waist_cm"]) == (61.5, 158, 80)
    assert (v["fasting_glucose"], v["hba1c"], v["total_cholesterol"]) == (6.4, 6.9, 5.1)
    assert (v["smoker"], v["adherence"], v["adverse_reaction"], v["hypoglycemia"]) == (0, "intermittent", 0, "mild")
    assert json.loads(v["symptoms"]) == ["dizziness", "chest_pain", "blurred_vision"]
    assert v["referral"] == "routine"


@pytest.mark.parametrize(
    "cell",
    ["2026-10-08", "2026/10/8", "2026.10.8", "2026年10月8日", dt.date(2026, 10, 8), 46303],  # 46303: Excel's serial
)
def test_each_date_form_is_read(county, tmp_path, cell):
    settings, db = county
    imported(settings, write_xlsx(tmp_path / "d.xlsx", {"s": [row(随访日期=cell)]}))
    assert visit(db)["date"] == "2026-10-08"


@pytest.mark.parametrize(
    ("header", "cell", "column", "stored"),
    [
        ("性别", "男", "sex", "M"),
        ("随访方式", "家庭", "mode", "home"),
        ("随访方式", "电话", "mode", "phone"),
        ("随访机构级别", "村", "level", "village"),
        ("随访机构级别", "县", "level", "county"),
        ("吸烟", "是", "smoker", 1),
        ("服药依从性", "规律", "adherence", "regular"),
        ("服药依从性", "不服药", "adherence", "none"),
        ("药物不良反应", "有", "adverse_reaction", 1),
        ("低血糖反应", "无", "hypoglycemia", "none"),
        ("低血糖反应", "频繁", "hypoglycemia", "severe"),
        ("转诊", "紧急", "referral", "urgent"),
        ("转诊", "无", "referral", None),
        ("症状", "无", "symptoms", "[]"),  # asked, none: not the same as not asked
    ],
)
def test_every_value_word_is_read(county, tmp_path, header, cell, column, stored):
    settings, db = county
    imported(settings, write_csv(tmp_path / "w.csv", [row(**{header: cell})]))
    if column == "sex":
        assert db.execute("SELECT sex FROM residents").fetchone() == (stored,)
    else:
        assert visit(db)[column] == stored


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_or_gb18030(county, tmp_path, encoding):
    settings, db = county
    summary = imported(settings, write_csv(tmp_path / "e.csv", [row(), row("H-2", 姓名="陈建国")], encoding))
    assert summary["accepted"] == 2
    assert db.execute("SELECT name FROM residents WHERE record_id = 'H-2'").fetchone() == ("陈建国",)
    assert codecs.BOM_UTF8 not in db.execute("SELECT record_id FROM residents ORDER BY 1").fetchone()[0].encode()


def test_an_unknown_header_refuses_the_whole_file(county, tmp_path, process):
    settings, db = county
    result = run_import(settings, write_csv(tmp_path / "u.csv", [row(), row("H-2", 血型="A")]))
    assert result.exit_code != 0
    assert "血型" in result.output and "nothing of this file was stored" in result.output
    assert db.execute("SELECT count(*) FROM residents").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM import_batches").fetchone() == (0,)


def test_an_unreadable_workbook_is_refused(county, tmp_path, process):
    settings, db = county
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a zip")
    result = run_import(settings, bad)
    assert result.exit_code != 0 and "not a readable .xlsx" in result.output
    assert db.execute("SELECT count(*) FROM residents").fetchone() == (0,)


def test_a_bad_cell_rejects_only_its_resident_naming_row_and_column(county, tmp_path, process):
    settings, db = county
    rows = [
        row("H-1"),
        row("H-2", 随访日期="2026-09-01"),
        row("H-3"),
        row("H-2", 随访日期="2026-10-01", **{"收缩压(mmHg)": "高"}),  # row 5: not adjacent to H-2's first
    ]
    summary = imported(settings, write_xlsx(tmp_path / "b.xlsx", {"随访": rows}))

    assert summary["accepted"] == 2 and summary["rejected_total"] == 1
    [rejected] = summary["rejected"]
    assert rejected["record_id"] == "H-2" and rejected["file"] == "b.xlsx"
    assert rejected["errors"] == [
        {"field": "visits[1].sbp", "message": "must be a whole number", "row": 5, "column": "收缩压", "sheet": "随访"}
    ]
    assert db.execute("SELECT count(*) FROM residents WHERE record_id = 'H-2'").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM visits WHERE record_id = 'H-2'").fetchone() == (0,)


def test_rows_below_blank_rows_keep_their_numbers_in_either_reader(county, tmp_path, reader):
    """A sheet whose table starts at row 3, column B: errors name the rows Excel shows."""
    settings, _ = county
    path = tmp_path / "low.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("随访")
    rows = [row("H-1"), row("H-2", **{"收缩压(mmHg)": "高"})]
    header = list(rows[0])
    sheet.write_row(2, 1, header)
    for i, r in enumerate(rows, 3):
        sheet.write_row(i, 1, [r[k] for k in header])
    workbook.close()

    summary = imported(settings, path)
    assert summary["accepted"] == 1
    [rejected] = summary["rejected"]
    assert rejected["errors"][0]["row"] == 5 and rejected["errors"][0]["column"] == "收缩压"


def test_a_rule_of_section_3_is_located_too(county, tmp_path, process):
    settings, _ = county
    rows = [row("H-1", 随访日期="2026-09-01"), row("H-1", **{"收缩压(mmHg)": 80, "舒张压（mmHg）": 90})]
    [rejected] = imported(settings, write_csv(tmp_path / "r.csv", rows))["rejected"]
    [error] = rejected["errors"]
    assert (error["field"], error["row"], error["column"]) == ("visits[1].dbp", 3, "舒张压")
    assert "must be lower than sbp" in error["message"]


def test_sex_and_birth_date_come_from_the_national_id_and_must_agree(county, tmp_path):
    settings, db = county
    man = national_id("19480704", "357")
    rows = [
        row("ID-1", 性别="", 出生日期="", 身份证号=man),
        row("ID-2", 性别="女", 出生日期="", 身份证号=man),  # a man's number
    ]
    summary = imported(settings, write_csv(tmp_path / "i.csv", rows))
    assert db.execute("SELECT sex, birth_date FROM residents WHERE record_id = 'ID-1'").fetchone() == (
        "M",
        "1948-07-04",
    )
    [rejected] = summary["rejected"]
    assert rejected["record_id"] == "ID-2"
    assert [(e["field"], e["row"], e["column"]) for e in rejected["errors"]] == [("sex", 3, "性别")]


@pytest.mark.parametrize(  # the second process reads as it does by default: calamine for this file
    ("reader", "process"), [("calamine", "here"), ("openpyxl", "here"), ("calamine", "aside")], indirect=True
)
def test_a_residents_rows_apart_on_one_sheet_make_one_resident(county, tmp_path, reader, process):
    """Rows of two residents taken turns (as a sheet sorted by date has them): each resident whole,
    whether built at its last row (one sheet in memory) or after the whole file (staged)."""
    settings, db = county
    dates = ["2026-08-03", "2026-09-04", "2026-10-05"]
    rows = [row(record_id, 随访日期=date) for date in dates for record_id in ("T-1", "T-2")]
    summary = imported(settings, write_xlsx(tmp_path / "turns.xlsx", {"随访": rows}))
    assert (summary["created"], summary["rejected_total"]) == (2, 0)
    stored = db.execute("SELECT record_id, group_concat(date) FROM (SELECT * FROM visits ORDER BY date) GROUP BY 1")
    assert dict(stored) == {"T-1": ",".join(dates), "T-2": ",".join(dates)}


def test_a_long_file_reports_the_rows_read_as_it_goes(county, tmp_path, process):
    """What the upload page's progress shows: rows read, every STAGING_ROWS rows, from either process."""
    _, db = county
    residents = list(generate(1_700, 5, AS_OF))
    sheet = write_sheet(residents, tmp_path / "long.xlsx")
    heard: list[int] = []
    summary = import_sheet(db, sheet, actor="test", today=AS_OF, progress=heard.append)
    assert summary.created == len(residents)
    assert heard and heard == sorted(heard) and heard[0] == STAGING_ROWS


@pytest.mark.parametrize("reader", ["calamine", "openpyxl"], indirect=True)
def test_two_record_id_columns_group_rows_alike_in_either_reader(county, tmp_path, reader):
    """A sheet whose 档案编号 column is repeated: a row's record_id is its last non-empty one, whether
    residents are built at their last row (calamine) or after the whole file (staged)."""
    settings, db = county
    path = tmp_path / "twice.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("随访")
    header = [*row(), "档案编号"]
    sheet.write_row(0, 0, header)
    first, second = row("X", 随访日期="2026-09-01"), row("", 随访日期="2026-10-01")
    sheet.write_row(1, 0, [*first.values(), None])  # X in the first column only
    sheet.write_row(2, 0, [*second.values(), "X"])  # X in the last column only
    workbook.close()

    summary = imported(settings, path)

    assert (summary["accepted"], summary["created"]) == (1, 1)
    assert db.execute("SELECT count(*) FROM visits WHERE record_id = 'X'").fetchone() == (2,)


def test_a_message_cut_short_by_a_dying_reader_ends_the_stream():
    """A reader killed in the middle of a message: the end of the stream, so the import reports the
    reader's own last words, not a garbled message."""
    whole = b"\x00\x00\x00\x03abc"
    stream = io.BytesIO(whole + b"\x00\x00\x01\x00" + b"x" * 10)
    assert sheet_aside._frame(stream) == b"abc"
    assert sheet_aside._frame(stream) is None


def test_a_reader_that_dies_fails_the_import_and_says_so(county, tmp_path, monkeypatch):
    """The second process exits without a word: the import fails, recorded as failed, never taken
    for a shorter file."""
    settings, db = county
    monkeypatch.setattr(sheet_aside, "ASIDE_MIN_BYTES", 0)
    monkeypatch.setattr(sheet_aside.sys, "executable", "/bin/false")
    result = run_import(settings, write_xlsx(tmp_path / "gone.xlsx", {"随访": [row()]}))
    assert result.exit_code != 0
    assert "the sheet reader stopped (exit 1)" in str(result.exception)
    assert db.execute("SELECT count(*) FROM residents").fetchone() == (0,)
    assert db.execute("SELECT error FROM import_batches").fetchall() == [
        ("RuntimeError: the sheet reader stopped (exit 1)",)
    ]


def test_importing_the_same_sheet_again_changes_nothing(county, tmp_path):
    settings, _ = county
    sheet = write_xlsx(tmp_path / "again.xlsx", {"s": [row(), row(随访日期="2026-11-08"), row("H-2")]})
    first = imported(settings, sheet)
    second = imported(settings, sheet)
    assert (first["created"], second["created"], second["updated"], second["unchanged"]) == (2, 0, 0, 2)


def test_rows_of_one_resident_on_two_sheets_make_one_resident(county, tmp_path, process):
    settings, db = county
    sheets = {"高血压": [row("B-1", 疾病="高血压")], "糖尿病": [row("B-1", 疾病="糖尿病", 随访日期="2026-11-01")]}
    assert imported(settings, write_xlsx(tmp_path / "two.xlsx", sheets))["accepted"] == 1
    assert db.execute("SELECT count(*) FROM visits WHERE record_id = 'B-1'").fetchone() == (2,)
    assert [c for (c,) in db.execute("SELECT code FROM conditions ORDER BY code")] == ["E11", "I10"]


def test_a_custom_mapping_reads_english_headers(county, tmp_path):
    settings, db = county
    mapping = tmp_path / "county.toml"
    mapping.write_text(
        '[columns]\n"Record no" = "record_id"\n"Name" = "name"\n"Sex" = "sex"\n"Born" = "birth_date"\n'
        '"Village" = "village_code"\n"Disease" = "conditions"\n"Visit date" = "date"\n"How" = "mode"\n'
        '"SBP (mmHg)" = "sbp"\n"DBP" = "dbp"\n[ignore]\nheaders = ["Remarks"]\n',
        encoding="utf-8",
    )
    english = [
        {"Record no": "E-1", "Name": "Lin", "Sex": "F", "Born": "1956-03-02", "Village": VILLAGE, "Disease": "I10"}
        | {"Visit date": "2026-10-08", "How": "电话", "SBP": 132, "DBP": 84, "Remarks": "x"}
    ]
    summary = imported(settings, "--mapping", mapping, write_csv(tmp_path / "en.csv", english))
    assert summary["accepted"] == 1, summary
    assert (visit(db, "E-1")["mode"], visit(db, "E-1")["sbp"]) == ("phone", 132)

    mapping.write_text('[columns]\n"X" = "blood_group"\n', encoding="utf-8")
    result = run_import(settings, "--mapping", mapping, write_csv(tmp_path / "en.csv", english))
    assert result.exit_code != 0 and "blood_group" in result.output


@pytest.fixture(params=["calamine", "openpyxl"])
def reader(request, monkeypatch):
    """Each workbook reader: python-calamine for a sheet that fits the memory budget, openpyxl beyond
    (a CSV file has its own)."""
    if request.param == "openpyxl":
        monkeypatch.setattr(sheet_files, "CALAMINE_MAX_SHEET_BYTES", 0)
    return request.param


WAYS = {  # suffix, and what is set for that way through the code
    "calamine": (".xlsx", {}),  # one sheet in memory: residents built at their last row
    "openpyxl": (".xlsx", {(sheet_files, "CALAMINE_MAX_SHEET_BYTES"): 0}),  # streamed: rows staged
    "csv": (".csv", {}),
    "calamine, aside": (".xlsx", {(sheet_aside, "ASIDE_MIN_BYTES"): 0}),
    "csv, aside": (".csv", {(sheet_aside, "ASIDE_MIN_BYTES"): 0}),
    "csv, staged on disk": (".csv", {(row_staging, "STAGING_MEMORY_BYTES"): 0}),
}


@pytest.mark.parametrize("way", WAYS)
def test_the_synthetic_countys_workbook_imports_as_its_records_do(county, tmp_path, monkeypatch, way):
    """fixtures/bphs.py writes the synthetic county as clerks keep it (every date form, phone visits,
    blank cells): imported, its visits and measurements are those of the same county's records, by
    every way a file is read."""
    settings, db = county
    suffix, settings_of_way = WAYS[way]
    for (module, name), value in settings_of_way.items():
        monkeypatch.setattr(module, name, value)
    residents = list(generate(150, 7, AS_OF))
    summary = imported(settings, write_sheet(residents, tmp_path / f"county{suffix}"))

    assert summary["rejected"] == [] and summary["accepted"] == len(residents)
    columns = "record_id, visit_id, date, mode, level, sbp, dbp, fasting_glucose, hba1c, adherence, symptoms, referral"
    keys = ("visit_id", "date", "mode", "level", "sbp", "dbp", "fasting_glucose", "hba1c", "adherence")
    expected = {
        (r["record_id"], *(v.get(k) for k in keys), _json(v.get("symptoms")), v.get("referral"))
        for r in residents
        for v in r["visits"]
    }
    assert set(db.execute(f"SELECT {columns} FROM visits")) == expected
    assert {m for (m,) in db.execute("SELECT DISTINCT mode FROM visits")} >= {"clinic", "phone"}


def _json(value: object) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"))


@pytest.mark.parametrize(
    ("lang", "done", "error"),
    [
        ("zh-CN", "导入完成：接收 1 人", "第 3 行 收缩压: 请填整数"),
        ("en", "Imported: 1 accepted", "row 3 收缩压: must be a whole number"),
    ],
)
def test_people_read_the_summary_and_the_errors_in_their_language(county, tmp_path, lang, done, error):
    settings, _ = county
    sheet = write_csv(tmp_path / "l.csv", [row("H-1"), row("H-2", **{"收缩压(mmHg)": "高"})])
    result = run_import(settings, "--lang", lang, sheet)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rejected_total"] == 1  # scripts keep the API's JSON on stdout
    assert done in result.stderr and error in result.stderr
    assert ("l.csv 居民 H-2" if lang == "zh-CN" else "l.csv resident H-2") in result.stderr


def test_a_workbook_split_over_sheets_at_excels_row_limit_imports_whole(county, tmp_path, monkeypatch, process):
    settings, db = county
    monkeypatch.setattr("fixtures.bphs.SHEET_ROWS", 40)  # Excel's limit is 1,048,576: a small one here
    residents = list(generate(60, 3, AS_OF))
    summary = imported(settings, write_sheet(residents, tmp_path / "split.xlsx"))
    assert summary["accepted"] == len(residents)
    visits = sum(len(r["visits"]) for r in residents)
    assert db.execute("SELECT count(*) FROM visits").fetchone() == (visits,)


def test_long_integer_ids_and_error_cells_are_read_as_written(county, tmp_path):
    """17-digit record_ids stored as exact integers (as PhpSpreadsheet or excelize write them) and an
    error cell (#N/A): calamine would round the ids into one and read #N/A as empty, so such a workbook
    is read by openpyxl, which keeps both."""
    settings, db = county
    path = tmp_path / "ids.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "随访"
    header = list(row())
    sheet.append(header)
    for placeholder in ("@ID-1@", "@ID-2@"):
        sheet.append([placeholder if k == "档案编号" else row()[k] for k in header])
    sheet.append([{"档案编号": "H-9", "收缩压(mmHg)": "#N/A"}.get(k, row("H-9")[k]) for k in header])
    book.save(path)
    assert sheet["I4"].data_type == "e"  # an error cell, as Excel keeps a failed lookup
    exact_integers(path, {"@ID-1@": 35042100000000123, "@ID-2@": 35042100000000124})

    summary = imported(settings, path)

    assert summary["accepted"] == 2
    assert {r for (r,) in db.execute("SELECT record_id FROM residents")} == {"35042100000000123", "35042100000000124"}
    [rejected] = summary["rejected"]
    assert rejected["record_id"] == "H-9" and rejected["errors"][0]["row"] == 4
    assert rejected["errors"][0]["column"] == "收缩压"


def exact_integers(path: Path, numbers: dict[str, int]) -> None:
    """Rewrite text cells holding a placeholder as number cells holding the integer, digit for digit."""
    with zipfile.ZipFile(path) as book:
        parts = {info.filename: book.read(info) for info in book.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    for placeholder, number in numbers.items():
        sheet = sheet.replace(f't="inlineStr"><is><t>{placeholder}</t></is>', f't="n"><v>{number}</v>')
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for name, data in parts.items():
            book.writestr(name, data)


def test_an_error_is_located_by_the_header_of_its_own_sheet(county, tmp_path):
    """A resident's identity on a wide sheet, its visits on a narrow one: a §3 error of a visit names the
    visit sheet's column."""
    settings, _ = county
    path = tmp_path / "two.xlsx"
    identity = {k: v for k, v in row("H-1").items() if k in ("档案编号", "姓名", "性别", "出生日期", "村编码", "疾病")}
    visits = {
        "档案编号": "H-1",
        "随访日期": "2026-10-08",
        "随访方式": "门诊",
        "收缩压(mmHg)": 350,
        "舒张压（mmHg）": 90,
    }
    write_xlsx(path, {"档案": [identity], "随访": [visits]})

    [rejected] = imported(settings, path)["rejected"]

    assert rejected["errors"] == [
        {
            "field": "visits[0].sbp",
            "message": rejected["errors"][0]["message"],
            "row": 2,
            "column": "收缩压",
            "sheet": "随访",
        }
    ]


MEDICINE_CELLS = [
    # (the row's medicine cells, the visit's list); issue #16, docs/import.md
    pytest.param({}, None, id="no-cells-not-recorded"),
    pytest.param({"药物名称1": "氨氯地平", "每日剂量1(mg)": 5}, [("amlodipine", 5)], id="chinese-name-daily-mg"),
    pytest.param(
        {"药物名称1": "metformin", "用法用量1": "每日2次 每次0.5g"}, [("metformin", 1000)], id="inn-times-grams"
    ),
    pytest.param({"药物名称1": "苯磺酸氨氯地平片", "每日剂量1": "5mg"}, [("amlodipine", 5)], id="salt-and-form-named"),
    pytest.param(
        {"药物名称1": "甘精胰岛素注射液", "每日剂量1": "12"}, [("insulin glargine", 12)], id="longest-name-wins"
    ),
    pytest.param(
        {"药物名称1": "氨氯地平", "每日剂量1": 10, "药物名称3": "氯沙坦", "每日剂量3": 50},
        [("amlodipine", 10), ("losartan", 50)],
        id="a-gap-between-columns",
    ),
    pytest.param({"药物名称1": "无"}, [], id="none-takes-none"),
]


@pytest.mark.parametrize(("cells", "expected"), MEDICINE_CELLS)
def test_the_forms_medicine_columns_make_the_visits_list(county, tmp_path, cells, expected):
    settings, db = county

    summary = imported(settings, write_csv(tmp_path / "m.csv", [row(**cells)]))

    assert summary["accepted"] == 1, summary["rejected"]
    stored = visit(db)["medications"]
    listed = None if stored is None else [(m["drug"], m["daily_dose_mg"]) for m in json.loads(stored)]
    assert listed == expected


@pytest.mark.parametrize(
    ("cells", "field", "column", "says"),
    [
        pytest.param(
            {"药物名称1": "氨氯地平", "每日剂量1": 5, "药物名称2": "某某片", "每日剂量2": 5},
            "visits[0].medications[1].drug",
            "药物名称2",
            "unknown drug '某某片'",
            id="unknown-name",
        ),
        pytest.param(
            {"药物名称1": "氨氯地平", "每日剂量1": "一片"},
            "visits[0].medications[0].daily_dose_mg",
            "每日剂量1",
            "not a daily dose",
            id="dose-not-a-dose",
        ),
        pytest.param(
            {"药物名称1": "氨氯地平"}, "visits[0].medications[0].daily_dose_mg", "每日剂量1", "required", id="no-dose"
        ),
        pytest.param(
            {"药物名称1": "氨氯地平", "每日剂量1": 5, "药物名称2": "amlodipine", "每日剂量2": 10},
            "visits[0].medications[1].drug",
            "药物名称2",
            "duplicate drug 'amlodipine'",
            id="twice-after-naming",
        ),
        pytest.param(
            {"药物名称1": "氨氯地平", "每日剂量1": 0},
            "visits[0].medications[0].daily_dose_mg",
            "每日剂量1",
            "> 0",
            id="zero-dose-by-the-record-rules",
        ),
    ],
)
def test_a_bad_medicine_cell_names_its_row_and_column(county, tmp_path, cells, field, column, says):
    settings, db = county
    if "每日剂量1" not in cells:
        cells = {**cells, "每日剂量1": ""}  # the column is there, its cell empty

    summary = imported(settings, write_csv(tmp_path / "m.csv", [row("H-0"), row(**cells)]))

    [rejected] = summary["rejected"]
    error = next(e for e in rejected["errors"] if e["field"] == field)
    assert (error["row"], error["column"]) == (3, column) and says in error["message"], rejected["errors"]
    assert db.execute("SELECT count(*) FROM visits WHERE record_id = 'H-1'").fetchone()[0] == 0
