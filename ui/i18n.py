"""Message catalogs: Chinese by default, English on request (?lang=en), remembered in the session."""

from __future__ import annotations

DEFAULT_LANG = "zh-CN"
LANGS = ("zh-CN", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "app": {"zh-CN": "三标 慢病分级管理", "en": "sanbiao chronic care"},
    "login": {"zh-CN": "登录", "en": "Log in"},
    "logout": {"zh-CN": "退出", "en": "Log out"},
    "username": {"zh-CN": "用户名", "en": "Username"},
    "password": {"zh-CN": "密码", "en": "Password"},
    "bad_login": {"zh-CN": "用户名或密码不正确", "en": "Wrong username or password"},
    "today": {"zh-CN": "今日随访", "en": "Today's follow-ups"},
    "carried_over": {"zh-CN": "另有 {n} 项顺延到明天", "en": "{n} more carried over to tomorrow"},
    "nothing_due": {"zh-CN": "今天没有到期的随访", "en": "Nothing due today"},
    "overdue_days": {"zh-CN": "逾期 {n} 天", "en": "{n} days overdue"},
    "due_today": {"zh-CN": "今天到期", "en": "due today"},
    "call": {"zh-CN": "拨打", "en": "Call"},
    "red": {"zh-CN": "红标", "en": "Red"},
    "yellow": {"zh-CN": "黄标", "en": "Yellow"},
    "green": {"zh-CN": "绿标", "en": "Green"},
    "none": {"zh-CN": "未分级", "en": "Not tiered"},
    "red_owner": {"zh-CN": "县级专科医生负责", "en": "a county specialist leads"},
    "yellow_owner": {"zh-CN": "乡镇全科医生数周内处理", "en": "a township GP acts within weeks"},
    "green_owner": {"zh-CN": "村医常规随访", "en": "the village doctor continues routine care"},
    "why": {"zh-CN": "原因", "en": "Why"},
    "risk": {"zh-CN": "12个月严重事件风险", "en": "12-month risk of a serious event"},
    "visits": {"zh-CN": "随访记录", "en": "Visits"},
    "tasks": {"zh-CN": "待办", "en": "Open tasks"},
    "trend": {"zh-CN": "血压/血糖趋势", "en": "BP and glucose trend"},
    "national_id": {"zh-CN": "身份证号", "en": "National ID"},
    "phone": {"zh-CN": "电话", "en": "Phone"},
    "age": {"zh-CN": "{n}岁", "en": "age {n}"},
    "forbidden": {
        "zh-CN": "无权查看：该居民不在您的管辖范围内",
        "en": "Not allowed: this resident is outside your area",
    },
    "not_found": {"zh-CN": "未找到", "en": "Not found"},
    "dashboard": {"zh-CN": "健康管理中心看板", "en": "Health management center"},
    "by_area": {"zh-CN": "按地区分级分布", "en": "Tiers by area"},
    "managed": {"zh-CN": "管理人数", "en": "Managed"},
    "back": {"zh-CN": "返回", "en": "Back"},
    "kind_urgent_referral": {"zh-CN": "紧急转诊", "en": "Urgent referral"},
    "kind_specialist_review": {"zh-CN": "专科评估", "en": "Specialist review"},
    "kind_recheck": {"zh-CN": "两周复查", "en": "Two-week re-check"},
    "kind_gp_review": {"zh-CN": "全科随访", "en": "GP review"},
    "kind_routine_followup": {"zh-CN": "常规随访", "en": "Routine follow-up"},
    "kind_referral_outcome": {"zh-CN": "追踪转诊结果", "en": "Chase referral outcome"},
    "kind_remeasure": {"zh-CN": "重新测量", "en": "Measure again"},
    "kind_recall": {"zh-CN": "召回失访", "en": "Recall"},
    "save": {"zh-CN": "保存", "en": "Save"},
    "save_visit": {"zh-CN": "保存随访", "en": "Save visit"},
    "record_visit": {"zh-CN": "记录随访", "en": "Record a visit"},
    "sbp": {"zh-CN": "收缩压", "en": "Systolic BP"},
    "dbp": {"zh-CN": "舒张压", "en": "Diastolic BP"},
    "fpg": {"zh-CN": "空腹血糖 mmol/L", "en": "Fasting glucose mmol/L"},
    "heart_rate": {"zh-CN": "心率", "en": "Heart rate"},
    "date": {"zh-CN": "日期", "en": "Date"},
    "adherence": {"zh-CN": "服药依从性", "en": "Takes medicine"},
    "adherence_regular": {"zh-CN": "规律", "en": "regularly"},
    "adherence_intermittent": {"zh-CN": "间断", "en": "intermittently"},
    "adherence_none": {"zh-CN": "不服药", "en": "not at all"},
    "danger_signs": {"zh-CN": "危险症状", "en": "Danger signs"},
    "symptom_severe_headache": {"zh-CN": "剧烈头痛", "en": "severe headache"},
    "symptom_dizziness": {"zh-CN": "头晕", "en": "dizziness"},
    "symptom_chest_pain": {"zh-CN": "胸痛", "en": "chest pain"},
    "symptom_chest_tightness": {"zh-CN": "胸闷", "en": "chest tightness"},
    "symptom_dyspnea": {"zh-CN": "呼吸困难", "en": "breathlessness"},
    "symptom_blurred_vision": {"zh-CN": "视物模糊", "en": "blurred vision"},
    "symptom_limb_weakness": {"zh-CN": "肢体无力", "en": "limb weakness"},
    "symptom_altered_consciousness": {"zh-CN": "意识改变", "en": "altered consciousness"},
    "medication_changed": {"zh-CN": "本次调整了用药", "en": "Medicine changed at this visit"},
    "referral": {"zh-CN": "转诊", "en": "Referral"},
    "referral_routine": {"zh-CN": "常规转诊", "en": "routine"},
    "referral_urgent": {"zh-CN": "紧急转诊", "en": "urgent"},
    "outcome_visited": {"zh-CN": "已随访", "en": "Visited"},
    "outcome_agreed_to_visit": {"zh-CN": "同意来诊", "en": "Agreed to come"},
    "outcome_remind_later": {"zh-CN": "稍后提醒", "en": "Remind later"},
    "outcome_unreachable": {"zh-CN": "联系不上", "en": "Unreachable"},
    "outcome_refused": {"zh-CN": "拒绝", "en": "Refused"},
    "outcome_wrong_number": {"zh-CN": "号码错误", "en": "Wrong number"},
    "outcome_moved_away": {"zh-CN": "已迁出", "en": "Moved away"},
    "outcome_died": {"zh-CN": "已死亡", "en": "Died"},
}


def translate(lang: str, key: str, **values: object) -> str:
    """The message in this language (falling back to Chinese, then to the key itself)."""
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    return entry.get(lang, entry[DEFAULT_LANG]).format(**values)
