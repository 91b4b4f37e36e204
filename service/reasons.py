"""Stored reasons as the API and the pages read them: one decoder and one wording for both.

A reason is stored as its code, tier, source and findings (`stratify.tiers.Reason`); rows stored
before reasons kept findings carry their English line instead, until the next nightly run rewrites
them. Both kinds read the same way here, so the API and the pages can never word a reason apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import msgspec

from stratify.tiers import Finding, Source, Tier
from stratify.wording import EN, LABELS, ZH, sentence


class StoredReason(msgspec.Struct, frozen=True):
    code: str
    tier: Tier
    source: Source = Source.RULE
    findings: tuple[Finding, ...] | None = None  # None: a row stored before findings were kept
    message: str | None = None  # ... which carries its English line instead

    def text(self, lang: str, day: Callable[[dt.date], str] = dt.date.isoformat) -> str:
        """The reason in `lang` with dates as `day` writes them (ISO by default, as the API answers)."""
        if self.findings is not None and self.code in LABELS:
            return sentence(self.code, self.findings, lang, day)
        label = LABELS.get(self.code, {}).get(lang)
        return f"{label}：{self.message}" if lang == ZH and label else self.message or self.code

    @property
    def english(self) -> str:
        """The API's `message`: English with ISO dates (CONTRACT §4.4)."""
        return self.text(EN)


_reasons = msgspec.json.Decoder(list[StoredReason])
_reason = msgspec.json.Decoder(StoredReason)


def stored_reasons(text: str | bytes | None) -> list[StoredReason]:
    """The reasons column of an assessment, highest tier first."""
    return _reasons.decode(text) if text else []


def stored_reason(text: str | bytes | None) -> StoredReason | None:
    """One reason as a list reads it (`json_extract(reasons, '$[0]')`: the highest)."""
    return _reason.decode(text) if text else None
