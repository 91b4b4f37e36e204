"""Reasons in plain words: each rule's findings read as one sentence in Chinese and in English.

The API answers the English line with ISO dates (CONTRACT §4.4); pages word the same stored findings
in the reader's language with local dates. Sentences below use the default policy (CONTRACT §5 thresholds).
"""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest
from history import AS_OF, assessed, resident, visit

from service.reasons import StoredReason, stored_reasons
from service.store.assessments import reasons_json
from stratify.assess import Override
from stratify.facts import ESTABLISHED_CODES
from stratify.features import GROUPS
from stratify.records import Adherence, Complication, EventType, Symptom
from stratify.rules import RULES
from stratify.tiers import Tier
from stratify.wording import EN, FINDINGS, LABELS, NAMES, VOCABULARY, ZH
from ui.i18n import local_date

DM = ("E11",)
OVERRIDE = Override(Tier.RED, "随访不配合，需专科评估", "dr.chen", AS_OF, dt.date(2026, 12, 1))

CASES = [  # (code, resident, overrides, Chinese sentence on the page, English message of the API)
    pytest.param(
        "bp_crisis",
        resident(visit(0, sbp=186, dbp=112)),
        (),
        "血压危象：11月1日血压 186/112 mmHg（≥180/110）",
        "BP 186/112 on 2026-11-01 >= 180/110",
        id="bp_crisis",
    ),
    pytest.param(
        "danger_symptom",
        resident(visit(0, symptoms=["chest_pain", "speech_difficulty"], heart_rate=112), codes=DM),
        (),
        "危险症状：11月1日胸痛、言语不清；11月1日心率 112 次/分（>100）",
        "Danger sign: chest pain, slurred speech on 2026-11-01; heart rate 112/min on 2026-11-01 > 100",
        id="danger_symptom-signs-and-heart-rate",
    ),
    pytest.param(
        "glucose_low",
        resident(visit(0, hypoglycemia="severe"), codes=DM),
        (),
        "低血糖：11月1日发生严重低血糖",
        "Severe hypoglycaemia reported on 2026-11-01",
        id="glucose_low-severe",
    ),
    pytest.param(
        "uncontrolled_twice",
        resident(visit(20, sbp=145, dbp=85), visit(0, sbp=142, dbp=80)),
        (),
        "连续两次随访控制不满意：10月12日血压 145/85 mmHg；11月1日血压 142/80 mmHg",
        "Uncontrolled at the last two visits: BP 145/85 on 2026-10-12; BP 142/80 on 2026-11-01",
        id="uncontrolled_twice",
    ),
    pytest.param(
        "recent_event",
        resident(visit(0), events=((30, "stroke"),)),
        (),
        "近期严重事件或住院：10月2日脑卒中（90天内）",
        "Stroke on 2026-10-02 (within 90 days)",
        id="recent_event",
    ),
    pytest.param(
        "poor_adherence",
        resident(visit(0, adherence="intermittent")),
        (),
        "服药依从性差：11月1日报告间断服药",
        "Medication taken intermittently (reported 2026-11-01)",
        id="poor_adherence",
    ),
    pytest.param(
        "overdue",
        resident(visit(400)),
        (),
        "逾期未随访：上次随访2025年9月27日，已400天（超过104天）",
        "Last visit 2025-09-27, 400 days ago (> 104)",
        id="overdue-last-year",
    ),
    pytest.param(
        "established_cvd",
        resident(visit(0), codes=("I10", "I25.1")),
        (),
        "已有心脑血管或肾脏疾病：缺血性心脏病（I25.1）",
        "Established disease: ischaemic heart disease (I25.1)",
        id="established_cvd-condition",
    ),
    pytest.param(
        "stepping_down",
        resident(visit(30, sbp=150, dbp=85), visit(0)),
        (),
        "降级观察中：保持黄标，直到连续2次随访（间隔至少14天）都达到绿标",
        "Held at yellow until 2 consecutive visits at least 14 days apart qualify for green",
        id="stepping_down",
    ),
    pytest.param(
        "override",
        resident(visit(0)),
        (OVERRIDE,),
        "中心调整：红标，由 dr.chen 设定，有效至12月1日；理由：随访不配合，需专科评估",
        "Set to red by dr.chen until 2026-12-01; 随访不配合，需专科评估",
        id="override",
    ),
]


def stored(code: str, r, overrides) -> StoredReason:
    """The reason as the API and the pages read it: saved with the assessment, decoded from its JSON."""
    reasons = stored_reasons(reasons_json(assessed(r, overrides=overrides).reasons))
    return next(reason for reason in reasons if reason.code == code)


@pytest.mark.parametrize(("code", "r", "overrides", "chinese", "english"), CASES)
def test_reason_reads_as_one_sentence_in_both_languages(code, r, overrides, chinese, english):
    reason = stored(code, r, overrides)

    assert reason.english == english  # as GET /api/v1/residents/{id} answers it
    assert reason.text(ZH, lambda d: local_date(d, ZH, AS_OF)) == chinese


def test_english_pages_use_local_dates_not_iso():
    reason = stored("bp_crisis", resident(visit(0, sbp=186, dbp=112)), ())

    assert reason.text(EN, lambda d: local_date(d, EN, AS_OF)) == "BP 186/112 on 1 Nov >= 180/110"


def test_reason_stored_before_findings_keeps_its_english_line_behind_the_label():
    line = "BP 186/112 on 2026-11-01 >= 180/110"
    (old,) = stored_reasons(
        msgspec.json.encode([{"code": "bp_crisis", "tier": "red", "source": "rule", "message": line}])
    )

    assert old.text(ZH, str) == "血压危象：BP 186/112 on 2026-11-01 >= 180/110"
    assert old.text(EN, str) == line
    assert old.english == line


@pytest.mark.parametrize(
    ("day", "lang", "text"),
    [
        ("2026-11-02", ZH, "11月2日"),
        ("2025-12-31", ZH, "2025年12月31日"),
        ("2026-03-05", EN, "5 Mar"),
        ("2027-01-09", EN, "9 Jan 2027"),
        (None, ZH, ""),
    ],
)
def test_local_dates(day, lang, text):
    assert local_date(day, lang, AS_OF) == text


def test_every_code_finding_and_coded_item_is_worded_in_both_languages():
    codes = {rule.__name__ for rule in RULES} | {"model_risk", "override", "stepping_down"}
    vocabularies = {
        "symptoms": set(Symptom),
        "complications": set(Complication),
        "events": set(EventType),
        "adherence": set(Adherence),
        "tiers": set(Tier),
        "contributors": set(GROUPS),
        "conditions": set(ESTABLISHED_CODES),
    }

    assert set(LABELS) == codes
    assert set(VOCABULARY.values()) == set(NAMES) == set(vocabularies)
    for vocabulary, members in vocabularies.items():
        assert set(NAMES[vocabulary]) == members, vocabulary
    texts = [*LABELS.values(), *FINDINGS.values(), *(t for names in NAMES.values() for t in names.values())]
    assert all(set(text) == {ZH, EN} and all(text.values()) for text in texts)
