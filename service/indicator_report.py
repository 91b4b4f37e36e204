"""The county's figures as a report workbook (CONTRACT §11 `format=xlsx`): one sheet per level below
the region (a county's townships, then its villages; a township's villages), Chinese headers, the
region and the period in each sheet's title, the region's total as the last row."""

from __future__ import annotations

from sqlite_utils import Database

from service.exports import Sheet
from service.period_indicators import EXPECTED, Figures, RegionFigures, expectations
from service.periods import PeriodKind
from service.store.areas import area_names
from stratify.policy import Policy

LABELS = {  # the BPHS and HEARTS names a county center reports under
    "htn_managed": "高血压管理人数",
    "htn_standard": "高血压规范管理人数",
    "htn_controlled": "高血压血压控制人数",
    "dm_managed": "糖尿病管理人数",
    "dm_standard": "糖尿病规范管理人数",
    "dm_controlled": "糖尿病血糖控制人数",
    "hearts_htn_registered": "HEARTS 登记满3个月人数",
    "hearts_htn_controlled": "HEARTS 近3个月血压控制人数",
    "hearts_htn_missed": "HEARTS 近3个月未随访人数",
    "hearts_htn_ltfu": "HEARTS 12个月失访人数",
    "red": "红标人数",
    "yellow": "黄标人数",
    "green": "绿标人数",
    "referrals_up": "上转人次",
    "referrals_completed": "上转30天内完成人次",
    "serious_events": "严重事件数",
    "tasks_due": "到期随访任务数",
    "tasks_done_on_time": "按时完成随访任务数",
    "htn_uncontrolled_not_intensified": "高血压连续两次未控制且未调整用药人数",
    "dm_uncontrolled_not_intensified": "糖尿病连续两次未控制且未调整用药人数",
    "htn_expected": "高血压估算患病人数（35岁及以上）",
    "dm_expected": "糖尿病估算患病人数（35岁及以上）",
}
LEVELS = {6: [("乡镇", 9), ("村", 12)], 9: [("村", 12)], 12: [("村", 12)]}  # region digits -> sheets
TOTAL = "合计"


def period_label(found: RegionFigures) -> str:
    period = found.period
    if period.kind is PeriodKind.YEAR:
        return f"{period.start.year}年"
    if period.kind is PeriodKind.QUARTER:
        return f"{period.start.year}年第{period.code[-1]}季度"
    return f"{period.start.year}年{period.start.month}月"


def report_sheets(db: Database, found: RegionFigures, policy: Policy) -> list[Sheet]:
    """The report's sheets, each level's areas in code order and the region's total last; the expected
    patients are empty cells where an area's population is not known."""
    keys = list(Figures.__struct_fields__)
    expected = expectations(db, found, policy)

    def row(code: str, name: str, figures: Figures) -> list:
        expect = expected(code)
        return [code, name, *(getattr(figures, k) for k in keys), *(expect[k] for k in EXPECTED)]

    levels = LEVELS[len(found.region)]
    by_level = {digits: found.rolled_up(digits) for _, digits in levels}
    total = found.rolled_up(len(found.region)).get(found.region, Figures())
    names = area_names(db, [found.region, *(code for areas in by_level.values() for code in areas)])
    region = names.get(found.region) or found.region
    dates = f"{found.period.start} 至 {found.period.end}"
    title = f"{region}（{found.region}）{period_label(found)} 高血压、糖尿病管理指标（{dates}）"
    header = ["编码", "名称", *(LABELS[k] for k in (*keys, *EXPECTED))]
    return [
        Sheet(
            name,
            title,
            header,
            [
                *(row(code, names.get(code, ""), areas[code]) for code in sorted(areas)),
                row(found.region, TOTAL, total),
            ],
        )
        for name, digits in levels
        for areas in [by_level[digits]]
    ]
