"""One resident's tier as of a date: rule floor, hysteresis, model opinion and override combined.

tier = max(rule floor held by hysteresis, model tier), or with an override in force
max(rule floor, override tier): a specialist's override may lower a tier, never below the rule floor.
Hysteresis is derived from the visit history alone, so re-running any as_of gives the same answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import msgspec

from stratify.facts import Chart, Facts
from stratify.policy import Policy
from stratify.records import EventType, Resident, Visit
from stratify.rules import HELD_RULES, rule_reasons
from stratify.tiers import Assessment, Finding, Reason, Source, Status, Tier, because, highest


class Override(msgspec.Struct, frozen=True):
    """A center decision: this tier from starts_on to expires_on inclusive."""

    tier: Tier
    reason: str
    author: str
    starts_on: dt.date
    expires_on: dt.date


class ModelOpinion(msgspec.Struct, frozen=True):
    """The model's calibrated risk for a resident and the tier its thresholds give (None = no raise)."""

    risk: float
    version: str
    reason: Reason | None = None

    @property
    def tier(self) -> Tier | None:
        return self.reason.tier if self.reason else None


def held_floor(f: Facts, policy: Policy) -> Tier:
    """The floor the held rules give on `f.day`; red rules come first, so the first that fires decides."""
    for rule in HELD_RULES:
        reason = rule(f, policy)
        if reason is not None:
            return reason.tier
    return Tier.GREEN


def shows_control(visit: Visit, diabetes: bool) -> bool:
    """A visit that measured what control is judged by: BP, or for diabetes FPG or HbA1c."""
    return visit.sbp is not None or (diabetes and (visit.fasting_glucose is not None or visit.hba1c is not None))


def held_tier(chart: Chart, floor: Tier, policy: Policy, *, diabetes: bool) -> Tier:
    """Step up at once; step down only after consecutive qualifying visits far enough apart.

    The window holds the last `step_down_visits` visits that measured control, reaching back until
    they span `step_down_gap_days` (without such a span: the whole history). The tier is held at the
    highest floor HELD_RULES gave at any visit in that window, measured or not, so missing data never
    greens. Rules with a duration of their own (medication change, events, enrolment) are not held.
    """
    visits = chart.visits
    if floor is Tier.RED or not visits:
        return floor
    measured = [k for k, v in enumerate(visits) if shows_control(v, diabetes)]
    last = measured[-1] if measured else len(visits) - 1
    start = 0
    for k in reversed(measured[: len(measured) - policy.step_down_visits + 1]):
        if (visits[last].date - visits[k].date).days >= policy.step_down_gap_days:
            start = k
            break
    held = floor
    for k in range(len(visits) - 1, start - 1, -1):
        held = highest((held, held_floor(chart.on(visits[k].date, k + 1), policy)))
        if held is Tier.RED:
            break
    return held


def active_override(overrides: Sequence[Override], as_of: dt.date) -> Override | None:
    """The most recently started override in force on as_of."""
    current = [o for o in overrides if o.starts_on <= as_of <= o.expires_on]
    return max(current, key=lambda o: o.starts_on, default=None)


def status_on(resident: Resident, as_of: dt.date, recorded: Status = Status.ACTIVE) -> Status:
    if recorded is not Status.ACTIVE:
        return recorded
    died = any(e.type == EventType.DEATH and e.date <= as_of for e in resident.events)
    return Status.DIED if died else Status.ACTIVE


def assess(
    resident: Resident,
    as_of: dt.date,
    policy: Policy,
    *,
    opinion: ModelOpinion | None = None,
    overrides: Sequence[Override] = (),
    recorded_status: Status = Status.ACTIVE,
) -> Assessment:
    """The tier of one resident as of a date, with every reason that applies (highest first)."""
    chart = Chart(resident, as_of)
    facts = chart.on(as_of)
    status = status_on(resident, as_of, recorded_status)
    if status is not Status.ACTIVE or not facts.managed:
        return Assessment(
            record_id=resident.record_id, as_of=as_of, managed=facts.managed, status=status, tier=None, floor=None
        )
    reasons = rule_reasons(facts, policy)
    floor = highest([r.tier for r in reasons])
    held = held_tier(chart, floor, policy, diabetes=facts.diabetes)
    if held.rank > floor.rank:
        rule = Finding(
            "held",
            value=str(policy.step_down_visits),
            limit=str(policy.step_down_gap_days),
            items=(held, floor),
        )
        reasons.append(because("stepping_down", held, rule))
    if opinion and opinion.reason:
        reasons.append(opinion.reason)
    override = active_override(overrides, as_of)
    if override:
        tier = highest((floor, override.tier))
        reasons = [r for r in reasons if r.tier.rank <= tier.rank]
        set_to = Finding("set_to", override.expires_on, override.author, items=(override.tier,))
        note = Finding("note", value=override.reason)
        reasons.append(because("override", override.tier, set_to, note, source=Source.OVERRIDE))
    else:
        tier = highest([held, *([opinion.tier] if opinion and opinion.tier else [])])
    reasons.sort(key=lambda r: -r.tier.rank)
    return Assessment(
        record_id=resident.record_id,
        as_of=as_of,
        managed=True,
        status=status,
        tier=tier,
        floor=floor,
        risk=opinion.risk if opinion else None,
        model_version=opinion.version if opinion else None,
        reasons=tuple(reasons),
    )
