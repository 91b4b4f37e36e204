"""No request body of any shape makes POST /api/v1/records answer 500 (hypothesis)."""

from __future__ import annotations

import json

import pytest
from conftest import make_resident
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.slow

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
FIELDS = sorted({*make_resident(), "visits.0.sbp", "visits.0.date", "visits.0.symptoms", "events.0.type"})
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def check(response, residents: int | None) -> None:
    assert response.status_code in (200, 400, 413), response.text
    body = response.json()
    if response.status_code == 200:
        assert body["accepted"] + body["rejected_total"] == residents
        assert all(e["field"] and e["message"] for r in body["rejected"] for e in r["errors"])
    else:
        assert body["status_code"] == response.status_code and body["detail"]


@FUZZ
@given(body=JSON)
def test_any_json_document(client, ingest, body):
    response = client.post("/api/v1/records", content=json.dumps(body).encode(), headers=ingest)
    residents = body.get("residents") if isinstance(body, dict) else None
    check(response, len(residents) if isinstance(residents, list) else None)


@FUZZ
@given(raw=st.binary(max_size=200))
def test_any_bytes(client, ingest, raw):
    check(client.post("/api/v1/records", content=raw, headers=ingest), 0)


@FUZZ
@given(changes=st.lists(st.tuples(st.sampled_from(FIELDS), JSON), min_size=1, max_size=4))
def test_valid_resident_with_random_field_values(client, ingest, changes):
    resident = make_resident("FUZZ-1")
    for path, value in changes:
        target, *rest = path.split(".")
        items = resident.get(target)
        if rest and isinstance(items, list) and items and isinstance(items[0], dict):
            items[0][rest[-1]] = value
        else:
            resident[target] = value
    body = json.dumps({"source": "fuzz", "residents": [resident]}).encode()  # NaN/Infinity stay in
    check(client.post("/api/v1/records", content=body, headers=ingest), 1)
