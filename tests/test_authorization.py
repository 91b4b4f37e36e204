"""Authorization from the outside: every route of the OpenAPI schema needs credentials, and each role
reaches only what it should."""

from __future__ import annotations

import re

import pytest
from conftest import api_key, document, make_resident

PUBLIC = {"/healthz"}


def operations(client) -> list[tuple[str, str]]:
    schema = client.get("/schema/openapi.json").json()
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", "1", path))
        for path, item in schema["paths"].items()
        for method in item
        if path not in PUBLIC
    ]


def test_the_schema_lists_every_api_route(client):
    listed = {path for _, path in operations(client)}

    assert {
        "/api/v1/records",
        "/api/v1/stratify",
        "/api/v1/model/train",
        "/api/v1/residents/1",
        "/api/v1/followups",
        "/api/v1/followups/today",
        "/api/v1/followups/1/outcome",
    } <= listed


def test_every_route_answers_401_without_credentials(client):
    for method, path in operations(client):
        response = client.request(method, path, json={})

        assert response.status_code == 401, (method, path)
        assert response.json()["status_code"] == 401


def test_a_bad_key_is_401_on_every_route(client):
    for method, path in operations(client):
        response = client.request(method, path, json={}, headers={"Authorization": "Bearer sb_wrong"})

        assert response.status_code == 401, (method, path)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("GET", "/api/v1/followups", id="list"),
        pytest.param("GET", "/api/v1/followups/today", id="today"),
        pytest.param("GET", "/api/v1/residents/A", id="resident"),
        pytest.param("POST", "/api/v1/stratify", id="stratify"),
        pytest.param("POST", "/api/v1/model/train", id="train"),
        pytest.param("POST", "/api/v1/followups/1/outcome", id="outcome"),
    ],
)
def test_an_ingest_key_may_only_post_records(client, db, method, path):
    key = api_key(db, "ingest", "350421")

    assert client.post("/api/v1/records", json=document(make_resident("A")), headers=key).status_code == 200
    assert client.request(method, path, json={"outcome": "visited"}, headers=key).status_code == 403


@pytest.mark.parametrize(
    ("role", "region", "status"),
    [
        pytest.param("village_doctor", "350421101201", 200, id="own-village"),
        pytest.param("village_doctor", "350421101202", 403, id="other-village"),
        pytest.param("township_gp", "350421101", 200, id="own-township"),
        pytest.param("township_gp", "350421102", 403, id="other-township"),
        pytest.param("center", "350421", 200, id="own-county"),
        pytest.param("center", "350422", 403, id="other-county"),
    ],
)
def test_a_resident_is_visible_only_inside_the_callers_region(client, db, role, region, status):
    client.post("/api/v1/records", json=document(make_resident("A")), headers=api_key(db, "ingest", "350421"))

    assert client.get("/api/v1/residents/A", headers=api_key(db, role, region)).status_code == status
