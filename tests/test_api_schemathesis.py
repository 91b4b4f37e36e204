"""Schemathesis over the OpenAPI document: no operation answers 500, whatever schema-shaped or
schema-breaking input it gets; every answer is documented (status, content type, headers, body
schema); a wrong method is a 405 that names the allowed ones.

Not checked: whether each schema-valid request is accepted. The schema cannot say every clinical
rule (a national id's check digit, a visit before birth), so such requests get located 400s or
per-resident rejections by design."""

from __future__ import annotations

import pytest
import schemathesis
from conftest import api_key
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from service.settings import Settings
from service.store import connect, migrate
from ui.app import create_app

pytestmark = pytest.mark.slow


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

    case.validate_response(
        response,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_headers_conformance,
            response_schema_conformance,
            unsupported_method,
        ],
    )
    assert response.status_code < 500
