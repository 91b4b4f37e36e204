"""A county's mixed day against one `sanbiao serve`: reads, visits, an import and the nightly job at once.

Usage: .venv/bin/python bench/load.py [--residents 20000] [--seconds 60] [--workers N]
Builds (once, cached in bench/out/) a demo county, starts the server on 127.0.0.1 with its scheduler
off, and for a bounded time runs together:
- village doctors logged in with a session, reading their due-list page and resident cards (HTML);
- API clients with village doctors' keys reading /api/v1/followups and /api/v1/residents/{id};
- recorders posting a new visit of a resident in their village (POST /api/v1/records);
- an importer posting batches of 500 new residents;
- the nightly job (POST /api/v1/stratify), started a third of the way in.
Before the crowd, one recorder posts visits alone for 10 s: the cost of a visit without contention.
Afterwards the server is stopped and the database checked: every acknowledged visit and resident
present, `PRAGMA integrity_check` ok. Baseline, same run: GET /healthz alone. Target: zero errors
and no lost writes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import threading
import time
import zoneinfo
from collections import defaultdict
from pathlib import Path

import httpx
import msgspec

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.serving import key_for, logged_in, machine, percentile, report, serving  # noqa: E402
from fixtures.county import COUNTY, doctor_for, resident, village_codes  # noqa: E402
from service.auth import Role, hash_password  # noqa: E402
from service.demo import DEMO_PASSWORD, prepare_demo  # noqa: E402
from service.store import connect, migrate  # noqa: E402
from service.store.access import add_user, user_exists  # noqa: E402
from stratify.policy import Policy  # noqa: E402

DOCTORS = 6  # logged-in page readers, one village each
API_READERS = 4
RECORDERS = 2
IMPORT_BATCH = 500
IDLE_SECONDS = 10  # one recorder alone first: what a visit costs without the crowd
NEW_RECORD_FROM = 5_000_000  # imported residents get record numbers far above the county's own
TODAY = dt.datetime.now(zoneinfo.ZoneInfo("Asia/Shanghai")).date()


class Tally:
    """Latencies and errors per operation, shared by the worker threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)

    def request(self, client: httpx.Client, label: str, method: str, url: str, ok=None, **options):
        """Send one request; a response that is not 200 (or fails `ok`) counts as an error."""
        started = time.perf_counter()
        try:
            response = client.request(method, url, **options)
            ok = ok or (lambda r: r.status_code == 200)
            failure = None if ok(response) else f"{response.status_code} {response.text[:200]}"
        except httpx.HTTPError as e:
            response, failure = None, f"{type(e).__name__}: {e}"
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.latencies[label].append(elapsed)
            if failure:
                self.errors[label].append(failure)
        return None if failure else response


def county(residents: int) -> tuple[Path, Path, str]:
    """(database, county file, county ingest key): a demo county built once."""
    out = ROOT / "bench" / "out"
    path = out / f"load-{residents}.db"
    info_file = path.with_suffix(".json")
    if not path.exists():
        building = path.with_suffix(".building")
        building.unlink(missing_ok=True)
        db = connect(building)
        migrate(db)
        info = prepare_demo(db, out, Policy(), residents=residents, seed=1, today=TODAY)
        for village in village_codes()[:DOCTORS]:
            if not user_exists(db, doctor_for(village)):
                add_user(
                    db,
                    username=doctor_for(village),
                    password_hash=hash_password(DEMO_PASSWORD),
                    role=Role.VILLAGE_DOCTOR,
                    region=village,
                    actor="bench",
                )
        db.close()
        building.rename(path)
        info_file.write_text(json.dumps({"county_file": info.county_file, "api_key": info.api_key}))
    info = json.loads(info_file.read_text())
    return path, Path(info["county_file"]), info["api_key"]


def residents_by_village(county_file: Path) -> dict[str, list[dict]]:
    by_village: dict[str, list[dict]] = defaultdict(list)
    for line in county_file.open("rb"):
        record = msgspec.json.decode(line)
        if record["conditions"]:
            by_village[record["village_code"]].append(record)
    return by_village


def page_reader(base: str, village: str, patients: list[dict], tally: Tally, stop: threading.Event) -> None:
    rng = random.Random(village)
    client = logged_in(base, doctor_for(village), DEMO_PASSWORD)
    try:
        while not stop.is_set():
            tally.request(client, "page: doctor's due list", "GET", "/")
            record_id = rng.choice(patients)["record_id"]
            tally.request(client, "page: resident card", "GET", f"/residents/{record_id}")
    finally:
        client.close()


def api_reader(base: str, key: str, village: str, patients: list[dict], tally: Tally, stop: threading.Event) -> None:
    rng = random.Random(key)
    with httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {key}"}) as client:
        while not stop.is_set():
            tally.request(client, "api: due list", "GET", "/api/v1/followups", params={"region": village})
            record_id = rng.choice(patients)["record_id"]
            tally.request(client, "api: resident", "GET", f"/api/v1/residents/{record_id}")


def accepted_all(count: int):
    def ok(response: httpx.Response) -> bool:
        body = response.json() if response.status_code == 200 else {}
        return body.get("accepted") == count and not body.get("rejected")

    return ok


def recorder(
    base: str, key: str, patients: list[dict], n: int, acked: list, tally: Tally, stop: threading.Event
) -> None:
    """Post one new visit at a time for a resident (the whole record, as village systems send it)."""
    rng = random.Random(n)
    with httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {key}"}) as client:
        count = 0
        while not stop.is_set():
            record = dict(rng.choice(patients))
            visit_id = f"load-{n}-{count}"
            count += 1
            sbp = rng.randint(110, 175)
            visit = {
                "visit_id": visit_id,
                "date": TODAY.isoformat(),
                "mode": "clinic",
                "level": "village",
                "sbp": sbp,
                "dbp": rng.randint(60, min(105, sbp - 20)),
                "adherence": "regular",
            }
            record["visits"] = [*record["visits"], visit]
            body = {"source": "bench load", "residents": [record]}
            if tally.request(client, "post: one visit", "POST", "/api/v1/records", accepted_all(1), json=body):
                acked.append((record["record_id"], visit_id))


def importer(base: str, key: str, acked: list, tally: Tally, stop: threading.Event) -> None:
    rng = random.Random(99)
    villages = village_codes()
    with httpx.Client(base_url=base, timeout=120, headers={"Authorization": f"Bearer {key}"}) as client:
        n = NEW_RECORD_FROM
        while not stop.is_set():
            batch = [resident(rng, n + i, villages, TODAY) for i in range(IMPORT_BATCH)]
            n += IMPORT_BATCH
            body = {"source": "bench import", "residents": batch}
            label = f"post: import of {IMPORT_BATCH}"
            if tally.request(client, label, "POST", "/api/v1/records", accepted_all(IMPORT_BATCH), json=body):
                acked.extend(r["record_id"] for r in batch)


def nightly(base: str, key: str, delay: float, tally: Tally, runs: list) -> None:
    time.sleep(delay)
    with httpx.Client(base_url=base, timeout=900, headers={"Authorization": f"Bearer {key}"}) as client:
        response = tally.request(client, "post: nightly job", "POST", "/api/v1/stratify", json={})
        if response is not None:
            runs.append(response.json())


def recording_alone(base: str, key: str, patients: list[dict], acked: list) -> Tally:
    """One recorder posting visits with nothing else running, for IDLE_SECONDS."""
    tally, stop = Tally(), threading.Event()
    thread = threading.Thread(target=recorder, args=(base, key, patients, RECORDERS, acked, tally, stop))
    thread.start()
    time.sleep(IDLE_SECONDS)
    stop.set()
    thread.join()
    return tally


def baseline(base: str, seconds: float) -> list[float]:
    latencies = []
    with httpx.Client(base_url=base, timeout=10) as client:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.perf_counter()
            client.get("/healthz").raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def lost_writes(db_path: Path, visits: list, residents: list) -> tuple[int, int, str]:
    db = connect(db_path)
    stored = set(
        db.execute(
            "SELECT record_id, visit_id FROM visits WHERE visit_id LIKE 'load-%'",
        ).fetchall()
    )
    first_new = f"{COUNTY}{NEW_RECORD_FROM:07d}"  # fixtures.county numbers residents this way
    have = {r[0] for r in db.execute("SELECT record_id FROM residents WHERE record_id >= ?", [first_new])}
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    db.close()
    return len(set(visits) - stored), len(set(residents) - have), integrity


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=20000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, help="server processes (default: sanbiao serve's, the cores)")
    args = parser.parse_args()

    template, county_file, ingest_key = county(args.residents)
    run_db = template.with_suffix(".run.db")
    source = connect(template)
    source.conn.execute("VACUUM INTO ?", [str(run_db.with_suffix(".tmp"))])
    source.close()
    run_db.with_suffix(".tmp").replace(run_db)
    by_village = residents_by_village(county_file)
    villages = village_codes()
    center = key_for(run_db, "center", COUNTY)
    api_keys = [key_for(run_db, "village_doctor", v) for v in villages[DOCTORS : DOCTORS + API_READERS]]

    tally, stop = Tally(), threading.Event()
    visits_acked: list = []
    residents_acked: list = []
    runs: list = []
    with serving(run_db, *(("--workers", str(args.workers)) if args.workers else ())) as port:
        base = f"http://127.0.0.1:{port}"
        floor = baseline(base, 5)
        alone = recording_alone(base, ingest_key, by_village[villages[0]], visits_acked)
        threads = [
            *(
                threading.Thread(target=page_reader, args=(base, v, by_village[v], tally, stop))
                for v in villages[:DOCTORS]
            ),
            *(
                threading.Thread(target=api_reader, args=(base, k, v, by_village[v], tally, stop))
                for k, v in zip(api_keys, villages[DOCTORS:], strict=False)
            ),
            *(
                threading.Thread(
                    target=recorder, args=(base, ingest_key, by_village[villages[n]], n, visits_acked, tally, stop)
                )
                for n in range(RECORDERS)
            ),
            threading.Thread(target=importer, args=(base, ingest_key, residents_acked, tally, stop)),
        ]
        job = threading.Thread(target=nightly, args=(base, center, args.seconds / 3, tally, runs))
        started = time.perf_counter()
        for t in [*threads, job]:
            t.start()
        time.sleep(args.seconds)
        stop.set()
        for t in threads:
            t.join()
        job.join()
        seconds = time.perf_counter() - started

    lost_visits, lost_residents, integrity = lost_writes(run_db, visits_acked, residents_acked)
    managed = sum(len(p) for p in by_village.values())
    print(
        f"machine: {machine()}; county of {args.residents:,} residents ({managed:,} managed); "
        f"server workers: {args.workers or 'default'}; "
        f"{DOCTORS} page readers, {API_READERS} API readers, {RECORDERS} recorders, 1 importer, "
        f"nightly job after {args.seconds / 3:.0f} s; {seconds:.0f} s in all"
    )
    base_p95 = report("baseline GET /healthz (alone)", floor, 5, 0)
    idle_visits = alone.latencies["post: one visit"]
    report("post: one visit (alone)", idle_visits, IDLE_SECONDS, len(alone.errors["post: one visit"]))
    total = 0
    for label in sorted(tally.latencies):
        latencies = tally.latencies[label]
        total += len(latencies)
        report(label, latencies, seconds, len(tally.errors[label]))
    errors = sum(len(e) for e in tally.errors.values()) + len(alone.errors["post: one visit"])
    for label, failures in tally.errors.items():
        for failure in failures[:3]:
            print(f"  error in {label}: {failure}")
    reads = [x for k, v in tally.latencies.items() if k.startswith(("page", "api")) for x in v]
    print(f"nightly job: {json.dumps(runs[0]) if runs else 'did not finish'}")
    print(
        f"throughput {total / seconds:.1f} req/s; reads p95 {percentile(reads, 0.95):.0f} ms = "
        f"{percentile(reads, 0.95) / base_p95:.1f}x the idle /healthz p95; errors {errors}; "
        f"acknowledged {len(visits_acked)} visits, {len(residents_acked)} residents; "
        f"lost {lost_visits} visits, {lost_residents} residents; integrity_check {integrity}"
    )
    if errors or lost_visits or lost_residents or integrity != "ok" or not runs:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
