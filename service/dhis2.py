"""The county's figures as a DHIS2 `dataValueSets` document (CONTRACT §11, docs/dhis2.md).

A county's mapping file (`SANBIAO_DHIS2_MAPPING`, TOML) names the dataElement of each indicator it
reports and the orgUnit of each area; indicators and areas it does not map are left out. The periods
are DHIS2's (`2026`, `2026Q3`, `202609`); the document is what `POST /api/dataValueSets` takes (dhis2-docs,
src/developer/web-api/data.md, the bulk form with period and orgUnit on each value).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import msgspec

from service.period_indicators import Indicators, TotalFigures
from service.periods import Period

DEFAULT_COMBO = "HllvX50cXC0"  # DHIS2's default categoryOptionCombo
UID = re.compile(r"[A-Za-z][A-Za-z0-9]{10}")  # DHIS2 identifiers: 11 characters, a letter first


class BadDhis2Mapping(Exception):
    """A mapping file that cannot be used (named, with the reason)."""


class Dhis2Mapping(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    data_elements: dict[str, str] = {}  # indicator key -> dataElement uid
    org_units: dict[str, str] = {}  # area code -> orgUnit uid
    category_option_combo: str = DEFAULT_COMBO


class DataValue(msgspec.Struct, frozen=True):
    dataElement: str
    period: str
    orgUnit: str
    categoryOptionCombo: str
    value: str


class DataValueSet(msgspec.Struct, frozen=True):
    dataValues: list[DataValue]


def load_dhis2_mapping(path: Path) -> Dhis2Mapping:
    """The mapping, checked: every key an indicator of §11, every uid in DHIS2's form."""
    try:
        mapping = msgspec.convert(tomllib.loads(path.read_text(encoding="utf-8")), Dhis2Mapping)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, msgspec.ValidationError) as e:
        raise BadDhis2Mapping(f"{path.name}: {e}") from None
    unknown = sorted(set(mapping.data_elements) - set(TotalFigures.__struct_fields__))
    if unknown:
        raise BadDhis2Mapping(f"{path.name}: not an indicator: {', '.join(unknown)}")
    uids = [*mapping.data_elements.values(), *mapping.org_units.values(), mapping.category_option_combo]
    bad = [uid for uid in uids if not UID.fullmatch(uid)]
    if bad:
        raise BadDhis2Mapping(f"{path.name}: not a DHIS2 uid (11 characters, a letter first): {', '.join(bad)}")
    return mapping


def data_value_set(figures: Indicators, period: Period, mapping: Dhis2Mapping) -> DataValueSet:
    """The mapped indicators of the mapped areas, and of the region itself (its total) when mapped;
    an expected count whose population is not known is left out."""
    areas: list[tuple[str, TotalFigures]] = [(a.code, a) for a in figures.areas]
    if figures.region not in {code for code, _ in areas}:  # a village's own figures are its only area
        areas.append((figures.region, figures.total))
    return DataValueSet(
        [
            DataValue(
                element, period.dhis2, mapping.org_units[code], mapping.category_option_combo, str(getattr(counts, key))
            )
            for code, counts in areas
            if code in mapping.org_units
            for key, element in mapping.data_elements.items()
            if getattr(counts, key) is not None
        ]
    )
