"""A doctor's due list under load: 20 concurrent clients against a running `sanbiao serve`.

Usage: .venv/bin/python bench/followups.py [--db bench/out/restratify-1000000-1.run.db] [--seconds 10]
Needs a county database whose nightly job has run (bench/restratify.py leaves one) and wrk (apt). Starts
the server on 127.0.0.1, then for each list (one village, one township) keeps 20 keep-alive
connections busy for --seconds with wrk and prints p50/p95/max latency and throughput:
the paged due list (GET /api/v1/followups?region=) and the working list of CONTRACT §10 (GET
/api/v1/followups/today?mine=false, one row per resident, the whole area's due residents), and each
doctor's own list (mine=true) through a signed-in session, after a roster gives the village its doctor
and the township a GP (their tasks assigned at once, CONTRACT §9).
The baseline, measured the same way in the same run, is GET /healthz: the server's own floor.
Target: p95 < 100 ms for the due lists.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.serving import key_for, logged_in, machine, served_county_args, serving, wrk_report  # noqa: E402
from fixtures.county import doctor_for  # noqa: E402
from service.assignment import reassign  # noqa: E402
from service.auth import hash_password  # noqa: E402
from service.demo import DEMO_PASSWORD  # noqa: E402
from service.store import connect  # noqa: E402
from service.store.access import add_user, user_exists  # noqa: E402

CLIENTS = 20
TODAY = "/api/v1/followups/today?mine=false"  # the whole area's working list
TODAY_MINE = "/api/v1/followups/today"  # a doctor's own list (mine=true): what their phone opens first


def busiest(db_path: Path, digits: int) -> str:
    """The region prefix of this length with the most open tasks."""
    db = connect(db_path)
    row = db.execute(
        f"SELECT substr(village_code, 1, {digits}) AS region, count(*) FROM tasks WHERE status = 'open' "
        "GROUP BY region ORDER BY 2 DESC LIMIT 1"
    ).fetchone()
    db.close()
    return row[0]


def roster(db_path: Path, village: str, township: str) -> dict[str, str]:
    """Logins for the village's doctor (the family doctor the county's records name) and a township GP,
    their open tasks assigned at once as a county's first roster import does (CONTRACT §9)."""
    logins = {"village": doctor_for(village), "township": f"gp-{township}"}
    db = connect(db_path)
    password = hash_password(DEMO_PASSWORD)
    for username, role, region in zip(
        logins.values(), ("village_doctor", "township_gp"), (village, township), strict=True
    ):
        if not user_exists(db, username):
            add_user(
                db,
                username=username,
                password_hash=password,
                role=role,
                region=region,
                actor="bench",
            )
    reassign(db, [township])
    db.close()
    return logins


def session_headers(port: int, username: str) -> dict[str, str]:
    """The Cookie header of a signed-in session of `username`, as a doctor's phone holds one."""
    client = logged_in(f"http://127.0.0.1:{port}", username, DEMO_PASSWORD)
    return {"Cookie": "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)}


def main() -> None:
    args = served_county_args(__doc__.split("\n\n")[0], requests=0)

    village, township = busiest(args.db, 12), busiest(args.db, 9)
    logins = roster(args.db, village, township)
    doctor, gp = (
        {"Authorization": f"Bearer {key_for(args.db, role, region)}"}
        for role, region in (("village_doctor", village), ("township_gp", township))
    )
    with serving(args.db) as port:
        sessions = {level: session_headers(port, username) for level, username in logins.items()}
        wrk_report("warm-up (not counted)", port, f"/api/v1/followups?region={village}", doctor, 3, CLIENTS)
        db = connect(args.db)
        open_in = {
            r: db.execute(
                "SELECT count(*) FROM tasks WHERE status = 'open' AND village_code LIKE ?", [r + "%"]
            ).fetchone()[0]
            for r in (village, township)
        }
        db.close()
        print(f"machine: {machine()}; {CLIENTS} concurrent clients (wrk), {args.seconds} s per list")
        base = wrk_report("baseline GET /healthz", port, "/healthz", {}, args.seconds, CLIENTS)
        results = {}
        lists = [
            (f"{level} {name}", region, headers, path.format(region=region))
            for name, path in (("due list", "/api/v1/followups?region={region}&limit=50"), ("area today", TODAY))
            for level, region, headers in (("village", village, doctor), ("township", township, gp))
        ] + [
            (f"{level} own today", region, sessions[level], TODAY_MINE)
            for level, region in (("village", village), ("township", township))
        ]
        for label, region, headers, path in lists:
            label_open = f"{label} ({open_in[region]:,} open)"
            results[label] = wrk_report(label_open, port, path, headers, args.seconds, CLIENTS)
        card = json.dumps({k: round(v / base, 1) for k, v in results.items()})
        print(f"p95 ratio to /healthz: {card}   target: p95 < 100 ms")


if __name__ == "__main__":
    main()
