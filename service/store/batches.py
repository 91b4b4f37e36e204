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
