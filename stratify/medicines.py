"""Medicines: the county formulary, the stepwise treatment protocols, and what a visit history says
about a resident's medicines (the list in force, its changes, the protocol step, "not intensified").

Sources (docs/policy.md says what each number is, which were checked and against what):
EML-2018 = 国家基本药物目录（2018年版）, the national essential medicines list, chapters on
antihypertensives and on hypoglycaemic drugs; CHG-2018 = Chinese Guidelines for the Prevention and
Treatment of Hypertension (2018 revision), table of common oral antihypertensives (usual daily doses);
PCHG-2020 = 国家基层高血压防治管理指南 2020 版 (national primary-care hypertension guideline):
A (ACEI/ARB) + C (CCB) + D (diuretic) step by step; HEARTS = WHO HEARTS technical package,
module "Evidence-based treatment protocols" (WHO/NMH/NVI/18.2, 2018): amlodipine 5 mg, then 10 mg,
then add an ACEI/ARB, then its full dose, then a thiazide, then refer; PCDG-2022 = 国家基层糖尿病防治
管理指南（2022）and CDS-2020 (Chinese Diabetes Society guideline for type 2 diabetes, 2020): metformin
first, then add a sulfonylurea or an alpha-glucosidase inhibitor, then insulin; usual daily doses from
CDS-2020's table of oral glucose-lowering drugs.
None of these texts could be read where the numbers were checked (2026-11, issue #16): the list, the
doses and the steps above are as recalled, and a comment says "as recalled" unless a source was read.
Where a secondary copy was read, the comment names it: HTN-TABLE = m.yaozui.com/p/413829, a Chinese
guideline's table of oral antihypertensives copied on a web page (edition not named on the page);
DM-LECTURE = m.wenkunet.com/p-702326.html and DM-NOTES = m.greenbasetech.com/article/365922_210014165.html,
lecture notes and a drug guide giving sulfonylurea tablet sizes and maximum daily doses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from stratify.records import Medication, Visit

Dose = Annotated[float, Meta(gt=0)]
Regimen = dict[str, float]  # INN -> daily dose: a visit's list as compared (order does not matter)


class Drug(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One formulary entry (TOML `[formulary.amlodipine]`): Chinese name, class, usual daily doses."""

    name_zh: str
    drug_class: str = msgspec.field(name="class")
    usual_daily: tuple[Dose, Dose]  # low, full: a dose at or above `full` is the full dose of the protocol
    unit: Literal["mg", "IU"] = "mg"  # insulin is dosed in units a day, carried in daily_dose_mg

    def __post_init__(self) -> None:
        if self.usual_daily[0] > self.usual_daily[1]:
            raise ValueError("usual_daily must be (low, full) with low <= full")

    @property
    def full_dose(self) -> float:
        return self.usual_daily[1]


def _drug(name_zh: str, drug_class: str, low: float, full: float, unit: Literal["mg", "IU"] = "mg") -> Drug:
    return Drug(name_zh=name_zh, drug_class=drug_class, usual_daily=(low, full), unit=unit)


# Meant to be EML-2018 medicines; not one entry was checked against the list (docs/policy.md). Doses as recalled
# from CHG-2018 / CDS-2020 unless a comment names a source that was read.
DEFAULT_FORMULARY: dict[str, Drug] = {
    "amlodipine": _drug("氨氯地平", "ccb", 2.5, 10),  # HTN-TABLE: 2.5-10 mg once a day (HEARTS 10 mg: as recalled)
    # HTN-TABLE (mg a day, doses): 10-30 in 2-3, sustained release 10-20 in 2, controlled release 30-60 in 1; 60 as
    # "full" is the controlled-release top (CHG-2018's sustained-release range, recalled as 10-80, is unchecked)
    "nifedipine": _drug("硝苯地平", "ccb", 10, 60),
    "nitrendipine": _drug("尼群地平", "ccb", 20, 60),  # HTN-TABLE: 20-60 mg in 2-3 doses
    "enalapril": _drug("依那普利", "acei", 2.5, 40),  # HTN-TABLE: 2.5-40 mg in 2 doses
    "captopril": _drug("卡托普利", "acei", 25, 300),  # HTN-TABLE: 25-300 mg in 2-3 doses
    "losartan": _drug("氯沙坦", "arb", 25, 100),  # HTN-TABLE: 25-100 mg once (HEARTS 50, 100 mg: as recalled)
    "valsartan": _drug("缬沙坦", "arb", 80, 160),  # HTN-TABLE: 80-160 mg once
    "hydrochlorothiazide": _drug("氢氯噻嗪", "thiazide", 6.25, 25),  # HTN-TABLE: 6.25-25 mg once
    "indapamide": _drug("吲达帕胺", "thiazide", 0.625, 2.5),  # HTN-TABLE: 0.625-2.5 mg once
    "metoprolol": _drug("美托洛尔", "beta_blocker", 50, 100),  # CHG-2018 as recalled: tartrate 50-100 mg in 2 doses
    "bisoprolol": _drug("比索洛尔", "beta_blocker", 2.5, 10),  # CHG-2018 as recalled: 2.5-10 mg
    # CDS-2020 as recalled: 500-2000 mg a day; a drug guide (www.tsu.tw/edu/4301.html) gives the best effect at 2 g/d
    "metformin": _drug("二甲双胍", "biguanide", 500, 2000),
    "glibenclamide": _drug("格列本脲", "sulfonylurea", 2.5, 15),  # DM-LECTURE: 2.5 mg tablets, at most 15 mg a day
    "gliclazide": _drug("格列齐特", "sulfonylurea", 80, 320),  # DM-NOTES: 80 mg tablets, at most 320 mg (MR 30-120)
    "glipizide": _drug("格列吡嗪", "sulfonylurea", 2.5, 30),  # DM-LECTURE: at most 30 mg a day (low 2.5: as recalled)
    "glimepiride": _drug("格列美脲", "sulfonylurea", 1, 8),  # DM-NOTES: from 1 mg, 1-4 mg usual, 6-8 mg for a few
    "acarbose": _drug("阿卡波糖", "alpha_glucosidase_inhibitor", 100, 300),  # CDS-2020 as recalled: 100-300 mg
    "pioglitazone": _drug("吡格列酮", "thiazolidinedione", 15, 45),  # CDS-2020 as recalled: 15-45 mg
    # CDS-2020 as recalled: basal insulin starts at 0.1-0.3 IU/kg a day; "full" (40 IU) is a sanbiao marker
    "insulin": _drug("胰岛素", "insulin", 4, 40, "IU"),
    "insulin glargine": _drug("甘精胰岛素", "insulin", 4, 40, "IU"),
}


class Need(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What a protocol step asks for: a medicine of any of these classes, at its full dose if `full`."""

    classes: tuple[str, ...]
    full: bool = False


class Step(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One step of a stepwise protocol: what it is called (Chinese, English) and what it asks for."""

    label: str
    label_en: str
    needs: tuple[Need, ...]


_CCB, _RAS, _THIAZIDE = ("ccb",), ("acei", "arb"), ("thiazide",)
# HEARTS protocol as recalled (not checked), with PCHG's letters (A = ACEI or ARB, C = CCB, D = diuretic: the 2017
# edition, www.senbopy.com/Article/view/id/11072.html): C, C full, C + A, C + A full, C + A + D; then refer.
DEFAULT_HTN_PROTOCOL = (
    Step(label="氨氯地平 5 mg（或其他 CCB）", label_en="amlodipine 5 mg (or another CCB)", needs=(Need(_CCB),)),
    Step(
        label="氨氯地平加至 10 mg（CCB 足量）", label_en="amlodipine up to 10 mg (full CCB)", needs=(Need(_CCB, True),)
    ),
    Step(
        label="加用 ACEI/ARB（如氯沙坦 50 mg）",
        label_en="add an ACEI/ARB (e.g. losartan 50 mg)",
        needs=(Need(_CCB, True), Need(_RAS)),
    ),
    Step(
        label="ACEI/ARB 加至足量（如氯沙坦 100 mg）",
        label_en="ACEI/ARB up to full dose (e.g. losartan 100 mg)",
        needs=(Need(_CCB, True), Need(_RAS, True)),
    ),
    Step(
        label="加用噻嗪类利尿剂（如氢氯噻嗪 12.5-25 mg）",
        label_en="add a thiazide (e.g. hydrochlorothiazide 12.5-25 mg)",
        needs=(Need(_CCB, True), Need(_RAS, True), Need(_THIAZIDE)),
    ),
)
_BIGUANIDE, _SECOND = ("biguanide",), ("sulfonylurea", "alpha_glucosidase_inhibitor")
# CDS pathway (2017 text read at www.hezhiquan.com/docs/view/5fac4d2d56dc43dfba9140b5d72421c0_3.html): metformin
# first and kept; if not at target add a second drug (a secretagogue, an alpha-glucosidase inhibitor, ..., or
# insulin). Step 2, metformin at full dose before adding, is sanbiao's own (not a step of that pathway).
DEFAULT_DM_PROTOCOL = (
    Step(label="二甲双胍", label_en="metformin", needs=(Need(_BIGUANIDE),)),
    Step(label="二甲双胍加至 2000 mg", label_en="metformin up to 2000 mg", needs=(Need(_BIGUANIDE, True),)),
    Step(
        label="加用磺脲类或阿卡波糖",
        label_en="add a sulfonylurea or acarbose",
        needs=(Need(_BIGUANIDE, True), Need(_SECOND)),
    ),
    Step(
        label="加用基础胰岛素",
        label_en="add basal insulin",
        needs=(Need(_BIGUANIDE, True), Need(_SECOND), Need(("insulin",))),
    ),
)


def regimen_of(medications: Sequence[Medication] | None) -> Regimen | None:
    """A visit's list as compared: INN -> daily dose (None when the visit recorded none)."""
    return None if medications is None else {m.drug: m.daily_dose_mg for m in medications}


def derived_changes(visits: Sequence[Visit]) -> list[bool]:
    """For each visit (sorted by date): medication changed, as the doctor said or because its list
    differs from the one of the previous visit that recorded a list (CONTRACT §3). A first list is
    no change: nothing before it is known."""
    changed, before = [], None
    for visit in visits:
        now = regimen_of(visit.medications)
        changed.append(bool(visit.medication_changed) or (now is not None and before is not None and now != before))
        before = before if now is None else now
    return changed


def in_force(regimens: Sequence[Regimen | None], index: int) -> Regimen | None:
    """The list taken at visit `index`: its own, else that of the latest visit before it that recorded one."""
    return next((r for r in reversed(regimens[: index + 1]) if r is not None), None)


def unchanged_between(regimens: Sequence[Regimen | None], flags: Sequence[bool], first: int, second: int) -> bool:
    """No change of medicines from visit `first` to visit `second`: a list is known at `first`, every
    list recorded after it up to `second` is the same (a dose change and a swap within a class are
    changes), and no visit after it up to `second` says the medication changed."""
    base = in_force(regimens, first)
    later = range(first + 1, second + 1)
    return base is not None and all(regimens[i] in (None, base) and not flags[i] for i in later)


def meets(need: Need, regimen: Mapping[str, float], formulary: Mapping[str, Drug]) -> bool:
    for drug, dose in regimen.items():
        entry = formulary.get(drug)
        if entry and entry.drug_class in need.classes and (not need.full or dose >= entry.full_dose):
            return True
    return False


def protocol_step(regimen: Mapping[str, float], protocol: Sequence[Step], formulary: Mapping[str, Drug]) -> int:
    """The highest step (1-based) whose needs the medicines meet; 0 for none (not on the protocol yet)."""
    reached = [n for n, step in enumerate(protocol, 1) if all(meets(need, regimen, formulary) for need in step.needs)]
    return max(reached, default=0)


class ChangeKind(StrEnum):
    STARTED = "started"
    DOSE = "dose"
    STOPPED = "stopped"


class MedicineChange(msgspec.Struct, frozen=True):
    """One line of a resident's medicine history (the card): started, dose changed, or stopped."""

    on: dt.date
    drug: str
    kind: ChangeKind
    dose: float | None  # the new daily dose (None when stopped)
    before: float | None = None  # the dose it replaced (dose changes, stops)


def medicine_history(visits: Sequence[Visit]) -> list[MedicineChange]:
    """What the recorded lists say happened, oldest first: the first list starts its medicines."""
    changes: list[MedicineChange] = []
    before: Regimen = {}
    for visit in visits:
        now = regimen_of(visit.medications)
        if now is None:
            continue
        for drug, dose in sorted(now.items()):
            if drug not in before:
                changes.append(MedicineChange(visit.date, drug, ChangeKind.STARTED, dose))
            elif before[drug] != dose:
                changes.append(MedicineChange(visit.date, drug, ChangeKind.DOSE, dose, before[drug]))
        changes += [
            MedicineChange(visit.date, drug, ChangeKind.STOPPED, None, dose)
            for drug, dose in sorted(before.items())
            if drug not in now
        ]
        before = now
    return changes


def next_step(regimen: Mapping[str, float], protocol: Sequence[Step], formulary: Mapping[str, Drug]) -> int | None:
    """The step (1-based) after the one the medicines reach; None past the last step (refer)."""
    reached = protocol_step(regimen, protocol, formulary)
    return reached + 1 if reached < len(protocol) else None


def not_intensified(
    uncontrolled: Sequence[bool | None], regimens: Sequence[Regimen | None], flags: Sequence[bool]
) -> bool:
    """Uncontrolled at the last two visits that measured it, with no change of medicines between them
    (`uncontrolled[i]` is None for a visit without the reading; lists as `unchanged_between`)."""
    measured = [i for i, bad in enumerate(uncontrolled) if bad is not None][-2:]
    return (
        len(measured) == 2 and all(uncontrolled[i] for i in measured) and unchanged_between(regimens, flags, *measured)
    )
