"""The `sanbiao` command line (CONTRACT §1), run in-process with click and once as the installed script."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import document, make_resident
from litestar.testing import TestClient

from service.settings import Settings
from service.store import connect
from ui.app import create_app
from ui.cli import cli

SAMPLE = Path(__file__).parent.parent / "fixtures" / "sample.ndjson"


@pytest.fixture
def run(tmp_path):
    """Invoke `sanbiao --db <tmp> ARGS...`; returns the click Result."""
    db_path = tmp_path / "cli.db"

    def invoke(*args: str, input: str | None = None):
        return CliRunner().invoke(cli, ["--db", str(db_path), *args], input=input, catch_exceptions=False)

    invoke.db_path = db_path
    return invoke


def count(db_path: Path, table: str) -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_init_db_is_idempotent(run):
    first = run("init-db")
    second = run("init-db")

    assert first.exit_code == 0 and "applied m001_initial, m002_task_planning, m003_task_region_order" in first.output
    assert second.exit_code == 0 and "up to date" in second.output


def test_import_ndjson_and_json_document_give_one_summary(run, tmp_path):
    doc = tmp_path / "clinic.json"
    doc.write_text(json.dumps(document(make_resident("DOC-1"), make_resident("DOC-2", sex="X"))))

    result = run("import", str(SAMPLE), str(doc))

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)  # stdout: the JSON; stderr: the same for people
    sample_lines = sum(1 for line in SAMPLE.read_text().splitlines() if line.strip())
    assert summary["accepted"] == sample_lines + 1
    assert summary["created"] == sample_lines + 1
    assert summary["rejected"] == [
        {
            "index": 1,
            "record_id": "DOC-2",
            "file": "clinic.json",
            "errors": [{"field": "sex", "message": "Invalid enum value 'X'"}],
        }
    ]
    assert count(run.db_path, "import_batches") == 2


def test_reimport_reports_everything_unchanged(run):
    run("import", str(SAMPLE))

    summary = json.loads(run("import", str(SAMPLE)).stdout)

    assert summary["unchanged"] == summary["accepted"] > 0
    assert summary["created"] == summary["updated"] == 0


def test_ndjson_bad_line_rejects_only_that_resident(run, tmp_path):
    lines = tmp_path / "mixed.ndjson"
    good = json.dumps(make_resident("OK-1"))
    lines.write_text(f"{good}\n{{not json\n\n{json.dumps(make_resident('OK-2'))}\n")

    summary = json.loads(run("import", str(lines)).stdout)

    assert summary["accepted"] == 2
    assert summary["rejected"][0]["index"] == 1
    assert summary["rejected"][0]["errors"][0]["message"].startswith("malformed JSON")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param('{"source": "x", "residents": [{"record_id": "A"', "malformed JSON", id="truncated"),
        pytest.param('{"source": "x", "residents": [], "extra": 1}', "extra: unknown field", id="unknown-key"),
        pytest.param('{"residents": []}', "source", id="no-source"),
        pytest.param('{"source": "x"}', "residents", id="no-residents"),
        pytest.param("[1, 2]", "expected an object", id="array"),
    ],
)
def test_bad_json_document_stores_nothing_and_fails_in_one_line(run, tmp_path, text, message):
    valid_then_broken = tmp_path / "broken.json"
    valid_then_broken.write_text(text.replace("[{", f"[{json.dumps(make_resident('EARLY-1'))}, {{", 1))

    result = CliRunner().invoke(cli, ["--db", str(run.db_path), "import", str(valid_then_broken)])

    assert result.exit_code == 1
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert "nothing of this file was stored" in result.stderr
    assert count(run.db_path, "residents") == 0


def test_apikey_create_prints_a_working_key_last(run, tmp_path):
    result = run("apikey", "create", "--name", "township-101", "--role", "ingest", "--region", "350421101")
    key = result.output.strip().splitlines()[-1]

    with TestClient(create_app(Settings(db_path=run.db_path))) as client:
        inside = client.post(
            "/api/v1/records", json=document(make_resident("K-1")), headers={"Authorization": f"Bearer {key}"}
        )

    assert result.exit_code == 0
    assert key.startswith("sb_")
    assert inside.json()["created"] == 1
    with sqlite3.connect(run.db_path) as conn:
        stored = conn.execute("SELECT key_hash, role, region FROM api_keys").fetchone()
    assert key not in stored and stored[1:] == ("ingest", "350421101")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--region", "3504"], "6, 9 or 12 digits", id="bad-region"),
        pytest.param(["--role", "nurse"], "Invalid value for '--role'", id="bad-role"),
    ],
)
def test_apikey_create_rejects_bad_options(run, args, message):
    base = {"--name": "k", "--role": "ingest"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    result = CliRunner().invoke(
        cli, ["--db", str(run.db_path), "apikey", "create", *[x for kv in base.items() for x in kv]]
    )

    assert result.exit_code != 0
    assert message in result.stderr


def test_user_add_hashes_the_password(run):
    add = ("user", "add", "wang", "--role", "village_doctor", "--region", "350421101201", "--password-stdin")
    result = run(*add, input="correct horse battery\n")
    again = run(*add, input="correct horse battery\n")

    assert result.exit_code == 0
    with sqlite3.connect(run.db_path) as conn:
        password_hash, role = conn.execute("SELECT password_hash, role FROM users").fetchone()
    assert password_hash.startswith("$argon2id$") and role == "village_doctor"
    assert again.exit_code == 1 and "exists" in again.output


def test_user_add_rejects_a_short_password(run):
    result = run("user", "add", "li", "--role", "center", "--region", "350421", "--password-stdin", input="short\n")

    assert result.exit_code == 1
    assert "at least 10 characters" in result.output


def test_backup_is_a_consistent_copy(run, tmp_path):
    run("import", str(SAMPLE))
    dest = tmp_path / "copy.db"

    result = run("backup", str(dest))
    refused = run("backup", str(dest))

    assert result.exit_code == 0
    assert count(dest, "residents") == count(run.db_path, "residents") > 0
    with sqlite3.connect(dest) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert refused.exit_code == 1


def test_demo_without_serving_prepares_a_county(run, tmp_path):
    result = run("demo", "--residents", "300", "--no-serve")

    assert result.exit_code == 0, result.output
    assert count(run.db_path, "residents") == 300
    logins = [line.split()[1] for line in result.output.splitlines() if line.startswith("login:")]
    assert len(logins) == 5
    key = result.output.splitlines()[-1].split()[-1]
    db = connect(run.db_path)
    assert db.execute("SELECT count(*) FROM users").fetchone()[0] == 5
    assert key.startswith("sb_")
    shares = db.execute(  # villages' synthetic populations aged 35+: 45-85% of expected patients on record
        "SELECT count(*) / (a.population_35plus * 0.372) FROM areas a JOIN residents r ON r.village_code = a.code "
        "JOIN conditions c USING (record_id) WHERE c.code = 'I10' GROUP BY a.code"
    ).fetchall()
    assert shares and all(0.4 <= share <= 0.9 for (share,) in shares), shares


@pytest.mark.slow  # a real process
def test_installed_console_script_runs():
    script = Path(sys.executable).parent / "sanbiao"
    assert script.exists() or shutil.which("sanbiao")

    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60, check=False)

    assert result.returncode == 0
    for command in ("init-db", "serve", "demo", "import", "train", "restratify", "apikey", "user", "backup"):
        assert command in result.stdout


def test_train_with_too_few_events_fails_in_one_line(run):
    run("import", str(SAMPLE))

    result = CliRunner().invoke(cli, ["--db", str(run.db_path), "train", "--as-of", "2026-11-01"])

    assert result.exit_code == 1
    assert "serious events" in result.stderr and "the WHO 2019 fallback is the active model" in result.stderr
    assert count(run.db_path, "models") == 1  # the fallback's row (docs/model.md)


def test_restratify_prints_the_run_summary(run):
    run("import", str(SAMPLE))

    result = run("restratify", "--as-of", "2026-11-01")

    summary = json.loads(result.output)
    assert result.exit_code == 0
    assert summary["assessed"] == count(run.db_path, "assessments") > 0
    assert set(summary["tiers"]) == {"red", "yellow", "green"}
    assert summary["as_of"] == "2026-11-01"


def test_restratify_refuses_a_future_date(run):
    result = CliRunner().invoke(cli, ["--db", str(run.db_path), "restratify", "--as-of", "2999-01-01"])

    assert result.exit_code == 1
    assert "in the future" in result.stderr


def test_a_bad_policy_file_is_one_line_on_stderr(run, tmp_path):
    policy = tmp_path / "county.toml"
    policy.write_text("bp_crsis = [170, 105]\n")

    result = CliRunner().invoke(cli, ["--db", str(run.db_path), "--config", str(policy), "restratify"])

    assert result.exit_code == 1
    assert "bp_crsis" in result.stderr and result.stderr.count("\n") == 1


def test_a_county_policy_changes_the_tiers(run, tmp_path):
    run("import", str(SAMPLE))
    strict = tmp_path / "strict.toml"
    strict.write_text("bp_crisis = [150, 95]\n")

    default = json.loads(run("restratify", "--as-of", "2026-11-01").output)["tiers"]
    result = CliRunner().invoke(
        cli, ["--db", str(run.db_path), "--config", str(strict), "restratify", "--as-of", "2026-11-01"]
    )

    assert json.loads(result.output)["tiers"]["red"] > default["red"]
