"""The database refuses to change or remove evidence entries, whoever asks (SQLite and PostgreSQL)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command, get_commands
from django.db import DatabaseError, connection, transaction

from vinculo.evidence import triggers
from vinculo.evidence.models import EvidenceEntry
from vinculo.evidence.tests.conftest import write_log

REFUSED = pytest.raises(DatabaseError, match="append-only")


@pytest.fixture
def log(db: None) -> list[EvidenceEntry]:
    return write_log(2)  # six entries


@pytest.mark.django_db
def test_orm_update_is_refused(log: list[EvidenceEntry]) -> None:
    with REFUSED, transaction.atomic():
        EvidenceEntry.objects.filter(seq=3).update(facts={"attempt": 9})
    assert EvidenceEntry.objects.get(seq=3).facts == {}


@pytest.mark.django_db
def test_saving_a_changed_entry_is_refused(log: list[EvidenceEntry]) -> None:
    entry = EvidenceEntry.objects.get(seq=2)
    entry.peer = "HN-MP"
    with REFUSED, transaction.atomic():
        entry.save()
    assert EvidenceEntry.objects.get(seq=2).peer == "GT-MP"


@pytest.mark.django_db
def test_orm_delete_is_refused(log: list[EvidenceEntry]) -> None:
    with REFUSED, transaction.atomic():
        EvidenceEntry.objects.filter(seq__gte=4).delete()
    with REFUSED, transaction.atomic():
        EvidenceEntry.objects.get(seq=1).delete()
    assert EvidenceEntry.objects.count() == 6


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        f"UPDATE {triggers.TABLE} SET kind = 'envelope_sent' WHERE seq = 2",  # noqa: S608 - constant table name
        f"DELETE FROM {triggers.TABLE} WHERE seq = 6",  # noqa: S608 - constant table name
        f"DELETE FROM {triggers.TABLE}",  # noqa: S608 - constant table name
    ],
)
def test_raw_sql_is_refused(log: list[EvidenceEntry], statement: str) -> None:
    with REFUSED, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert EvidenceEntry.objects.count() == 6
    assert EvidenceEntry.objects.get(seq=2).kind == "receipt_received"


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no TRUNCATE")
def test_truncate_is_refused_on_postgresql(log: list[EvidenceEntry]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with REFUSED, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {triggers.TABLE}")
    assert EvidenceEntry.objects.count() == 6


@pytest.mark.django_db
def test_appending_still_works_and_removed_triggers_come_back(log: list[EvidenceEntry]) -> None:
    assert write_log(0)[0].seq == 7
    triggers.remove(connection)
    try:
        EvidenceEntry.objects.filter(seq=1).update(peer="HN-MP")
    finally:
        triggers.install(connection)
    with REFUSED, transaction.atomic():
        EvidenceEntry.objects.filter(seq=1).update(peer="SV-FGR")
    assert EvidenceEntry.objects.get(seq=1).peer == "HN-MP"


def test_flush_is_the_evidence_modules_and_extends_the_audit_one() -> None:
    from vinculo.audit.management.commands.flush import Command as AuditFlush
    from vinculo.evidence.management.commands.flush import Command as EvidenceFlush

    assert get_commands()["flush"] == "vinculo.evidence"
    assert issubclass(EvidenceFlush, AuditFlush)


# available_apps: the flush that ends this transactional test empties only these modules' tables.
@pytest.mark.django_db(transaction=True, available_apps=["vinculo.evidence", "vinculo.audit"])
def test_flush_empties_the_log_and_leaves_it_guarded() -> None:
    write_log(1)
    call_command("flush", interactive=False, verbosity=0, stdout=io.StringIO())
    assert not EvidenceEntry.objects.exists()
    write_log(0)
    with REFUSED:
        EvidenceEntry.objects.filter(seq=1).delete()


def test_production_refuses_flush_and_keeps_the_triggers(settings: object, db: None) -> None:
    from django.core.management.base import CommandError

    settings.IS_PRODUCTION = True  # type: ignore[attr-defined]
    write_log(0)
    with pytest.raises(CommandError, match="production"):
        call_command("flush", interactive=False, verbosity=0)
    with REFUSED, transaction.atomic():
        EvidenceEntry.objects.filter(seq=1).delete()
