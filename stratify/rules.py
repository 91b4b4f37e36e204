"""Clinical rules (CONTRACT §5): one small function per reason code; thresholds come from `Policy`.

Each rule reads `Facts` (one resident on one day) and returns a `Reason` or None. None of them reads
the clock. Red rules come first; `RULES` is the order reasons are listed in.
"""

from __future__ import annotations

import datetime as dt

from stratify.facts import SERIOUS_EVENTS, Facts, age_on, in_last
from stratify.medicines import Regimen, Step, next_step
from stratify.policy import Policy
from stratify.records import Adherence, EventType, Hypoglycemia, Referral, Visit
from stratify.tiers import Finding, Reason, Tier, because

RED, YELLOW = Tier.RED, Tier.YELLOW


def bp_text(visit: Visit) -> str:
    return f"{visit.sbp}/{visit.dbp}"


def bp_target(policy: Policy, birth: dt.date, day: dt.date) -> tuple[int, int]:
    return policy.bp_target_elderly if age_on(birth, day) >= policy.elderly_age else policy.bp_target


def bp_uncontrolled(visit: Visit, f: Facts, policy: Policy) -> bool:
    sbp, dbp = bp_target(policy, f.birth_date, visit.date)
    return visit.sbp >= sbp or visit.dbp >= dbp


def glucose_uncontrolled(visit: Visit, policy: Policy) -> bool:
    """At this visit: FPG at or above target, or HbA1c at or above target."""
    fpg, hba1c = visit.fasting_glucose, visit.hba1c
    return (fpg is not None and fpg >= policy.fpg_target) or (hba1c is not None and hba1c >= policy.hba1c_target)


def recent_hba1c(f: Facts, policy: Policy) -> Visit | None:
    visit = f.last("hba1c")
    return visit if visit and in_last(visit.date, f.day, policy.hba1c_valid_days) else None


def bp_finding(visit: Visit, limit: tuple[int, int] | None = None) -> Finding:
    return Finding(
        "bp", visit.date, bp_text(visit), ">=" if limit else None, f"{limit[0]}/{limit[1]}" if limit else None
    )


def fpg_finding(visit: Visit, op: str | None = None, limit: float | None = None) -> Finding:
    return Finding("fpg", visit.date, str(visit.fasting_glucose), op, None if limit is None else str(limit))


def hba1c_finding(visit: Visit, limit: float | None = None) -> Finding:
    return Finding(
        "hba1c", visit.date, str(visit.hba1c), ">=" if limit else None, None if limit is None else str(limit)
    )


def bp_crisis(f: Facts, policy: Policy) -> Reason | None:
    visit = f.last("bp")
    sbp, dbp = policy.bp_crisis
    if visit and (visit.sbp >= sbp or visit.dbp >= dbp):
        return because("bp_crisis", RED, bp_finding(visit, policy.bp_crisis))
    return None


def glucose_high(f: Facts, policy: Policy) -> Reason | None:
    visit = f.last("fasting_glucose")
    if visit and visit.fasting_glucose >= policy.fpg_high:
        return because("glucose_high", RED, fpg_finding(visit, ">=", policy.fpg_high))
    return None


def glucose_low(f: Facts, policy: Policy) -> Reason | None:
    visit = f.last("fasting_glucose")
    if visit and visit.fasting_glucose <= policy.fpg_low:
        return because("glucose_low", RED, fpg_finding(visit, "<=", policy.fpg_low))
    visit = f.last("hypoglycemia")
    if visit and visit.hypoglycemia == Hypoglycemia.SEVERE:
        return because("glucose_low", RED, Finding("severe_hypoglycemia", visit.date))
    return None


def danger_symptom(f: Facts, policy: Policy) -> Reason | None:
    signs = []
    visit = f.last("symptoms")
    if visit and visit.symptoms:
        signs.append(Finding("symptoms", visit.date, items=tuple(visit.symptoms)))
    visit = f.last("heart_rate")
    if f.diabetes and visit and visit.heart_rate > policy.heart_rate_high_diabetes:
        signs.append(
            Finding("heart_rate", visit.date, str(visit.heart_rate), ">", str(policy.heart_rate_high_diabetes))
        )
    visit = f.last("temperature_c")
    if visit and visit.temperature_c > policy.temperature_high:
        signs.append(Finding("temperature", visit.date, str(visit.temperature_c), ">", str(policy.temperature_high)))
    return because("danger_symptom", RED, *signs) if signs else None


def pregnancy(f: Facts, policy: Policy) -> Reason | None:
    visit = f.last("pregnant")
    if visit and visit.pregnant and f.managed:
        return because("pregnancy", RED, Finding("pregnant", visit.date))
    return None


def _control_visits(f: Facts) -> list[tuple[Visit, list[Finding]]]:
    """The last two visits whose readings show control, with what each showed."""
    found = []
    for visit in reversed(f.visits):
        shown = []
        if visit.sbp is not None:
            shown.append(bp_finding(visit))
        if f.diabetes and visit.fasting_glucose is not None:
            shown.append(fpg_finding(visit))
        if f.diabetes and visit.hba1c is not None:
            shown.append(hba1c_finding(visit))
        if shown:
            found.append((visit, shown))
            if len(found) == 2:
                break
    return found


def uncontrolled_twice(f: Facts, policy: Policy) -> Reason | None:
    pair = _control_visits(f)
    if len(pair) < 2:
        return None
    for visit, _ in pair:
        bp_bad = visit.sbp is not None and bp_uncontrolled(visit, f, policy)
        if not (bp_bad or (f.diabetes and glucose_uncontrolled(visit, policy))):
            return None
    return because("uncontrolled_twice", RED, *(finding for _, shown in reversed(pair) for finding in shown))


def new_complication(f: Facts, policy: Policy) -> Reason | None:
    for visit in reversed(f.visits):
        if not in_last(visit.date, f.day, policy.complication_days):
            break
        if visit.complications:
            return because(
                "new_complication", RED, Finding("complications", visit.date, items=tuple(visit.complications))
            )
    return None


def recent_event(f: Facts, policy: Policy) -> Reason | None:
    for event in reversed(f.events):
        if not in_last(event.date, f.day, policy.event_days):
            break
        if event.type in SERIOUS_EVENTS or event.type == EventType.OTHER_ADMISSION:
            within = Finding("event_within", event.date, limit=str(policy.event_days), items=(event.type,))
            return because("recent_event", RED, within)
    return None


def _recent_referral(f: Facts, policy: Policy, kind: Referral) -> Visit | None:
    for visit in reversed(f.visits):
        if not in_last(visit.date, f.day, policy.referral_days):
            break
        if visit.referral == kind:
            return visit
    return None


def urgent_referral(f: Facts, policy: Policy) -> Reason | None:
    visit = _recent_referral(f, policy, Referral.URGENT)
    return because("urgent_referral", RED, Finding("urgent_referral", visit.date)) if visit else None


def routine_referral(f: Facts, policy: Policy) -> Reason | None:
    visit = _recent_referral(f, policy, Referral.ROUTINE)
    return because("routine_referral", RED, Finding("routine_referral", visit.date)) if visit else None


def hba1c_very_high(f: Facts, policy: Policy) -> Reason | None:
    visit = recent_hba1c(f, policy)
    if visit and visit.hba1c >= policy.hba1c_very_high:
        return because("hba1c_very_high", RED, hba1c_finding(visit, policy.hba1c_very_high))
    return None


def recurrent_hypoglycemia(f: Facts, policy: Policy) -> Reason | None:
    dates = []
    for visit in reversed(f.visits):
        if not in_last(visit.date, f.day, policy.hypoglycemia_days):
            break
        if visit.hypoglycemia not in (None, Hypoglycemia.NONE):
            dates.append(visit.date)
    if len(dates) >= policy.hypoglycemia_visits:
        visits = Finding("hypoglycemia_visits", dates[-1], str(len(dates)), limit=str(policy.hypoglycemia_days))
        return because("recurrent_hypoglycemia", RED, visits)
    return None


def bp_problem(f: Facts, policy: Policy) -> Finding | None:
    visit = f.last("bp")
    if visit and bp_uncontrolled(visit, f, policy):
        return bp_finding(visit, bp_target(policy, f.birth_date, visit.date))
    return None


def glucose_problem(f: Facts, policy: Policy) -> Finding | None:
    if not f.diabetes:
        return None
    visit = f.last("fasting_glucose")
    if visit and visit.fasting_glucose >= policy.fpg_target:
        return fpg_finding(visit, ">=", policy.fpg_target)
    visit = recent_hba1c(f, policy)
    if visit and visit.hba1c >= policy.hba1c_target:
        return hba1c_finding(visit, policy.hba1c_target)
    return None


def both_uncontrolled(f: Facts, policy: Policy) -> Reason | None:
    if not (policy.both_uncontrolled_red and f.hypertension and f.diabetes):
        return None
    bp, glucose = bp_problem(f, policy), glucose_problem(f, policy)
    return because("both_uncontrolled", RED, bp, glucose) if bp and glucose else None


def _next_step(kind: str, regimen: Regimen, protocol: tuple[Step, ...], policy: Policy) -> Finding:
    """What the county's protocol says to do next (`htn`/`dm`): its next step, or refer after the last."""
    step = next_step(regimen, protocol, policy.formulary)
    return Finding(f"{kind}_next_step", value=str(step)) if step else Finding(f"{kind}_refer")


def uncontrolled(f: Facts, policy: Policy) -> Reason | None:
    """Uncontrolled at the latest visit; with the medicines known, the protocol's next step follows."""
    bp, glucose = bp_problem(f, policy), glucose_problem(f, policy)
    if not (bp or glucose):
        return None
    findings = [p for p in (bp, glucose) if p]
    regimen = f.medicines()
    if regimen is not None:
        if bp:
            findings.append(_next_step("htn", regimen, policy.htn_protocol, policy))
        if glucose:
            findings.append(_next_step("dm", regimen, policy.dm_protocol, policy))
    return because("uncontrolled", YELLOW, *findings)


def medication_changed(f: Facts, policy: Policy) -> Reason | None:
    """Said at a visit, or its list of medicines differs from the previous one recorded (CONTRACT §3)."""
    for visit, changed in zip(reversed(f.visits), reversed(f.medication_changes), strict=True):
        if not in_last(visit.date, f.day, policy.medication_change_days):
            break
        if changed:
            return because("medication_changed", YELLOW, Finding("medication_changed", visit.date))
    return None


def new_enrolment(f: Facts, policy: Policy) -> Reason | None:
    if not f.visits:
        return because("new_enrolment", YELLOW, Finding("no_visit"))
    first = f.first_diagnosis
    if first and (f.day - first).days < policy.new_enrolment_days:
        return because("new_enrolment", YELLOW, Finding("diagnosed", first, limit=str(policy.new_enrolment_days)))
    return None


def poor_adherence(f: Facts, policy: Policy) -> Reason | None:
    visit = f.last("adherence")
    if visit and visit.adherence in (Adherence.INTERMITTENT, Adherence.NONE):
        return because("poor_adherence", YELLOW, Finding("adherence", visit.date, items=(visit.adherence,)))
    return None


def overdue(f: Facts, policy: Policy) -> Reason | None:
    if f.visits and in_last(f.visits[-1].date, f.day, policy.overdue_days):
        return None
    if not f.visits:
        return because("overdue", YELLOW, Finding("no_visit_within", limit=str(policy.overdue_days)))
    last = f.visits[-1].date
    ago = Finding("last_visit", last, str((f.day - last).days), limit=str(policy.overdue_days))
    return because("overdue", YELLOW, ago)


def established_cvd(f: Facts, policy: Policy) -> Reason | None:
    if f.established:
        return because("established_cvd", YELLOW, Finding("conditions", items=tuple(f.established)))
    past = [e for e in f.events if e.type in SERIOUS_EVENTS]
    if past:
        return because("established_cvd", YELLOW, Finding("past_event", past[-1].date, items=(past[-1].type,)))
    return None


RULES = (
    bp_crisis,
    glucose_high,
    glucose_low,
    danger_symptom,
    pregnancy,
    urgent_referral,
    uncontrolled_twice,
    new_complication,
    recent_event,
    routine_referral,
    hba1c_very_high,
    recurrent_hypoglycemia,
    both_uncontrolled,
    uncontrolled,
    medication_changed,
    new_enrolment,
    poor_adherence,
    overdue,
    established_cvd,
)
# Rules judged from what a visit found (its measurements, or the doctor's referral): hysteresis holds
# a tier they set until later visits find better (DESIGN §Tiers 4), so a lapsed referral with no news
# stays red. The other rules carry their own duration in CONTRACT §5 (a medication change 14 days, an
# event, complication or enrolment 90 days, overdue until the next visit, established disease for
# good); holding them would stretch that duration to the next two visits.
DURATION_RULES = (new_complication, recent_event, medication_changed, new_enrolment, overdue, established_cvd)
HELD_RULES = tuple(rule for rule in RULES if rule not in DURATION_RULES)  # red rules still first
URGENT_CODES = frozenset({"bp_crisis", "glucose_high", "glucose_low", "danger_symptom", "pregnancy", "urgent_referral"})


def rule_reasons(f: Facts, policy: Policy) -> list[Reason]:
    """Every rule that fires for this resident on this day, red first."""
    return [reason for rule in RULES if (reason := rule(f, policy)) is not None]
