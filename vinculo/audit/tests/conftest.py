"""Fixtures for the audit tests: a short trail, and the table without its triggers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper

from vinculo.audit import services, triggers
from vinculo.audit.models import AuditEntry


def write_trail(count: int) -> list[AuditEntry]:
    """``count`` system entries numbered from the current head on (``test.step`` with data {"step": n})."""
    return [services.record(action="test.step", actor=None, data={"step": n}) for n in range(1, count + 1)]


@pytest.fixture
def trail(db: None) -> list[AuditEntry]:
    """Five entries, #1 to #5."""
    return write_trail(5)


@pytest.fixture
def unguarded(db: None) -> Iterator[BaseDatabaseWrapper]:
    """The audit table as someone with the database owner's rights sees it: triggers dropped.

    DDL is transactional on SQLite and PostgreSQL, so the test's rollback would bring the
    triggers back anyway; they are re-installed explicitly so nothing depends on that.
    """
    triggers.remove(connection)
    try:
        yield connection
    finally:
        triggers.install(connection)
