"""docs/deploy.md, run where it can be: its backup script and restore drill, its systemd unit's
settings, and the login limit behind a trusted proxy."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from conftest import PASSWORD, add_login
from servers import SANBIAO, start_server

from service.auth import ADDRESS_FAILURES
from service.settings import ENV
from service.store import connect, migrate

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parent.parent
DEPLOY = (ROOT / "docs" / "deploy.md").read_text()
SAMPLE = ROOT / "fixtures" / "sample.ndjson"


def block(marker: str) -> str:
    return re.search(rf"<!-- test: {marker} -->\n```sh\n(.*?)```", DEPLOY, re.DOTALL).group(1)


@pytest.fixture
def county(tmp_path) -> Path:
    db_path = tmp_path / "live" / "sanbiao.db"
    subprocess.run([SANBIAO, "--db", str(db_path), "import", str(SAMPLE)], check=True, capture_output=True)
    return db_path


def run_sh(script: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    curl = "" if shutil.which("curl") else f'curl() {{ "{sys.executable}" -c "{FETCH}" "$@"; }}\n'
    return subprocess.run(
        ["sh", "-c", curl + script], env={**os.environ, **env}, capture_output=True, text=True, check=False
    )


FETCH = "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[-1], timeout=5).read().decode())"


def test_the_backup_script_copies_online_and_keeps_the_newest(county, tmp_path):
    backups = tmp_path / "backups"
    backups.mkdir()
    for n, stamp in enumerate(("20250101-020000", "20250102-020000", "20250103-020000")):
        old = backups / f"sanbiao-{stamp}.db"
        old.write_bytes(b"")
        os.utime(old, (time.time() - 86400 * (3 - n),) * 2)

    result = run_sh(
        block("backup script"), {"SANBIAO": SANBIAO, "SANBIAO_DB": str(county), "BACKUP_DIR": str(backups), "KEEP": "2"}
    )

    assert result.returncode == 0, result.stderr
    kept = sorted(p.name for p in backups.glob("sanbiao-*.db"))
    assert len(kept) == 2 and kept[0] == "sanbiao-20250103-020000.db"
    copy = connect(backups / kept[1])
    live = connect(county)
    assert (
        copy.execute("SELECT count(*) FROM residents").fetchone()
        == live.execute("SELECT count(*) FROM residents").fetchone()
    )
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_the_restore_drill_serves_the_latest_backup(county, tmp_path):
    backups, drill = tmp_path / "backups", tmp_path / "drill"
    backups.mkdir()
    drill.mkdir()
    subprocess.run([SANBIAO, "--db", str(county), "backup", str(backups / "sanbiao-20261127-040000.db")], check=True)

    result = run_sh(block("restore drill"), {"SANBIAO": SANBIAO, "BACKUP_DIR": str(backups), "DRILL_DIR": str(drill)})

    assert result.returncode == 0, result.stderr
    assert '"status":"ok"' in result.stdout.replace(" ", "")


def test_the_units_settings_are_sanbiaos():
    unit = re.search(r"```ini\n(.*?)```", DEPLOY, re.DOTALL).group(1)
    known = {var for var, _, _ in ENV.values()}

    for name in re.findall(r"^Environment=(\w+)=", unit, re.MULTILINE):
        assert name in known
    command = re.search(r"^ExecStart=(.*)$", unit, re.MULTILINE).group(1).split()
    assert command[1:3] == ["serve", "--host"] and "--workers" in command


def failed_logins(base: str, address: str, n: int) -> list[int]:
    headers = {"X-Forwarded-For": address}
    with httpx.Client(base_url=base, headers=headers) as client:
        statuses = []
        for k in range(n):
            token = re.search(r'name="_csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
            response = client.post("/login", data={"username": f"nobody{k}", "password": "x", "_csrf_token": token})
            statuses.append(response.status_code)
        return statuses


def login(base: str, address: str) -> int:
    with httpx.Client(base_url=base, headers={"X-Forwarded-For": address}) as client:
        token = re.search(r'name="_csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
        return client.post("/login", data={"username": "wang", "password": PASSWORD, "_csrf_token": token}).status_code


@pytest.mark.parametrize(("trusted", "other_address"), [("127.0.0.1", 303), (None, 429)], ids=["proxy", "no-proxy"])
def test_login_limits_count_the_clients_address_behind_a_trusted_proxy_only(tmp_path, trusted, other_address):
    db_path = tmp_path / "s.db"
    db = connect(db_path)
    migrate(db)
    add_login(db, "wang")
    db.close()
    server, base = start_server(db_path, "--no-scheduler", env={"SANBIAO_TRUSTED_PROXIES": trusted} if trusted else {})
    try:
        assert set(failed_logins(base, "203.0.113.5", ADDRESS_FAILURES)) == {401}

        assert login(base, "203.0.113.5") == 429
        assert login(base, "203.0.113.6") == other_address  # forged headers count for nothing without the setting
    finally:
        server.terminate()
        server.wait(timeout=20)
