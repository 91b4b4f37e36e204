"""Masking of national ids and phone numbers for everyone but the resident's own doctor."""

from __future__ import annotations


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
