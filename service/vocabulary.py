"""The clinical vocabulary and its wording as the pages use them: `ui/` reads the core only through
the service, so these names are the pages' one source for tiers, task kinds, outcomes and signs."""

from __future__ import annotations

from followup.tasks import CallOutcome, TaskKind
from stratify.records import Adherence, Hypoglycemia, Referral, VisitMode
from stratify.tiers import URGENT_FIRST, Tier
from stratify.wording import LABELS, NAMES, SYMPTOMS, ZH

__all__ = [
    "LABELS",
    "NAMES",
    "SYMPTOMS",
    "URGENT_FIRST",
    "ZH",
    "Adherence",
    "CallOutcome",
    "Hypoglycemia",
    "Referral",
    "TaskKind",
    "Tier",
    "VisitMode",
]
