"""Database triggers that make the evidence table append-only (SQLite and PostgreSQL).

As for the audit trail (ADR 0006): they stop an application bug or a careless query, not the
database owner, who can drop them. What catches the owner is the hash chain, and the signed
heads kept by the peers.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "evidence_evidenceentry"
MESSAGE = "evidence entries are append-only"
NAME = "evidence_entry"


def _sqlite(*, create: bool) -> list[str]:
    if not create:
        return [f"DROP TRIGGER IF EXISTS {NAME}_no_{change}" for change in ("update", "delete")]
    return [
        f"CREATE TRIGGER IF NOT EXISTS {NAME}_no_{change} BEFORE {change.upper()} ON {TABLE} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        for change in ("update", "delete")
    ]


def _postgresql(*, create: bool) -> list[str]:
    drop = [
        f"DROP TRIGGER IF EXISTS {NAME}_no_change ON {TABLE}",
        f"DROP TRIGGER IF EXISTS {NAME}_no_truncate ON {TABLE}",
    ]
    if not create:
        return drop
    function = f"{NAME}_refuse_change"
    return [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege'; END; $$",
        *drop,
        f"CREATE TRIGGER {NAME}_no_change BEFORE UPDATE OR DELETE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {NAME}_no_truncate BEFORE TRUNCATE ON {TABLE} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    ]


def _statements(connection: BaseDatabaseWrapper, *, create: bool) -> list[str]:
    if connection.vendor == "sqlite":
        return _sqlite(create=create)
    if connection.vendor == "postgresql":
        return _postgresql(create=create)
    raise NotImplementedError(f"no append-only triggers for {connection.vendor}")


def install(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for statement in _statements(connection, create=True):
            cursor.execute(statement)


def remove(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for statement in _statements(connection, create=False):
            cursor.execute(statement)
