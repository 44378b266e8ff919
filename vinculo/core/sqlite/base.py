"""Django's SQLite backend, with write transactions queued on a file lock next to the database.

A write transaction (``BEGIN IMMEDIATE``, the settings' transaction mode) that finds the database
locked is made by SQLite to sleep and try again, 1, 2, 5, 10 … up to 100 ms at a time: the lock
is usually free long before the writer looks again, and the database sits idle meanwhile. With
the delivery worker's threads and the web server's threads all writing, that was most of a
message's time (6 ms on average at the inbox, the CPU a quarter idle).

Here a writer first takes an exclusive ``flock`` on ``<database>-writer.lock``, trying again after
0.1 ms, doubling up to 1 ms, so that the next writer starts within a millisecond of the previous
one's commit; then it begins its transaction as before. SQLite's own locking is untouched and
still decides: the file lock only orders the writers that use it. A writer that cannot take it
within the connection's ``timeout`` goes ahead without it and SQLite's busy timeout applies, as
it always did. In-memory databases (the tests') have no file and no lock. The operating system
releases the lock of a process that dies.
"""

from __future__ import annotations

import fcntl
import os
import time
from typing import Any

from django.db.backends.sqlite3 import base

FIRST_PAUSE_SECONDS = 0.0001
LONGEST_PAUSE_SECONDS = 0.001
WRITER_LOCK_SUFFIX = "-writer.lock"


# The private methods overridden here are Django's own (not in its type stubs).
class DatabaseWrapper(base.DatabaseWrapper):
    _writer_lock: int | None = None  # the lock file's descriptor, one per connection (and so per thread)
    _holding = False

    def _start_transaction_under_autocommit(self) -> None:
        if self.transaction_mode in ("IMMEDIATE", "EXCLUSIVE"):  # type: ignore[attr-defined]
            self._take_writer_lock()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_writer_lock()
            raise

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]
        finally:
            self._release_writer_lock()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]
        finally:
            self._release_writer_lock()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]
        finally:
            self._release_writer_lock()
            if self._writer_lock is not None:
                os.close(self._writer_lock)
                self._writer_lock = None

    def _take_writer_lock(self) -> None:
        if self.is_in_memory_db():
            return
        if self._writer_lock is None:
            path = f"{self.settings_dict['NAME']}{WRITER_LOCK_SUFFIX}"
            self._writer_lock = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        deadline = time.monotonic() + float(self.settings_dict["OPTIONS"].get("timeout", 5))
        pause = FIRST_PAUSE_SECONDS
        while True:
            try:
                fcntl.flock(self._writer_lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return  # without it: SQLite's busy timeout decides, as before
                time.sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE_SECONDS)
            else:
                self._holding = True
                return

    def _release_writer_lock(self) -> None:
        if self._holding and self._writer_lock is not None:
            fcntl.flock(self._writer_lock, fcntl.LOCK_UN)
        self._holding = False
