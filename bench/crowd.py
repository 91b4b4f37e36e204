"""A county's Monday morning: 200 village doctors arriving over a minute, against 1 and then 2 workers.

Usage: .venv/bin/python bench/crowd.py [--doctors 200] [--seconds 60] [--workers 1 2] [--server-cpus 1]
Uses bench/load.py's 20,000-resident demo county (built once into bench/out/). Each doctor (a login
of their own, signed in beforehand) arrives at a random moment of the window, as ten minutes of a
real morning compressed into it, and on their phone opens their list, two of their patients'
cards and records one visit on the card's form (htmx, CSRF), with a second or two between taps.
Meanwhile an importer posts batches of 500 new residents and 4 API clients read due lists and
residents, as in bench/load.py. The server (`sanbiao serve --workers N`, scheduler off) starts on
a fresh copy of the county for each worker count; afterwards every acknowledged visit and resident
is checked in the database and `PRAGMA integrity_check` run. Baseline: GET /healthz alone, same run.
Targets with 2 workers on 2 cores: reads p95 < 250 ms, visits p95 < 400 ms.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import (  # noqa: E402
    API_READERS,
    DOCTORS,
    TODAY,
    Tally,
    api_reader,
    baseline,
    county,
    importer,
    lost_writes,
    residents_by_village,
)
from bench.serving import key_for, logged_in, machine, percentile, report, serving  # noqa: E402
from fixtures.county import village_codes  # noqa: E402
from service.auth import Role, hash_password  # noqa: E402
from service.demo import DEMO_PASSWORD  # noqa: E402
from service.store import connect  # noqa: E402
from service.store.access import add_user, user_exists  # noqa: E402

THINK_SECONDS = (1.0, 2.5)  # between two taps of one doctor (a minute or so, compressed tenfold)


def crowd_logins(db_path: Path, n: int) -> list[tuple[str, str]]:
    """(username, village) of n village doctors, spread over the county's villages."""
    villages = village_codes()
    doctors = [(f"crowd{k:03d}", villages[k % len(villages)]) for k in range(n)]
    db = connect(db_path)
    password = hash_password(DEMO_PASSWORD)
    for username, village in doctors:
        if not user_exists(db, username):
            add_user(
                db, username=username, password_hash=password, role=Role.VILLAGE_DOCTOR, region=village, actor="bench"
            )
    db.close()
    return doctors


def doctor(client: httpx.Client, patients: list[dict], start: float, tally: Tally, acked: list) -> None:
    """One doctor's morning: the list, two cards, one visit recorded on the second card."""
    rng = random.Random(start)
    time.sleep(max(0.0, start - time.monotonic()))
    tally.request(client, "page: doctor's list", "GET", "/")
    for _ in range(2):
        time.sleep(rng.uniform(*THINK_SECONDS))
        record_id = rng.choice(patients)["record_id"]
        card = tally.request(client, "page: resident card", "GET", f"/residents/{record_id}")
    time.sleep(rng.uniform(*THINK_SECONDS))
    if card is None:
        return
    token = re.search(r'name="_csrf_token" value="([^"]+)"', card.text).group(1)
    sbp = rng.randint(112, 172)
    form = {"_csrf_token": token, "date": TODAY.isoformat(), "mode": "clinic", "sbp": sbp, "dbp": sbp - 45}
    if tally.request(
        client,
        "post: visit on the card",
        "POST",
        f"/residents/{record_id}/visits",
        data=form,
        headers={"HX-Request": "true"},
    ):
        acked.append(record_id)


def morning(
    template: Path, ingest_key: str, by_village: dict, n_doctors: int, workers: int, seconds: float, cpus: str | None
) -> None:
    run_db = template.with_suffix(f".crowd{workers}.db")
    source = connect(template)
    run_db.unlink(missing_ok=True)
    source.conn.execute("VACUUM INTO ?", [str(run_db)])
    source.close()
    doctors = crowd_logins(run_db, n_doctors)
    villages = village_codes()
    api_keys = [key_for(run_db, "village_doctor", v) for v in villages[DOCTORS : DOCTORS + API_READERS]]
    db = connect(run_db)
    form_visits_before = db.execute("SELECT count(*) FROM visits WHERE visit_id LIKE 'ui-%'").fetchone()[0]
    db.close()

    tally, stop = Tally(), threading.Event()
    visits_acked: list = []
    residents_acked: list = []
    with serving(run_db, "--workers", str(workers), cpus=cpus) as port:
        base = f"http://127.0.0.1:{port}"
        floor = baseline(base, 5)
        sessions = [logged_in(base, username, DEMO_PASSWORD) for username, _ in doctors]
        rng = random.Random(7)
        began = time.monotonic()
        crowd = [
            threading.Thread(
                target=doctor,
                args=(client, by_village[village], began + rng.uniform(0, seconds), tally, visits_acked),
            )
            for client, (_, village) in zip(sessions, doctors, strict=True)
        ]
        background = [
            *(
                threading.Thread(target=api_reader, args=(base, k, v, by_village[v], tally, stop))
                for k, v in zip(api_keys, villages[DOCTORS:], strict=False)
            ),
            threading.Thread(target=importer, args=(base, ingest_key, residents_acked, tally, stop)),
        ]
        for t in [*crowd, *background]:
            t.start()
        for t in crowd:
            t.join()
        stop.set()
        for t in background:
            t.join()
        elapsed = time.monotonic() - began
        for client in sessions:
            client.close()

    _, lost_residents, integrity = lost_writes(run_db, [], residents_acked)
    db = connect(run_db)
    form_visits = (
        db.execute("SELECT count(*) FROM visits WHERE visit_id LIKE 'ui-%'").fetchone()[0] - form_visits_before
    )
    db.close()
    where = f" pinned to CPU {cpus}" if cpus else ""
    print(f"\n{workers} worker(s){where}: {n_doctors} doctors over {seconds:.0f} s (all done after {elapsed:.0f} s)")
    base_p95 = report("baseline GET /healthz (alone)", floor, 5, 0)
    total = 0
    for label in sorted(tally.latencies):
        total += len(tally.latencies[label])
        report(label, tally.latencies[label], elapsed, len(tally.errors[label]))
    for label, failures in tally.errors.items():
        for failure in failures[:3]:
            print(f"  error in {label}: {failure}")
    reads = [x for k, v in tally.latencies.items() if k.startswith(("page", "api")) for x in v]
    visits = tally.latencies["post: visit on the card"]
    errors = sum(len(e) for e in tally.errors.values())
    print(
        f"throughput {total / elapsed:.1f} req/s; reads p95 {percentile(reads, 0.95):.0f} ms "
        f"({percentile(reads, 0.95) / base_p95:.1f}x idle /healthz), visits p95 {percentile(visits, 0.95):.0f} ms; "
        f"errors {errors}; acknowledged {len(visits_acked)} visits, {len(residents_acked)} residents; "
        f"stored {form_visits} card visits; lost {len(residents_acked) and lost_residents} residents; "
        f"integrity_check {integrity}"
    )
    if errors or form_visits != len(visits_acked) or lost_residents or integrity != "ok":
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--doctors", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--server-cpus", help="pin the server to these CPUs (taskset -c), e.g. 1")
    args = parser.parse_args()
    template, county_file, ingest_key = county(20_000)
    by_village = residents_by_village(county_file)
    print(f"machine: {machine()}")
    for workers in args.workers:
        morning(template, ingest_key, by_village, args.doctors, workers, args.seconds, args.server_cpus)


if __name__ == "__main__":
    main()
