"""Message catalogs: Chinese by default, English on request (?lang=en), remembered in the session."""

from __future__ import annotations

import datetime as dt

from service.vocabulary import LABELS, NAMES, ZH

DEFAULT_LANG = ZH
LANGS = ("zh-CN", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "app": {"zh-CN": "三标 慢病分级管理", "en": "sanbiao chronic care"},
    "audit": {"zh-CN": "操作日志", "en": "Audit log"},
    "audit_at": {"zh-CN": "时间", "en": "When"},
    "audit_actor": {"zh-CN": "操作人", "en": "Who"},
    "audit_action": {"zh-CN": "操作", "en": "Action"},
    "audit_resident": {"zh-CN": "居民档案号", "en": "Resident"},
    "audit_detail": {"zh-CN": "详情", "en": "Detail"},
    "action_read_card": {"zh-CN": "查看档案", "en": "read the card"},
    "action_call": {"zh-CN": "拨打电话", "en": "called"},
    "action_visit": {"zh-CN": "录入随访", "en": "recorded a visit"},
    "action_task_outcome": {"zh-CN": "随访结果", "en": "call outcome"},
    "action_override": {"zh-CN": "调整分级", "en": "override"},
    "action_import": {"zh-CN": "导入档案", "en": "import"},
    "action_login": {"zh-CN": "登录", "en": "login"},
    "action_login_failed": {"zh-CN": "登录失败", "en": "failed login"},
    "action_user_add": {"zh-CN": "新增用户", "en": "user added"},
    "action_user_update": {"zh-CN": "修改用户", "en": "user changed"},
    "action_user_disable": {"zh-CN": "停用用户", "en": "user disabled"},
    "action_user_enable": {"zh-CN": "启用用户", "en": "user enabled"},
    "action_password_reset": {"zh-CN": "重置密码", "en": "password reset"},
    "action_password_change": {"zh-CN": "修改密码", "en": "password changed"},
    "action_apikey_create": {"zh-CN": "新建接口密钥", "en": "API key created"},
    "action_areas": {"zh-CN": "导入地名", "en": "area names loaded"},
    "action_export": {"zh-CN": "导出名单", "en": "exported a list"},
    "action_register": {"zh-CN": "登记新患者", "en": "registered a patient"},
    "import": {"zh-CN": "导入随访表", "en": "Import spreadsheets"},
    "import_help": {
        "zh-CN": "上传基本公卫高血压、糖尿病随访表（.xlsx 或 .csv，每行一次随访）。列名按国家表格，或选用对照表。",
        "en": "Upload BPHS hypertension and diabetes follow-up sheets (.xlsx or .csv, a row per visit), "
        "with the national form's headers or a mapping.",
    },
    "import_file": {"zh-CN": "文件", "en": "File"},
    "import_mapping": {"zh-CN": "列名对照表", "en": "Column mapping"},
    "import_builtin": {"zh-CN": "国家随访表列名（默认）", "en": "The BPHS headers (default)"},
    "import_new_mapping": {"zh-CN": "新建对照表", "en": "A new mapping"},
    "import_mapping_text": {"zh-CN": "对照表（TOML，见 docs/import.md）", "en": "Mapping (TOML, see docs/import.md)"},
    "import_mapping_name": {"zh-CN": "保存为（可不填）", "en": "Save as (optional)"},
    "import_start": {"zh-CN": "开始导入", "en": "Import"},
    "import_past": {"zh-CN": "以往导入", "en": "Past imports"},
    "import_counts": {
        "zh-CN": "接收 {accepted} 人，拒绝 {rejected} 人",
        "en": "{accepted} accepted, {rejected} rejected",
    },
    "import_rows_read": {"zh-CN": "已读取 {n} 行", "en": "{n} rows read"},
    "import_summary": {
        "zh-CN": "完成：接收 {accepted} 人（新建 {created}，更新 {updated}，无变化 {unchanged}），拒绝 {rejected} 人",
        "en": "Done: {accepted} in ({created} new, {updated} updated, {unchanged} unchanged), {rejected} rejected",
    },
    "import_rejected_download": {
        "zh-CN": "下载被拒绝的行（含错误说明），改正后重新上传",
        "en": "Download the rejected rows (with their errors) to fix and upload again",
    },
    "import_row": {"zh-CN": "第 {n} 行", "en": "row {n}"},
    "origin_api": {"zh-CN": "接口", "en": "API"},
    "origin_cli": {"zh-CN": "命令行", "en": "command line"},
    "origin_ui": {"zh-CN": "网页上传", "en": "upload"},
    "find_patient": {"zh-CN": "查找患者", "en": "Find a patient"},
    "search": {"zh-CN": "查找", "en": "Search"},
    "search_hint": {
        "zh-CN": "姓名、档案号，或电话/身份证号后4位",
        "en": "Name, record id, or last 4 digits of phone or ID",
    },
    "search_none": {"zh-CN": "本辖区没有找到“{q}”", "en": "Nobody in your area matches “{q}”"},
    "search_more": {
        "zh-CN": "只显示前50位，请输入更多字缩小范围",
        "en": "The first 50 are shown: type more to narrow it",
    },
    "register_new": {"zh-CN": "登记新患者", "en": "Register a patient"},
    "register": {"zh-CN": "登记", "en": "Register"},
    "sex": {"zh-CN": "性别", "en": "Sex"},
    "birth_date": {"zh-CN": "出生日期", "en": "Birth date"},
    "village": {"zh-CN": "所在村", "en": "Village"},
    "conditions": {"zh-CN": "纳入管理的疾病", "en": "Conditions"},
    "condition_I10": {"zh-CN": "高血压", "en": "Hypertension"},
    "condition_E11": {"zh-CN": "2型糖尿病", "en": "Type 2 diabetes"},
    "diagnosed_on": {"zh-CN": "确诊日期", "en": "Diagnosed on"},
    "national_id_hint": {
        "zh-CN": "填了身份证号，性别和出生日期可以不填",
        "en": "With the national ID, sex and birth date may be left empty",
    },
    "figures_as_of": {
        "zh-CN": "统计截至{day}（第{run}次夜间任务，{at}）；村医今天的新随访在下次夜间任务后计入",
        "en": "Figures as of {day} (nightly run #{run}, {at}); today's visits count after the next nightly run",
    },
    "no_figures": {
        "zh-CN": "还没有统计：第一次夜间任务完成后显示",
        "en": "No figures yet: they appear after the first nightly run",
    },
    "patients": {"zh-CN": "管理对象", "en": "Patients"},
    "bp_short": {"zh-CN": "血压控制", "en": "BP control"},
    "more_rows": {"zh-CN": "更多（还有 {n} 条）", "en": "More ({n} left)"},
    "more": {"zh-CN": "更多", "en": "More"},
    "all": {"zh-CN": "全部", "en": "All"},
    "since": {"zh-CN": "起始日期", "en": "From"},
    "until": {"zh-CN": "截止日期", "en": "To"},
    "filter": {"zh-CN": "筛选", "en": "Filter"},
    "older": {"zh-CN": "更早的记录", "en": "Older entries"},
    "no_entries": {"zh-CN": "没有符合条件的记录", "en": "No entries match"},
    "login": {"zh-CN": "登录", "en": "Log in"},
    "staff": {"zh-CN": "用户管理", "en": "Staff"},
    "staff_add": {"zh-CN": "新增用户", "en": "Add a login"},
    "staff_list": {"zh-CN": "本辖区用户", "en": "Logins of your area"},
    "staff_name": {"zh-CN": "姓名", "en": "Name"},
    "staff_role": {"zh-CN": "角色", "en": "Role"},
    "staff_region": {"zh-CN": "辖区编码", "en": "Region code"},
    "staff_disabled": {"zh-CN": "已停用", "en": "disabled"},
    "staff_one_time_pending": {"zh-CN": "待改一次性密码", "en": "one-time password not yet changed"},
    "staff_disable": {"zh-CN": "停用", "en": "Disable"},
    "staff_enable": {"zh-CN": "启用", "en": "Enable"},
    "staff_reset": {"zh-CN": "重置密码", "en": "Reset password"},
    "staff_one_time": {
        "zh-CN": "{username} 的一次性密码（只显示这一次，首次登录须修改）：",
        "en": "One-time password for {username} (shown only now; to be changed at the first sign-in):",
    },
    "staff_done_disable": {
        "zh-CN": "已停用 {username}，其待办已转给同级同辖区的医生",
        "en": "{username} is disabled; their tasks passed on",
    },
    "staff_done_enable": {"zh-CN": "已启用 {username}", "en": "{username} is enabled again"},
    "staff_done_reset": {"zh-CN": "已重置 {username} 的密码", "en": "Password of {username} reset"},
    "role_village_doctor": {"zh-CN": "村医", "en": "village doctor"},
    "role_township_gp": {"zh-CN": "乡镇全科医生", "en": "township GP"},
    "role_county_specialist": {"zh-CN": "县级专科医生", "en": "county specialist"},
    "role_center": {"zh-CN": "健康管理中心", "en": "center staff"},
    "role_admin": {"zh-CN": "系统管理员", "en": "administrator"},
    "password_title": {"zh-CN": "设置新密码", "en": "Set a new password"},
    "password_one_time": {
        "zh-CN": "您正在使用一次性密码，请先设置自己的密码",
        "en": "You signed in with a one-time password: choose your own first",
    },
    "password_new": {"zh-CN": "新密码（至少10位）", "en": "New password (10 characters or more)"},
    "password_repeat": {"zh-CN": "再次输入", "en": "Repeat it"},
    "password_too_short": {"zh-CN": "密码至少{n}位", "en": "At least {n} characters"},
    "password_differ": {"zh-CN": "两次输入不一致", "en": "The two entries differ"},
    "password_has_username": {"zh-CN": "密码不能包含用户名", "en": "The password must not contain your username"},
    "password_current": {"zh-CN": "当前密码", "en": "Current password"},
    "password_wrong_current": {"zh-CN": "当前密码不正确", "en": "The current password is wrong"},
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
    "none": {"zh-CN": "未分级", "en": "Not tiered"},
    "red_owner": {"zh-CN": "县级专科医生负责", "en": "a county specialist leads"},
    "yellow_owner": {"zh-CN": "乡镇全科医生数周内处理", "en": "a township GP acts within weeks"},
    "green_owner": {"zh-CN": "村医常规随访", "en": "the village doctor continues routine care"},
    "why": {"zh-CN": "原因", "en": "Why"},
    "risk": {"zh-CN": "12个月严重事件风险", "en": "12-month risk of a serious event"},
    "who_risk_lab": {"zh-CN": "10年心血管病风险（WHO，含胆固醇）", "en": "10-year CVD risk (WHO, with cholesterol)"},
    "who_risk_non_lab": {"zh-CN": "10年心血管病风险（WHO，按体重指数）", "en": "10-year CVD risk (WHO, with BMI)"},
    "who_band": {"zh-CN": "风险图分层", "en": "chart band"},
    "visits": {"zh-CN": "随访记录", "en": "Visits"},
    "visit_mode": {"zh-CN": "方式", "en": "How"},
    "mode_clinic": {"zh-CN": "门诊", "en": "clinic"},
    "mode_home": {"zh-CN": "家访", "en": "home"},
    "mode_phone": {"zh-CN": "电话", "en": "phone"},
    "sex_M": {"zh-CN": "男", "en": "male"},
    "sex_F": {"zh-CN": "女", "en": "female"},
    "bp": {"zh-CN": "血压", "en": "BP"},
    "fpg_short": {"zh-CN": "空腹血糖", "en": "FPG"},
    "hypoglycemia": {"zh-CN": "低血糖", "en": "Hypoglycaemia"},
    "hypoglycemia_none": {"zh-CN": "无", "en": "none"},
    "hypoglycemia_mild": {"zh-CN": "轻度", "en": "mild"},
    "hypoglycemia_severe": {"zh-CN": "严重（需他人帮助）", "en": "severe (needed help)"},
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
    "conflict": {
        "zh-CN": "与已保存的内容冲突：任务已关闭，或同一编号已保存了不同的内容",
        "en": "Conflicts with what is stored: the task is closed, or other content is stored under the same id",
    },
    "dashboard": {"zh-CN": "健康管理中心看板", "en": "Health management center"},
    "by_area": {"zh-CN": "按地区分级分布", "en": "Tiers by area"},
    "managed": {"zh-CN": "管理人数", "en": "Managed"},
    "back": {"zh-CN": "返回", "en": "Back"},
    "show_area": {"zh-CN": "全部辖区", "en": "My area"},
    "show_mine": {"zh-CN": "我的", "en": "Mine"},
    "show_ltfu": {"zh-CN": "失访", "en": "Lost to follow-up"},
    "summary_today": {"zh-CN": "今日 {n} 人", "en": "Today {n} residents"},
    "summary_ltfu": {
        "zh-CN": "失访 {n} 人（随访逾期超过 {days} 天，待追踪）",
        "en": "{n} lost to follow-up (a follow-up over {days} days overdue): to be traced",
    },
    "summary_lost": {"zh-CN": "失访 {n}", "en": "{n} lost to follow-up"},
    "urgent": {"zh-CN": "紧急", "en": "urgent"},
    "nothing_lost": {"zh-CN": "没有失访的居民", "en": "Nobody lost to follow-up"},
    "all_tiers": {"zh-CN": "全部分级", "en": "All tiers"},
    "all_kinds": {"zh-CN": "全部类型", "en": "All kinds"},
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
    "unassigned_count": {"zh-CN": "{n} 项随访任务无人负责", "en": "{n} follow-up tasks held by nobody"},
    "unassigned_title": {"zh-CN": "无人负责的任务（按村、按层级）", "en": "Tasks held by nobody, by village and level"},
    "unassigned_help": {
        "zh-CN": "这些村没有该层级的在岗账号：添加或启用账号后任务立即分配。",
        "en": "No active login of that level covers these villages: add or enable one and it takes them at once.",
    },
    "unassigned_none": {"zh-CN": "所有任务都有人负责", "en": "Every task has someone"},
    "ltfu_count": {
        "zh-CN": "失访 {n} 人（随访逾期超过 {days} 天）",
        "en": "{n} lost to follow-up (a follow-up over {days} days overdue)",
    },
    "transitions": {"zh-CN": "本月分级变化", "en": "Tier changes this month"},
    "model": {"zh-CN": "风险模型", "en": "Risk model"},
    "calibration": {"zh-CN": "校准", "en": "calibration"},
    "no_model": {"zh-CN": "尚无启用的模型", "en": "No active model"},
    "job_runs": {"zh-CN": "夜间任务", "en": "Job runs"},
    "run_nightly": {"zh-CN": "夜间重新分级", "en": "nightly re-stratification"},
    "run_running": {"zh-CN": "运行中", "en": "running"},
    "run_ok": {"zh-CN": "完成", "en": "done"},
    "run_failed": {"zh-CN": "失败", "en": "failed"},
    "run_interrupted": {"zh-CN": "中断", "en": "interrupted"},
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
    "temperature": {"zh-CN": "体温 °C", "en": "Temperature °C"},
    "pregnant": {"zh-CN": "妊娠", "en": "Pregnant"},
    "date": {"zh-CN": "日期", "en": "Date"},
    "adherence": {"zh-CN": "服药依从性", "en": "Takes medicine"},
    "danger_signs": {"zh-CN": "危险症状", "en": "Danger signs"},
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


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# The clinical vocabularies are worded once, in stratify.wording, for reasons and forms alike.
MESSAGES.update({f"symptom_{code}": text for code, text in NAMES["symptoms"].items()})
MESSAGES.update({f"adherence_{code}": text for code, text in NAMES["adherence"].items()})
MESSAGES.update({f"reason_{code}": text for code, text in LABELS.items()})
MESSAGES.update(  # a tier on its own, as a badge: the catalog's name, capitalised in English
    {tier: {lang: name[:1].upper() + name[1:] for lang, name in text.items()} for tier, text in NAMES["tiers"].items()}
)


def local_date(value: str | dt.date | None, lang: str, today: dt.date) -> str:
    """A date as the reader writes it: 11月2日 / 2 Nov within this year, with the year otherwise."""
    if not value:
        return ""
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value[:10])
    if lang == DEFAULT_LANG:
        return f"{day.month}月{day.day}日" if day.year == today.year else f"{day.year}年{day.month}月{day.day}日"
    short = f"{day.day} {MONTHS[day.month - 1]}"
    return short if day.year == today.year else f"{short} {day.year}"


def translate(lang: str, key: str, **values: object) -> str:
    """The message in this language (falling back to Chinese, then to the key itself)."""
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    return entry.get(lang, entry[DEFAULT_LANG]).format(**values)
