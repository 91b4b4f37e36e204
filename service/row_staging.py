"""A spreadsheet's rows grouped by resident (record_id) without holding the whole file.

Rows of one resident need not be adjacent, so nothing can be built before the last row is read.
Rows are kept encoded (a few hundred bytes each) in memory while they fit `STAGING_MEMORY_BYTES`,
which a county's usual export does (20,000 residents, 77,000 rows: 29 MB); past that they all move
to an SQLite file in a temporary directory, and the rest follow them there, so memory stays bounded
whatever the file's size. Either way each record_id's rows come back together, in the order read,
record_ids in code-point order (SQLite's BINARY order of UTF-8), and a row without a record_id alone.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path

STAGING_MEMORY_BYTES = 32 << 20  # encoded rows kept in memory before they move to disk


class RowStaging:
    """Encoded rows by record_id: in memory up to STAGING_MEMORY_BYTES, on disk beyond."""

    def __init__(self) -> None:
        self._groups: dict[str, list[bytes]] = {}
        self._kept = 0
        self._folder: Path | None = None
        self._disk: sqlite3.Connection | None = None

    def add(self, rows: list[tuple[str, bytes]]) -> None:
        """Keep (record_id, encoded row) pairs; '' for a row without a record_id."""
        if self._disk is not None:
            self._insert(rows)
            return
        groups = self._groups
        for record_id, row in rows:
            groups.setdefault(record_id, []).append(row)
            self._kept += len(row)
        if self._kept > STAGING_MEMORY_BYTES:
            self._spill()

    def groups(self) -> Iterator[list[bytes]]:
        """Each resident's rows together, in the order they were added; each row without a record_id alone."""
        if self._disk is not None:
            yield from self._disk_groups(self._disk)
            return
        for record_id in sorted(self._groups):
            rows = self._groups[record_id]
            if record_id:
                yield rows
            else:
                yield from ([row] for row in rows)

    def _spill(self) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="sanbiao-sheet-"))
        self._disk = sqlite3.connect(self._folder / "rows.db")
        self._disk.execute("PRAGMA journal_mode=OFF")  # a scratch file: nothing to recover after a crash
        self._disk.execute("CREATE TABLE rows (record_id TEXT NOT NULL, seq INTEGER PRIMARY KEY, row BLOB NOT NULL)")
        # within a record_id the order of insertion is the order read; across record_ids it does not matter
        self._insert(chain.from_iterable(((r, row) for row in rows) for r, rows in self._groups.items()))
        self._groups.clear()

    def _insert(self, rows: Iterable[tuple[str, bytes]]) -> None:
        assert self._disk is not None
        self._disk.executemany("INSERT INTO rows (record_id, row) VALUES (?, ?)", rows)

    @staticmethod
    def _disk_groups(disk: sqlite3.Connection) -> Iterator[list[bytes]]:
        disk.execute("CREATE INDEX IF NOT EXISTS rows_record ON rows (record_id, seq)")
        current: str | None = None
        rows: list[bytes] = []
        for record_id, row in disk.execute("SELECT record_id, row FROM rows ORDER BY record_id, seq"):
            if (record_id != current or not record_id) and rows:
                yield rows
                rows = []
            current = record_id
            rows.append(row)
        if rows:
            yield rows

    def close(self) -> None:
        if self._disk is not None:
            self._disk.close()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        self._groups.clear()
