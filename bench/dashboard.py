"""The county center's dashboard on a big county: county, township and village pages, as center staff.

Usage: .venv/bin/python bench/dashboard.py [--db bench/out/restratify-1000000-1.run.db] [--requests 40]
Needs a county database whose nightly job has run (bench/restratify.py leaves one). Starts the server
on 127.0.0.1, logs in as center staff and requests each page one after another (a center has a
handful of users; the figure is how long one person waits), checking each answer carries the
nightly run's figures. Baseline, measured the same way in the same run: GET /healthz.
Target (DESIGN): county dashboard < 300 ms.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.serving import logged_in, machine, report, served_county_args, serving  # noqa: E402
from service.auth import Role, hash_password  # noqa: E402
from service.store import connect  # noqa: E402
from service.store.access import add_user, user_exists  # noqa: E402

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


def main() -> None:
    args = served_county_args(__doc__.split("\n\n")[0], requests=40)
    pages = regions(args.db)
    db = connect(args.db)
    residents = db.execute("SELECT count(*) FROM residents").fetchone()[0]
    db.close()
    print(f"machine: {machine()}")
    print(f"county: {residents:,} residents; one center user, requests one after another")
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
    print("target: county dashboard < 300 ms")


if __name__ == "__main__":
    main()
