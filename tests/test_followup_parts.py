"""HEARTS care states, today's capped list, and assignment to doctors."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import msgspec
import pytest

from followup.assign import Roster
from followup.capacity import todays_list
from followup.hearts import CareState, care_state
from followup.tasks import Task, TaskKind
from stratify.policy import Policy
from stratify.tiers import Status, Tier

TODAY = dt.date(2026, 11, 1)


@pytest.mark.parametrize(
    ("days_since", "status", "state"),
    [
        pytest.param(89, Status.ACTIVE, CareState.UNDER_CARE, id="89-days-under-care"),
        pytest.param(90, Status.ACTIVE, CareState.MISSED_VISIT, id="90-days-missed-HEARTS"),
        pytest.param(364, Status.ACTIVE, CareState.MISSED_VISIT, id="364-days-missed"),
        pytest.param(365, Status.ACTIVE, CareState.LOST_TO_FOLLOW_UP, id="365-days-lost-HEARTS"),
        pytest.param(None, Status.ACTIVE, CareState.LOST_TO_FOLLOW_UP, id="never-visited"),
        pytest.param(10, Status.DIED, CareState.DEAD, id="dead"),
        pytest.param(10, Status.MOVED_AWAY, CareState.MOVED, id="moved"),
    ],
)
def test_care_states_follow_hearts(days_since, status, state):
    last = None if days_since is None else TODAY - dt.timedelta(days=days_since)

    assert care_state(last, status, TODAY, Policy()) is state


class Item(msgspec.Struct):
    name: str
    tier: Tier | None
    due: dt.date
    risk: float | None
    urgent: bool = False


def test_todays_list_is_capped_urgent_first_then_red_then_most_overdue_then_risk():
    items = [
        Item("green-very-late", Tier.GREEN, TODAY - dt.timedelta(days=1000), 0.01),
        Item("yellow-late", Tier.YELLOW, TODAY - dt.timedelta(days=10), 0.02),
        Item("red-late", Tier.RED, TODAY - dt.timedelta(days=30), 0.05),
        Item("red-urgent-today", Tier.RED, TODAY, 0.01, urgent=True),  # CONTRACT §10: urgent first
        Item("yellow-late-riskier", Tier.YELLOW, TODAY - dt.timedelta(days=10), 0.09),
        Item("not-due", Tier.RED, TODAY + dt.timedelta(days=1), 0.5, urgent=True),
    ]

    today, carried = todays_list(items, TODAY, capacity=4)

    assert [i.name for i in today] == ["red-urgent-today", "red-late", "yellow-late-riskier", "yellow-late"]
    assert [i.name for i in carried] == ["green-very-late"]


def task(level: str, village: str = "350421101201", assignee: str | None = None) -> Task:
    return Task(
        record_id="R",
        kind=TaskKind.GP_REVIEW,
        tier=Tier.YELLOW,
        owner_level=level,
        assignee=assignee,
        village_code=village,
        created_on=TODAY,
        due=TODAY,
    )


def test_the_least_loaded_covering_doctor_of_the_level_gets_the_task():
    roster = Roster(
        [
            ("gp-a", "township_gp", "350421101"),
            ("gp-b", "township_gp", "350421101"),
            ("gp-far", "township_gp", "350421102"),
            ("spec", "county_specialist", "350421"),
        ],
        Counter({"gp-a": 5, "gp-b": 2}),
    )
    first, second, third, red = task("township"), task("township"), task("township"), task("county")

    for t in (first, second, third, red):
        roster.assign(t)

    assert [first.assignee, second.assignee, third.assignee] == ["gp-b", "gp-b", "gp-b"]
    assert red.assignee == "spec"
    assert roster.load["gp-b"] == 5


@pytest.mark.parametrize(
    ("doctors", "family_doctor", "assignee"),
    [
        pytest.param([("vd1", "village_doctor", "350421101201")], "vd1", "vd1", id="family-doctor-covers"),
        pytest.param(
            [("vd1", "village_doctor", "350421101201"), ("vd0", "village_doctor", "350421101201")],
            "vd1",
            "vd1",
            id="family-doctor-before-a-less-loaded-one",
        ),
        pytest.param([("vd0", "village_doctor", "350421101201")], "vd1", "vd0", id="family-doctor-no-login"),
        pytest.param(
            [("vd1", "village_doctor", "350421101209"), ("vd0", "village_doctor", "350421101201")],
            "vd1",
            "vd0",
            id="family-doctor-of-another-village",
        ),
        pytest.param([("gp", "township_gp", "350421101")], "gp", None, id="a-gp-takes-no-village-task"),
        pytest.param([], "vd1", None, id="nobody-covers"),
    ],
)
def test_a_village_task_goes_to_the_family_doctor_only_when_that_login_may_take_it(doctors, family_doctor, assignee):
    """CONTRACT §9: green to the resident's family_doctor when that login is active, else a village doctor."""
    roster = Roster(doctors, Counter())
    own = task("village", assignee=family_doctor)

    roster.assign(own)

    assert own.assignee == assignee
    assert roster.load[assignee] == (1 if assignee else 0)
