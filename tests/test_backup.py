"""`sanbiao backup` takes a consistent online copy while writers go on, and the copy restores."""

from __future__ import annotations

import sqlite3
import threading

import msgspec
from click.testing import CliRunner
from conftest import make_resident

from service.ingest import Ingestor
from service.settings import Settings
from service.store import connect
from ui.cli import cli

TODAY = Settings().today()


def write_residents(path, stop: threading.Event, written: list[int]) -> None:
    """Keep ingesting small batches until told to stop, counting committed residents."""
    db = connect(path)
    n = 0
    while not stop.is_set():
        ingestor = Ingestor(db, today=TODAY)
        ingestor.begin(origin="cli", source="writer", filename=None, actor="test")
        ingestor.run(msgspec.json.encode(make_resident(f"W{n + i:06d}")) for i in range(50))
        ingestor.end()
        n += 50
        written.append(n)
    db.close()


def test_backup_while_writing_is_consistent_and_restores(tmp_path, db):
    path = tmp_path / "sanbiao.db"
    stop, written = threading.Event(), []
    writer = threading.Thread(target=write_residents, args=(path, stop, written))
    writer.start()
    try:
        while not written:
            threading.Event().wait(0.05)
        result = CliRunner().invoke(cli, ["--db", str(path), "backup", str(tmp_path / "copy.db")])
    finally:
        stop.set()
        writer.join()

    assert result.exit_code == 0, result.output
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        residents = copy.execute("SELECT count(*) FROM residents").fetchone()[0]
        visits = copy.execute("SELECT count(*) FROM visits").fetchone()[0]
    assert residents % 50 == 0 and residents > 0  # whole batches only: a transaction is in or out
    assert visits == residents  # every resident with its visit, never half a resident

    restored = tmp_path / "restored.db"
    restored.write_bytes((tmp_path / "copy.db").read_bytes())
    summary = CliRunner().invoke(cli, ["--db", str(restored), "restratify"])
    assert summary.exit_code == 0
    assert msgspec.json.decode(summary.output)["assessed"] == residents
