"""Who sees residents' national ids and phone numbers in full, and the masks everyone else sees."""

from __future__ import annotations

import re

from followup.assign import ROLE_LEVEL
from service.auth import Principal


def mask_national_id(value: str | None) -> str:
    """Keep the region (first 6) and the check character: 350421********123X -> 350421**********3X."""
    if not value:
        return ""
    return value[:6] + "*" * (len(value) - 8) + value[-2:]


def mask_phone(value: str | None) -> str:
    """Keep the first 3 and last 2 digits: 138****0012 style."""
    if not value:
        return ""
    digits = value.replace(" ", "").replace("-", "")
    return digits[:3] + "*" * max(len(digits) - 5, 0) + digits[-2:]


_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")  # mainland mobile numbers: 11 digits from 13x to 19x
_NATIONAL_ID = re.compile(r"(?<![\dXx])\d{17}[\dXx](?![\dXx])")  # GB 11643-1999: 17 digits + check character


def mask_in_text(text: str | None) -> str:
    """Free text (an override reason, an audit detail) with any phone number or national id masked."""
    if not text:
        return ""
    return _PHONE.sub(lambda m: mask_phone(m.group()), _NATIONAL_ID.sub(lambda m: mask_national_id(m.group()), text))


def sees_national_id(user_name: str, family_doctor: str | None) -> bool:
    """Whether a user sees a resident's national id in full: only the resident's family doctor."""
    return family_doctor is not None and family_doctor == user_name


def sees_phone(user: Principal, village_code: str) -> bool:
    """Whether a user sees a resident's phone number in full, with a call link (CONTRACT §10): the doctors
    whose region holds the resident's village; center staff and admins see it masked."""
    return user.role in ROLE_LEVEL and village_code.startswith(user.region)
