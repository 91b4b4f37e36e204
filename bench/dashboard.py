"""The county center's dashboard and the §11 figures on a big county, for a year and a month, as center staff.

Usage: .venv/bin/python bench/dashboard.py [--db bench/out/restratify-1000000-1.run.db] [--requests 40]
Needs a county database whose nightly job has run (bench/restratify.py leaves one). First fills the
figure table for the periods asked, as the nightly job does, and prints how long that took (0 s when
the table is already filled). Starts the server on 127.0.0.1, logs in as center staff and requests
each page one after another (a center has a handful of users; the figure is how long one person
waits), checking each answer. Then the first request after a write in one village (its rows are
computed again). Baseline, measured the same way in the same run: GET /healthz.
Target (DESIGN, issue #15): the county page with any period p95 < 300 ms.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.serving import logged_in, machine, report, served_county_args, serving  # noqa: E402
from service.auth import Role, hash_password  # noqa: E402
from service.figure_table import fill  # noqa: E402
from service.period_board import trend_months  # noqa: E402
from service.periods import Period, month_of, year_of  # noqa: E402
from service.settings import Settings  # noqa: E402
from service.store import connect, migrate, writing  # noqa: E402
from service.store.access import add_user, user_exists  # noqa: E402
from stratify.policy import Policy  # noqa: E402

USER, PASSWORD = "bench-center", "bench center password"


def regions(db_path: Path) -> list[tuple[str, str]]:
    """(label, region) of the county, its largest township and that township's largest village."""
    db = connect(db_path)
    if not user_exists(db, USER):
        county = db.execute("SELECT substr(min(village_code), 1, 6) FROM residents").fetchone()[0]
        add_user(
            db, username=USER, password_hash=hash_password(PASSWORD), role=Role.CENTER, region=county, actor="bench"
        )
    largest = db.execute(
        "SELECT village_code FROM village_indicators ORDER BY red + yellow + green DESC LIMIT 1"
    ).fetchone()
    if largest is None:
        raise SystemExit(f"{db_path} has no dashboard figures: run bench/restratify.py first")
    village = largest[0]
    db.close()
    return [("county", village[:6]), ("township", village[:9]), ("village", village)]


def timed(client: httpx.Client, path: str, requests: int, marker: str) -> tuple[list[float], float, int]:
    latencies, errors = [], 0
    started = time.perf_counter()
    for _ in range(requests):
        began = time.perf_counter()
        response = client.get(path)
        latencies.append((time.perf_counter() - began) * 1000)
        errors += response.status_code != 200 or marker not in response.text
    return latencies, time.perf_counter() - started, errors


def fill_figures(db_path: Path, today: dt.date) -> list[Period]:
    """The periods the bench asks for (this year, last month, last year), filled with their trends'
    months as the nightly job fills them; prints the time it took."""
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    asked = [year_of(today.year), month_of(last_month.year, last_month.month), year_of(today.year - 1)]
    wanted = list(dict.fromkeys(p for period in asked for p in (period, *trend_months(period, today))))
    db = connect(db_path)
    migrate(db)  # a database made by an older sanbiao
    started = time.perf_counter()
    done = fill(db, wanted, today, Policy())
    seconds = time.perf_counter() - started
    print(f"figure table: {len(wanted)} periods, {done['computed']} villages computed in {seconds:.1f} s")
    db.close()
    return asked


def dirty_one_village(db_path: Path, village: str) -> int:
    """Delete one village's rows, as the triggers do when a visit is stored there; its residents."""
    db = connect(db_path)
    with writing(db):
        db.execute("DELETE FROM period_figures WHERE village_code = ?", [village])
    residents = db.execute("SELECT count(*) FROM residents WHERE village_code = ?", [village]).fetchone()[0]
    db.close()
    return residents


def main() -> None:
    args = served_county_args(__doc__.split("\n\n")[0], requests=40)
    pages = regions(args.db)
    db = connect(args.db)
    residents = db.execute("SELECT count(*) FROM residents").fetchone()[0]
    db.close()
    print(f"machine: {machine()}")
    print(f"county: {residents:,} residents; one center user, requests one after another")
    periods = fill_figures(args.db, Settings.from_env(db_path=args.db).today())
    county = pages[0][1]
    with serving(args.db) as port:
        base = f"http://127.0.0.1:{port}"
        client = logged_in(base, USER, PASSWORD)
        client.get("/dashboard")  # warm: first connection and template compilation
        floor = report("baseline GET /healthz", *timed(client, "/healthz", args.requests, "ok"))
        for label, region in pages:
            p95 = report(
                f"dashboard, {label} {region}",
                *timed(client, f"/dashboard?region={region}", args.requests, "次夜间任务"),
            )
            print(f"    p95 ratio to /healthz {p95 / floor:5.1f}x")
        for period in periods:
            for label, path, marker in (
                ("indicators API", f"/api/v1/indicators?region={county}&period={period.code}", '"total"'),
                ("dashboard", f"/dashboard?region={county}&period={period.code}", 'id="trend"'),
            ):
                p95 = report(f"{label}, county, {period.code}", *timed(client, path, args.requests, marker))
                print(f"    p95 ratio to /healthz {p95 / floor:5.1f}x")
        village = pages[2][1]
        people = dirty_one_village(args.db, village)
        path = f"/api/v1/indicators?region={county}&period={periods[0].code}"
        report(f"after a write in one village ({people:,} residents)", *timed(client, path, 1, '"total"'))
    print("target: county dashboard < 300 ms with any period")


if __name__ == "__main__":
    main()
