"""The §11 figures kept per village and period (service.figure_table, m014): after every kind of write
the table answers what a fresh computation gives; a row is taken on one day under one policy; a
computation that a write overtook is not kept; the nightly fill and the rebuild command."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest
from click.testing import CliRunner
from conftest import VILLAGE, make_resident, make_visit

from followup.tasks import CallOutcome
from service.auth import Principal, Role
from service.cli import cli
from service.figure_table import fill, nightly_periods, periods_from, policy_key, region_figures
from service.ingest import Ingestor
from service.jobs import run_figures
from service.outcomes import OutcomeIn, record_outcome
from service.period_indicators import Figures, computed_figures
from service.periods import parse_period
from service.store import connect
from service.store.period_facts import VisitFacts, resident_facts
from service.store.period_figures import keep_figures
from service.store.schema import VISIT_FIGURE_COLUMNS
from stratify.policy import Policy

COUNTY = VILLAGE[:6]
OTHER_VILLAGE = VILLAGE[:9] + "299"
CENTER = Principal(name="center1", role=Role.CENTER, region=COUNTY, via="session")
TODAY = dt.date(2026, 11, 27)
PERIODS = ["2026", "2026Q3", "2026-08", "2026-11", "2025"]
POLICY = Policy()


def visit(visit_id: str, date: str, **fields: object) -> dict:
    return make_visit(visit_id=visit_id, date=date, **fields)


def resident(record_id: str, *visits: dict, village: str = VILLAGE, **more: object) -> dict:
    more.setdefault("conditions", [{"code": "I10", "diagnosed_on": "2015-06-01"}])
    return make_resident(record_id, village_code=village, birth_date="1955-03-01", visits=list(visits), **more)


def store(db, *residents: dict) -> None:
    ingestor = Ingestor(db, today=TODAY)
    ingestor.begin(origin="cli", source="test", filename=None, actor="test")
    ingestor.run(msgspec.json.encode(r) for r in residents)
    assert ingestor.end().rejected_total == 0


def counted(units: dict) -> dict:
    """The (village, family doctor) figures that count something (the table keeps a row of zeros for
    a village with nothing to count, so that it is known)."""
    return {unit: figures for unit, figures in units.items() if figures != Figures()}


def answered(db, code: str, policy: Policy = POLICY, today: dt.date = TODAY) -> dict:
    return counted(region_figures(db, CENTER, None, [parse_period(code)], today, policy)[0].units)


def fresh(db, code: str, policy: Policy = POLICY, today: dt.date = TODAY) -> dict:
    return counted(computed_figures(db, COUNTY, [parse_period(code)], today, policy)[code])


def kept_rows(db) -> int:
    return db.execute("SELECT count(*) FROM period_figures").fetchone()[0]


@pytest.fixture
def county(db):
    store(
        db,
        resident("A1", visit("v1", "2026-08-03", sbp=150, dbp=95, referral="routine"), visit("v2", "2026-11-02")),
        resident("A2", visit("v1", "2026-07-10", sbp=128, dbp=80), village=OTHER_VILLAGE),
        resident("A3", visit("v1", "2025-12-01", sbp=132, dbp=82, mode="phone")),
    )
    for code in PERIODS:
        assert answered(db, code) == fresh(db, code)
    assert kept_rows(db) == 2 * len(PERIODS)
    return db


def event(event_id: str, date: str, kind: str) -> dict:
    return {"event_id": event_id, "date": date, "type": kind}


def tier_change(db) -> None:
    db.execute(
        "INSERT INTO tier_history (record_id, as_of, from_tier, to_tier, reasons, created_at) "
        "VALUES ('A1', '2026-08-20', NULL, 'red', '[]', '2026-08-20T02:00:00Z')"
    )
    db.conn.commit()


def task_done(db) -> None:
    db.execute(
        "INSERT INTO tasks (record_id, kind, owner_level, village_code, status, created_on, due, closed_on) "
        "VALUES ('A1', 'routine_followup', 'village', ?, 'done', '2026-07-01', '2026-08-15', '2026-08-14')",
        [VILLAGE],
    )
    db.conn.commit()


def moved_away(db) -> None:
    task_id = db.execute(
        "INSERT INTO tasks (record_id, kind, owner_level, village_code, status, created_on, due) "
        "VALUES ('A2', 'routine_followup', 'village', ?, 'open', '2026-11-01', '2026-12-01')",
        [OTHER_VILLAGE],
    ).lastrowid
    db.conn.commit()
    fill(db, [parse_period(code) for code in PERIODS], TODAY, POLICY)  # the task's own change is not the case
    record_outcome(db, POLICY, CENTER, task_id, OutcomeIn(outcome=CallOutcome.MOVED_AWAY), TODAY)


WRITES = [
    # (what changes, how: through the ingest of a resident document or as the nightly job writes)
    ("a visit in the period", lambda db: store(db, resident("A3", visit("v9", "2026-08-09", sbp=160, dbp=100)))),
    (
        "a visit completing an August referral in September",
        lambda db: store(db, resident("A1", visit("v3", "2026-09-01", level="township"))),
    ),
    ("a death", lambda db: store(db, resident("A1", events=[event("e1", "2026-08-30", "death")]))),
    ("a stroke", lambda db: store(db, resident("A3", events=[event("e2", "2026-08-12", "stroke")]))),
    ("a move to another village", lambda db: store(db, resident("A3", village=OTHER_VILLAGE))),
    ("a call outcome: moved away", moved_away),
    ("a diagnosis", lambda db: store(db, resident("A1", conditions=[{"code": "E11", "diagnosed_on": "2026-01-05"}]))),
    ("a new resident", lambda db: store(db, resident("B1", visit("v1", "2026-08-02"), village=VILLAGE[:9] + "377"))),
    ("a tier in the history", tier_change),
    ("a family doctor", lambda db: store(db, resident("A1", family_doctor="wang"))),
    ("a task done on time", task_done),
]


@pytest.mark.parametrize(("what", "write"), WRITES, ids=[w[0] for w in WRITES])
def test_after_each_kind_of_write_the_table_answers_what_a_fresh_computation_gives(county, what, write):
    before = {code: answered(county, code) for code in PERIODS}
    write(county)
    after = {code: answered(county, code) for code in PERIODS}
    assert after == {code: fresh(county, code) for code in PERIODS}
    assert after != before, f"{what} changed none of the figures: the case tests nothing"


def test_a_change_of_a_visits_medicines_alone_is_seen(county):
    """m016: the visits' update triggers watch the medicines too (they decide "not intensified")."""
    amlodipine = [{"drug": "amlodipine", "daily_dose_mg": 5}]
    first = visit("v7", "2026-07-20", sbp=160, dbp=95, medications=amlodipine)
    store(county, resident("C1", first, visit("v8", "2026-09-20", sbp=162, dbp=96, medications=amlodipine)))
    assert sum(f.htn_uncontrolled_not_intensified for f in answered(county, "2026Q3").values()) == 1

    stepped_up = [{"drug": "amlodipine", "daily_dose_mg": 10}]
    store(county, resident("C1", first, visit("v8", "2026-09-20", sbp=162, dbp=96, medications=stepped_up)))

    assert answered(county, "2026Q3") == fresh(county, "2026Q3")
    assert sum(f.htn_uncontrolled_not_intensified for f in answered(county, "2026Q3").values()) == 0


def test_a_write_dated_later_leaves_the_rows_of_earlier_periods(county):
    store(county, resident("A2", visit("v5", "2026-10-20"), village=OTHER_VILLAGE))
    rows = county.execute("SELECT period FROM period_figures WHERE village_code = ?", [OTHER_VILLAGE])
    periods = {period for (period,) in rows}
    assert periods == {"2025", "2026-08"}  # 2026-10-20 - 30 days is after August, before Q3 ends: gone


def test_a_re_import_of_the_same_records_keeps_every_row(county):
    rows = kept_rows(county)
    store(county, resident("A2", visit("v1", "2026-07-10", sbp=128, dbp=80), village=OTHER_VILLAGE))
    assert kept_rows(county) == rows


def test_a_row_holds_for_one_day_and_one_policy(county):
    """A period in progress is taken on the day asked; another policy's targets give other counts."""
    tomorrow = TODAY + dt.timedelta(days=1)
    assert answered(county, "2026", today=tomorrow) == fresh(county, "2026", today=tomorrow)
    strict = Policy(bp_target=(130, 80))
    assert policy_key(strict) != policy_key(Policy())
    assert answered(county, "2026Q3", policy=strict) == fresh(county, "2026Q3", policy=strict)
    assert answered(county, "2026Q3", policy=strict) != answered(county, "2026Q3")


def test_figures_a_write_overtook_are_not_kept(county, settings):
    """Computed in one read transaction; a write committed meanwhile makes SQLite refuse to store them."""
    county.execute("DELETE FROM period_figures")
    county.conn.commit()
    county.conn.execute("BEGIN")
    list(resident_facts(county, VILLAGE, visits_from=TODAY, visits_to=TODAY, as_of=TODAY))
    other = connect(settings.db_path)
    store(other, resident("A3", visit("v7", "2026-08-20")))
    other.close()
    row = ("2026Q3", VILLAGE, "", "2026-09-30", "2026-09-30", msgspec.structs.asdict(Figures()))
    assert keep_figures(county, [row], policy_key(Policy()), tuple(Figures.__struct_fields__)) is False
    assert not county.conn.in_transaction
    assert kept_rows(county) == 0


def test_the_nightly_fill_keeps_the_last_twelve_months_their_quarters_and_years_once(db):
    store(
        db, resident("N1", visit("v1", "2026-03-03")), resident("N2", visit("v1", "2025-12-24"), village=OTHER_VILLAGE)
    )
    periods = nightly_periods(TODAY)
    assert [p.code for p in periods[:2]] == ["2025-11", "2025-12"] and periods[12].code == "2026-11"
    assert {p.code for p in periods[13:]} == {"2025Q4", "2026Q1", "2026Q2", "2026Q3", "2026Q4", "2025", "2026"}
    assert fill(db, periods, TODAY, Policy()) == {"computed": 2, "kept": 2 * len(periods)}
    assert fill(db, periods, TODAY, Policy()) == {}
    for code in ("2025-12", "2026Q1", "2026"):
        assert answered(db, code) == fresh(db, code)


def test_periods_from_a_day_are_every_month_quarter_and_year_up_to_today():
    codes = [p.code for p in periods_from(dt.date(2025, 11, 15), dt.date(2026, 2, 1))]
    assert codes == ["2025-11", "2025-12", "2026-01", "2026-02", "2025Q4", "2026Q1", "2025", "2026"]


def test_the_rebuild_command_computes_every_period_since_a_year_again(db, settings):
    store(db, resident("R1", visit("v1", "2026-03-03")))
    answered(db, "2026-03", today=settings.today())
    db.execute("UPDATE period_figures SET htn_managed = 99")  # as if computed from what is no longer so
    db.conn.commit()
    result = CliRunner().invoke(cli, ["--db", str(settings.db_path), "indicators", "rebuild", "--since", "2025"])
    assert result.exit_code == 0, result.output
    today = settings.today()
    months = (today.year - 2025) * 12 + today.month
    quarters = (today.year - 2025) * 4 + (today.month + 2) // 3
    assert kept_rows(db) == months + quarters + today.year - 2024
    assert f"1 villages, {months + quarters + today.year - 2024} rows" in result.output
    assert answered(db, "2026-03", today=today) == fresh(db, "2026-03", today=today)
    assert answered(db, "2026-03", today=today)[VILLAGE, ""].htn_managed == 1


def test_the_figures_job_fills_the_nightly_span_as_its_own_run(db):
    store(db, resident("J1", visit("v1", "2026-06-03")))
    first = run_figures(db, POLICY, TODAY, trigger="test")
    again = run_figures(db, POLICY, TODAY, trigger="test")

    assert (first.periods, first.villages, first.rows, first.skipped) == (20, 1, 20, 0)
    assert (again.villages, again.rows) == (0, 0)
    runs = db.execute("SELECT kind, status, as_of FROM job_runs ORDER BY run_id").fetchall()
    assert runs == [("figures", "ok", TODAY.isoformat())] * 2
    assert answered(db, "2026-06") == fresh(db, "2026-06")


def test_every_visit_column_the_figures_read_is_watched_by_the_triggers(db):
    """A visit's column read by the figures but not watched would let an update leave a stale row."""
    read = set(VisitFacts._fields) - {"visit_id"}  # the id is the key: an upsert never changes it
    assert read <= set(VISIT_FIGURE_COLUMNS)
    triggers = dict(db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'visits'"))
    for column in read:
        assert f"OLD.{column} IS NOT NEW.{column}" in triggers["visits_figures_update_new"], column


def test_a_visits_medication_changed_flag_alone_is_seen(county):
    """Review: re-sent with only `medication_changed` set, a visit's "not intensified" count changes."""
    medicines = [{"drug": "amlodipine", "daily_dose_mg": 5}]
    first = visit("m1", "2026-08-05", sbp=168, dbp=98, medications=medicines)
    second = visit("m2", "2026-08-25", sbp=166, dbp=97, medications=medicines)
    store(county, resident("A3", first, second))
    before = answered(county, "2026Q3")
    store(county, resident("A3", first, {**second, "medication_changed": True}))
    assert answered(county, "2026Q3") == fresh(county, "2026Q3") != before


def test_a_moved_residents_change_reaches_the_village_their_tasks_still_name(county):
    """Review: a task keeps the village it was made in; a later change of the resident (a family
    doctor) deletes that village's rows too."""
    county.execute(
        "INSERT INTO tasks (record_id, kind, owner_level, village_code, status, created_on, due) "
        "VALUES ('A3', 'routine_followup', 'village', ?, 'open', '2026-07-01', '2026-08-15')",
        [VILLAGE],
    )
    county.conn.commit()
    store(county, resident("A3", village=OTHER_VILLAGE))
    answered(county, "2026Q3")  # kept, with the task in its old village
    store(county, resident("A3", village=OTHER_VILLAGE, family_doctor="wang"))
    assert answered(county, "2026Q3") == fresh(county, "2026Q3")
