"""The database refuses to change or remove audit entries, whoever asks (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from vinculo.audit import triggers
from vinculo.audit.models import AuditEntry
from vinculo.audit.tests.conftest import write_trail

pytestmark = pytest.mark.django_db

REFUSED = pytest.raises(DatabaseError, match="append-only")


def test_orm_update_is_refused(trail: list[AuditEntry]) -> None:
    with REFUSED, transaction.atomic():
        AuditEntry.objects.filter(seq=3).update(data={"step": "rewritten"})
    assert AuditEntry.objects.get(seq=3).data == {"step": 3}


def test_orm_delete_is_refused(trail: list[AuditEntry]) -> None:
    with REFUSED, transaction.atomic():
        AuditEntry.objects.filter(seq__gte=4).delete()
    assert AuditEntry.objects.count() == 5


def test_saving_a_changed_entry_is_refused(trail: list[AuditEntry]) -> None:
    entry = AuditEntry.objects.get(seq=2)
    entry.actor_label = "someone.else"
    with REFUSED, transaction.atomic():
        entry.save()
    assert AuditEntry.objects.get(seq=2).actor_label == "system"


def test_deleting_one_entry_is_refused(trail: list[AuditEntry]) -> None:
    with REFUSED, transaction.atomic():
        AuditEntry.objects.get(seq=5).delete()
    assert AuditEntry.objects.filter(seq=5).exists()


def test_raw_sql_update_is_refused(trail: list[AuditEntry]) -> None:
    with REFUSED, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {triggers.TABLE} SET action = 'x' WHERE seq = 1")  # noqa: S608 - constant table name


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no TRUNCATE")
def test_truncate_is_refused_on_postgresql(trail: list[AuditEntry]) -> None:
    with connection.cursor() as cursor:
        # Fire the deferred foreign-key checks of the inserts above, which would otherwise
        # make PostgreSQL refuse the TRUNCATE for its own reason before our trigger runs.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with REFUSED, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {triggers.TABLE}")
    assert AuditEntry.objects.count() == 5


def test_appending_still_works(trail: list[AuditEntry]) -> None:
    assert write_trail(1)[0].seq == 6


def test_triggers_removed_and_installed_again_guard_once_more(trail: list[AuditEntry]) -> None:
    triggers.remove(connection)
    try:
        AuditEntry.objects.filter(seq=1).update(target_id="changed")
    finally:
        triggers.install(connection)
    with REFUSED, transaction.atomic():
        AuditEntry.objects.filter(seq=1).update(target_id="changed again")
    assert AuditEntry.objects.get(seq=1).target_id == "changed"
