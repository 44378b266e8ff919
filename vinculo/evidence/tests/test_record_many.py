"""Appending several entries at once: the same chain as one by one, in one statement, all or nothing."""

from __future__ import annotations

import itertools

import pytest
from django.db import transaction

from vinculo.evidence import services, verification
from vinculo.evidence.chain import ENVELOPE_RECEIVED, ENVELOPE_SENT, RECEIPT_SENT, InvalidEntry, entry_hash
from vinculo.evidence.models import EvidenceEntry, EvidenceHead
from vinculo.evidence.services import Fact

pytestmark = pytest.mark.django_db

MESSAGES = [f"0b7e4c1a-5f7d-4a8e-9c1e-2d3f4a5b6c{number:02d}" for number in range(12)]
SHA = "ab" * 32


def test_entries_recorded_together_chain_exactly_like_entries_recorded_one_by_one() -> None:
    services.record(ENVELOPE_SENT, message_id=MESSAGES[0], peer="GT-MP")
    with transaction.atomic():
        appended = services.record_many(
            [
                Fact(ENVELOPE_RECEIVED, message_id=MESSAGES[1], peer="GT-MP", sha256=SHA, facts={"type": "alert"}),
                Fact(RECEIPT_SENT, message_id=MESSAGES[1], peer="GT-MP", sha256=SHA),
            ]
        )
    services.record(ENVELOPE_SENT, message_id=MESSAGES[2], peer="HN-MP")

    stored = list(EvidenceEntry.objects.order_by("seq"))
    assert [entry.seq for entry in stored] == [1, 2, 3, 4]
    assert [entry.pk for entry in appended] == [stored[1].pk, stored[2].pk]
    assert [entry.kind for entry in stored] == [ENVELOPE_SENT, ENVELOPE_RECEIVED, RECEIPT_SENT, ENVELOPE_SENT]
    assert stored[1].facts == {"type": "alert"}
    for before, after in itertools.pairwise(stored):
        assert after.prev_hash == before.entry_hash
    for entry in stored:
        assert entry.entry_hash == entry_hash(entry.chain_entry())
    assert EvidenceHead.objects.get().seq == 4
    assert verification.verify_stored_log().is_intact


def test_a_long_batch_is_inserted_in_several_statements(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "MAX_ROWS_PER_INSERT", 5)
    with transaction.atomic():
        appended = services.record_many([Fact(ENVELOPE_SENT, message_id=i, peer="GT-MP") for i in MESSAGES])
    assert [entry.seq for entry in appended] == list(range(1, 13))
    assert list(EvidenceEntry.objects.order_by("seq").values_list("message_id", flat=True)) == MESSAGES
    assert EvidenceHead.objects.get().seq == 12
    assert verification.verify_stored_log().is_intact


def test_one_bad_entry_refuses_the_whole_batch_before_anything_is_written() -> None:
    with pytest.raises(InvalidEntry), transaction.atomic():
        services.record_many([Fact(ENVELOPE_SENT, message_id=MESSAGES[0]), Fact(ENVELOPE_SENT, message_id="nope")])
    assert not EvidenceEntry.objects.exists()
    assert services.record_many([]) == []
