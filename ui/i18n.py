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
    "locked": {"zh-CN": "失败次数过多，请在 {until} 后再试", "en": "Too many failed attempts; try again after {until}"},
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
    "indicators": {"zh-CN": "管理指标", "en": "Indicators"},
    "bp_control": {"zh-CN": "高血压控制率", "en": "Hypertension control"},
    "glucose_control": {"zh-CN": "糖尿病血糖控制率", "en": "Diabetes glucose control"},
    "completion": {"zh-CN": "近30天随访完成率", "en": "Follow-ups done (last 30 days)"},
    "hearts_note": {
        "zh-CN": "按 WHO HEARTS 口径：纳入管理满3个月者中，近3个月内最近一次测量达标的比例",
        "en": "WHO HEARTS: among patients registered 3+ months, controlled at a visit in the last 3 months",
    },
    "overdue_by_doctor": {"zh-CN": "各医生逾期任务", "en": "Overdue by doctor"},
    "unassigned": {"zh-CN": "未分配", "en": "unassigned"},
    "transitions": {"zh-CN": "本月分级变化", "en": "Tier changes this month"},
    "model": {"zh-CN": "风险模型", "en": "Risk model"},
    "calibration": {"zh-CN": "校准", "en": "calibration"},
    "no_model": {"zh-CN": "尚无启用的模型", "en": "No active model"},
    "job_runs": {"zh-CN": "夜间任务", "en": "Job runs"},
    "override": {"zh-CN": "中心调整分级", "en": "Center override"},
    "override_tier": {"zh-CN": "分级", "en": "Tier"},
    "override_reason": {"zh-CN": "理由", "en": "Reason"},
    "override_until": {"zh-CN": "有效至", "en": "Until"},
    "override_floor": {
        "zh-CN": "可上调或下调，但不会低于临床规则的底线",
        "en": "May raise or lower, never below the rule floor",
    },
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


REASON_LABELS = {  # one Chinese label per reason code of CONTRACT §5; the detail keeps its numbers
    "bp_crisis": "血压危象",
    "glucose_high": "血糖过高",
    "glucose_low": "低血糖",
    "danger_symptom": "危险症状",
    "pregnancy": "妊娠合并",
    "uncontrolled_twice": "连续两次控制不满意",
    "new_complication": "新发并发症",
    "recent_event": "近期严重事件或住院",
    "urgent_referral": "紧急转诊",
    "routine_referral": "转诊专科评估",
    "hba1c_very_high": "糖化血红蛋白很高",
    "recurrent_hypoglycemia": "反复低血糖",
    "both_uncontrolled": "高血压糖尿病均未控制",
    "uncontrolled": "控制不满意",
    "medication_changed": "近期调整用药",
    "new_enrolment": "新纳入管理",
    "poor_adherence": "服药依从性差",
    "overdue": "逾期未随访",
    "established_cvd": "已有心脑血管或肾脏疾病",
    "model_risk": "模型评估风险高",
    "override": "中心调整",
    "stepping_down": "降级观察中",
}


def reason_text(lang: str, reason: dict) -> str:
    """A reason as a doctor reads it: in Chinese its label first, then the detail with its numbers."""
    label = REASON_LABELS.get(reason.get("code", ""))
    return f"{label}：{reason['message']}" if lang == DEFAULT_LANG and label else reason["message"]


def translate(lang: str, key: str, **values: object) -> str:
    """The message in this language (falling back to Chinese, then to the key itself)."""
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    return entry.get(lang, entry[DEFAULT_LANG]).format(**values)
