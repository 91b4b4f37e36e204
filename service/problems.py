"""Every validation message, worded once: as the API says it, and as a page says it in each language.

Messages come from two places: msgspec's decoder (types, ranges, lengths, patterns, vocabularies,
missing and unknown fields) and sanbiao's own rules (`problem(code, ...)`). The API keeps its English
text (`api`, or `en` where a page says the same); a page reads a message back into its problem and
parameters (`parse`) and words it in the page's language (`word`). Each API template is both the
writer's format and the reader's pattern, so a message cannot drift from its translations.
"""

from __future__ import annotations

import re
from functools import cache

EN = "en"

# code -> {api, en, zh-CN} -> template (placeholders in braces); `api` defaults to `en`.
CATALOG: dict[str, dict[str, str]] = {
    # msgspec's own messages (msgspec 0.19-0.22), after `validation.located` strips the path.
    "type": {
        "api": "Expected `{expected}`, got `{got}`",
        "en": "should be {expected}, not {got}",
        "zh-CN": "应填{expected}，不能是{got}",
    },
    "max": {"api": "Expected `{expected}` <= {limit}", "en": "at most {limit}", "zh-CN": "不能大于 {limit}"},
    "min": {"api": "Expected `{expected}` >= {limit}", "en": "at least {limit}", "zh-CN": "不能小于 {limit}"},
    "above": {"api": "Expected `{expected}` > {limit}", "en": "more than {limit}", "zh-CN": "应大于 {limit}"},
    "max_length": {
        "api": "Expected `{expected}` of length <= {limit}",
        "en": "at most {limit} {unit}",
        "zh-CN": "最多 {limit} {unit}",
    },
    "min_length": {
        "api": "Expected `{expected}` of length >= {limit}",
        "en": "at least {limit} {unit}",
        "zh-CN": "至少 {limit} {unit}",
    },
    "pattern": {
        "api": "Expected `str` matching regex '{regex}'",
        "en": "not in the expected form",
        "zh-CN": "格式不对",
    },
    "enum": {
        "api": "Invalid enum value '{value}'",
        "en": "not one of the choices: {value}",
        "zh-CN": "不是可选的值：{value}",
    },
    "date_format": {
        "api": "Invalid RFC3339 encoded date",
        "en": "a date as year-month-day, e.g. 2026-03-01",
        "zh-CN": "日期应写成 年-月-日（如 2026-03-01）",
    },
    "required": {"api": "required field is missing", "en": "required", "zh-CN": "必填"},
    "unknown_field": {"en": "unknown field", "zh-CN": "不认识的字段"},
    # sanbiao's rules (CONTRACT §3 and the forms)
    "malformed_json": {"en": "malformed JSON: {detail}", "zh-CN": "JSON 格式错误：{detail}"},
    "blank": {"en": "must not be blank", "zh-CN": "不能为空"},
    "future_date": {
        "en": "date {value} is in the future (today is {today})",
        "zh-CN": "日期 {value} 晚于今天（{today}）",
    },
    "future_date_short": {"en": "date {value} is in the future", "zh-CN": "日期 {value} 晚于今天"},
    "before_birth": {"en": "date {value} is before birth_date {born}", "zh-CN": "日期 {value} 早于出生日期 {born}"},
    "too_old": {"en": "age over {years} years", "zh-CN": "年龄超过 {years} 岁"},
    "check_digit": {"en": "check digit does not match (GB 11643)", "zh-CN": "身份证号校验位不对，请核对（GB 11643）"},
    "id_sex": {
        "en": "sex {sex} does not match the national id ({id_sex})",
        "zh-CN": "性别与身份证号不符（身份证为{id_sex}）",
    },
    "id_birth": {
        "en": "birth_date {value} does not match the national id ({id_birth})",
        "zh-CN": "出生日期 {value} 与身份证号不符（身份证为 {id_birth}）",
    },
    "id_taken": {
        "en": "national id already registered as {record_id}",
        "zh-CN": "该身份证号已登记，档案号 {record_id}",
    },
    "id_elsewhere": {
        "en": "national id already registered in another area",
        "zh-CN": "该身份证号已在其他辖区登记，请联系健康管理中心",
    },
    "person_taken": {
        "en": "already registered in this village with this name and birth date as {record_id}",
        "zh-CN": "本村已登记同名、同出生日期的居民，档案号 {record_id}",
    },
    "duplicate": {"en": "duplicate {key} '{value}' (also {other})", "zh-CN": "重复：{value}（与 {other} 相同）"},
    "bp_pair": {"en": "sbp and dbp must be given together", "zh-CN": "收缩压和舒张压要一起填"},
    "dbp_not_below_sbp": {"en": "dbp {dbp} must be lower than sbp {sbp}", "zh-CN": "舒张压 {dbp} 应低于收缩压 {sbp}"},
    "unknown_drug": {
        "en": "unknown drug '{drug}' (not in the county formulary)",
        "zh-CN": "不认识的药物“{drug}”（不在本县药品目录中）",
    },
    "visit_exists": {
        "en": "the resident already has a visit '{visit_id}'",
        "zh-CN": "该居民已有这次随访（{visit_id}）",
    },
    "outside_region": {
        "en": "outside the region {region} this sender may write to",
        "zh-CN": "不在您可以录入的辖区（{region}）内",
    },
    "whole_number": {"en": "must be a whole number", "zh-CN": "请填整数"},
    "number": {"en": "must be a number", "zh-CN": "请填数字"},
    "choose_tier": {"en": "choose red, yellow or green", "zh-CN": "请选择红、黄或绿"},
    "choose_condition": {"en": "choose hypertension, diabetes or both", "zh-CN": "请选择高血压、糖尿病或两者"},
    "birth_or_id": {"en": "give the birth date or the national id", "zh-CN": "请填出生日期或身份证号"},
    "reason_length": {"en": "1-{limit} characters: why", "zh-CN": "请写明理由（1-{limit} 个字）"},
    "date_ahead": {
        "en": "a date after today, at most {days} days ahead",
        "zh-CN": "请选今天以后、{days} 天以内的日期",
    },
    "date_iso": {"en": "a date (YYYY-MM-DD)", "zh-CN": "请填日期（年-月-日）"},
    "sheet_date": {
        "en": "not a date: '{value}' (YYYY-MM-DD, YYYY/M/D, YYYY.M.D or the Chinese year-month-day form)",
        "zh-CN": "不是日期：“{value}”（可写 2026-03-01、2026/3/1、2026.3.1 或 2026年3月1日）",
    },
    "unknown_header": {
        "en": "unknown column header(s): {headers}; map or ignore them in a mapping file (--mapping)",
        "zh-CN": "不认识的列名：{headers}；请在对照表（--mapping）中对应或忽略",
    },
    "no_record_id": {"en": "no column holds the record_id", "zh-CN": "没有档案编号列"},
    "upload_kind": {"en": "upload a spreadsheet: {kinds}", "zh-CN": "请上传电子表格（{kinds}）"},
    "sheet_dose": {
        "en": "'{value}' is not a daily dose (mg a day, or the form's times a day and mg each time)",
        "zh-CN": "“{value}”不是每日剂量（填每日毫克数，或“每日N次 每次X mg”）",
    },
    "sheet_word": {"en": "'{value}' is not one of: {words}", "zh-CN": "“{value}”不是可选的值（{words}）"},
    "reminder_date": {
        "en": "remind_on: {value} is not after today ({today})",
        "zh-CN": "提醒日期要晚于今天（{today}）",
    },
    "reminder_needed": {"en": "remind_later needs remind_on", "zh-CN": "选“稍后提醒”时请填提醒日期"},
    "reminder_only_later": {"en": "remind_on goes only with remind_later", "zh-CN": "只有“稍后提醒”才填提醒日期"},
}

# A pattern error worded by the field it is about: a doctor needs the form, not the regex.
PATTERN_BY_FIELD: dict[str, dict[str, str]] = {
    "national_id": {
        "en": "18 characters: 17 digits and a digit or X",
        "zh-CN": "身份证号应为18位：17位数字加1位数字或X",
    },
    "phone": {"en": "7-20 digits (spaces, + and - allowed)", "zh-CN": "电话号码为7-20位数字"},
    "village_code": {"en": "a 12-digit village code", "zh-CN": "村编码为12位数字"},
    "code": {"en": "an ICD-10 code such as I10", "zh-CN": "疾病编码应为 ICD-10，如 I10"},
    "family_doctor": {"en": "a username", "zh-CN": "应为系统用户名"},
    "visit_id": {"en": "1-64 letters, digits, _ or -", "zh-CN": "随访编号应为1-64位字母、数字、_ 或 -"},
    "outcome_id": {"en": "1-64 letters, digits, _ or -", "zh-CN": "编号应为1-64位字母、数字、_ 或 -"},
    "drug": {
        "en": "a medicine's name in lowercase (INN), e.g. amlodipine",
        "zh-CN": "药名应为小写通用名（INN），如 amlodipine",
    },
}

# msgspec's type names and what a length counts, as a page says them.
TYPE_NAMES = {
    "int": {"en": "a whole number", "zh-CN": "整数"},
    "float": {"en": "a number", "zh-CN": "数字"},
    "str": {"en": "text", "zh-CN": "文字"},
    "bool": {"en": "yes or no", "zh-CN": "是或否"},
    "array": {"en": "a list", "zh-CN": "列表"},
    "object": {"en": "an object", "zh-CN": "对象"},
    "date": {"en": "a date", "zh-CN": "日期"},
    "null": {"en": "empty", "zh-CN": "空值"},
}
UNITS = {"str": {"en": "characters", "zh-CN": "个字"}, "array": {"en": "items", "zh-CN": "项"}}
OR = {"en": " or ", "zh-CN": "或"}


def _api(code: str) -> str:
    """The API's (English) message template of a problem."""
    entry = CATALOG[code]
    return entry.get("api", entry[EN])


def problem(code: str, **params: object) -> str:
    """The message of a problem as the API answers it."""
    return _api(code).format(**params)


@cache
def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    """Each API template as an anchored pattern; longer (more specific) templates first."""
    result = []
    for code in CATALOG:
        parts = re.split(r"\{(\w+)\}", _api(code))
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.*?)" for i, p in enumerate(parts))
        result.append((code, re.compile(f"^{regex}$", re.DOTALL)))
    return sorted(result, key=lambda item: -len(_api(item[0])))


def parse(message: str) -> tuple[str, dict[str, str]] | None:
    """The problem and parameters behind an API message, or None for a message not in the catalog."""
    for code, pattern in _patterns():
        match = pattern.match(message)
        if match:
            return code, match.groupdict()
    return None


def _type_name(name: str, lang: str) -> str:
    """`int | null` -> "a whole number": the type a field wants (null is allowed wherever it appears)."""
    kinds = [part for part in name.split(" | ") if part != "null"] or ["null"]
    return OR[lang].join(TYPE_NAMES[k][lang] if k in TYPE_NAMES else k for k in kinds)


def word(field: str, message: str, lang: str) -> str:
    """A located error's message as a page in `lang` says it: worded from its problem, its field and
    its limit. A message not in the catalog is returned as it is (a test keeps forms from making one)."""
    parsed = parse(message)
    if parsed is None:
        return message
    code, params = parsed
    leaf = field.rsplit(".", 1)[-1].split("[", maxsplit=1)[0]
    if code == "pattern" and leaf in PATTERN_BY_FIELD:
        return PATTERN_BY_FIELD[leaf][lang]
    if code == "min_length" and params["limit"] == "1":
        code = "blank"
    if "expected" in params:
        params["unit"] = UNITS.get(params["expected"], UNITS["array"])[lang]
        params.update({k: _type_name(params[k], lang) for k in ("expected", "got") if k in params})
    return CATALOG[code][lang].format(**params)
