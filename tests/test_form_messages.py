"""One catalog of validation messages (service/problems.py): every message a form can produce is worded in
zh-CN and en from its field and its limit, and the API keeps its English text."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import msgspec
import pytest

from service.outcomes import OutcomeIn
from service.overrides import override_errors
from service.problems import CATALOG, PATTERN_BY_FIELD, parse, problem, word
from service.validation import FieldError, Invalid, decode_resident, located
from stratify.records import Visit

TODAY = dt.date(2026, 11, 27)
ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")
LANGS = ("zh-CN", "en")


def test_every_problem_is_worded_in_both_languages():
    for table in (CATALOG, PATTERN_BY_FIELD):
        for code, text in table.items():
            assert {"en", "zh-CN"} <= set(text), code
            assert CJK.search(text["zh-CN"]), code
            assert not CJK.search(text["en"]), code


def test_every_problem_the_code_raises_is_in_the_catalog():
    used = set()
    for path in [*ROOT.glob("service/**/*.py"), *ROOT.glob("ui/**/*.py")]:
        used |= set(re.findall(r'problem\(\s*"(\w+)"', path.read_text()))
        used |= set(re.findall(r'problem\("(\w+)" if', path.read_text()))
    assert used, "no problem() calls found"
    assert used <= set(CATALOG), used - set(CATALOG)


@pytest.mark.parametrize(
    ("code", "params", "api"),
    [  # the API's words stay as they were
        (
            "future_date",
            {"value": "2027-01-01", "today": "2026-11-27"},
            "date 2027-01-01 is in the future (today is 2026-11-27)",
        ),
        ("dbp_not_below_sbp", {"dbp": 120, "sbp": 110}, "dbp 120 must be lower than sbp 110"),
        (
            "duplicate",
            {"key": "visit_id", "value": "v1", "other": "visits[0]"},
            "duplicate visit_id 'v1' (also visits[0])",
        ),
        ("required", {}, "required field is missing"),
        ("max", {"expected": "int", "limit": 300}, "Expected `int` <= 300"),
    ],
)
def test_api_messages_keep_their_english_text(code, params, api):
    assert problem(code, **params) == api
    assert parse(api) == (code, {k: str(v) for k, v in params.items()})


VISIT = {"visit_id": "v9", "date": "2026-11-20", "mode": "clinic", "level": "village"}
VISIT_CASES = [  # each field of the visit form, each way it can be wrong
    *[(field, bad) for field in ("sbp", "dbp", "heart_rate") for bad in (1, 999, "abc", 1.5)],
    *[(field, bad) for field in ("temperature_c", "fasting_glucose", "hba1c") for bad in (0.1, 999.0, "abc")],
    *[(field, "nonsense") for field in ("mode", "adherence", "hypoglycemia", "referral")],
    ("symptoms", ["nonsense"]),
    ("symptoms", "headache"),
    ("date", "2026-02-30"),
    ("date", "yesterday"),
    ("date", None),
    ("pregnant", "yes"),
    ("visit_id", ""),
    ("visit_id", "a b"),
    ("unknown_field", 1),
    ("medications", [{"drug": "amlodipine", "daily_dose_mg": 0}]),
    ("medications", [{"drug": "Amlodipine", "daily_dose_mg": 5}]),
    ("medications", [{"drug": "amlodipine"}]),
    ("medications", "amlodipine"),
]


def visit_error(field: str, bad: object) -> FieldError:
    try:
        msgspec.convert({**VISIT, field: bad}, Visit)
    except msgspec.ValidationError as e:
        return located(e, "(visit)")
    raise AssertionError(f"{field}={bad!r} was accepted")


def assert_worded(error: FieldError) -> None:
    assert parse(error.message) is not None, error
    chinese, english = (word(error.field, error.message, lang) for lang in LANGS)
    assert CJK.search(chinese), (error, chinese)
    assert "Expected `" not in english and "regex" not in english, (error, english)


@pytest.mark.parametrize(("field", "bad"), VISIT_CASES)
def test_every_visit_form_error_is_worded_in_both_languages(field, bad):
    assert_worded(visit_error(field, bad))


RESIDENT = {
    "record_id": "S-1",
    "name": "王五",
    "sex": "M",
    "birth_date": "1960-01-01",
    "village_code": "350421100201",
    "conditions": [{"code": "I10"}],
}
RESIDENT_CASES = [  # the registration form's fields and the rules of CONTRACT §3 behind them
    ("name", "王" * 51),
    ("name", " "),
    ("sex", "X"),
    ("birth_date", "1960-13-01"),
    ("birth_date", "2999-01-01"),
    ("birth_date", "1800-01-01"),
    ("national_id", "12345"),
    ("national_id", "350421194807043570"),
    ("phone", "call me"),
    ("village_code", "1"),
    ("conditions", [{"code": "i10"}]),
    ("conditions", [{"code": "I10", "diagnosed_on": "2999-01-01"}]),
    ("conditions", [{"code": "I10"}, {"code": "I10"}]),
]


@pytest.mark.parametrize(("field", "bad"), RESIDENT_CASES)
def test_every_registration_error_is_worded_in_both_languages(field, bad):
    with pytest.raises(Invalid) as refused:
        decode_resident(msgspec.json.encode({**RESIDENT, field: bad}), TODAY)
    for error in refused.value.errors:
        assert_worded(error)


def test_a_missing_field_is_worded_too():
    with pytest.raises(Invalid) as refused:
        decode_resident(msgspec.json.encode({k: v for k, v in RESIDENT.items() if k != "sex"}), TODAY)
    [error] = refused.value.errors
    assert error.field == "sex"
    assert word(error.field, error.message, "zh-CN") == "必填"


@pytest.mark.parametrize(
    "form",
    [
        {"tier": "purple", "reason": "x", "expires_on": "2026-12-01"},
        {"tier": "red", "reason": "", "expires_on": "2026-12-01"},
        {"tier": "red", "reason": "x", "expires_on": "2028-01-01"},
        {"tier": "red", "reason": "x", "expires_on": "soon"},
    ],
)
def test_every_override_form_error_is_worded_in_both_languages(form):
    errors = override_errors(form, TODAY)
    assert errors
    for error in errors:
        assert_worded(error)


@pytest.mark.parametrize(
    "outcome",
    [
        {"outcome": "nonsense"},
        {"outcome": "remind_later"},
        {"outcome": "visited", "remind_on": "2026-12-01"},
        {"outcome": "remind_later", "remind_on": "someday"},
        {"outcome": "visited", "note": "x" * 501},
    ],
)
def test_every_call_outcome_error_is_worded_in_both_languages(outcome):
    with pytest.raises(msgspec.ValidationError) as refused:
        msgspec.convert(outcome, OutcomeIn, strict=False)
    assert_worded(located(refused.value, "outcome"))


def test_a_pattern_error_is_worded_by_its_field_not_its_regex():
    error = FieldError("national_id", "Expected `str` matching regex '^[0-9]{17}[0-9X]$'")
    assert word(error.field, error.message, "zh-CN") == "身份证号应为18位：17位数字加1位数字或X"
    assert word("visits[0].visit_id", "Expected `str` matching regex '^[A-Za-z0-9_-]{1,64}$'", "zh-CN") == (
        "随访编号应为1-64位字母、数字、_ 或 -"  # a phone's own id (CONTRACT §12)
    )
    assert word("events[0].event_id", "Expected `str` matching regex '^[A-Za-z0-9_-]{1,64}$'", "zh-CN") == "格式不对"
