"""County policy: every number a county may change, each with its source. TOML keys = field names.

Abbreviations: BPHS-3 = National Basic Public Health Service Standards, 3rd ed. (2017), chapters on
hypertension and type 2 diabetes patient health management; CHG-2018 = Chinese Guidelines for the
Prevention and Treatment of Hypertension (2018 revision); CDS-2020 = Chinese Diabetes Society
guideline for type 2 diabetes (2020); HEARTS = WHO HEARTS technical package (2020), as used by
Simple and DHIS2.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

import msgspec
from msgspec import Meta

from stratify.medicines import DEFAULT_DM_PROTOCOL, DEFAULT_FORMULARY, DEFAULT_HTN_PROTOCOL, Drug, Step

Days = Annotated[int, Meta(ge=1, le=3650)]
Share = Annotated[float, Meta(gt=0, lt=1)]
Recalibration = tuple[float, Annotated[float, Meta(gt=0)]]  # (cons, slope) of a WHO CVD endpoint


class Policy(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    # Blood pressure, mmHg (SBP, DBP)
    bp_crisis: tuple[int, int] = (180, 110)  # BPHS-3: SBP >= 180 and/or DBP >= 110 -> urgent referral
    bp_target: tuple[int, int] = (140, 90)  # BPHS-3: controlled below 140/90
    bp_target_elderly: tuple[int, int] = (150, 90)  # CHG-2018: age >= 65, first target < 150/90
    elderly_age: int = 65  # CHG-2018: the elderly target applies from this age
    # Glucose, mmol/L and %
    fpg_high: float = 16.7  # BPHS-3 (diabetes): FPG >= 16.7 -> urgent referral
    fpg_low: float = 3.9  # BPHS-3 (diabetes): FPG <= 3.9 -> urgent referral
    fpg_target: float = 7.0  # BPHS-3 (diabetes): controlled FPG < 7.0
    hba1c_target: float = 7.0  # CDS-2020: HbA1c target < 7.0%
    hba1c_very_high: float = 9.0  # CONTRACT §5 county default: HbA1c >= 9.0% -> specialist
    hba1c_valid_days: Days = 180  # CONTRACT §5: an HbA1c counts for 180 days
    # Danger signs besides symptoms
    heart_rate_high_diabetes: int = 100  # BPHS-3 (diabetes): persistent tachycardia > 100/min
    temperature_high: float = 39.0  # BPHS-3 (diabetes): temperature > 39 °C
    # Windows, days ending on as_of inclusive
    complication_days: Days = 90  # CONTRACT §5: new complication in the last 90 days
    event_days: Days = 90  # CONTRACT §5: serious event or admission in the last 90 days
    referral_days: Days = 14  # BPHS-3: follow a referral up within 2 weeks
    medication_change_days: Days = 14  # BPHS-3: re-check 2 weeks after a medication change
    new_enrolment_days: Days = 90  # CONTRACT §5: first diagnosis less than 90 days ago
    overdue_days: Days = 104  # BPHS-3 quarterly follow-up (90 days) + 14 days grace
    hypoglycemia_days: Days = 90  # CONTRACT §5: recurrent hypoglycemia window
    hypoglycemia_visits: int = 2  # CONTRACT §5: at >= 2 visits
    # Multimorbidity and hysteresis
    both_uncontrolled_red: bool = True  # Sanming M1: HTN + DM both uncontrolled -> red (county may turn off)
    step_down_visits: int = 2  # DESIGN: step down after two consecutive qualifying visits...
    step_down_gap_days: Days = 14  # ... at least 14 days apart (BPHS-3 two-week re-check)
    # Expected patients (CONTRACT §11 management rate = managed / (population aged 35+ x prevalence)), docs/policy.md
    htn_prevalence_35plus: Share = 0.372  # Lu J et al., Lancet 2017;390:2549 (China PEACE MPP): 35-75, standardised
    dm_prevalence_35plus: Share = 0.124  # Wang L et al., JAMA 2021;326:2498 (CCDRFS 2018): adults 18+, a floor for 35+
    # Model
    model_red_share: Share = 0.03  # sanbiao (DESIGN ~5%): top 3% of predicted risk -> red, see docs/policy.md
    model_yellow_share: Share = 0.12  # sanbiao (DESIGN ~25%): the next 12% -> yellow
    model_horizon_days: Days = 365  # CONTRACT §4.3: a serious event within 12 months
    model_min_events: int = 30  # CONTRACT §4.3: fewer serious events -> no training
    model_min_auc: float = 0.65  # sanbiao: a model below this held-out AUC is kept inactive
    model_calibration_range: tuple[float, float] = (0.8, 1.25)  # sanbiao: observed/predicted events on hold-out
    # WHO 2019 CVD risk, GBD East Asia: (cons, slope) per model, endpoint and sex, estimated from the published
    # WHO 2019 East Asia chart cells (the official whocvdrisk_t10_calparms_gbd_sens0.dta was not readable here);
    # how, and how well they reproduce the charts: docs/who_risk.md
    who_lab_chd_men: Recalibration = (-0.2926, 1.1271)  # WHO 2019 EAS lab chart, men
    who_lab_chd_women: Recalibration = (-0.4298, 0.7808)  # WHO 2019 EAS lab chart, women
    who_lab_stroke_men: Recalibration = (0.1140, 0.6989)  # WHO 2019 EAS lab chart, men
    who_lab_stroke_women: Recalibration = (-0.2602, 0.5930)  # WHO 2019 EAS lab chart, women
    who_non_lab_chd_men: Recalibration = (-0.1935, 1.2668)  # WHO 2019 EAS non-lab chart, men
    who_non_lab_chd_women: Recalibration = (-0.3389, 0.8006)  # WHO 2019 EAS non-lab chart, women
    who_non_lab_stroke_men: Recalibration = (0.0418, 0.6764)  # WHO 2019 EAS non-lab chart, men
    who_non_lab_stroke_women: Recalibration = (-0.2297, 0.6034)  # WHO 2019 EAS non-lab chart, women

    # Follow-up (CONTRACT §6; DESIGN §Follow-up)
    specialist_review_days: Days = 14  # CONTRACT §6: other red -> specialist review within 14 days
    recheck_days: Days = 14  # CONTRACT §6, BPHS-3: re-check 2 weeks after an uncontrolled visit
    gp_review_days: Days = 28  # CONTRACT §6: other yellow -> GP review 4 weeks after the last visit
    gp_review_no_visit_days: Days = 7  # CONTRACT §6: ... or within a week when there is no recent visit
    routine_days: Days = 90  # CONTRACT §6, BPHS-3: quarterly follow-up
    referral_outcome_days: Days = 14  # DESIGN: a referral with no outcome after 14 days is chased
    recall_after_days: Days = 180  # sanbiao: two quarterly visits missed -> the village doctor calls
    remeasure_repeats: int = 3  # sanbiao data quality: the same BP at this many visits in a row looks copied
    remeasure_days: Days = 7  # sanbiao: measure again within a week
    missed_visit_days: Days = 90  # WHO HEARTS: no visit in 90 days = missed visit
    # WHO HEARTS: no visit in 12 months = lost to follow-up; CONTRACT §10: a task this overdue leaves the daily list
    ltfu_days: Days = 365
    referral_chase_days: Days = 60  # CONTRACT §10: an older referral when first seen (imported history) opens no chase
    daily_capacity: int = 15  # DESIGN: a doctor's "today's 15"; the rest carry over, most overdue first
    # Medicines (stratify/medicines.py, docs/policy.md): a county's [formulary] replaces the default whole
    formulary: dict[str, Drug] = msgspec.field(default_factory=lambda: dict(DEFAULT_FORMULARY))  # see medicines.py
    htn_protocol: tuple[Step, ...] = DEFAULT_HTN_PROTOCOL  # HEARTS (2018, as recalled) with PCHG's A + C + D
    dm_protocol: tuple[Step, ...] = DEFAULT_DM_PROTOCOL  # CDS pathway: metformin, + SU/AGI, + insulin
    # Data leaving the screen
    village_doctor_exports: bool = True  # PIPL data minimisation: a county may keep patient lists on the screen

    def __post_init__(self) -> None:
        if self.model_red_share + self.model_yellow_share >= 1:
            raise ValueError("model_red_share + model_yellow_share must be below 1")
        low, high = self.model_calibration_range
        if not 0 < low <= 1 <= high:
            raise ValueError("model_calibration_range must be (low <= 1 <= high)")
        classes = {drug.drug_class for drug in self.formulary.values()}
        for name, protocol in (("htn_protocol", self.htn_protocol), ("dm_protocol", self.dm_protocol)):
            unknown = sorted({c for step in protocol for need in step.needs for c in need.classes} - classes)
            if unknown:
                raise ValueError(f"{name} names classes no formulary drug has: {', '.join(unknown)}")


def policy_from(values: Mapping[str, object]) -> Policy:
    """The built-in policy with a county's values over it; unknown keys and bad values raise
    `msgspec.ValidationError` naming the key (reading the county's file is the shell's work)."""
    return msgspec.convert(dict(values), Policy)
