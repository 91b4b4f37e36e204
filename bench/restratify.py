"""Nightly re-stratification of a whole county vs merely reading the same rows from SQLite.

Usage: .venv/bin/python bench/restratify.py [--residents 1000000] [--seed 1]
Builds (once, cached in bench/out/) a synthetic county, ingests it without re-assessment and trains a
model; then times `sanbiao restratify` as a child process (target <= 60 s for ~250k managed residents
on 2 cores, peak RSS of all its processes < 1.5 GB) and, as the baseline, a plain read of every row
the job reads (managed residents with their conditions, visits and events).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixtures.county import write  # noqa: E402
from service.importer import import_file  # noqa: E402
from service.jobs import BATCH_SIZE  # noqa: E402
from service.risk import train_model  # noqa: E402
from service.store import connect, migrate  # noqa: E402
from service.store.histories import managed_ranges  # noqa: E402
from stratify.policy import Policy  # noqa: E402

AS_OF = dt.date(2026, 11, 1)
SANBIAO = str(ROOT / ".venv" / "bin" / "sanbiao")
PAGE = 4096


def county_db(residents: int, seed: int) -> Path:
    """The county database, built once: ingest (no re-assessment) and an active model."""
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"restratify-{residents}-{seed}.db"
    if path.exists():
        return path
    source = out / f"county-{residents}-{seed}.ndjson"
    if not source.exists():
        started = time.perf_counter()
        write(source, residents, seed, AS_OF)
        print(f"generated {source.name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    building = path.with_suffix(".building")
    db = connect(building)
    migrate(db)
    started = time.perf_counter()
    import_file(db, source, source=None, actor="bench", today=AS_OF)
    print(f"ingested in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    started = time.perf_counter()
    card = train_model(db, Policy(), as_of=AS_OF, horizon_days=365, now=dt.datetime.now(dt.UTC))
    print(
        f"trained {card.version} (AUC {card.auc}, active {card.active}) in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    db.close()
    building.rename(path)
    return path


def read_baseline(path: Path) -> tuple[float, int]:
    """Seconds to fetch every row the job reads, by the job's own record_id ranges, with no conversion."""
    db = connect(path)
    started = time.perf_counter()
    rows = 0
    for first, last in managed_ranges(db, BATCH_SIZE):
        for table in ("residents", "conditions", "visits", "events", "tasks"):
            rows += len(db.execute(f"SELECT * FROM {table} WHERE record_id BETWEEN ? AND ?", [first, last]).fetchall())
    seconds = time.perf_counter() - started
    db.close()
    return seconds, rows


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        with contextlib.suppress(OSError):  # the process may have ended meanwhile
            total += int(Path(f"/proc/{current}/statm").read_text().split()[1]) * PAGE
        stack += children.get(current, [])
    return total / 1e6


def run_restratify(path: Path) -> tuple[float, float, dict]:
    """Wall seconds, peak summed RSS (MB) and summary of `sanbiao restratify` as a child process."""
    peak = [0.0]
    started = time.perf_counter()
    child = subprocess.Popen(
        [SANBIAO, "--db", str(path), "restratify", "--as-of", AS_OF.isoformat()],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )

    def watch() -> None:
        while child.poll() is None:
            peak[0] = max(peak[0], tree_rss_mb(child.pid))
            time.sleep(0.2)

    watcher = threading.Thread(target=watch)
    watcher.start()
    stdout, _ = child.communicate()
    seconds = time.perf_counter() - started
    watcher.join()
    if child.returncode:
        raise SystemExit(f"sanbiao restratify failed with {child.returncode}")
    return seconds, peak[0], json.loads(stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    pristine = county_db(args.residents, args.seed)
    path = pristine.with_suffix(".run.db")
    shutil.copyfile(pristine, path)  # the first run of a new county assesses everyone and opens every task
    runs = [run_restratify(path) for _ in range(2)]
    read_s, rows = read_baseline(path)
    n = runs[0][2]["assessed"]
    print(
        f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}"
    )
    print(f"county: {args.residents:,} residents, {n:,} managed, {rows:,} rows read by the job")
    print(f"baseline, read the rows only    : {read_s:6.1f} s  {n / read_s:9,.0f} residents/s")
    for label, (job_s, peak_mb, summary) in zip(
        ("first run (all tasks new)", "second run (steady state)"), runs, strict=True
    ):
        shares = {tier: f"{count / n:.1%}" for tier, count in summary["tiers"].items()}
        print(
            f"{label:<32}: {job_s:6.1f} s  {n / job_s:9,.0f} residents/s  ratio to read {job_s / read_s:4.1f}x  "
            f"peak RSS {peak_mb:5.0f} MB"
        )
        print(
            f"    tiers {summary['tiers']} {shares}; changed {summary['changed']:,}; "
            f"tasks opened {summary['tasks_opened']:,}, closed {summary['tasks_closed']:,}"
        )
    print("targets: <= 60 s for 250,000 managed residents on 2 cores; peak RSS of all processes < 1,500 MB")


if __name__ == "__main__":
    main()
