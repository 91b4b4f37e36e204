"""The store: migrations, connection settings, region ranges."""

from __future__ import annotations

import sqlite3

import pytest

from service.store import connect, is_current, migrate, region_bounds

TABLES = {
    "residents",
    "conditions",
    "visits",
    "events",
    "assessments",
    "tier_history",
    "tasks",
    "task_outcomes",
    "models",
    "overrides",
    "users",
    "api_keys",
    "sessions",
    "job_runs",
    "audit_log",
    "import_batches",
    "village_indicators",
    "areas",
    "period_figures",
    "figure_villages",
}  # DESIGN.md §Data, and the dashboard's figures by village


def test_migrate_creates_every_table_once(tmp_path):
    db = connect(tmp_path / "s.db")

    assert migrate(db) == [
        "m001_initial",
        "m002_task_planning",
        "m003_task_region_order",
        "m004_run_owner",
        "m005_running_rows",
        "m006_village_indicators",
        "m007_login_failures",
        "m008_staff",
        "m009_ltfu",
        "m010_lookups",
        "m011_uploads",
        "m012_own_urgent",
        "m013_outcome_ids",
        "m014_period_figures",
        "m015_area_population",
        "m016_medications",
        "m017_figure_triggers",
    ]
    assert migrate(db) == []
    assert is_current(db)
    assert set(db.table_names()) >= TABLES


def test_every_connection_enforces_foreign_keys_and_waits_when_busy(db):
    assert db.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO visits (record_id, visit_id, date, mode, level) VALUES ('nobody', 'v', "
            "'2026-01-01', 'clinic', 'village')"
        )


@pytest.mark.parametrize(
    ("region", "inside", "outside"),
    [
        pytest.param("350421", "350421999999", "350422000000", id="county"),
        pytest.param("350421101", "350421101201", "350421102201", id="township"),
        pytest.param("350421101201", "350421101201", "350421101202", id="village"),
    ],
)
def test_region_bounds_select_exactly_the_prefix(region, inside, outside):
    low, high = region_bounds(region)

    assert low <= inside < high
    assert not low <= outside < high


def test_region_queries_use_the_village_index(db):
    plan = db.execute(
        "EXPLAIN QUERY PLAN SELECT record_id FROM residents WHERE village_code >= ? AND village_code < ?",
        region_bounds("350421101"),
    ).fetchall()

    assert "residents_village" in str(plan)
