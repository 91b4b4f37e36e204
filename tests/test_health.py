"""GET /healthz and the OpenAPI document."""

from __future__ import annotations

import sqlite3

from litestar.testing import TestClient

from service.settings import Settings
from ui.app import create_app


def test_healthz_needs_no_credentials_and_reports_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "db": "ok", "scheduler": "disabled", "model_version": None}


def test_healthz_is_503_when_the_database_is_unusable(tmp_path):
    path = tmp_path / "broken.db"
    with TestClient(create_app(Settings(db_path=path))) as client:
        path.write_bytes(b"this is not a database" * 100)
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["db"].startswith("error")


def test_app_start_migrates_a_new_database(tmp_path):
    path = tmp_path / "new.db"
    with TestClient(create_app(Settings(db_path=path))) as client:
        assert client.get("/healthz").json()["db"] == "ok"

    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert "residents" in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}


def test_openapi_documents_the_record_format(client):
    schema = client.get("/schema/openapi.json").json()

    body = schema["paths"]["/api/v1/records"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    resident = body["properties"]["residents"]["items"]
    assert set(resident["required"]) == {"record_id", "name", "sex", "birth_date", "village_code"}
    assert resident["properties"]["visits"]["items"]["properties"]["sbp"]["anyOf"][0]["maximum"] == 300
    assert "$ref" not in str(body)


def test_every_response_carries_the_security_headers(client):
    for response in (client.get("/healthz"), client.get("/login"), client.get("/api/v1/followups")):
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
