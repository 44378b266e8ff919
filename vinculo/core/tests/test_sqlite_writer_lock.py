"""The SQLite backend's writer lock: writers take turns promptly, and nothing waits on a lock left behind."""

from __future__ import annotations

import fcntl
import os
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db.utils import ConnectionHandler

from vinculo.core.sqlite.base import WRITER_LOCK_SUFFIX


def _connection(path: Path | str, *, timeout: float = 5) -> Any:
    """A connection of the project's SQLite backend to ``path``, outside Django's own connections."""
    handler = ConnectionHandler(
        {"default": {"ENGINE": "vinculo.core.sqlite", "NAME": str(path),
                     "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": timeout}}}
    )  # fmt: skip
    return handler["default"]


@pytest.fixture(autouse=True)
def _own_connections(django_db_blocker: Any) -> Iterator[None]:
    # These tests open their own connections to files of their own, not the test database.
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "node.sqlite3"
    setup = _connection(path)
    setup.cursor().execute("CREATE TABLE t (n INTEGER)")
    setup.close()
    return path


def _write(connection: Any, value: int) -> None:
    # What transaction.atomic() does on this backend: connect, then BEGIN IMMEDIATE.
    connection.ensure_connection()
    connection._start_transaction_under_autocommit()
    connection.cursor().execute("INSERT INTO t VALUES (%s)", [value])


def test_a_writer_waits_for_the_one_in_its_transaction_and_starts_as_soon_as_it_commits(database: Path) -> None:
    first, events = _connection(database), []
    _write(first, 1)
    lock_file = Path(f"{database}{WRITER_LOCK_SUFFIX}")
    assert stat.S_IMODE(lock_file.stat().st_mode) == 0o600

    def second_writer() -> None:
        second = _connection(database)
        _write(second, 2)
        events.append(("second began", time.monotonic()))
        second.commit()
        second.close()

    thread = threading.Thread(target=second_writer)
    thread.start()
    time.sleep(0.2)
    assert not events, "the second writer waits while the first holds the lock"
    committed = time.monotonic()
    first.commit()
    thread.join(timeout=10)
    [(_name, began)] = events
    assert began - committed < 0.1, "it starts within moments, not after SQLite's sleeps"
    assert [row[0] for row in first.cursor().execute("SELECT n FROM t ORDER BY n").fetchall()] == [1, 2]
    first.close()


def test_the_lock_is_given_back_on_rollback_and_on_close(database: Path) -> None:
    first = _connection(database)
    _write(first, 1)
    first.rollback()
    second = _connection(database, timeout=0.5)
    started = time.monotonic()
    _write(second, 2)
    assert time.monotonic() - started < 0.3
    second.close()  # in its transaction: closing rolls it back and gives the lock back
    third = _connection(database, timeout=0.5)
    started = time.monotonic()
    _write(third, 3)
    third.commit()
    assert time.monotonic() - started < 0.3
    assert third.cursor().execute("SELECT n FROM t").fetchall() == [(3,)]
    third.close()


def test_a_lock_nobody_gives_back_delays_a_writer_only_until_its_timeout(database: Path) -> None:
    # Someone holds the lock file but not the database (a stuck process using the lock alone).
    holder = os.open(f"{database}{WRITER_LOCK_SUFFIX}", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        writer = _connection(database, timeout=0.3)
        started = time.monotonic()
        _write(writer, 1)
        writer.commit()
        assert 0.25 <= time.monotonic() - started < 2
        writer.close()
    finally:
        os.close(holder)


def test_an_in_memory_database_has_no_lock_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    memory = _connection(":memory:")
    memory.cursor().execute("CREATE TABLE t (n INTEGER)")
    _write(memory, 1)
    memory.commit()
    assert memory._writer_lock is None
    assert list(tmp_path.iterdir()) == []
