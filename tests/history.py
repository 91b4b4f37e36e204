"""Builders for one resident's history relative to a fixed as_of, for the pure stratify tests."""

from __future__ import annotations

import datetime as dt
import zlib

import msgspec

from stratify.assess import assess
from stratify.policy import Policy
from stratify.records import Resident
from stratify.tiers import Assessment

AS_OF = dt.date(2026, 11, 1)


def day(days_ago: int) -> str:
    return (AS_OF - dt.timedelta(days=days_ago)).isoformat()


def visit(days_ago: int = 0, **fields: object) -> dict:
    """A village clinic visit `days_ago` before AS_OF with a controlled BP unless told otherwise."""
    return {
        "visit_id": f"v{days_ago}-{len(fields)}-{zlib.crc32(repr(sorted(fields.items())).encode()) % 997}",
        "date": day(days_ago),
        "mode": "clinic",
        "level": "village",
        "sbp": 128,
        "dbp": 78,
        "adherence": "regular",
        **fields,
    }


def resident(
    *visits: dict,
    codes: tuple[str, ...] = ("I10",),
    diagnosed_days_ago: int = 3650,
    events: tuple[tuple[int, str], ...] = (),
    age: int = 60,
    record_id: str = "R1",
) -> Resident:
    birth = AS_OF.replace(year=AS_OF.year - age) - dt.timedelta(days=30)
    return msgspec.convert(
        {
            "record_id": record_id,
            "name": "测试",
            "sex": "F",
            "birth_date": birth.isoformat(),
            "village_code": "350421101201",
            "conditions": [{"code": c, "diagnosed_on": day(diagnosed_days_ago)} for c in codes],
            "visits": list(visits),
            "events": [{"event_id": f"e{i}", "date": day(ago), "type": kind} for i, (ago, kind) in enumerate(events)],
        },
        Resident,
    )


def assessed(r: Resident, policy: Policy | None = None, as_of: dt.date = AS_OF, **kwargs: object) -> Assessment:
    return assess(r, as_of, policy or Policy(), **kwargs)


def codes(r: Resident, policy: Policy | None = None, as_of: dt.date = AS_OF) -> set[str]:
    return {reason.code for reason in assessed(r, policy, as_of).reasons}
