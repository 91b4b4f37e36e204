"""A resident's treatment as the card shows it: the medicines taken, their history, and for each managed
condition the protocol step reached, the next step when uncontrolled, and whether treatment was not
intensified (docs/policy.md "Medicines")."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import msgspec

from stratify.facts import Chart, Facts
from stratify.medicines import MedicineChange, Step, medicine_history, next_step, not_intensified, protocol_step
from stratify.policy import Policy
from stratify.records import Medication, Resident, Visit
from stratify.rules import bp_problem, bp_uncontrolled, glucose_problem, glucose_uncontrolled


class Condition(StrEnum):
    HYPERTENSION = "htn"
    DIABETES = "dm"


class ProtocolState(msgspec.Struct, frozen=True, kw_only=True):
    """Where a resident stands on one condition's protocol."""

    condition: Condition
    step: int  # 0 = not on the protocol yet
    current: Step | None  # the step reached
    uncontrolled: bool  # at the latest visit that measured it
    next_step: int | None  # when uncontrolled: the next step (None with `refer`)
    upcoming: Step | None
    refer: bool  # uncontrolled past the protocol's last step
    not_intensified: bool  # uncontrolled at the last two visits, medicines unchanged between them


class Treatment(msgspec.Struct, frozen=True, kw_only=True):
    medicines: list[Medication] | None  # the latest list recorded; None when no visit recorded one
    history: list[MedicineChange]  # newest first
    protocols: list[ProtocolState]  # only once a list of medicines is known


def _state(condition: Condition, f: Facts, policy: Policy, protocol: tuple[Step, ...]) -> ProtocolState:
    regimen = f.medicines() or {}
    if condition is Condition.HYPERTENSION:
        uncontrolled = bp_problem(f, policy) is not None
        per_visit = [None if v.sbp is None else bp_uncontrolled(v, f, policy) for v in f.visits]
    else:
        uncontrolled = glucose_problem(f, policy) is not None
        per_visit = [_glucose_at(v, policy) for v in f.visits]
    step = protocol_step(regimen, protocol, policy.formulary)
    following = next_step(regimen, protocol, policy.formulary) if uncontrolled else None
    return ProtocolState(
        condition=condition,
        step=step,
        current=protocol[step - 1] if step else None,
        uncontrolled=uncontrolled,
        next_step=following,
        upcoming=protocol[following - 1] if following else None,
        refer=uncontrolled and following is None,
        not_intensified=not_intensified(per_visit, f.regimens, [bool(v.medication_changed) for v in f.visits]),
    )


def _glucose_at(visit: Visit, policy: Policy) -> bool | None:
    measured = visit.fasting_glucose is not None or visit.hba1c is not None
    return glucose_uncontrolled(visit, policy) if measured else None


def resident_treatment(resident: Resident, as_of: dt.date, policy: Policy) -> Treatment:
    """The resident's medicines and protocol states from the visits up to `as_of`."""
    chart = Chart(resident, as_of)
    f = chart.on(as_of)
    regimen = f.medicines()
    latest = next((v.medications for v in reversed(chart.visits) if v.medications is not None), None)
    protocols = []
    if regimen is not None:
        if f.hypertension:
            protocols.append(_state(Condition.HYPERTENSION, f, policy, policy.htn_protocol))
        if f.diabetes:
            protocols.append(_state(Condition.DIABETES, f, policy, policy.dm_protocol))
    return Treatment(medicines=latest, history=medicine_history(chart.visits)[::-1], protocols=protocols)
