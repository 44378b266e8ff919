"""Appends from many connections at once stay numbered without gaps and chained without forks."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import IntegrityError, connection, connections, transaction

from vinculo.evidence import services, verification
from vinculo.evidence.chain import ENVELOPE_SENT
from vinculo.evidence.models import EvidenceEntry, EvidenceHead

WORKERS = 6
APPENDS = 15


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads share one in-memory SQLite database")
@pytest.mark.django_db(transaction=True, available_apps=["vinculo.evidence", "vinculo.audit"])
def test_concurrent_appends_are_gapless_and_chained() -> None:
    barrier = threading.Barrier(WORKERS)
    failures: list[BaseException] = []

    def worker(number: int) -> None:
        try:
            barrier.wait()
            for step in range(APPENDS):
                with transaction.atomic():
                    message_id = str(uuid.UUID(int=number * 1000 + step))
                    services.record(ENVELOPE_SENT, message_id=message_id, peer="GT-MP", facts={"worker": number})
        except BaseException as error:
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(number,)) for number in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    seqs = list(EvidenceEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, WORKERS * APPENDS + 1))
    assert EvidenceEntry.objects.values("prev_hash").distinct().count() == WORKERS * APPENDS
    verdict = verification.verify_stored_log()
    assert verdict.is_intact, verdict.reason
    # Each worker's own entries keep the order it wrote them in.
    for number in range(WORKERS):
        mine = EvidenceEntry.objects.filter(facts__worker=number).order_by("seq").values_list("message_id", flat=True)
        assert list(mine) == [str(uuid.UUID(int=number * 1000 + step)) for step in range(APPENDS)]


@pytest.mark.django_db
def test_a_head_row_set_back_cannot_fork_the_chain() -> None:
    # The logical half on every database: whatever the head row says, two entries can never
    # share a number, so an append built on a stale head is refused whole.
    services.record(ENVELOPE_SENT)
    stale = EvidenceHead.objects.get()
    services.record(ENVELOPE_SENT)
    stale.save()  # a careless writer puts the old head back

    with pytest.raises(IntegrityError), transaction.atomic():
        services.record(ENVELOPE_SENT)

    assert list(EvidenceEntry.objects.values_list("seq", flat=True).order_by("seq")) == [1, 2]
    assert EvidenceHead.objects.get().seq == 1
