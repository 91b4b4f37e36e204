"""Follow-up tasks and the vocabularies of CONTRACT §6."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import msgspec

from stratify.records import Level
from stratify.tiers import Tier


class TaskKind(StrEnum):
    URGENT_REFERRAL = "urgent_referral"  # red from an urgent rule: same day
    SPECIALIST_REVIEW = "specialist_review"  # other red: within 14 days
    RECHECK = "recheck"  # yellow after uncontrolled or a medicine change: last visit + 14
    GP_REVIEW = "gp_review"  # other yellow: last visit + 28
    ROUTINE_FOLLOWUP = "routine_followup"  # green: last visit + 90
    REFERRAL_OUTCOME = "referral_outcome"  # a referral with no outcome after 14 days
    REMEASURE = "remeasure"  # a reading that looks wrong: measure again
    RECALL = "recall"  # long without a visit: call the resident in


ROUTINE_KINDS = frozenset(
    {
        TaskKind.URGENT_REFERRAL,
        TaskKind.SPECIALIST_REVIEW,
        TaskKind.RECHECK,
        TaskKind.GP_REVIEW,
        TaskKind.ROUTINE_FOLLOWUP,
    }
)  # exactly one of these is open per managed resident


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class CallOutcome(StrEnum):
    """What came of a call or home visit (CONTRACT §6)."""

    VISITED = "visited"
    AGREED_TO_VISIT = "agreed_to_visit"
    REMIND_LATER = "remind_later"  # needs remind_on
    UNREACHABLE = "unreachable"
    REFUSED = "refused"
    MOVED_AWAY = "moved_away"  # ends management
    DIED = "died"  # ends management
    WRONG_NUMBER = "wrong_number"


ENDS_MANAGEMENT = frozenset({CallOutcome.MOVED_AWAY, CallOutcome.DIED})


class Task(msgspec.Struct, kw_only=True):
    """A follow-up task as planned; task_id is None until stored."""

    task_id: int | None = None
    record_id: str
    kind: TaskKind
    tier: Tier | None
    owner_level: Level
    assignee: str | None
    village_code: str
    status: TaskStatus = TaskStatus.OPEN
    created_on: dt.date
    due: dt.date
    remind_on: dt.date | None = None
    closed_on: dt.date | None = None
    close_reason: str | None = None
    reasons: tuple[str, ...] = ()  # the one-line reasons the doctor reads
    basis: str | None = None  # "date|visit_id" of the latest visit known when the task was planned

    @property
    def routine(self) -> bool:
        return self.kind in ROUTINE_KINDS


class Close(msgspec.Struct, frozen=True):
    record_id: str
    task_id: int
    status: TaskStatus
    on: dt.date
    reason: str


class Redate(msgspec.Struct, frozen=True):
    record_id: str
    task_id: int
    due: dt.date
    tier: Tier | None
    owner_level: Level
    reasons: tuple[str, ...]


class Plan(msgspec.Struct):
    """What planning decided for one or many residents: tasks to open, re-date and close."""

    open: list[Task] = msgspec.field(default_factory=list)
    redate: list[Redate] = msgspec.field(default_factory=list)
    close: list[Close] = msgspec.field(default_factory=list)

    def extend(self, other: Plan) -> None:
        self.open += other.open
        self.redate += other.redate
        self.close += other.close

    def about(self, record_ids: set[str]) -> Plan:
        """The part of the plan about these residents."""
        return Plan(
            [t for t in self.open if t.record_id in record_ids],
            [r for r in self.redate if r.record_id in record_ids],
            [c for c in self.close if c.record_id in record_ids],
        )
