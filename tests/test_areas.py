"""Township and village names: `sanbiao areas load` from a CSV code list, shown on the dashboard."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from ui.cli import cli


@pytest.fixture
def load(tmp_path):
    db_path = tmp_path / "areas.db"

    def invoke(text: str):
        csv_file = tmp_path / "areas.csv"
        csv_file.write_text(text, encoding="utf-8")
        return CliRunner().invoke(cli, ["--db", str(db_path), "areas", "load", str(csv_file)])

    invoke.db_path = db_path
    return invoke


def names(db_path) -> dict[str, str]:
    with sqlite3.connect(db_path) as conn:
        return dict(conn.execute("SELECT code, name FROM areas"))


def test_a_code_list_loads_and_a_second_load_renames(load):
    first = load("\ufeffcode,name\n350421,示范县\n350421100,青山镇\n350421100201,上坪村\n")
    second = load("350421100,青山街道\n")

    assert first.exit_code == 0 and json.loads(first.output) == {"areas": 3}
    assert second.exit_code == 0
    assert names(load.db_path) == {"350421": "示范县", "350421100": "青山街道", "350421100201": "上坪村"}
    with sqlite3.connect(load.db_path) as conn:
        assert conn.execute("SELECT count(*) FROM audit_log WHERE action = 'areas'").fetchone() == (2,)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("350421,示范县\n3504211,七位\n", "line 2: code '3504211' is not a 6, 9 or 12-digit region code"),
        ("350421,示范县\n350421100\n", "line 2: expected code,name[,population_35plus], got 1 fields"),
        ("350421,示范县\n350421100,青山镇,1200.5\n", "line 2: population_35plus '1200.5' is not a whole number"),
        ("350421,示范县\n350421100,青山镇,-4\n", "line 2: population_35plus '-4' is not a whole number"),
        ("350421,示范县,100000001\n", "line 1: population_35plus '100000001' is not a whole number"),
        ("350421,示范县,1,2\n", "line 1: expected code,name[,population_35plus], got 4 fields"),
        ("350421,\n", "line 1: name must be 1-50 characters"),
    ],
)
def test_a_bad_row_names_its_line_and_stores_nothing(load, text, message):
    load("350421,示范县\n")

    result = load(text.replace("示范县", "改名县"))

    assert result.exit_code != 0 and message in result.output and "nothing was stored" in result.output
    assert names(load.db_path) == {"350421": "示范县"}


def populations(db_path) -> dict[str, int | None]:
    with sqlite3.connect(db_path) as conn:
        return dict(conn.execute("SELECT code, population_35plus FROM areas"))


def test_an_optional_third_column_gives_the_population_aged_35_plus_and_a_later_load_without_it_keeps_it(load):
    first = load("code,name,population_35plus\n350421,示范县,\n350421100,青山镇,12480\n350421100201,上坪村,830\n")
    second = load("350421100,青山街道\n350421100201,上坪村,845\n")

    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert populations(load.db_path) == {"350421": None, "350421100": 12480, "350421100201": 845}
    assert names(load.db_path)["350421100"] == "青山街道"
