"""A spreadsheet cell as a record value (CONTRACT §8): dates in the forms counties type them, the
Chinese words of the BPHS form for each vocabulary, numbers as text or as numbers.

Each parser (`PARSERS`, by field) returns the §3 value or raises ValueError with a message of
`service.problems`; an empty cell is an absent value and never reaches a parser.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import lru_cache

from service.problems import problem
from service.sheet_columns import MEDICINE_NUMBERS
from stratify.records import DIABETES_CODES, HYPERTENSION_CODES, ICD10_PATTERN
from stratify.wording import SYMPTOMS, ZH

EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 in the 1900 date system (its 1900 leap-year bug included)
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]00:00(?::00)?)?$")
LIST_SEPARATORS = re.compile(r"[、,，;；]")
NONE_WORD = "无"
DATES_REMEMBERED = 65_536  # typed dates parsed once each

SEX = {"男": "M", "女": "F", "M": "M", "F": "F"}
MODE = {"门诊": "clinic", "家庭": "home", "电话": "phone"}
LEVEL = {"村": "village", "乡镇": "township", "县": "county"}
YES_NO = {"是": True, "否": False}
HAVE = {"有": True, "无": False}
ADHERENCE = {"规律": "regular", "间断": "intermittent", "不服药": "none"}
HYPOGLYCEMIA = {"无": "none", "偶尔": "mild", "频繁": "severe"}
REFERRAL = {"常规": "routine", "紧急": "urgent"}  # 无 = none: an absent value
CONDITION_WORDS = {"高血压": HYPERTENSION_CODES[0], "糖尿病": DIABETES_CODES[1]}  # I10, E11
SYMPTOM_WORDS = {text[ZH]: code for code, text in SYMPTOMS.items()}


def as_text(cell: object) -> str:
    """A cell as text: whole numbers without ".0" (a phone or an id typed into a number cell)."""
    if type(cell) is str:
        return cell.strip()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def as_date(cell: object) -> str:
    """YYYY-MM-DD from a date cell, an Excel serial number, or YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYY年M月D日."""
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return (EXCEL_EPOCH + dt.timedelta(days=int(cell))).isoformat()
    return _typed_date(as_text(cell))


@lru_cache(maxsize=DATES_REMEMBERED)
def _typed_date(text: str) -> str:
    """A typed date (the same few thousand dates recur on every sheet: birth dates on each visit row)."""
    match = _DATE.match(text)
    if match:
        try:
            return dt.date(*(int(part) for part in match.groups())).isoformat()
        except ValueError:
            pass
    raise ValueError(problem("sheet_date", value=text))


def _word(words: dict[str, object]) -> Callable[[object], object]:
    def parse(cell: object) -> object:
        text = as_text(cell)
        if text in words:
            return words[text]
        raise ValueError(problem("sheet_word", value=text, words="、".join(words)))

    return parse


def _number(kind: type[int] | type[float]) -> Callable[[object], object]:
    def parse(cell: object) -> object:
        if isinstance(cell, int | float) and not isinstance(cell, bool):
            value = float(cell)
        else:
            try:
                value = float(as_text(cell))
            except ValueError:
                raise ValueError(problem("whole_number" if kind is int else "number")) from None
        if kind is int:
            if not value.is_integer():
                raise ValueError(problem("whole_number"))
            return int(value)
        return value

    return parse


def _items(cell: object) -> list[str]:
    return [part.strip() for part in LIST_SEPARATORS.split(as_text(cell)) if part.strip()]


def as_symptoms(cell: object) -> list[str]:
    """The danger signs' Chinese names (as the visit form shows them); 无 = none."""
    names = [name for name in _items(cell) if name != NONE_WORD]
    unknown = [name for name in names if name not in SYMPTOM_WORDS]
    if unknown:
        raise ValueError(problem("sheet_word", value="、".join(unknown), words="、".join(SYMPTOM_WORDS)))
    return [SYMPTOM_WORDS[name] for name in names]


_DOSE = re.compile(r"^(?P<amount>\d+(?:\.\d+)?)\s*(?P<unit>mg|毫克|g|克|IU|U|单位)?$", re.IGNORECASE)
_DOSE_TIMES = re.compile(r"^每日\s*(?P<times>\d+)\s*次\s*[,，、;；]?\s*每次\s*(?P<dose>.+)$")
GRAMS = {"g", "克"}  # a dose in grams is written in mg (metformin 0.5 g = 500 mg)


def as_daily_dose(cell: object) -> float:
    """A medicine's daily dose in mg (insulin: units) from a number, `5mg`, `0.5g`, or the BPHS form's
    用法用量 `每日2次 每次5mg` (= 10)."""
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return float(cell)
    text = as_text(cell).replace(" ", "")
    times = _DOSE_TIMES.match(text)
    match = _DOSE.match(times["dose"] if times else text)
    if match is None:
        raise ValueError(problem("sheet_dose", value=text))
    amount = float(match["amount"]) * (1000 if (match["unit"] or "").lower() in GRAMS else 1)
    return amount * (int(times["times"]) if times else 1)


def as_conditions(cell: object) -> list[str]:
    """ICD-10 codes from 高血压 / 糖尿病 or from codes, separated by 、 , or ;."""
    codes = []
    for item in _items(cell):
        code = CONDITION_WORDS.get(item, item.upper())
        if not re.match(ICD10_PATTERN, code):
            raise ValueError(problem("sheet_word", value=item, words="、".join(CONDITION_WORDS) + "、ICD-10"))
        codes.append(code)
    return codes


# Field -> the parser of its non-empty cells; a field not named here is text (`as_text`).
PARSERS: dict[str, Callable[[object], object]] = {
    "sex": _word(SEX),
    "birth_date": as_date,
    "diagnosed_on": as_date,
    "conditions": as_conditions,
    "date": as_date,
    "mode": _word(MODE),
    "level": _word(LEVEL),
    "sbp": _number(int),
    "dbp": _number(int),
    "heart_rate": _number(int),
    "temperature_c": _number(float),
    "weight_kg": _number(float),
    "height_cm": _number(float),
    "waist_cm": _number(float),
    "fasting_glucose": _number(float),
    "hba1c": _number(float),
    "total_cholesterol": _number(float),
    "smoker": _word(YES_NO),
    "adherence": _word(ADHERENCE),
    "adverse_reaction": _word(HAVE),
    "hypoglycemia": _word(HYPOGLYCEMIA),
    "symptoms": as_symptoms,
    "referral": _word({**REFERRAL, NONE_WORD: None}),
    **{f"dose{n}": as_daily_dose for n in MEDICINE_NUMBERS},
}
