"""Follow-up tasks: open tasks by resident, applying plans, the due list, outcomes."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator

import msgspec
from sqlite_utils import Database

from followup.assign import ROLE_LEVEL
from followup.tasks import Plan, Task, TaskKind, TaskStatus
from service.errors import TaskNotFound
from service.store import now_utc, region_bounds, writing
from service.store.audit import record_action
from stratify.records import Level
from stratify.tiers import Tier, list_position

REGION_COLUMN = {12: "village_code", 9: "township", 6: "county"}  # by region code length (CONTRACT §1)
_encode = msgspec.json.Encoder().encode
_reasons = msgspec.json.Decoder(tuple[str, ...]).decode
_date = dt.date.fromisoformat

TASK_COLUMNS = (
    "task_id",
    "record_id",
    "kind",
    "tier",
    "owner_level",
    "assignee",
    "village_code",
    "status",
    "created_on",
    "due",
    "remind_on",
    "closed_on",
    "close_reason",
    "reasons",
    "basis",
)
_SELECT = f"SELECT {', '.join(TASK_COLUMNS)} FROM tasks"


def _task(row: tuple) -> Task:
    values = dict(zip(TASK_COLUMNS, row, strict=True))
    for name in ("created_on", "due", "remind_on", "closed_on"):
        values[name] = _date(values[name]) if values[name] else None
    values["reasons"] = _reasons(values["reasons"]) if values["reasons"] else ()
    return msgspec.convert(values, Task)


def open_tasks(db: Database, record_ids: list[str]) -> dict[str, list[Task]]:
    found: dict[str, list[Task]] = {}
    rows = db.execute(
        f"{_SELECT} WHERE status = 'open' AND record_id IN (SELECT value FROM json_each(?))",
        [_encode(record_ids).decode()],
    )
    for row in rows:
        task = _task(row)
        found.setdefault(task.record_id, []).append(task)
    return found


def open_tasks_in_range(db: Database, first: str, last: str) -> dict[str, list[Task]]:
    found: dict[str, list[Task]] = {}
    for row in db.execute(f"{_SELECT} WHERE status = 'open' AND record_id BETWEEN ? AND ?", [first, last]):
        task = _task(row)
        found.setdefault(task.record_id, []).append(task)
    return found


def get_task(db: Database, task_id: int) -> Task:
    row = db.execute(f"{_SELECT} WHERE task_id = ?", [task_id]).fetchone()
    if row is None:
        raise TaskNotFound(f"no task {task_id}")
    return _task(row)


DOCTOR_ROLES = tuple(ROLE_LEVEL)  # the logins that take tasks
_DOCTORS = f"SELECT username, role, region FROM users WHERE disabled = 0 AND role IN {DOCTOR_ROLES}"


def doctors(db: Database) -> list[tuple[str, str, str]]:
    """(username, role, region) of every active doctor login."""
    return db.execute(f"{_DOCTORS} ORDER BY username").fetchall()


def doctors_covering(db: Database, villages: list[str]) -> list[tuple[str, str, str]]:
    """(username, role, region) of the active doctor logins whose region holds one of these villages."""
    return db.execute(
        f"{_DOCTORS} AND EXISTS (SELECT 1 FROM json_each(?) WHERE substr(value, 1, length(region)) = region) "
        "ORDER BY username",
        [_encode(villages).decode()],
    ).fetchall()


# An open task is misassigned when no active doctor of its owner level who covers its village holds it,
# or when it is a village task and the resident's family doctor is such a doctor but does not hold it.
_TAKES = " AND ".join(
    (
        "u.disabled = 0",
        "u.role = CASE t.owner_level "
        + " ".join(f"WHEN '{lv}' THEN '{role}'" for role, lv in ROLE_LEVEL.items())
        + " END",
        "substr(t.village_code, 1, length(u.region)) = u.region",
    )
)
_MISASSIGNED = (
    "SELECT t.task_id, t.owner_level, t.village_code, t.assignee, r.family_doctor "
    "FROM tasks t JOIN residents r USING (record_id) WHERE t.status = 'open' AND {region} AND ("
    f"NOT EXISTS (SELECT 1 FROM users u WHERE u.username = t.assignee AND {_TAKES}) "
    "OR (t.owner_level = 'village' AND r.family_doctor IS NOT t.assignee "
    f"AND EXISTS (SELECT 1 FROM users u WHERE u.username = r.family_doctor AND {_TAKES})))"
)


def misassigned_tasks(db: Database, regions: list[str] | None) -> list[tuple]:
    """(task_id, owner_level, village_code, assignee, family_doctor) of the open tasks that nobody who may
    take them holds, or not the family doctor who should, in these regions (None: everywhere)."""
    if regions is None:
        return db.execute(_MISASSIGNED.format(region="1")).fetchall()
    return db.execute(
        _MISASSIGNED.format(
            region="EXISTS (SELECT 1 FROM json_each(?) WHERE substr(t.village_code, 1, length(value)) = value)"
        ),
        [_encode(regions).decode()],
    ).fetchall()


def set_assignees(db: Database, changes: list[tuple[str | None, int]]) -> None:
    """(assignee, task_id) pairs: the one thing re-assignment changes."""
    with writing(db):
        db.conn.executemany("UPDATE tasks SET assignee = ? WHERE task_id = ? AND status = 'open'", changes)


def unassigned_count(db: Database, region: str) -> int:
    """Open tasks nobody holds in a region. INDEXED BY: SQLite's statistics steered it to the assignee
    index and a table read per task (1.4-3.5 s on a county of a million with a few logins; 0.09 s)."""
    low, high = region_bounds(region)
    return db.execute(
        "SELECT count(*) FROM tasks INDEXED BY tasks_unassigned WHERE status = 'open' AND assignee IS NULL "
        "AND village_code >= ? AND village_code < ?",
        [low, high],
    ).fetchone()[0]


def unassigned_by_village(db: Database, region: str) -> list[tuple[str, str, int]]:
    """(village_code, owner_level, open tasks nobody holds) in a region: where a login is missing."""
    low, high = region_bounds(region)
    return db.execute(
        "SELECT village_code, owner_level, count(*) FROM tasks INDEXED BY tasks_unassigned "
        "WHERE status = 'open' AND assignee IS NULL "
        "AND village_code >= ? AND village_code < ? GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2",
        [low, high],
    ).fetchall()


def open_load(db: Database, usernames: list[str] | None = None) -> Counter[str]:
    """Open tasks per assignee (of these usernames only, when given)."""
    if usernames is None:
        rows = db.execute(
            "SELECT assignee, count(*) FROM tasks WHERE status = 'open' AND assignee IS NOT NULL GROUP BY assignee"
        )
    else:
        rows = db.execute(
            "SELECT assignee, count(*) FROM tasks WHERE assignee IN (SELECT value FROM json_each(?)) "
            "AND status = 'open' GROUP BY assignee",
            [_encode(usernames).decode()],
        )
    return Counter(dict(rows.fetchall()))


class PlanRows(msgspec.Struct):
    """A plan as the store writes it."""

    closes: list[tuple]
    redates: list[tuple]
    opens: list[tuple]


def plan_rows(plan: Plan, risks: dict[str, float | None], run_id: int | None) -> PlanRows:
    return PlanRows(
        closes=[(c.status, c.on.isoformat(), c.reason, c.task_id) for c in plan.close],
        redates=[
            (r.due.isoformat(), r.tier, list_position(r.tier), r.owner_level, _encode(r.reasons).decode(), r.task_id)
            for r in plan.redate
        ],
        opens=[
            (
                t.record_id,
                t.kind,
                t.tier,
                list_position(t.tier),
                t.owner_level,
                t.assignee,
                t.village_code,
                t.created_on.isoformat(),
                t.due.isoformat(),
                _encode(t.reasons).decode(),
                t.basis,
                risks.get(t.record_id),
                run_id,
            )
            for t in plan.open
        ],
    )


def apply_plan(db: Database, rows: PlanRows) -> tuple[int, int]:
    """Write a plan (closes first, so one open routine task per resident holds). (opened, closed)."""
    with writing(db):
        closed = db.conn.executemany(
            "UPDATE tasks SET status = ?, closed_on = ?, close_reason = ? WHERE task_id = ? AND status = 'open'",
            rows.closes,
        ).rowcount
        db.conn.executemany(
            "UPDATE tasks SET due = ?, tier = ?, tier_rank = ?, owner_level = ?, reasons = ? "
            "WHERE task_id = ? AND status = 'open'",
            rows.redates,
        )
        db.conn.executemany(
            "INSERT INTO tasks (record_id, kind, tier, tier_rank, owner_level, assignee, village_code, status, "
            "created_on, due, reasons, basis, risk, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?)",
            rows.opens,
        )
    return len(rows.opens), max(closed, 0)


class FollowupRow(msgspec.Struct):
    task_id: int
    record_id: str
    kind: str
    tier: str | None
    due: str
    owner_level: str
    assignee: str | None
    status: str
    reasons: list[str]
    risk: float | None = None  # the resident's model risk when the task was planned


def list_followups(
    db: Database,
    *,
    region: str,
    status: TaskStatus = TaskStatus.OPEN,
    level: Level | None = None,
    assignee: str | None = None,
    due_by: dt.date | None = None,
    kind: TaskKind | None = None,
    tier: Tier | None = None,
    after: tuple[int, str, int] | None = None,
    limit: int = 50,
) -> list[tuple[FollowupRow, tuple[int, str, int]]]:
    """Tasks in a region, red first then most overdue; each with its keyset position for paging."""
    where, params = ["status = ?"], [status]
    if region:  # equality on the region's own column lets the list stream out of an index in order
        where.append(f"{REGION_COLUMN[len(region)]} = ?")
        params.append(region)
    for column, value in (("owner_level", level), ("assignee", assignee), ("kind", kind), ("tier", tier)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if due_by is not None:
        where.append("due <= ?")
        params.append(due_by.isoformat())
    if after is not None:
        where.append("(tier_rank, due, task_id) > (?, ?, ?)")
        params += list(after)
    rows = db.execute(
        "SELECT task_id, record_id, kind, tier, due, owner_level, assignee, status, reasons, tier_rank, risk "
        f"FROM tasks WHERE {' AND '.join(where)} ORDER BY tier_rank, due, task_id LIMIT ?",
        [*params, limit],
    )
    return [
        (
            FollowupRow(*r[:8], list(_reasons(r[8])) if r[8] else [], r[10]),
            (r[9], r[4], r[0]),
        )
        for r in rows
    ]


def store_outcome(
    db: Database,
    task: Task,
    *,
    outcome: str,
    note: str,
    remind_on: dt.date | None,
    actor: str,
    today: dt.date,
    close: TaskStatus | None,
    end_status: str | None,
    client_id: str | None = None,
) -> None:
    """Store a call outcome; re-date, close, or end the resident's management, in one transaction."""
    with writing(db):
        db.execute(
            "INSERT INTO task_outcomes (task_id, outcome, note, remind_on, actor, recorded_at, client_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [task.task_id, outcome, note, remind_on.isoformat() if remind_on else None, actor, now_utc(), client_id],
        )
        if remind_on is not None:
            db.execute(
                "UPDATE tasks SET due = ?, remind_on = ? WHERE task_id = ?",
                [remind_on.isoformat(), remind_on.isoformat(), task.task_id],
            )
        if close is not None:
            db.execute(
                "UPDATE tasks SET status = ?, closed_on = ?, close_reason = ? WHERE task_id = ? AND status = 'open'",
                [close, today.isoformat(), f"outcome {outcome}", task.task_id],
            )
        if end_status is not None:
            db.execute(
                "UPDATE residents SET status = ?, status_changed_on = ? WHERE record_id = ?",
                [end_status, today.isoformat(), task.record_id],
            )
            db.execute(
                "UPDATE tasks SET status = 'cancelled', closed_on = ?, close_reason = ? "
                "WHERE record_id = ? AND status = 'open'",
                [today.isoformat(), end_status, task.record_id],
            )
        detail = _encode({"task_id": task.task_id, "outcome": outcome, "remind_on": remind_on}).decode()
        record_action(db, actor=actor, action="task_outcome", record_id=task.record_id, detail=detail)


def outcome_by_client_id(db: Database, task_id: int, client_id: str) -> tuple[str, str, str | None] | None:
    """(outcome, note, remind_on) of the task's outcome stored under the phone's id, if there is one."""
    return db.execute(
        "SELECT outcome, note, remind_on FROM task_outcomes WHERE task_id = ? AND client_id = ?", [task_id, client_id]
    ).fetchone()


DUE_COLUMNS = (
    "t.task_id",
    "t.record_id",
    "t.kind",
    "t.tier",
    "t.due",
    "t.owner_level",
    "t.assignee",
    "t.status",
    "t.reasons",
    "t.risk",
    "r.name",
    "r.birth_date",
    "r.phone",
    "r.family_doctor",
    "r.village_code",
    "json_extract(a.reasons, '$[0]')",  # the resident's current first reason
)


# A resident is lost to follow-up (CONTRACT §10) when one of their open tasks in scope fell due before the
# cut-off, unless an urgent referral of theirs in scope is not itself lost. {mine} narrows both to a doctor.
_LOST = (
    "EXISTS (SELECT 1 FROM tasks l WHERE l.record_id = {r} AND l.status = 'open' AND l.due < :cutoff{mine_l}) "
    "AND NOT EXISTS (SELECT 1 FROM tasks u WHERE u.record_id = {r} AND u.status = 'open' "
    "AND u.kind = 'urgent_referral' AND u.due >= :cutoff AND u.due <= :today{mine_u})"
)


def _lost(record: str, mine: bool) -> str:
    mine_l, mine_u = (" AND l.assignee = :assignee", " AND u.assignee = :assignee") if mine else ("", "")
    return _LOST.format(r=record, mine_l=mine_l, mine_u=mine_u)


class DueScope(msgspec.Struct, frozen=True, kw_only=True):
    """Which due tasks a working list holds: a region's (or one doctor's), due by today, of the residents
    on the daily list (`lost=False`: due since `lost_before`, the resident not lost to follow-up) or of
    those lost to follow-up (`lost=True`: all their due tasks); optionally one tier or one kind."""

    region: str
    today: dt.date
    lost_before: dt.date
    lost: bool
    assignee: str | None
    tier: Tier | None = None
    kind: TaskKind | None = None

    def equalities(self, plus: str, *, filters: bool) -> tuple[list[str], dict[str, object]]:
        """The area (or the doctor), and with `filters` the tier and kind, as equalities on tasks `t`
        (`plus` "+" keeps them off their indexes), with the dates every condition names."""
        params: dict[str, object] = {"today": self.today.isoformat(), "cutoff": self.lost_before.isoformat()}
        where = []
        if self.region:
            where.append(f"{plus}t.{REGION_COLUMN[len(self.region)]} = :region")
            params["region"] = self.region
        pairs = [("assignee", self.assignee), *([("tier", self.tier), ("kind", self.kind)] if filters else [])]
        for column, value in pairs:
            if value is not None:
                where.append(f"{plus}t.{column} = :{column}")
                params[column] = value
        return where, params

    def where(self, *, by_resident: bool = False) -> tuple[list[str], dict[str, object]]:
        """SQL conditions on tasks `t`; `by_resident`: the caller names the residents, so the area's
        column is kept off its index (`+`) and SQLite looks the residents up instead of walking the area."""
        equal, params = self.equalities("+" if by_resident else "", filters=True)
        # `+t.due`: no index range on due, so SQLite walks the area's (or doctor's) index in list order and
        # stops when the caller does, instead of reading every due task of the county (650 ms -> 10 ms).
        where = ["t.status = 'open'", "+t.due <= :today", *equal]
        condition = _lost("t.record_id", self.assignee is not None)
        where += [condition] if self.lost else ["+t.due >= :cutoff", f"NOT ({condition})"]
        return where, params


def due_order(db: Database, scope: DueScope, *, urgent: bool = False) -> Iterator[tuple[str, int, str, float | None]]:
    """(record_id, tier_rank, due, risk) of the scope's tasks in working-list order (red first, then
    the most overdue, then the highest risk: `followup.capacity.priority`), read lazily from an index
    in that order: SQLite stops where the caller stops. `urgent`: urgent referrals only (from a
    partial index in the same order, without walking the area)."""
    where, params = scope.where()
    index = ""
    if urgent:
        where.append("t.kind = 'urgent_referral'")
        if scope.assignee:  # a doctor's own; SQLite would walk the area's whole list looking for them
            index = " INDEXED BY tasks_assignee_urgent"
        elif scope.region:
            index = f" INDEXED BY tasks_{REGION_COLUMN[len(scope.region)]}_urgent"
    yield from db.execute(
        f"SELECT t.record_id, t.tier_rank, t.due, t.risk FROM tasks t{index} WHERE {' AND '.join(where)} "
        "ORDER BY t.tier_rank, t.due, t.risk DESC, t.task_id",
        params,
    )


def due_tasks(db: Database, scope: DueScope, record_ids: list[str] | None = None, limit: int = -1) -> list[tuple]:
    """The scope's tasks with their residents (DUE_COLUMNS) in list order: of these residents, or the
    first `limit` of all (-1: no limit)."""
    where, params = scope.where(by_resident=record_ids is not None)
    if record_ids is not None:
        where.append("t.record_id IN (SELECT value FROM json_each(:ids))")
        params["ids"] = _encode(record_ids).decode()
    return db.execute(
        f"SELECT {', '.join(DUE_COLUMNS)} "
        "FROM tasks t JOIN residents r USING (record_id) LEFT JOIN assessments a USING (record_id) "
        f"WHERE {' AND '.join(where)} ORDER BY t.tier_rank, t.due, t.risk DESC, t.task_id LIMIT :limit",
        {**params, "limit": limit},
    ).fetchall()


def lost_by_village(db: Database, *, today: dt.date, lost_before: dt.date) -> list[tuple[str, int]]:
    """(village_code, residents lost to follow-up) across the county, for the nightly figures."""
    return db.execute(
        "SELECT t.village_code, count(DISTINCT t.record_id) FROM tasks t WHERE t.status = 'open' "
        f"AND t.due < :cutoff AND {_lost('t.record_id', False)} GROUP BY t.village_code",
        {"today": today.isoformat(), "cutoff": lost_before.isoformat()},
    ).fetchall()


def lost_count(db: Database, scope: DueScope, cap: int) -> int:
    """Residents of the scope's area (or doctor) lost to follow-up, whatever its tier or kind filter, as
    `due_tasks` of a `lost` scope lists them, counted up to `cap` + 1 (SQLite stops there)."""
    equal, params = scope.equalities("", filters=False)
    where = ["t.status = 'open'", "t.due < :cutoff", *equal]
    return db.execute(
        f"SELECT count(*) FROM (SELECT DISTINCT t.record_id FROM tasks t WHERE {' AND '.join(where)} "
        f"AND {_lost('t.record_id', scope.assignee is not None)} LIMIT :cap)",
        {**params, "cap": cap + 1},
    ).fetchone()[0]


def task_reasons(text: str | None) -> list[str]:
    """A task's stored one-line reasons."""
    return list(_reasons(text)) if text else []


def resident_tasks(db: Database, record_id: str) -> list[Task]:
    """The resident's open tasks, the most pressing first (red, then the earliest due)."""
    rows = db.execute(
        f"{_SELECT} WHERE record_id = ? AND status = 'open' ORDER BY tier_rank, due, task_id", [record_id]
    )
    return [_task(r) for r in rows]
