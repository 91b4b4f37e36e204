"""Which spreadsheet column holds which record field (CONTRACT §8): the built-in BPHS headers, or a
county's own mapping file.

A header may carry a unit in ASCII or full-width brackets (`收缩压(mmHg)`, `空腹血糖（mmol/L）`) and
surrounding spaces; both are ignored. A mapping file is TOML:

    [columns]            # header = field (a CONTRACT §3 field, `conditions`, `diagnosed_on`, `-`, or
                         # `drug1`, `dose1`... the Nth medicine's name and daily dose)
    "Record no" = "record_id"
    "SBP" = "sbp"
    [ignore]
    headers = ["Remarks"]  # read, not used (the same as mapping them to "-")
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import msgspec

IGNORED = "-"  # a column that is read and not used
RESIDENT_FIELDS = (
    "record_id",
    "name",
    "sex",
    "birth_date",
    "national_id",
    "phone",
    "family_doctor",
    "village_code",
    "conditions",
    "diagnosed_on",
)
VISIT_FIELDS = (
    "visit_id",
    "date",
    "mode",
    "level",
    "sbp",
    "dbp",
    "heart_rate",
    "temperature_c",
    "weight_kg",
    "height_cm",
    "waist_cm",
    "fasting_glucose",
    "hba1c",
    "total_cholesterol",
    "smoker",
    "adherence",
    "adverse_reaction",
    "hypoglycemia",
    "symptoms",
    "referral",
)
# The BPHS follow-up forms' 用药情况 lists medicines by number (药物名称1-3 and 其他); county exports go a
# little further. drugN and doseN are the Nth medicine's name and daily dose (service.sheets makes the list).
MEDICINES_PER_ROW = 5
MEDICINE_NUMBERS = range(1, MEDICINES_PER_ROW + 1)
MEDICINE_FIELDS = tuple(f"{part}{n}" for n in MEDICINE_NUMBERS for part in ("drug", "dose"))
VISIT_FIELDS += MEDICINE_FIELDS
FIELDS = frozenset((*RESIDENT_FIELDS, *VISIT_FIELDS, IGNORED))

BUILT_IN: dict[str, str] = {  # CONTRACT §8
    "档案编号": "record_id",
    "姓名": "name",
    "性别": "sex",
    "出生日期": "birth_date",
    "身份证号": "national_id",
    "联系电话": "phone",
    "责任医生": "family_doctor",
    "村编码": "village_code",
    "疾病": "conditions",
    "确诊日期": "diagnosed_on",
    "随访编号": "visit_id",
    "随访日期": "date",
    "随访方式": "mode",
    "随访机构级别": "level",
    "收缩压": "sbp",
    "舒张压": "dbp",
    "心率": "heart_rate",
    "体温": "temperature_c",
    "体重": "weight_kg",
    "身高": "height_cm",
    "腰围": "waist_cm",
    "空腹血糖": "fasting_glucose",
    "糖化血红蛋白": "hba1c",
    "总胆固醇": "total_cholesterol",
    "吸烟": "smoker",
    "服药依从性": "adherence",
    "药物不良反应": "adverse_reaction",
    "低血糖反应": "hypoglycemia",
    "症状": "symptoms",
    "转诊": "referral",
    **{f"药物名称{n}": f"drug{n}" for n in MEDICINE_NUMBERS},
    **{f"每日剂量{n}": f"dose{n}" for n in MEDICINE_NUMBERS},
    **{f"用法用量{n}": f"dose{n}" for n in MEDICINE_NUMBERS},
    "此次随访分类": IGNORED,
    "下次随访日期": IGNORED,
    "备注": IGNORED,
    "错误": IGNORED,  # the error column of a rejected-rows workbook (service.uploads), uploaded again fixed
    "Errors": IGNORED,
}
_UNIT = re.compile(r"\s*[(（][^)）]*[)）]\s*$")  # a trailing unit in ASCII or full-width brackets


def normalized(header: object) -> str:
    """A header as the mapping knows it: without surrounding spaces or a trailing unit in brackets."""
    return _UNIT.sub("", str(header if header is not None else "").strip()).strip()


class MappingFile(msgspec.Struct, forbid_unknown_fields=True):
    columns: dict[str, str] = {}
    ignore: dict[str, list[str]] = {}


class BadMapping(Exception):
    """A mapping file that cannot be used (named, with the reason)."""


class Mapping(msgspec.Struct, frozen=True):
    """Normalised header -> field."""

    columns: dict[str, str]

    def field(self, header: object) -> str | None:
        return self.columns.get(normalized(header))


def built_in() -> Mapping:
    return Mapping(BUILT_IN)


def load_mapping(path: Path) -> Mapping:
    """A county's mapping file, checked: every field is one a sheet may fill."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise BadMapping(f"{path.name}: {e}") from None
    return parse_mapping(text, path.name)


def parse_mapping(text: str, name: str) -> Mapping:
    """A mapping from its TOML text (`name` says where it came from in an error)."""
    try:
        raw = msgspec.convert(tomllib.loads(text), MappingFile)
    except (tomllib.TOMLDecodeError, msgspec.ValidationError) as e:
        raise BadMapping(f"{name}: {e}") from None
    unknown = sorted(field for field in raw.columns.values() if field not in FIELDS)
    if unknown:
        raise BadMapping(f"{name}: not a field a sheet may fill: {', '.join(unknown)}")
    columns = {normalized(header): field for header, field in raw.columns.items()}
    columns.update({normalized(header): IGNORED for header in raw.ignore.get("headers", [])})
    return Mapping(columns)
