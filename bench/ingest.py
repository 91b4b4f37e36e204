"""Ingest throughput: `sanbiao import` of a synthetic county vs raw sqlite3.executemany of the same rows.

Usage: .venv/bin/python bench/ingest.py [--residents 100000] [--seed 1]
Prints residents/s and visit rows/s for both, their ratio (target >= 0.3) and the import's peak RSS
(target < 500 MB). Run on an otherwise idle machine; the file is generated once into bench/out/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixtures.bphs import write_sheet  # noqa: E402
from fixtures.county import write  # noqa: E402
from service.store import connect, migrate  # noqa: E402
from stratify.records import Visit  # noqa: E402

AS_OF = dt.date(2026, 11, 1)
VISIT_FIELDS = Visit.__struct_fields__


def county_file(residents: int, seed: int, suffix: str = ".ndjson") -> Path:
    path = ROOT / "bench" / "out" / f"county-{residents}-{seed}{suffix}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path, residents, seed, AS_OF)
    return path


def raw_rows(path: Path) -> tuple[list, list, list, list]:
    """The rows `sanbiao import` writes, built with plain json (not timed)."""
    residents, conditions, visits, events = [], [], [], []
    now = dt.datetime.now(dt.UTC).isoformat()
    for line in path.open():
        r = json.loads(line)
        rid = r["record_id"]
        residents.append(
            (
                rid,
                r["name"],
                r["sex"],
                r["birth_date"],
                r["village_code"],
                r["national_id"],
                r["phone"],
                r["family_doctor"],
                int(bool(r["conditions"])),
                "bench",
                None,
                now,
                now,
            )
        )
        conditions += [(rid, c["code"], c["diagnosed_on"]) for c in r["conditions"]]
        for v in r["visits"]:
            visits.append((rid, *(json.dumps(v[f]) if isinstance(v.get(f), list) else v.get(f) for f in VISIT_FIELDS)))
        events += [(rid, e["event_id"], e["date"], e["type"]) for e in r["events"]]
    return residents, conditions, visits, events


def raw_insert(db_path: Path, rows: tuple[list, list, list, list]) -> float:
    """Seconds for plain executemany INSERTs of the same rows in one transaction, same schema."""
    db = connect(db_path)
    migrate(db)
    residents, conditions, visits, events = rows
    visit_sql = (
        f"INSERT INTO visits (record_id, {', '.join(VISIT_FIELDS)}) VALUES ({', '.join('?' * (1 + len(VISIT_FIELDS)))})"
    )
    start = time.perf_counter()
    with db.atomic():
        db.conn.executemany(
            "INSERT INTO residents (record_id, name, sex, birth_date, village_code, national_id, phone, family_doctor, "
            "managed, source, batch_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            residents,
        )
        db.conn.executemany("INSERT INTO conditions VALUES (?, ?, ?)", conditions)
        db.conn.executemany(visit_sql, visits)
        db.conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", events)
    seconds = time.perf_counter() - start
    db.close()
    return seconds


# A small parent of its own per import, so the peak RSS is that import's alone (RUSAGE_CHILDREN keeps a
# maximum over all of a process's children, and a forked child counts its parent's pages).
PEAK = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)"
)


def sanbiao_import(db_path: Path, path: Path, *options: str) -> tuple[float, float, dict]:
    """Seconds, peak RSS (MB) and summary of `sanbiao import` in a child process."""
    command = [str(ROOT / ".venv" / "bin" / "sanbiao"), "--db", str(db_path), "import", *options, str(path)]
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PEAK, *command], capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    peak_mb = int(done.stderr.strip().splitlines()[-1]) / 1024
    return seconds, peak_mb, json.loads(done.stdout)


def county_sheet(residents: int, seed: int, suffix: str) -> Path:
    """The same county as a BPHS follow-up sheet (fixtures/bphs.py), written once."""
    path = ROOT / "bench" / "out" / f"county-{residents}-{seed}{suffix}"
    if not path.exists():
        with county_file(residents, seed).open() as lines:
            write_sheet((json.loads(line) for line in lines), path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    path = county_file(args.residents, args.seed)
    out = ROOT / "bench" / "out"
    for name in ("raw.db", "sanbiao.db", "document.db", "assessed.db", "xlsx.db", "csv.db"):
        for suffix in ("", "-wal", "-shm"):
            (out / (name + suffix)).unlink(missing_ok=True)

    # The imports run first, while this process is small: a forked child's peak RSS counts its parent's pages.
    ours_s, peak_mb, summary = sanbiao_import(out / "sanbiao.db", path, "--no-assess")
    doc_s, _, doc_summary = sanbiao_import(
        out / "document.db", county_file(args.residents, args.seed, ".json"), "--no-assess"
    )
    assessed_s, assessed_peak_mb, _ = sanbiao_import(out / "assessed.db", path)
    sheets = {
        suffix: sanbiao_import(out / f"{suffix[1:]}.db", county_sheet(args.residents, args.seed, suffix), "--no-assess")
        for suffix in (".xlsx", ".csv")
    }
    for suffix, (_, _, sheet_summary) in sheets.items():
        assert sheet_summary["created"] == summary["created"], (suffix, sheet_summary["rejected"][:3])
    assert doc_summary["created"] == summary["created"], doc_summary
    rows = raw_rows(path)
    raw_s = raw_insert(out / "raw.db", rows)
    n_res, n_visits = len(rows[0]), len(rows[2])
    n_rows = sum(map(len, rows))
    assert summary["created"] == n_res and summary["rejected_total"] == 0, summary

    machine = f"{platform.node()} {platform.machine()} {os.cpu_count()} cores"
    print(f"machine: {machine}, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")
    print(f"county: {n_res:,} residents, {n_visits:,} visits, {n_rows:,} rows, file {path.stat().st_size / 1e6:.0f} MB")
    for label, seconds, note in (
        ("raw executemany", raw_s, "(the same rows, pre-built, one transaction)"),
        ("import --no-assess", ours_s, "(process start, parse, validate, merge, write)"),
        ("import, JSON document", doc_s, "(--no-assess; streamed twice: syntax and shape, then residents)"),
        ("import (default)", assessed_s, "(and re-assess and plan every new managed resident at once)"),
        ("import, .xlsx sheet", sheets[".xlsx"][0], "(--no-assess; python-calamine, staged by record_id)"),
        ("import, .csv sheet", sheets[".csv"][0], "(--no-assess; the same rows as CSV)"),
    ):
        print(
            f"{label:<22}: {seconds:6.2f} s  {n_res / seconds:8,.0f} residents/s  "
            f"{n_visits / seconds:8,.0f} visit rows/s  {note}"
        )
    print(
        f"ratio of ingest throughput to raw executemany: {raw_s / ours_s:.2f}  (target >= 0.30); "
        f"with re-assessment {raw_s / assessed_s:.2f}"
    )
    print(
        f"peak RSS of sanbiao import: {peak_mb:.0f} MB, with re-assessment {assessed_peak_mb:.0f} MB "
        f"(target < 500 MB); .xlsx {sheets['.xlsx'][1]:.0f} MB, .csv {sheets['.csv'][1]:.0f} MB (target < 300 MB)"
    )
    print(f".xlsx import rate to NDJSON: {ours_s / sheets['.xlsx'][0]:.2f}  (target >= 0.5)")


if __name__ == "__main__":
    main()
