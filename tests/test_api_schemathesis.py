"""Schemathesis over the OpenAPI document: no operation answers 500, whatever schema-shaped or
schema-breaking input it gets, and a wrong method is a 405 that names the allowed ones."""

from __future__ import annotations

import schemathesis
from conftest import api_key
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import unsupported_method

from service.app import create_app
from service.settings import Settings
from service.store import connect, migrate


def _schema(tmp_dir: str):
    path = f"{tmp_dir}/schemathesis.db"
    db = connect(path)
    migrate(db)
    headers = api_key(db, "admin", "350421")
    db.close()
    return schemathesis.openapi.from_asgi(
        "/schema/openapi.json", create_app(Settings(db_path=path, scheduler=False))
    ), headers


SCHEMA, HEADERS = _schema(__import__("tempfile").mkdtemp())


@SCHEMA.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_fails_with_a_server_error(case):
    response = case.call(headers=HEADERS)

    case.validate_response(response, checks=[not_a_server_error, unsupported_method])
    assert response.status_code < 500
