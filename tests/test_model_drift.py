"""Observed/expected serious events per quarter since the model was activated: added to the active
model's card by the job run after the nightly one (run_figures), once per closed quarter, shown on the
dashboard."""

from __future__ import annotations

import datetime as dt
import shutil

import msgspec
import pytest
from conftest import PASSWORD, add_login, log_in
from litestar.testing import TestClient

from service.jobs import run_figures
from service.settings import Settings
from service.store import connect
from stratify.features import label, managed_span
from stratify.policy import Policy
from ui.app import create_app

pytestmark = pytest.mark.slow

AS_OF = dt.date(2026, 11, 1)
ACTIVATED = "2025-10-14T02:00:00+00:00"  # a year before the county's last data: four quarters have closed


@pytest.fixture
def county(trained_county, tmp_path):
    """The session's trained county, its model activated a year earlier."""
    path = tmp_path / "county.db"
    shutil.copy(trained_county.db_path, path)
    db = connect(path)
    db.execute("UPDATE models SET created_at = ? WHERE active = 1", [ACTIVATED])
    db.conn.commit()
    with TestClient(create_app(Settings(db_path=path, scheduler=False))) as client:
        yield client, db
    db.close()


def drift(db) -> list[dict]:
    return msgspec.json.decode(db.execute("SELECT card FROM models WHERE active = 1").fetchone()[0]).get("drift", [])


def test_the_job_adds_each_closed_quarter_once(county, trained_county):
    _, db = county

    added = run_figures(db, Policy(), AS_OF, trigger="test").model_quarters
    first = drift(db)
    again = run_figures(db, Policy(), AS_OF, trigger="test").model_quarters

    assert [d["quarter"] for d in first] == ["2025Q4", "2026Q1", "2026Q2", "2026Q3"]
    assert (added, again) == (4, 0)
    assert drift(db) == first
    for d in first:
        scored_on, last_day = dt.date.fromisoformat(d["scored_on"]), dt.date.fromisoformat(d["last_day"])
        days = (last_day - scored_on).days
        cohort = [
            r
            for r in trained_county.residents
            if (span := managed_span(r)) and span[0] <= scored_on and (span[1] is None or span[1] >= scored_on)
        ]
        assert (d["n"], d["observed"]) == (len(cohort), sum(label(r, scored_on, days) for r in cohort))
        assert d["expected"] > 0
    observed, expected = sum(d["observed"] for d in first), sum(d["expected"] for d in first)
    assert 0.6 <= observed / expected <= 1.6  # a year of a small county: about 25 events


def test_the_dashboard_shows_the_drift_by_quarter(county):
    client, db = county
    run_figures(db, Policy(), AS_OF, trigger="test")
    add_login(db, "chen", role="center", region="350421")
    log_in(client, "chen", PASSWORD)

    page = client.get("/dashboard?lang=en").text

    table = page.split('id="model-drift"')[1].split("</table>")[0]
    assert [q in table for q in ("2025Q4", "2026Q1", "2026Q2", "2026Q3")] == [True] * 4
    assert 'id="model-temporal"' in page and "Temporal validation" in page
