"""Tasks over time: completion by a visit, re-dating, replacement, cancellation, special tasks, no duplicates."""

from __future__ import annotations

import datetime as dt

import pytest
from history import AS_OF, assessed, resident, visit

from followup.plan import basis_of, plan
from followup.tasks import Plan, Task, TaskKind, TaskStatus
from stratify.facts import sorted_visits
from stratify.policy import Policy
from stratify.tiers import Tier

VILLAGE = "350421101201"


def run(history, tasks=(), as_of=AS_OF) -> Plan:
    a = assessed(history, as_of=as_of)
    visits = [v for v in sorted_visits(history) if v.date <= as_of]
    return plan(a, visits, list(tasks), Policy(), village_code=VILLAGE, family_doctor="vd1")


def stored(p: Plan, first_id: int = 1) -> list[Task]:
    """The plan's new tasks as the store would hold them."""
    return [
        Task(**{**{f: getattr(t, f) for f in t.__struct_fields__}, "task_id": first_id + i})
        for i, t in enumerate(p.open)
    ]


def test_running_twice_on_the_same_day_changes_nothing():
    history = resident(visit(100, sbp=150, dbp=95), visit(70, sbp=150, dbp=95), visit(20, referral="routine"))
    first = run(history)

    again = run(history, stored(first))

    assert first.open
    assert again == Plan()


def test_a_later_visit_completes_the_task_and_the_next_one_opens():
    before = resident(visit(60), visit(20))
    [task] = stored(run(before, as_of=AS_OF - dt.timedelta(days=10)))
    after = resident(visit(60), visit(20), visit(2))

    changes = run(after, [task])

    assert [(c.task_id, c.status, c.on) for c in changes.close] == [(1, TaskStatus.DONE, AS_OF - dt.timedelta(days=2))]
    [new] = [t for t in changes.open if t.routine]
    assert (new.kind, new.due) == (TaskKind.ROUTINE_FOLLOWUP, AS_OF + dt.timedelta(days=88))


def test_a_visit_on_the_creation_day_completes_but_the_visit_that_caused_the_task_does_not():
    history = resident(visit(30), visit(0, sbp=185, dbp=100))
    [task] = stored(run(history))
    assert task.basis == basis_of(sorted_visits(history))

    later_same_day = resident(visit(30), visit(0, sbp=185, dbp=100), visit(0, sbp=150, dbp=90, mode="home"))

    assert run(history, [task]).close == []
    assert [c.status for c in run(later_same_day, [task]).close] == [TaskStatus.DONE]


def test_a_visit_anchored_task_is_re_dated_when_its_anchor_moves():
    [task] = stored(run(resident(visit(60), visit(20))))
    moved = Task(**{**{f: getattr(task, f) for f in task.__struct_fields__}, "due": task.due - dt.timedelta(days=5)})

    changes = run(resident(visit(60), visit(20)), [moved])

    assert [(r.task_id, r.due) for r in changes.redate] == [(1, task.due)]
    assert changes.open == [] and changes.close == []


def test_a_reminder_date_is_kept():
    [task] = stored(run(resident(visit(60), visit(20))))
    reminded = Task(
        **{
            **{f: getattr(task, f) for f in task.__struct_fields__},
            "due": AS_OF + dt.timedelta(days=3),
            "remind_on": AS_OF + dt.timedelta(days=3),
        }
    )

    assert run(resident(visit(60), visit(20)), [reminded]).redate == []


def test_a_new_tier_replaces_the_routine_task():
    [task] = stored(run(resident(visit(60), visit(20)), as_of=AS_OF - dt.timedelta(days=1)))
    escalated = resident(visit(60), visit(20), visit(0, sbp=190, dbp=100))

    changes = run(escalated, [task])

    assert [c.status for c in changes.close] == [TaskStatus.DONE]  # the new visit completed the old task
    assert [t.kind for t in changes.open] == [TaskKind.URGENT_REFERRAL]


def test_a_kind_change_without_a_visit_cancels_and_replaces():
    history = resident(visit(60), visit(20, referral="routine"))
    [task] = stored(run(history, as_of=AS_OF - dt.timedelta(days=10)))
    assert task.kind is TaskKind.SPECIALIST_REVIEW

    changes = run(resident(visit(60), visit(20, referral="routine"), visit(3, level="township")), [task])

    assert task.task_id in {c.task_id for c in changes.close}


def test_death_cancels_every_open_task():
    history = resident(visit(60), visit(20))
    tasks = stored(run(history))
    dead = resident(visit(60), visit(20), events=((5, "death"),))

    changes = run(dead, tasks)

    assert changes.open == []
    assert [(c.status, c.reason) for c in changes.close] == [(TaskStatus.CANCELLED, "died")] * len(tasks)


def test_a_referral_without_an_outcome_after_14_days_is_chased_in_red():
    history = resident(visit(60), visit(20, referral="urgent"), visit(5))

    [chase] = [t for t in run(history).open if t.kind is TaskKind.REFERRAL_OUTCOME]

    assert (chase.tier, chase.owner_level, chase.due) == (Tier.RED, "county", AS_OF - dt.timedelta(days=6))
    assert assessed(history).tier is Tier.RED  # the referral visit still holds the resident red


@pytest.mark.parametrize(
    ("days_old", "chased"),
    [
        (13, False),  # DESIGN: chased once its 14 days are up
        (14, True),
        (20, True),  # CONTRACT §10: a 20-day-old imported referral opens a chase
        (60, True),  # referral_chase_days = 60, inclusive
        (61, False),
        (400, False),  # CONTRACT §10: a 400-day-old one does not
    ],
)
def test_an_old_referral_first_seen_on_import_opens_no_chase(days_old, chased):
    history = resident(visit(days_old + 30), visit(days_old, sbp=150, dbp=95, referral="routine"))

    kinds = [t.kind for t in run(history).open]

    assert (TaskKind.REFERRAL_OUTCOME in kinds) is chased


def test_a_township_visit_after_the_referral_closes_the_chase():
    history = resident(visit(60), visit(20, referral="urgent"), visit(5))
    [chase] = [t for t in stored(run(history)) if t.kind is TaskKind.REFERRAL_OUTCOME]
    seen = resident(visit(60), visit(20, referral="urgent"), visit(5), visit(1, level="township"))

    closes = run(seen, [chase]).close

    assert [c.task_id for c in closes] == [chase.task_id]


def test_a_referral_seen_within_14_days_is_not_chased():
    history = resident(visit(30, referral="urgent"), visit(25, level="county"))

    assert TaskKind.REFERRAL_OUTCOME not in {t.kind for t in run(history).open}


def test_a_resident_long_without_a_visit_is_recalled_by_the_village_doctor():
    kinds = {t.kind: t for t in run(resident(visit(200))).open}

    assert kinds[TaskKind.RECALL].assignee == "vd1"
    assert kinds[TaskKind.RECALL].due == AS_OF
    assert TaskKind.RECALL not in {t.kind for t in run(resident(visit(179))).open}


def test_the_same_bp_at_three_visits_in_a_row_is_measured_again():
    copied = resident(*(visit(d, sbp=132, dbp=84) for d in (200, 110, 20)))
    varied = resident(visit(200, sbp=132, dbp=84), visit(110, sbp=132, dbp=84), visit(20, sbp=134, dbp=84))

    assert TaskKind.REMEASURE in {t.kind for t in run(copied).open}
    assert TaskKind.REMEASURE not in {t.kind for t in run(varied).open}
