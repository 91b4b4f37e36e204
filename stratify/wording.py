"""Reasons in words: a reason is its code plus the findings behind it, rendered here in either language.

The API's `message` is the English sentence with ISO dates (CONTRACT §4.4); the pages render the same
findings in the reader's language with the county's date form. One catalog serves both, so a reason
never reads differently in the two places.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stratify.tiers import Finding

ZH, EN = "zh-CN", "en"
Text = dict[str, str]  # one entry per language

LABELS: dict[str, Text] = {  # what each reason code of CONTRACT §5 means, in a few words
    "bp_crisis": {ZH: "血压危象", EN: "BP crisis"},
    "glucose_high": {ZH: "血糖过高", EN: "Glucose very high"},
    "glucose_low": {ZH: "低血糖", EN: "Low glucose"},
    "danger_symptom": {ZH: "危险症状", EN: "Danger sign"},
    "pregnancy": {ZH: "妊娠合并高血压或糖尿病", EN: "Pregnant with hypertension or diabetes"},
    "uncontrolled_twice": {ZH: "连续两次随访控制不满意", EN: "Uncontrolled at the last two visits"},
    "new_complication": {ZH: "新发并发症", EN: "New complication"},
    "recent_event": {ZH: "近期严重事件或住院", EN: "Recent serious event or admission"},
    "urgent_referral": {ZH: "紧急转诊", EN: "Urgent referral"},
    "routine_referral": {ZH: "转诊专科评估", EN: "Referred for specialist review"},
    "hba1c_very_high": {ZH: "糖化血红蛋白很高", EN: "HbA1c very high"},
    "recurrent_hypoglycemia": {ZH: "反复低血糖", EN: "Recurrent hypoglycaemia"},
    "both_uncontrolled": {ZH: "高血压和糖尿病均未控制", EN: "Hypertension and diabetes both uncontrolled"},
    "uncontrolled": {ZH: "控制不满意", EN: "Uncontrolled"},
    "medication_changed": {ZH: "近期调整用药", EN: "Medication changed"},
    "new_enrolment": {ZH: "新纳入管理", EN: "Newly enrolled"},
    "poor_adherence": {ZH: "服药依从性差", EN: "Poor adherence"},
    "overdue": {ZH: "逾期未随访", EN: "Overdue"},
    "established_cvd": {ZH: "已有心脑血管或肾脏疾病", EN: "Established disease"},
    "model_risk": {ZH: "模型评估风险高", EN: "High predicted risk"},
    "override": {ZH: "中心调整", EN: "Center override"},
    "stepping_down": {ZH: "降级观察中", EN: "Stepping down"},
}
# English sentences keep the label only where the findings alone would not say why.
UNLABELLED_IN_ENGLISH = frozenset(
    {
        "bp_crisis",
        "glucose_high",
        "glucose_low",
        "hba1c_very_high",
        "recent_event",
        "urgent_referral",
        "routine_referral",
        "medication_changed",
        "new_enrolment",
        "overdue",
        "recurrent_hypoglycemia",
        "poor_adherence",
        "model_risk",
        "override",
        "stepping_down",
    }
)

FINDINGS: dict[str, Text] = {  # {on} date, {value} reading, {limit} threshold, {names} / {name[i]} items
    "bp": {ZH: "{on}血压 {value} mmHg", EN: "BP {value} on {on}"},
    "fpg": {ZH: "{on}空腹血糖 {value} mmol/L", EN: "fasting glucose {value} mmol/L on {on}"},
    "hba1c": {ZH: "{on}糖化血红蛋白 {value}%", EN: "HbA1c {value}% on {on}"},
    "heart_rate": {ZH: "{on}心率 {value} 次/分", EN: "heart rate {value}/min on {on}"},
    "temperature": {ZH: "{on}体温 {value} °C", EN: "temperature {value} °C on {on}"},
    "symptoms": {ZH: "{on}{names}", EN: "{names} on {on}"},
    "severe_hypoglycemia": {ZH: "{on}发生严重低血糖", EN: "severe hypoglycaemia reported on {on}"},
    "hypoglycemia_visits": {
        ZH: "{limit}天内{value}次随访发生低血糖（自{on}起）",
        EN: "hypoglycaemia at {value} visits since {on} (within {limit} days)",
    },
    "pregnant": {ZH: "{on}报告妊娠", EN: "reported on {on}"},
    "urgent_referral": {ZH: "{on}紧急转诊", EN: "urgent referral on {on}"},
    "routine_referral": {ZH: "{on}转诊专科评估", EN: "referred for specialist review on {on}"},
    "complications": {ZH: "{on}报告{names}", EN: "{names} on {on}"},
    "event_within": {ZH: "{on}{names}（{limit}天内）", EN: "{names} on {on} (within {limit} days)"},
    "past_event": {ZH: "{on}曾发生{names}", EN: "past {names} on {on}"},
    "conditions": {ZH: "{names}", EN: "{names}"},
    "medication_changed": {ZH: "{on}调整用药", EN: "medication changed on {on}"},
    "htn_next_step": {ZH: "降压方案下一步：第{value}步", EN: "hypertension protocol: next step {value}"},
    "dm_next_step": {ZH: "降糖方案下一步：第{value}步", EN: "diabetes protocol: next step {value}"},
    "htn_refer": {ZH: "降压方案各步已用足，建议转诊", EN: "hypertension protocol exhausted: refer"},
    "dm_refer": {ZH: "降糖方案各步已用足，建议转诊", EN: "diabetes protocol exhausted: refer"},
    "adherence": {ZH: "{on}报告{names}", EN: "medication taken {names} (reported {on})"},
    "no_visit": {ZH: "尚无随访记录", EN: "no follow-up visit yet"},
    "no_visit_within": {ZH: "近{limit}天没有随访记录", EN: "no visit recorded in the last {limit} days"},
    "diagnosed": {ZH: "{on}确诊，不足{limit}天", EN: "diagnosed {on}, less than {limit} days ago"},
    "last_visit": {
        ZH: "上次随访{on}，已{value}天（超过{limit}天）",
        EN: "last visit {on}, {value} days ago (> {limit})",
    },
    "risk": {ZH: "12个月严重事件风险 {value}", EN: "12-month risk of a serious event {value}"},
    "top_share": {ZH: "全县风险最高的{value}", EN: "top {value} of the county"},
    "contributors": {ZH: "主要因为{names}", EN: "mostly {names}"},
    "held": {
        ZH: "保持{name[0]}，直到连续{value}次随访（间隔至少{limit}天）都达到{name[1]}",
        EN: "held at {name[0]} until {value} consecutive visits at least {limit} days apart qualify for {name[1]}",
    },
    "set_to": {ZH: "{names}，由 {value} 设定，有效至{on}", EN: "set to {names} by {value} until {on}"},
    "note": {ZH: "理由：{value}", EN: "{value}"},
}
COMPARISONS: dict[str, Text] = {
    ">=": {ZH: "（≥{limit}）", EN: " >= {limit}"},
    "<=": {ZH: "（≤{limit}）", EN: " <= {limit}"},
    ">": {ZH: "（>{limit}）", EN: " > {limit}"},
}

SYMPTOMS: dict[str, Text] = {  # CONTRACT §3 danger signs, as BPHS-3 follow-up forms word them
    "severe_headache": {ZH: "剧烈头痛", EN: "severe headache"},
    "dizziness": {ZH: "头晕", EN: "dizziness"},
    "altered_consciousness": {ZH: "意识改变", EN: "altered consciousness"},
    "nausea_vomiting": {ZH: "恶心呕吐", EN: "nausea or vomiting"},
    "blurred_vision": {ZH: "视物模糊", EN: "blurred vision"},
    "eye_pain": {ZH: "眼痛", EN: "eye pain"},
    "palpitations": {ZH: "心悸", EN: "palpitations"},
    "chest_pain": {ZH: "胸痛", EN: "chest pain"},
    "chest_tightness": {ZH: "胸闷", EN: "chest tightness"},
    "orthopnea": {ZH: "不能平卧", EN: "cannot lie flat"},
    "dyspnea": {ZH: "呼吸困难", EN: "breathlessness"},
    "limb_weakness": {ZH: "肢体无力", EN: "limb weakness"},
    "speech_difficulty": {ZH: "言语不清", EN: "slurred speech"},
    "acetone_breath": {ZH: "呼气有烂苹果味", EN: "acetone breath"},
    "kussmaul_breathing": {ZH: "深大呼吸", EN: "deep, laboured breathing"},
    "abdominal_pain": {ZH: "腹痛", EN: "abdominal pain"},
    "polyuria_polydipsia": {ZH: "多饮多尿", EN: "much thirst and urine"},
    "profuse_sweating": {ZH: "大汗", EN: "profuse sweating"},
    "sudden_vision_loss": {ZH: "视力突然下降", EN: "sudden loss of vision"},
}
NAMES: dict[str, dict[str, Text]] = {  # the vocabulary each finding's items come from
    "symptoms": SYMPTOMS,
    "complications": {
        "stroke_tia": {ZH: "脑卒中或短暂性脑缺血发作", EN: "stroke or TIA"},
        "coronary": {ZH: "冠心病", EN: "coronary heart disease"},
        "heart_failure": {ZH: "心力衰竭", EN: "heart failure"},
        "atrial_fibrillation": {ZH: "房颤", EN: "atrial fibrillation"},
        "kidney": {ZH: "肾脏病变", EN: "kidney disease"},
        "retinopathy": {ZH: "视网膜病变", EN: "retinopathy"},
        "diabetic_foot": {ZH: "糖尿病足", EN: "diabetic foot"},
        "peripheral_arterial": {ZH: "外周动脉疾病", EN: "peripheral arterial disease"},
    },
    "events": {
        "stroke": {ZH: "脑卒中", EN: "stroke"},
        "mi": {ZH: "心肌梗死", EN: "myocardial infarction"},
        "hf_admission": {ZH: "心衰住院", EN: "heart failure admission"},
        "hypertensive_emergency": {ZH: "高血压急症", EN: "hypertensive emergency"},
        "dka_hhs": {ZH: "糖尿病酮症酸中毒或高渗状态", EN: "DKA or HHS"},
        "severe_hypoglycemia": {ZH: "严重低血糖", EN: "severe hypoglycaemia"},
        "other_admission": {ZH: "其他原因住院", EN: "other admission"},
        "death": {ZH: "死亡", EN: "death"},
    },
    "conditions": {  # ICD-10 categories of CONTRACT §3's established disease
        **{f"I{n}": {ZH: "缺血性心脏病", EN: "ischaemic heart disease"} for n in range(20, 26)},
        "I50": {ZH: "心力衰竭", EN: "heart failure"},
        **{f"I{n}": {ZH: "脑血管病", EN: "cerebrovascular disease"} for n in range(60, 70)},
        "N18": {ZH: "慢性肾脏病", EN: "chronic kidney disease"},
    },
    "adherence": {
        "regular": {ZH: "规律服药", EN: "regularly"},
        "intermittent": {ZH: "间断服药", EN: "intermittently"},
        "none": {ZH: "不服药", EN: "not at all"},
    },
    "tiers": {
        "red": {ZH: "红标", EN: "red"},
        "yellow": {ZH: "黄标", EN: "yellow"},
        "green": {ZH: "绿标", EN: "green"},
    },
    "contributors": {  # stratify.features.GROUPS
        "age": {ZH: "年龄", EN: "age"},
        "sex": {ZH: "性别", EN: "sex"},
        "blood pressure": {ZH: "血压", EN: "blood pressure"},
        "glucose": {ZH: "血糖", EN: "glucose"},
        "body size": {ZH: "体型", EN: "body size"},
        "smoking": {ZH: "吸烟", EN: "smoking"},
        "medication adherence": {ZH: "服药依从性", EN: "medication adherence"},
        "missed follow-up": {ZH: "随访缺失", EN: "missed follow-up"},
        "conditions": {ZH: "所患疾病", EN: "conditions"},
        "past events and complications": {ZH: "既往事件和并发症", EN: "past events and complications"},
        "WHO cardiovascular risk": {ZH: "世卫组织心血管风险", EN: "WHO cardiovascular risk"},
    },
}
VOCABULARY = {  # finding kind -> NAMES key of its items
    "symptoms": "symptoms",
    "complications": "complications",
    "event_within": "events",
    "past_event": "events",
    "conditions": "conditions",
    "adherence": "adherence",
    "contributors": "contributors",
    "held": "tiers",
    "set_to": "tiers",
}
JOIN_ITEMS = {ZH: "、", EN: ", "}
JOIN_FINDINGS = {ZH: "；", EN: "; "}
AFTER_LABEL = {ZH: "：", EN: ": "}


def name(vocabulary: str, code: str, lang: str) -> str:
    """An item in words; ICD-10 codes keep the code after the category's name."""
    entry = NAMES[vocabulary].get(code) or NAMES[vocabulary].get(code[:3])
    if entry is None:
        return code
    text = entry[lang]
    if vocabulary != "conditions":
        return text
    return f"{text}（{code}）" if lang == ZH else f"{text} ({code})"


def finding_text(finding: Finding, lang: str, day: Callable[[dt.date], str]) -> str:
    """One finding in words (`lang` one of ZH, EN: every catalog entry has both)."""
    vocabulary = VOCABULARY.get(finding.kind)
    names = [name(vocabulary, code, lang) for code in finding.items] if vocabulary else list(finding.items)
    template = FINDINGS[finding.kind][lang]
    if finding.op:
        template += COMPARISONS[finding.op][lang]
    on = day(finding.on) if finding.on else ""
    return template.format(
        on=on, value=finding.value, limit=finding.limit, names=JOIN_ITEMS[lang].join(names), name=names
    )


def sentence(
    code: str, findings: Iterable[Finding], lang: str, day: Callable[[dt.date], str] = dt.date.isoformat
) -> str:
    """The reason as one sentence: in Chinese always label first; in English the label where needed."""
    lang = lang if lang in JOIN_ITEMS else EN
    detail = JOIN_FINDINGS[lang].join(finding_text(f, lang, day) for f in findings)
    label = LABELS[code][lang]
    if not detail:
        return label
    if lang == EN and code in UNLABELLED_IN_ENGLISH:
        return detail[0].upper() + detail[1:]
    return label + AFTER_LABEL[lang] + detail
