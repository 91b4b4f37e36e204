"""import_batches: one row per API request or imported file, with its counts and rejections."""

from __future__ import annotations

import msgspec
from sqlite_utils import Database

from service.store import close_interrupted, now_utc, owner, writing
from service.store.audit import record_action


def start_batch(db: Database, *, origin: str, source: str | None, filename: str | None, actor: str) -> int:
    """A 'running' row owned by this process; batches whose process died are closed first."""
    close_interrupted(db, "import_batches")
    with writing(db):
        cursor = db.execute(
            "INSERT INTO import_batches (origin, source, filename, actor, started_at, status, pid, host) "
            "VALUES (?, ?, ?, ?, ?, 'running', ?, ?)",
            [origin, source, filename, actor, now_utc(), *owner()],
        )
    return cursor.lastrowid


def finish_batch(db: Database, batch_id: int, summary: msgspec.Struct, *, error: str | None = None) -> None:
    """Record a batch's counts (from an ingest summary) and whether it completed."""
    counts = msgspec.structs.asdict(summary)
    rejected = counts.pop("rejected")
    with writing(db):
        db.execute(
            "UPDATE import_batches SET finished_at = ?, status = ?, received = ?, accepted = ?, created = ?, "
            "updated = ?, unchanged = ?, rejected = ?, rejections = ?, error = ? WHERE batch_id = ?",
            [
                now_utc(),
                "failed" if error else "done",
                counts["accepted"] + counts["rejected_total"],
                counts["accepted"],
                counts["created"],
                counts["updated"],
                counts["unchanged"],
                counts["rejected_total"],
                msgspec.json.encode(rejected).decode(),
                error,
                batch_id,
            ],
        )
        actor = db.execute("SELECT actor FROM import_batches WHERE batch_id = ?", [batch_id]).fetchone()[0]
        detail = (
            f"batch {batch_id}: {counts['accepted']} accepted ({counts['created']} new, {counts['updated']} "
            f"updated, {counts['unchanged']} unchanged), {counts['rejected_total']} rejected"
            + (f"; failed: {error}" if error else "")
        )
        record_action(db, actor=actor, action="import", detail=detail)


BATCH_COLUMNS = (
    "batch_id",
    "origin",
    "source",
    "filename",
    "actor",
    "started_at",
    "finished_at",
    "status",
    "rows_read",
    "accepted",
    "created",
    "updated",
    "unchanged",
    "rejected",
    "rejections",
    "error",
)


def set_rows_read(db: Database, batch_id: int, rows: int) -> None:
    """How far a running batch has read its file (the upload page polls it)."""
    with writing(db):
        db.execute("UPDATE import_batches SET rows_read = ? WHERE batch_id = ?", [rows, batch_id])


def fail_batch(db: Database, batch_id: int, error: str) -> None:
    """A batch refused as a whole before any resident (a bad file): failed, with the reason, audited."""
    with writing(db):
        db.execute(
            "UPDATE import_batches SET status = 'failed', finished_at = ?, error = ? WHERE batch_id = ?",
            [now_utc(), error, batch_id],
        )
        actor = db.execute("SELECT actor FROM import_batches WHERE batch_id = ?", [batch_id]).fetchone()[0]
        record_action(db, actor=actor, action="import", detail=f"batch {batch_id}: refused: {error}")


def get_batch(db: Database, batch_id: int) -> tuple | None:
    """One batch as BATCH_COLUMNS."""
    return db.execute(
        f"SELECT {', '.join(BATCH_COLUMNS)} FROM import_batches WHERE batch_id = ?", [batch_id]
    ).fetchone()


def recent_batches(db: Database, limit: int) -> list[tuple]:
    """The latest batches (BATCH_COLUMNS), newest first."""
    return db.execute(
        f"SELECT {', '.join(BATCH_COLUMNS)} FROM import_batches ORDER BY batch_id DESC LIMIT ?", [limit]
    ).fetchall()


def save_mapping(db: Database, name: str, body: str, actor: str) -> None:
    with writing(db):
        db.execute(
            "INSERT INTO sheet_mappings (name, body, saved_by, saved_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET body = excluded.body, saved_by = excluded.saved_by, "
            "saved_at = excluded.saved_at",
            [name, body, actor, now_utc()],
        )


def mapping_body(db: Database, name: str) -> str | None:
    row = db.execute("SELECT body FROM sheet_mappings WHERE name = ?", [name]).fetchone()
    return row[0] if row else None


def mapping_names(db: Database) -> list[str]:
    return [name for (name,) in db.execute("SELECT name FROM sheet_mappings ORDER BY name")]
