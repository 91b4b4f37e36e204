"""The synthetic county: valid records, deterministic by seed, and the epidemiology it promises."""

from __future__ import annotations

import datetime as dt
import json

import msgspec
import pytest

from fixtures.county import generate, village_codes, write
from service.validation import decode_resident
from stratify.records import DIABETES_CODES, HYPERTENSION_CODES

AS_OF = dt.date(2026, 11, 1)
SERIOUS = {
    "stroke",
    "mi",
    "hf_admission",
    "hypertensive_emergency",
    "dka_hhs",
    "severe_hypoglycemia",
    "death",
}


@pytest.fixture(scope="module")
def county() -> list[dict]:
    return list(generate(4000, seed=3, as_of=AS_OF))


def age(resident: dict) -> int:
    return (AS_OF - dt.date.fromisoformat(resident["birth_date"])).days // 365


def has(resident: dict, codes: tuple[str, ...]) -> bool:
    return any(c["code"][:3] in codes for c in resident["conditions"])


def share(items: list[dict], test) -> float:
    return sum(map(test, items)) / len(items)


def test_every_resident_passes_validation(county):
    for resident in county:
        decode_resident(msgspec.json.encode(resident), AS_OF)


def test_same_seed_same_county_other_seed_other_county():
    first = list(generate(50, seed=9, as_of=AS_OF))

    assert first == list(generate(50, seed=9, as_of=AS_OF))
    assert first != list(generate(50, seed=10, as_of=AS_OF))


def test_prevalence_matches_rural_fujian(county):
    adults = [r for r in county if age(r) >= 18]
    elderly = [r for r in county if age(r) >= 65]

    assert 0.26 <= share(adults, lambda r: has(r, HYPERTENSION_CODES)) <= 0.34
    assert 0.52 <= share(elderly, lambda r: has(r, HYPERTENSION_CODES)) <= 0.68
    assert 0.08 <= share(adults, lambda r: has(r, DIABETES_CODES)) <= 0.14


def test_control_rates_are_those_of_a_well_run_managed_cohort(county):
    registered = [
        r
        for r in county
        if has(r, HYPERTENSION_CODES) and (AS_OF - dt.date.fromisoformat(r["conditions"][0]["diagnosed_on"])).days >= 90
    ]

    def controlled_in_last_quarter(r: dict) -> bool:  # WHO HEARTS: BP < 140/90 at a visit in the last 3 months
        recent = [v for v in r["visits"] if v.get("sbp") and (AS_OF - dt.date.fromisoformat(v["date"])).days < 90]
        return bool(recent) and recent[-1]["sbp"] < 140 and recent[-1]["dbp"] < 90

    assert 0.5 <= share(registered, controlled_in_last_quarter) <= 0.8


def test_visits_are_roughly_quarterly_with_gaps(county):
    managed = [r for r in county if r["conditions"]]
    gaps = [
        (dt.date.fromisoformat(b["date"]) - dt.date.fromisoformat(a["date"])).days
        for r in managed
        for a, b in zip(r["visits"], r["visits"][1:], strict=False)
    ]
    no_recent_visit = share(
        managed,
        lambda r: not r["visits"] or (AS_OF - dt.date.fromisoformat(r["visits"][-1]["date"])).days > 180,
    )

    assert 70 <= sorted(gaps)[len(gaps) // 2] <= 110  # median gap about a quarter
    assert max(gaps) > 180  # missed visits exist
    assert 0.05 <= no_recent_visit <= 0.35  # some are lost to follow-up


def test_rare_findings_and_serious_events_occur(county):
    visits = [v for r in county for v in r["visits"]]
    events = [e for r in county for e in r["events"]]

    glucose_visits = [v for v in visits if v.get("fasting_glucose") is not None]

    assert 0.08 <= share(glucose_visits, lambda v: v.get("hba1c") is not None) <= 0.25  # occasional HbA1c
    assert 0 < share(visits, lambda v: bool(v["symptoms"])) < 0.05
    assert 0 < share(visits, lambda v: bool(v["complications"])) < 0.02
    assert sum(e["type"] in SERIOUS for e in events) >= 50  # enough to train a model on
    assert any(v["referral"] == "urgent" for v in visits)


def test_village_codes_span_a_few_townships(county):
    used = {r["village_code"] for r in county}

    assert used <= set(village_codes())
    assert len({code[:9] for code in used}) == 5
    assert all(len(code) == 12 and code.startswith("350421") for code in used)


def test_write_json_document_and_ndjson_hold_the_same_residents(tmp_path):
    write(tmp_path / "c.json", 20, 4, AS_OF)
    write(tmp_path / "c.ndjson", 20, 4, AS_OF)

    document = json.loads((tmp_path / "c.json").read_text())
    lines = [json.loads(line) for line in (tmp_path / "c.ndjson").read_text().splitlines()]

    assert document["residents"] == lines
    assert document["source"]
