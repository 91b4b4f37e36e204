"""Concurrent writers on one SQLite file queue for the write lock instead of failing (bench/load.py found it)."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from service.store import connect, writing


@pytest.fixture
def two_connections(tmp_path):
    first, second = connect(tmp_path / "w.db"), connect(tmp_path / "w.db")
    with writing(first):
        first.execute("CREATE TABLE counter (n INTEGER NOT NULL)")
        first.execute("INSERT INTO counter VALUES (0)")
    yield first, second
    first.close()
    second.close()


def test_a_writer_that_read_first_keeps_what_it_read_and_the_other_waits(two_connections):
    first, second = two_connections
    finished, errors = threading.Event(), []

    def increment() -> None:
        try:
            with writing(second):
                second.execute("UPDATE counter SET n = n + 1")
        except Exception as e:
            errors.append(e)
        finished.set()

    with writing(first):
        n = first.execute("SELECT n FROM counter").fetchone()[0]
        other = threading.Thread(target=increment)
        other.start()
        assert not finished.wait(0.5)  # queued behind the lock rather than slipping in
        first.execute("UPDATE counter SET n = ?", [n + 10])
    other.join(10)

    assert errors == []
    assert first.execute("SELECT n FROM counter").fetchone()[0] == 11


def test_a_failed_write_leaves_nothing_and_releases_the_lock(two_connections):
    first, second = two_connections

    with pytest.raises(ZeroDivisionError), writing(first):
        first.execute("UPDATE counter SET n = 99")
        _ = 1 / 0
    with writing(second):
        second.execute("UPDATE counter SET n = n + 1")

    assert first.execute("SELECT n FROM counter").fetchone()[0] == 1


def test_a_nested_write_joins_the_transaction_and_its_failure_rolls_all_of_it_back(two_connections):
    first, _ = two_connections
    before = first.execute("SELECT n FROM counter").fetchone()[0]

    with pytest.raises(sqlite3.IntegrityError, match="rolled back"), writing(first):
        first.execute("UPDATE counter SET n = 5")
        with pytest.raises(ValueError), writing(first):
            first.execute("UPDATE counter SET n = 7")
            raise ValueError("inner fails")  # caught here, yet nothing of the transaction may commit

    assert first.execute("SELECT n FROM counter").fetchone()[0] == before
    with writing(first):  # the next transaction starts clean
        first.execute("UPDATE counter SET n = 9")
    assert first.execute("SELECT n FROM counter").fetchone()[0] == 9
