"""Appending to the log: numbering, chaining, the caller's transaction, refused input."""

from __future__ import annotations

import itertools

import pytest
from django.db import transaction

from vinculo.evidence import services
from vinculo.evidence.chain import ENVELOPE_REFUSED, ENVELOPE_SENT, GENESIS_HASH, InvalidEntry, entry_hash
from vinculo.evidence.models import EvidenceEntry, EvidenceHead
from vinculo.evidence.tests.conftest import write_log

pytestmark = pytest.mark.django_db

MESSAGE = "0b7e4c1a-5f7d-4a8e-9c1e-2d3f4a5b6c7d"


def test_entries_are_numbered_in_order_and_each_names_the_hash_of_the_one_before() -> None:
    entries = write_log(3)

    stored = list(EvidenceEntry.objects.order_by("seq"))
    assert [entry.seq for entry in stored] == list(range(1, 9))
    assert [entry.pk for entry in stored] == [entry.pk for entry in entries]
    assert stored[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(stored):
        assert after.prev_hash == before.entry_hash
    for entry in stored:
        assert entry.entry_hash == entry_hash(entry.chain_entry())
    head = EvidenceHead.objects.get()
    assert (head.seq, head.entry_hash) == (8, stored[-1].entry_hash)


def test_references_and_facts_are_kept_as_given() -> None:
    entry = services.record(ENVELOPE_REFUSED, message_id=MESSAGE, peer="GT-MP", facts={"code": "bad_signature"})
    entry.refresh_from_db()
    assert (entry.kind, entry.message_id, entry.peer, entry.sha256) == (ENVELOPE_REFUSED, MESSAGE, "GT-MP", "")
    assert entry.facts == {"code": "bad_signature"}
    assert entry.chain_entry().sha256 is None


def test_an_entry_exists_only_if_the_callers_transaction_commits() -> None:
    write_log(1)

    def send_then_fail() -> None:
        with transaction.atomic():
            services.record(ENVELOPE_SENT, message_id=MESSAGE, peer="GT-MP")
            raise RuntimeError("the outbox row could not be written")

    with pytest.raises(RuntimeError):
        send_then_fail()
    assert EvidenceEntry.objects.count() == 4
    assert EvidenceHead.objects.get().seq == 4
    assert services.record(ENVELOPE_SENT, message_id=MESSAGE, peer="GT-MP").seq == 5


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"kind": "envelope_lost"}, "unknown evidence kind"),
        ({"kind": ENVELOPE_SENT, "message_id": "not-a-uuid"}, "message_id"),
        ({"kind": ENVELOPE_SENT, "message_id": MESSAGE.upper()}, "message_id"),
        ({"kind": ENVELOPE_SENT, "peer": "gt-mp"}, "peer"),
        ({"kind": ENVELOPE_SENT, "sha256": "ABC"}, "sha256"),
        ({"kind": ENVELOPE_SENT, "facts": {"score": 0.5}}, "float"),
        ({"kind": ENVELOPE_SENT, "facts": {"note": "x" * 5000}}, "at most"),
        ({"kind": ENVELOPE_SENT, "facts": ["code"]}, "JSON object"),
    ],
)
def test_malformed_input_is_refused_and_stores_nothing(arguments: dict[str, object], problem: str) -> None:
    kind = arguments.pop("kind")
    with pytest.raises(InvalidEntry, match=problem):
        services.record(kind, **arguments)  # type: ignore[arg-type]
    assert not EvidenceEntry.objects.exists()
    assert EvidenceHead.objects.get().seq == 0
