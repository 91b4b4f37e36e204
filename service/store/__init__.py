"""The store: the only code that writes SQL. SQLite via sqlite-utils, one connection per caller."""

from __future__ import annotations

import datetime as dt
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock
from sqlite_utils import Database

from service.store.schema import migrations
from stratify.tiers import Tier, list_position

BUSY_TIMEOUT_MS = 30_000


def connect(path: str | Path) -> Database:
    """Open the database with the settings every connection needs (WAL, foreign keys, busy timeout).

    synchronous=FULL: an acknowledged write survives a power cut, not only a process crash.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    write_ahead_log(conn)
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    db = Database(conn)
    db.writers = _writers(path)  # type: ignore[attr-defined]
    return db


WAL_RETRY_SECONDS = 0.05


def write_ahead_log(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL (it stays so). On a new file that other processes are opening too,
    SQLite refuses the switch with "database is locked" at once, without its busy handler: retry."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(WAL_RETRY_SECONDS)


class Pool:
    """Idle connections to one database, lent to one request at a time: a new connection costs ~0.5 ms
    (SQLite reads the schema on its first statement), about a tenth of a short request's CPU."""

    def __init__(self, path: str | Path, keep: int = 16) -> None:
        self.path, self.keep = path, keep
        self._idle: list[Database] = []
        self._lock = threading.Lock()

    @contextmanager
    def connection(self) -> Iterator[Database]:
        with self._lock:
            db = self._idle.pop() if self._idle else None
        db = db or connect(self.path)
        try:
            yield db
        finally:
            if db.conn.in_transaction:  # never lend on a connection with work in flight
                db.conn.rollback()
            with self._lock:
                kept = len(self._idle) < self.keep
                if kept:
                    self._idle.append(db)
            if not kept:
                db.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for db in idle:
            db.close()


_WRITERS: dict[str, threading.Lock] = {}
_WRITERS_LOCK = threading.Lock()


def _writers(path: str | Path) -> threading.Lock:
    """This process's queue for writing one database file: one lock per file, shared by its connections."""
    key = os.path.realpath(path)
    with _WRITERS_LOCK:
        return _WRITERS.setdefault(key, threading.Lock())


@contextmanager
def writing(db: Database) -> Iterator[Database]:
    """One write transaction that takes SQLite's write lock at BEGIN (IMMEDIATE); nested, it joins the
    transaction already open. No savepoint (its journal made a 100,000-resident import 15% slower):
    an error that leaves a nested block dooms the whole transaction, which then rolls back rather
    than commit half of a change, even if a caller caught the error.

    A deferred transaction that reads and then writes cannot wait for the lock: when another
    connection committed after its first read, SQLite answers SQLITE_BUSY at once, whatever the
    busy timeout (measured by bench/load.py: a third of concurrent visit posts failed that way).
    Taking the lock first makes writers queue for up to BUSY_TIMEOUT_MS instead, and whatever the
    transaction read stays true until it commits.

    Writers of this process queue on a lock of their own before BEGIN: a thread waiting there wakes
    the moment the writer before it commits, where SQLite's busy handler polls in sleeps of up to
    100 ms and lets a newcomer overtake (measured by bench/load.py: visit p95 under load).
    Other processes (the CLI, other workers) still meet at SQLite's lock.
    """
    if db.conn.in_transaction:
        try:
            yield db
        except BaseException as e:
            db.doomed = e  # type: ignore[attr-defined]
            raise
        return
    queue: threading.Lock | None = getattr(db, "writers", None)
    if queue is not None and not queue.acquire(timeout=BUSY_TIMEOUT_MS / 1000):
        raise sqlite3.OperationalError("database is locked: waited for this process's other writers")
    try:
        _begin_immediate(db)
        db.doomed = None  # type: ignore[attr-defined]
        try:
            yield db
        except BaseException:
            db.conn.rollback()
            raise
        if db.doomed is not None:
            db.conn.rollback()
            raise sqlite3.IntegrityError("a write inside this transaction failed; all of it was rolled back") from (
                db.doomed
            )
        try:
            db.conn.execute("COMMIT")
        except BaseException:
            db.conn.rollback()
            raise
    finally:
        if queue is not None:
            queue.release()


BEGIN_RETRY_MAX_S = 0.005  # a writer of another process waits at most this long after the lock frees


def _begin_immediate(db: Database) -> None:
    """BEGIN IMMEDIATE, retried in short steps while another process writes.

    SQLite's own busy handler sleeps up to 100 ms between tries, so a writer waiting behind another
    process's 60 ms transaction woke ~20 ms late (measured under bench/load.py with two workers);
    here it looks again within 0.5-5 ms, for up to BUSY_TIMEOUT_MS like the busy handler.
    """
    db.conn.execute("PRAGMA busy_timeout = 0")
    try:
        delay, deadline = 0.0005, time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                db.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() > deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, BEGIN_RETRY_MAX_S)
    finally:
        db.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def owner() -> tuple[int, str]:
    """This process as a job or import records it: (pid, host)."""
    return os.getpid(), socket.gethostname()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def close_interrupted(db: Database, table: str) -> int:
    """Mark as failed this host's 'running' rows of job_runs or import_batches whose process is gone.

    A process killed mid-run (SIGKILL, power cut) cannot finish its row; the next run or import
    does it. Rows of other hosts and of live processes are left alone. Returns how many were closed.
    """
    pid, host = owner()
    rows = db.execute(f"SELECT rowid, pid FROM {table} WHERE status = 'running' AND host = ?", [host]).fetchall()
    gone = [rowid for rowid, run_pid in rows if run_pid not in (None, pid) and not _alive(run_pid)]
    if gone:
        with writing(db):
            db.conn.executemany(
                f"UPDATE {table} SET status = 'failed', finished_at = ?, error = ? "
                "WHERE rowid = ? AND status = 'running'",
                [(now_utc(), "interrupted: its process ended before it finished", rowid) for rowid in gone],
            )
    return len(gone)


def migrate(db: Database) -> list[str]:
    """Apply pending migrations; returns their names (empty when the schema is current).

    Under a file lock beside the database: server workers starting together each migrate, and
    two of them applying the same migration failed the second (and uvicorn then stopped them all).
    """
    path = db.execute("PRAGMA database_list").fetchone()[2]
    with FileLock(f"{path}.migrate.lock", thread_local=False):
        pending = [m.name for m in migrations.pending(db)]
        migrations.apply(db)
    return pending


def is_current(db: Database) -> bool:
    return not migrations.pending(db)


def region_bounds(region: str) -> tuple[str, str]:
    """Half-open range of village codes under a region prefix (':' sorts right after '9')."""
    return region, region + ":"


def tier_order(column: str) -> str:
    """An SQL expression sorting a tier column as working lists do (`stratify.tiers.list_position`)."""
    cases = " ".join(f"WHEN '{tier}' THEN {list_position(tier)}" for tier in Tier)
    return f"CASE {column} {cases} ELSE {list_position(None)} END"


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def backup(db: Database, dest: str | Path) -> None:
    """A consistent copy through SQLite's online backup API, while writers go on."""
    target = sqlite3.connect(str(dest))
    try:
        db.conn.backup(target)  # one step: a consistent WAL snapshot, writers are not blocked
    finally:
        target.close()
