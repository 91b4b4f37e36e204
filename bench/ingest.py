"""Ingest throughput: `sanbiao import` of a synthetic county vs raw sqlite3.executemany of the same rows.

Usage: .venv/bin/python bench/ingest.py [--residents 100000] [--seed 1]
Prints residents/s and visit rows/s for both, their ratio (target >= 0.3) and the import's peak RSS
(target < 500 MB); the same county as a BPHS workbook (rows by resident, and shuffled) and as CSV:
their rates against NDJSON (target >= 0.5) and peak RSS (target < 300 MB). Run on an otherwise idle
machine; the files are generated once into bench/out/.
"""

from __future__ import annotations

import argparse
import contextlib
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


def tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants (a spreadsheet import has two processes)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{current}/status").read_text()
            total += sum(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += map(int, (task / "children").read_text().split())
    return total


def sanbiao_import(db_path: Path, path: Path, *options: str) -> tuple[float, float, dict]:
    """Seconds, peak RSS (MB, of the import's processes together, sampled every 10 ms) and summary of
    `sanbiao import` in a child process."""
    command = [str(ROOT / ".venv" / "bin" / "sanbiao"), "--db", str(db_path), "import", *options, str(path)]
    start = time.perf_counter()
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as child:
        peak_kb = 0
        while child.poll() is None:
            peak_kb = max(peak_kb, tree_rss_kb(child.pid))
            time.sleep(0.01)
        out = child.stdout.read() if child.stdout else ""
    seconds = time.perf_counter() - start
    assert child.returncode == 0, out
    return seconds, peak_kb / 1024, json.loads(out)


def county_sheet(residents: int, seed: int, suffix: str, shuffled: bool = False) -> Path:
    """The same county as a BPHS follow-up sheet (fixtures/bphs.py), written once; `shuffled`: its rows
    in a random order (every resident's rows far apart)."""
    path = ROOT / "bench" / "out" / f"county-{residents}-{seed}{'-shuffled' if shuffled else ''}{suffix}"
    if not path.exists():
        with county_file(residents, seed).open() as lines:
            write_sheet((json.loads(line) for line in lines), path, shuffle_seed=seed if shuffled else None)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    path = county_file(args.residents, args.seed)
    out = ROOT / "bench" / "out"
    for name in ("raw.db", "sanbiao.db", "document.db", "assessed.db", "xlsx.db", "shuffled.db", "csv.db"):
        for suffix in ("", "-wal", "-shm"):
            (out / (name + suffix)).unlink(missing_ok=True)

    ours_s, peak_mb, summary = sanbiao_import(out / "sanbiao.db", path, "--no-assess")
    doc_s, _, doc_summary = sanbiao_import(
        out / "document.db", county_file(args.residents, args.seed, ".json"), "--no-assess"
    )
    assessed_s, assessed_peak_mb, _ = sanbiao_import(out / "assessed.db", path)
    sheet_files = {
        ".xlsx": ("xlsx.db", county_sheet(args.residents, args.seed, ".xlsx")),
        ".xlsx shuffled": ("shuffled.db", county_sheet(args.residents, args.seed, ".xlsx", shuffled=True)),
        ".csv": ("csv.db", county_sheet(args.residents, args.seed, ".csv")),
    }
    sheets = {kind: sanbiao_import(out / db, sheet, "--no-assess") for kind, (db, sheet) in sheet_files.items()}
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
        ("import, .xlsx sheet", sheets[".xlsx"][0], "(--no-assess; read aside, residents built at their last row)"),
        ("import, .xlsx shuffled", sheets[".xlsx shuffled"][0], "(--no-assess; the same rows in a random order)"),
        ("import, .csv sheet", sheets[".csv"][0], "(--no-assess; the same rows as CSV, read aside, staged)"),
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
        f"(target < 500 MB); .xlsx {sheets['.xlsx'][1]:.0f} MB, shuffled {sheets['.xlsx shuffled'][1]:.0f} MB, "
        f".csv {sheets['.csv'][1]:.0f} MB (target < 300 MB; both processes together)"
    )
    print(
        f".xlsx import rate to NDJSON: {ours_s / sheets['.xlsx'][0]:.2f}, shuffled "
        f"{ours_s / sheets['.xlsx shuffled'][0]:.2f}  (target >= 0.5)"
    )


if __name__ == "__main__":
    main()
