"""Small fixtures: a fresh migrated database file, the real app over it, API keys, record builders."""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from argon2 import PasswordHasher, profiles
from litestar.testing import TestClient
from sqlite_utils import Database

from fixtures.county import write
from service import auth, sheet_aside
from service.auth import hash_password, new_api_key
from service.importer import import_file
from service.risk import active_risk_model
from service.settings import Settings
from service.store import connect, migrate
from service.store.access import add_api_key, add_user
from service.validation import NATIONAL_ID_CHECK, NATIONAL_ID_WEIGHTS
from stratify.model import RiskModel
from stratify.records import Resident, is_managed
from ui.app import create_app

# Logins in tests hash and verify with argon2's cheapest profile (verification follows the stored
# hash's parameters, so the servers the tests start check them cheaply too); production keeps the defaults.
auth.PASSWORDS = PasswordHasher.from_parameters(profiles.CHEAPEST)

VILLAGE = "350421101201"

VISIT = {
    "visit_id": "v-1",
    "date": "2026-10-02",
    "mode": "clinic",
    "level": "village",
    "sbp": 152,
    "dbp": 94,
    "heart_rate": 78,
    "temperature_c": None,
    "weight_kg": 61.5,
    "height_cm": 160,
    "waist_cm": 86,
    "fasting_glucose": 7.4,
    "hba1c": None,
    "total_cholesterol": None,
    "smoker": False,
    "adherence": "regular",
    "medication_changed": False,
    "adverse_reaction": False,
    "hypoglycemia": "none",
    "pregnant": False,
    "symptoms": [],
    "complications": [],
    "referral": None,
}  # the CONTRACT §3 example visit

RESIDENT = {
    "record_id": "3504210001",
    "name": "林秀英",
    "sex": "F",
    "birth_date": "1956-03-02",
    "village_code": VILLAGE,
    "national_id": None,
    "phone": None,
    "family_doctor": None,
    "conditions": [{"code": "I10", "diagnosed_on": "2015-06-01"}],
    "visits": [VISIT],
    "events": [{"event_id": "e-1", "date": "2024-05-09", "type": "stroke"}],
}  # the CONTRACT §3 example resident


def make_resident(record_id: str = "3504210001", **overrides: object) -> dict:
    resident = copy.deepcopy(RESIDENT)
    resident["record_id"] = record_id
    resident.update(overrides)
    return resident


def make_visit(**overrides: object) -> dict:
    return {**copy.deepcopy(VISIT), **overrides}


def national_id(born: str, sequence: str = "123") -> str:
    """A valid GB 11643 number of this county for a birth date (YYYYMMDD); an odd last sequence digit is a man."""
    body = f"350421{born}{sequence}"
    return body + NATIONAL_ID_CHECK[sum(int(d) * w for d, w in zip(body, NATIONAL_ID_WEIGHTS, strict=True)) % 11]


def document(*residents: dict, source: str = "test clinic") -> dict:
    return {"source": source, "residents": list(residents)}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(db_path=tmp_path / "sanbiao.db", scheduler=False)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = connect(settings.db_path)
    migrate(database)
    yield database
    database.close()


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def api_key(db: Database, role: str, region: str = "") -> dict[str, str]:
    """Authorization headers for a fresh key of this role."""
    key, key_hash, prefix = new_api_key()
    add_api_key(db, name=f"{role}-{prefix}", key_hash=key_hash, prefix=prefix, role=role, region=region, actor="test")
    return {"Authorization": f"Bearer {key}"}


PASSWORD = "correct horse battery"  # every test login's password


def add_login(db: Database, username: str, role: str = "village_doctor", region: str = VILLAGE) -> None:
    add_user(db, username=username, password_hash=hash_password(PASSWORD), role=role, region=region, actor="test")


def csrf(client: TestClient) -> str:
    """The CSRF token of the login form (double-submit: the cookie is set by the same request)."""
    return re.search(r'name="_csrf_token" value="([^"]+)"', client.get("/login").text).group(1)


def log_in(client: TestClient, username: str, password: str):
    return client.post(
        "/login", data={"username": username, "password": password, "_csrf_token": csrf(client)}, follow_redirects=False
    )


def doctor_of(client: TestClient, db: Database, resident: dict) -> TestClient:
    """The client logged in as "wang", a village doctor of VILLAGE, once `resident` is stored."""
    stored = client.post("/api/v1/records", json=document(resident), headers=api_key(db, "ingest"))
    assert stored.json()["accepted"] == 1, stored.text
    add_login(db, "wang")
    log_in(client, "wang", PASSWORD)
    return client


def card_visit(client: TestClient, record_id: str, **fields: str):
    """A visit posted from the resident card's form as htmx does, dated as the form offers (today)."""
    form = client.get(f"/residents/{record_id}").text
    today = re.search(r'name="date" type="date"[^>]*value="([^"]*)"', form).group(1)
    data = {"_csrf_token": csrf(client), "date": today, **fields}
    return client.post(f"/residents/{record_id}/visits", data=data, headers={"HX-Request": "true"})


@pytest.fixture
def ingest(db: Database) -> dict[str, str]:
    return api_key(db, "ingest", "350421")


def stored_rows(db: Database, record_id: str) -> dict[str, int]:
    """Rows of one resident in each table of its history."""
    return {
        table: db.execute(f"SELECT count(*) FROM {table} WHERE record_id = ?", [record_id]).fetchone()[0]
        for table in ("residents", "conditions", "visits", "events")
    }


COUNTY_AS_OF = dt.date(2026, 11, 1)


class TrainedCounty(msgspec.Struct, frozen=True):
    db_path: Path  # copy it before changing it: every test of the session shares this file
    residents: list[Resident]  # the managed ones
    model: RiskModel
    trained: dict  # POST /api/v1/model/train's answer (status code and body) that made the model


@pytest.fixture(scope="session")
def trained_county(tmp_path_factory: pytest.TempPathFactory) -> TrainedCounty:
    """A 6,000-resident synthetic county as of COUNTY_AS_OF with a risk model trained through the API
    (POST /api/v1/model/train on the real app), made once per session."""
    folder = tmp_path_factory.mktemp("county")
    write(folder / "county.ndjson", 6000, 5, COUNTY_AS_OF)
    settings = Settings(db_path=folder / "county.db", scheduler=False)
    db = connect(settings.db_path)
    migrate(db)
    import_file(db, folder / "county.ndjson", source=None, actor="test", today=settings.today())
    with TestClient(create_app(settings)) as client:
        response = client.post(
            "/api/v1/model/train", json={"as_of": COUNTY_AS_OF.isoformat()}, headers=api_key(db, "admin", "350421")
        )
    trained = {"status_code": response.status_code, "body": response.json()}
    model = active_risk_model(db)
    db.close()
    with (folder / "county.ndjson").open("rb") as f:
        everyone = [msgspec.json.decode(line, type=Resident) for line in f]
    managed = [r for r in everyone if is_managed([c.code for c in r.conditions])]
    return TrainedCounty(settings.db_path, managed, model, trained)


@pytest.fixture(params=["here", "aside"])
def process(request, monkeypatch):
    """Where a spreadsheet's rows are read and its residents built: in the importing process, or in a
    second one beside it (service/sheet_aside.py: a file of ASIDE_MIN_BYTES or more)."""
    if request.param == "aside":
        monkeypatch.setattr(sheet_aside, "ASIDE_MIN_BYTES", 0)
    return request.param
