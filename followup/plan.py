"""Planning: from one resident's assessment, visits and open tasks, which tasks to open, re-date or close.

Pure: no database and no clock. The routine task's kind and due date follow CONTRACT §6; special
tasks chase referrals without an outcome, suspicious readings and residents long without a visit.
A task is completed by a visit dated on or after the day it was created that it did not already
know of (its `basis`), so the visit that caused a task never completes it.
"""

from __future__ import annotations

import datetime as dt

from followup.tasks import ROUTINE_KINDS, Close, Plan, Redate, Task, TaskKind, TaskStatus
from stratify.policy import Policy
from stratify.records import Level, Referral, Visit
from stratify.rules import URGENT_CODES
from stratify.tiers import Assessment, Status, Tier

RECHECK_CODES = frozenset({"uncontrolled", "medication_changed"})  # CONTRACT §6
VISIT_ANCHORED = frozenset({TaskKind.RECHECK, TaskKind.GP_REVIEW, TaskKind.ROUTINE_FOLLOWUP})
REASONS_SHOWN = 3


def basis_of(visits: list[Visit]) -> str | None:
    """The latest visit a plan knew of, as a sortable key."""
    return f"{visits[-1].date.isoformat()}|{visits[-1].visit_id}" if visits else None


def completing_visit(task: Task, visits: list[Visit]) -> Visit | None:
    """The first visit on or after the task's creation day that the task did not know of."""
    for visit in visits:
        key = f"{visit.date.isoformat()}|{visit.visit_id}"
        if visit.date >= task.created_on and (task.basis is None or key > task.basis):
            return visit
    return None


def routine_task(a: Assessment, visits: list[Visit], policy: Policy) -> tuple[TaskKind, dt.date]:
    """The kind and due date of the one routine task this assessment calls for (CONTRACT §6)."""
    codes = {r.code for r in a.reasons}
    last = visits[-1].date if visits else None
    if a.tier is Tier.RED:
        if codes & URGENT_CODES:
            return TaskKind.URGENT_REFERRAL, a.as_of
        return TaskKind.SPECIALIST_REVIEW, a.as_of + dt.timedelta(days=policy.specialist_review_days)
    if a.tier is Tier.YELLOW:
        if codes & RECHECK_CODES and last:
            return TaskKind.RECHECK, last + dt.timedelta(days=policy.recheck_days)
        if last is None or "overdue" in codes:
            return TaskKind.GP_REVIEW, a.as_of + dt.timedelta(days=policy.gp_review_no_visit_days)
        return TaskKind.GP_REVIEW, last + dt.timedelta(days=policy.gp_review_days)
    if last is None:  # green without any visit cannot arise from the rules; plan a first visit
        return TaskKind.ROUTINE_FOLLOWUP, a.as_of
    return TaskKind.ROUTINE_FOLLOWUP, last + dt.timedelta(days=policy.routine_days)


def unresolved_referral(visits: list[Visit], as_of: dt.date, policy: Policy) -> Visit | None:
    """The latest referral no township or county visit has followed, once its 14 days are up."""
    for i in range(len(visits) - 1, -1, -1):
        visit = visits[i]
        if visit.referral in (Referral.URGENT, Referral.ROUTINE):
            seen = any(v.date > visit.date and v.level != Level.VILLAGE for v in visits[i + 1 :])
            overdue = (as_of - visit.date).days >= policy.referral_outcome_days
            return visit if overdue and not seen else None
    return None


def worth_chasing(referral: Visit, as_of: dt.date, policy: Policy) -> bool:
    """Whether a referral first found unresolved on `as_of` opens a chase: not one already older than
    `referral_chase_days` (imported history; a live referral is chased at 14 days, long before)."""
    return (as_of - referral.date).days <= policy.referral_chase_days


def copied_readings(visits: list[Visit], policy: Policy) -> list[Visit]:
    """The last `remeasure_repeats` BP visits when they all carry the very same BP."""
    bp = [v for v in visits if v.sbp is not None][-policy.remeasure_repeats :]
    if len(bp) == policy.remeasure_repeats and len({(v.sbp, v.dbp) for v in bp}) == 1:
        return bp
    return []


def plan(
    a: Assessment,
    visits: list[Visit],
    open_tasks: list[Task],
    policy: Policy,
    *,
    village_code: str,
    family_doctor: str | None,
) -> Plan:
    """Task changes for one resident; `visits` are sorted and dated on or before `a.as_of`."""
    result = Plan()
    as_of = a.as_of
    still_open = []
    for task in open_tasks:
        visit = completing_visit(task, visits)
        if visit is not None:
            done = f"visit {visit.visit_id} on {visit.date}"
            result.close.append(Close(a.record_id, task.task_id, TaskStatus.DONE, visit.date, done))
        else:
            still_open.append(task)
    if a.tier is None:
        why = a.status.value if a.status is not Status.ACTIVE else "no longer managed"
        result.close += [Close(a.record_id, t.task_id, TaskStatus.CANCELLED, as_of, why) for t in still_open]
        return result

    reasons = tuple(r.message for r in a.reasons[:REASONS_SHOWN])
    basis = basis_of(visits)

    def task(kind: TaskKind, tier: Tier, level: Level, due: dt.date, assignee: str | None) -> Task:
        return Task(
            record_id=a.record_id,
            kind=kind,
            tier=tier,
            owner_level=level,
            assignee=assignee,
            village_code=village_code,
            created_on=as_of,
            due=due,
            reasons=reasons,
            basis=basis,
        )

    kind, due = routine_task(a, visits, policy)
    level = a.tier.owner_level
    routine = [t for t in still_open if t.kind in ROUTINE_KINDS]
    keep = next((t for t in routine if t.kind is kind), None)
    for t in routine:
        if t is not keep:
            result.close.append(Close(a.record_id, t.task_id, TaskStatus.CANCELLED, as_of, f"replaced by {kind}"))
    if keep is None:
        result.open.append(task(kind, a.tier, level, due, family_doctor if a.tier is Tier.GREEN else None))
    else:
        new_due = due if kind in VISIT_ANCHORED and keep.remind_on is None else keep.due
        if (new_due, a.tier, level, reasons) != (keep.due, keep.tier, keep.owner_level, keep.reasons):
            result.redate.append(Redate(a.record_id, keep.task_id, new_due, a.tier, level, reasons))

    special = {t.kind: t for t in still_open if t.kind not in ROUTINE_KINDS}
    referral = unresolved_referral(visits, as_of, policy)
    if referral and TaskKind.REFERRAL_OUTCOME not in special and worth_chasing(referral, as_of, policy):
        due = referral.date + dt.timedelta(days=policy.referral_outcome_days)
        result.open.append(task(TaskKind.REFERRAL_OUTCOME, Tier.RED, Level.COUNTY, due, None))
    elif referral is None and TaskKind.REFERRAL_OUTCOME in special:
        closing = special[TaskKind.REFERRAL_OUTCOME]
        result.close.append(Close(a.record_id, closing.task_id, TaskStatus.DONE, as_of, "referral followed up"))
    if copied_readings(visits, policy) and TaskKind.REMEASURE not in special:
        due = as_of + dt.timedelta(days=policy.remeasure_days)
        result.open.append(task(TaskKind.REMEASURE, a.tier, Level.VILLAGE, due, family_doctor))
    last = visits[-1].date if visits else None
    if last is not None and (as_of - last).days >= policy.recall_after_days and TaskKind.RECALL not in special:
        result.open.append(task(TaskKind.RECALL, a.tier, Level.VILLAGE, as_of, family_doctor))
    return result
