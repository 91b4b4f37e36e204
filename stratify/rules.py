"""Clinical rules (CONTRACT §5): one small function per reason code; thresholds come from `Policy`.

Each rule reads `Facts` (one resident on one day) and returns a `Reason` or None. None of them reads
the clock. Red rules come first; `RULES` is the order reasons are listed in.
"""

from __future__ import annotations

import datetime as dt

from stratify.facts import SERIOUS_EVENTS, Facts, age_on, in_last
from stratify.policy import Policy
from stratify.records import Adherence, EventType, Hypoglycemia, Referral, Visit
from stratify.tiers import Reason, Tier

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


def bp_crisis(f: Facts, policy: Policy) -> Reason | None:
    visit = f.last("bp")
    sbp, dbp = policy.bp_crisis
    if visit and (visit.sbp >= sbp or visit.dbp >= dbp):
        return Reason("bp_crisis", RED, f"BP {bp_text(visit)} on {visit.date} >= {sbp}/{dbp}")
    return None


def glucose_high(f: Facts, policy: Policy) -> Reason | None:
    visit = f.last("fasting_glucose")
    if visit and visit.fasting_glucose >= policy.fpg_high:
        return Reason(
            "glucose_high", RED, f"Fasting glucose {visit.fasting_glucose} mmol/L on {visit.date} >= {policy.fpg_high}"
        )
    return None


def glucose_low(f: Facts, policy: Policy) -> Reason | None:
    visit = f.last("fasting_glucose")
    if visit and visit.fasting_glucose <= policy.fpg_low:
        return Reason(
            "glucose_low", RED, f"Fasting glucose {visit.fasting_glucose} mmol/L on {visit.date} <= {policy.fpg_low}"
        )
    visit = f.last("hypoglycemia")
    if visit and visit.hypoglycemia == Hypoglycemia.SEVERE:
        return Reason("glucose_low", RED, f"Severe hypoglycaemia reported on {visit.date}")
    return None


def danger_symptom(f: Facts, policy: Policy) -> Reason | None:
    signs = []
    visit = f.last("symptoms")
    if visit and visit.symptoms:
        signs.append(f"{', '.join(visit.symptoms)} on {visit.date}")
    visit = f.last("heart_rate")
    if f.diabetes and visit and visit.heart_rate > policy.heart_rate_high_diabetes:
        signs.append(
            f"heart rate {visit.heart_rate}/min on {visit.date} > {policy.heart_rate_high_diabetes} with diabetes"
        )
    visit = f.last("temperature_c")
    if visit and visit.temperature_c > policy.temperature_high:
        signs.append(f"temperature {visit.temperature_c} °C on {visit.date} > {policy.temperature_high}")
    return Reason("danger_symptom", RED, "Danger sign: " + "; ".join(signs)) if signs else None


def pregnancy(f: Facts, policy: Policy) -> Reason | None:
    visit = f.last("pregnant")
    if visit and visit.pregnant and f.managed:
        return Reason("pregnancy", RED, f"Pregnant (reported {visit.date}) with hypertension or diabetes")
    return None


def _control_visits(f: Facts) -> list[tuple[Visit, str]]:
    """The last two visits whose readings show control, with what each showed."""
    found = []
    for visit in reversed(f.visits):
        shown = []
        if visit.sbp is not None:
            shown.append(f"BP {bp_text(visit)}")
        if f.diabetes and visit.fasting_glucose is not None:
            shown.append(f"FPG {visit.fasting_glucose}")
        if f.diabetes and visit.hba1c is not None:
            shown.append(f"HbA1c {visit.hba1c}%")
        if shown:
            found.append((visit, ", ".join(shown)))
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
    shown = "; ".join(f"{shown} on {visit.date}" for visit, shown in reversed(pair))
    return Reason("uncontrolled_twice", RED, f"Uncontrolled at the last two visits: {shown}")


def new_complication(f: Facts, policy: Policy) -> Reason | None:
    for visit in reversed(f.visits):
        if not in_last(visit.date, f.day, policy.complication_days):
            break
        if visit.complications:
            return Reason(
                "new_complication", RED, f"New complication on {visit.date}: {', '.join(visit.complications)}"
            )
    return None


def recent_event(f: Facts, policy: Policy) -> Reason | None:
    for event in reversed(f.events):
        if not in_last(event.date, f.day, policy.event_days):
            break
        if event.type in SERIOUS_EVENTS or event.type == EventType.OTHER_ADMISSION:
            return Reason("recent_event", RED, f"{event.type} on {event.date} (within {policy.event_days} days)")
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
    return Reason("urgent_referral", RED, f"Urgent referral on {visit.date}") if visit else None


def routine_referral(f: Facts, policy: Policy) -> Reason | None:
    visit = _recent_referral(f, policy, Referral.ROUTINE)
    return Reason("routine_referral", RED, f"Referred for specialist review on {visit.date}") if visit else None


def hba1c_very_high(f: Facts, policy: Policy) -> Reason | None:
    visit = recent_hba1c(f, policy)
    if visit and visit.hba1c >= policy.hba1c_very_high:
        return Reason("hba1c_very_high", RED, f"HbA1c {visit.hba1c}% on {visit.date} >= {policy.hba1c_very_high}")
    return None


def recurrent_hypoglycemia(f: Facts, policy: Policy) -> Reason | None:
    dates = []
    for visit in reversed(f.visits):
        if not in_last(visit.date, f.day, policy.hypoglycemia_days):
            break
        if visit.hypoglycemia not in (None, Hypoglycemia.NONE):
            dates.append(visit.date)
    if len(dates) >= policy.hypoglycemia_visits:
        return Reason(
            "recurrent_hypoglycemia",
            RED,
            f"Hypoglycaemia at {len(dates)} visits since {dates[-1]} (within {policy.hypoglycemia_days} days)",
        )
    return None


def _bp_problem(f: Facts, policy: Policy) -> str | None:
    visit = f.last("bp")
    if visit and bp_uncontrolled(visit, f, policy):
        sbp, dbp = bp_target(policy, f.birth_date, visit.date)
        return f"BP {bp_text(visit)} on {visit.date} >= {sbp}/{dbp}"
    return None


def _glucose_problem(f: Facts, policy: Policy) -> str | None:
    if not f.diabetes:
        return None
    visit = f.last("fasting_glucose")
    if visit and visit.fasting_glucose >= policy.fpg_target:
        return f"fasting glucose {visit.fasting_glucose} on {visit.date} >= {policy.fpg_target}"
    visit = recent_hba1c(f, policy)
    if visit and visit.hba1c >= policy.hba1c_target:
        return f"HbA1c {visit.hba1c}% on {visit.date} >= {policy.hba1c_target}"
    return None


def both_uncontrolled(f: Facts, policy: Policy) -> Reason | None:
    if not (policy.both_uncontrolled_red and f.hypertension and f.diabetes):
        return None
    bp, glucose = _bp_problem(f, policy), _glucose_problem(f, policy)
    if bp and glucose:
        return Reason("both_uncontrolled", RED, f"Hypertension and diabetes both uncontrolled: {bp}; {glucose}")
    return None


def uncontrolled(f: Facts, policy: Policy) -> Reason | None:
    problems = [p for p in (_bp_problem(f, policy), _glucose_problem(f, policy)) if p]
    if problems:
        return Reason("uncontrolled", YELLOW, "Uncontrolled: " + "; ".join(problems))
    return None


def medication_changed(f: Facts, policy: Policy) -> Reason | None:
    for visit in reversed(f.visits):
        if not in_last(visit.date, f.day, policy.medication_change_days):
            break
        if visit.medication_changed:
            return Reason("medication_changed", YELLOW, f"Medication changed on {visit.date}")
    return None


def new_enrolment(f: Facts, policy: Policy) -> Reason | None:
    if not f.visits:
        return Reason("new_enrolment", YELLOW, "No follow-up visit yet")
    first = f.first_diagnosis
    if first and (f.day - first).days < policy.new_enrolment_days:
        return Reason("new_enrolment", YELLOW, f"Diagnosed {first}, less than {policy.new_enrolment_days} days ago")
    return None


def poor_adherence(f: Facts, policy: Policy) -> Reason | None:
    visit = f.last("adherence")
    if visit and visit.adherence in (Adherence.INTERMITTENT, Adherence.NONE):
        return Reason("poor_adherence", YELLOW, f"Medication taken {visit.adherence} (reported {visit.date})")
    return None


def overdue(f: Facts, policy: Policy) -> Reason | None:
    if f.visits and in_last(f.visits[-1].date, f.day, policy.overdue_days):
        return None
    if not f.visits:
        return Reason("overdue", YELLOW, f"No visit recorded in the last {policy.overdue_days} days")
    last = f.visits[-1].date
    return Reason("overdue", YELLOW, f"Last visit {last}, {(f.day - last).days} days ago (> {policy.overdue_days})")


def established_cvd(f: Facts, policy: Policy) -> Reason | None:
    past = [e for e in f.events if e.type in SERIOUS_EVENTS]
    if f.established:
        return Reason("established_cvd", YELLOW, f"Established disease: {', '.join(f.established)}")
    if past:
        return Reason("established_cvd", YELLOW, f"Past {past[-1].type} on {past[-1].date}")
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
