"""What the period figures of CONTRACT §11 read: each resident of a region with their conditions,
the visits of a window of dates, their events and their tier at a date (from the tier history), in
record_id order so that one pass over five ordered streams puts each resident together; and the
follow-up tasks due in a period, counted by village."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import NamedTuple

from sqlite_utils import Database

from service.store import region_bounds

_IN_REGION = "JOIN residents r USING (record_id) WHERE r.village_code >= :low AND r.village_code < :high"


class VisitFacts(NamedTuple):
    """A visit's columns the figures read (the triggers of m017 watch each: tests/test_figure_table.py)."""

    visit_id: str
    date: dt.date
    mode: str
    level: str
    sbp: int | None
    dbp: int | None
    fasting_glucose: float | None
    referral: str | None
    medications: str | None  # JSON, as stored (CONTRACT §3)
    medication_changed: int | None


class ResidentFacts(NamedTuple):
    record_id: str
    village_code: str
    family_doctor: str | None
    birth_date: dt.date
    status: str
    status_changed_on: dt.date | None
    conditions: list[tuple[str, dt.date | None]]  # (ICD-10 code, diagnosed_on)
    visits: list[VisitFacts]  # of the window asked for, by date
    events: list[tuple[dt.date, str]]  # (date, type) up to the date asked for
    tiers: list[tuple[str, str | None]]  # (as_of, tier) changes up to the date asked for, oldest first

    def tier_on(self, day: dt.date) -> str | None:
        """The tier the history gives on `day` (after that day's changes)."""
        on = day.isoformat()
        return next((tier for as_of, tier in reversed(self.tiers) if as_of <= on), None)


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _by_resident(rows: Iterator[tuple]) -> Iterator[tuple[str, list[tuple]]]:
    """(record_id, its rows without the record_id) from rows ordered by record_id."""
    current, group = None, []
    for record_id, *rest in rows:
        if record_id != current and group:
            yield current, group
            group = []
        current = record_id
        group.append(tuple(rest))
    if group:
        yield current, group


class _Stream:
    """One ordered stream of grouped rows, read as far as the resident asked for."""

    def __init__(self, rows: Iterator[tuple]) -> None:
        self._groups = _by_resident(rows)
        self._next = next(self._groups, None)

    def take(self, record_id: str) -> list[tuple]:
        while self._next is not None and self._next[0] < record_id:
            self._next = next(self._groups, None)
        if self._next is not None and self._next[0] == record_id:
            rows = self._next[1]
            self._next = next(self._groups, None)
            return rows
        return []


def resident_facts(
    db: Database, region: str, *, visits_from: dt.date, visits_to: dt.date, as_of: dt.date
) -> Iterator[ResidentFacts]:
    """Every resident of the region (managed or not), with their visits dated visits_from..visits_to
    and their events and tier on or before as_of."""
    low, high = region_bounds(region)
    params = {"low": low, "high": high, "from": visits_from.isoformat(), "to": visits_to.isoformat()}
    params["as_of"] = as_of.isoformat()
    conditions = _Stream(
        db.execute(f"SELECT c.record_id, c.code, c.diagnosed_on FROM conditions c {_IN_REGION} ORDER BY 1", params)
    )
    visits = _Stream(  # CROSS JOIN: from the region's residents, not the county's visits of the dates (5.4 -> 0.16 s)
        db.execute(
            f"SELECT v.record_id, {', '.join(f'v.{c}' for c in VisitFacts._fields)} "
            "FROM residents r CROSS JOIN visits v ON v.record_id = r.record_id "
            "WHERE r.village_code >= :low AND r.village_code < :high AND v.date >= :from AND v.date <= :to "
            "ORDER BY v.record_id, v.date, v.visit_id",
            params,
        )
    )
    events = _Stream(
        db.execute(
            f"SELECT e.record_id, e.date, e.type FROM events e {_IN_REGION} AND e.date <= :as_of ORDER BY 1, 2",
            params,
        )
    )
    tiers = _Stream(
        db.execute(
            f"SELECT h.record_id, h.as_of, h.to_tier FROM tier_history h {_IN_REGION} AND h.as_of <= :as_of "
            "ORDER BY h.record_id, h.as_of, h.id",
            params,
        )
    )
    residents = db.execute(
        "SELECT record_id, village_code, family_doctor, birth_date, status, status_changed_on FROM residents "
        "WHERE village_code >= :low AND village_code < :high ORDER BY record_id",
        params,
    )
    for record_id, village, doctor, birth, status, changed in residents:
        yield ResidentFacts(
            record_id=record_id,
            village_code=village,
            family_doctor=doctor,
            birth_date=dt.date.fromisoformat(birth),
            status=status,
            status_changed_on=_day(changed),
            conditions=[(code, _day(on)) for code, on in conditions.take(record_id)],
            visits=[VisitFacts(v[0], dt.date.fromisoformat(v[1]), *v[2:]) for v in visits.take(record_id)],
            events=[(dt.date.fromisoformat(on), kind) for on, kind in events.take(record_id)],
            tiers=tiers.take(record_id),
        )


def tasks_due_by(db: Database, region: str, start: dt.date, end: dt.date) -> dict[tuple[str, str], tuple[int, int]]:
    """(village, the resident's family doctor or '') -> (follow-up tasks due start..end, of those done by
    their due date); a cancelled task (superseded by another) is not counted. A task's village is its
    own (the triggers of m014 use it)."""
    low, high = region_bounds(region)
    rows = db.execute(
        "SELECT t.village_code, coalesce(r.family_doctor, ''), count(*), "
        "coalesce(sum(t.status = 'done' AND t.closed_on <= t.due), 0) "
        "FROM tasks t JOIN residents r USING (record_id) "
        "WHERE t.village_code >= ? AND t.village_code < ? AND t.status != 'cancelled' AND t.due >= ? AND t.due <= ? "
        "GROUP BY 1, 2",
        [low, high, start.isoformat(), end.isoformat()],
    )
    return {(village, doctor): (due, done) for village, doctor, due, done in rows}
