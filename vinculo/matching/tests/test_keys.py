"""The network match key: made once, sent to offices in encrypted envelopes, never swapped silently."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vinculo.accounts.models import User
from vinculo.audit.models import AuditEntry
from vinculo.cases.models import Case
from vinculo.core.errors import DomainError
from vinculo.matching import wire
from vinculo.matching.models import MatchKey, QueryRecipient
from vinculo.matching.services import keys, queries
from vinculo.messaging.models import InboundMessage, OutboundMessage
from vinculo.messaging.services.inbox import payload_of
from vinculo.messaging.tests.conftest import FakeNetwork

from .conftest import HUB, deliver_all

pytestmark = pytest.mark.django_db


def test_the_key_reaches_the_offices_sealed_and_never_the_hub(mnet: FakeNetwork) -> None:
    with mnet.as_node("GT-MP"):
        made = keys.generate(by=None)
        with pytest.raises(DomainError) as twice:
            keys.generate(by=None)
        assert twice.value.code == "match_key_exists"
        assert keys.share(by=None, members=queries.member_offices("GT-MP")) == 2
        with pytest.raises(DomainError):
            keys.share(by=None, members=[HUB])
    assert sorted(OutboundMessage.objects.filter(type=wire.KEY).values_list("recipient", flat=True)) == [
        "HN-MP",
        "SV-FGR",
    ]
    stored = MatchKey.objects.get()
    with mnet.as_node("GT-MP"):
        found = keys.active_key()
    assert found is not None
    assert found[1].hex() not in stored.sealed_key  # sealed in the vault, not in clear
    assert wire.b64(found[1]) not in stored.sealed_key
    deliver_all(mnet)
    received = InboundMessage.objects.filter(type=wire.KEY)
    assert received.count() == 2
    payload = json.loads(payload_of(received[0]))
    assert keys.fingerprint(wire.KeyPayload.read(json.dumps(payload).encode()).key_bytes()) == made.fingerprint
    assert AuditEntry.objects.filter(action="match.key_received").count() == 0  # the shared database has it already


def test_a_node_installs_the_first_key_and_only_offers_a_different_one(mnet: FakeNetwork) -> None:
    first, second = bytes(range(32)), bytes(range(1, 33))
    message = InboundMessage(sender="GT-MP")
    keys.receive_key(message, wire.dump(wire.KeyPayload(key=wire.b64(first), fingerprint=keys.fingerprint(first))))
    assert MatchKey.objects.get().state == MatchKey.State.ACTIVE
    assert keys.active_key() == (keys.fingerprint(first), first)
    keys.receive_key(message, wire.dump(wire.KeyPayload(key=wire.b64(second), fingerprint=keys.fingerprint(second))))
    offered = MatchKey.objects.get(fingerprint=keys.fingerprint(second))
    assert offered.state == MatchKey.State.OFFERED
    assert keys.active_key() == (keys.fingerprint(first), first)  # nothing changed until accepted
    with pytest.raises(DomainError):
        keys.accept(by=None, fingerprint_="0" * 32)
    keys.accept(by=None, fingerprint_=offered.fingerprint)
    assert keys.active_key() == (keys.fingerprint(second), second)
    assert MatchKey.objects.get(fingerprint=keys.fingerprint(first)).state == MatchKey.State.RETIRED
    assert sorted(e.action for e in AuditEntry.objects.filter(action__startswith="match.key")) == [
        "match.key_accepted",
        "match.key_received",
        "match.key_received",
    ]


def test_a_key_whose_fingerprint_does_not_match_is_refused(db: None) -> None:
    key = bytes(range(32))
    with pytest.raises(wire.UnreadablePayload):
        keys.receive_key(
            InboundMessage(sender="GT-MP"), wire.dump(wire.KeyPayload(key=wire.b64(key), fingerprint="0" * 32))
        )
    with pytest.raises(wire.UnreadablePayload):
        keys.receive_key(
            InboundMessage(sender="GT-MP"), wire.dump(wire.KeyPayload(key=wire.b64(b"short"), fingerprint="0" * 32))
        )
    assert not MatchKey.objects.exists()


def test_a_query_made_under_another_key_is_refused_not_compared(
    mnet: FakeNetwork, prosecutor: User, gt_case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = bytes(range(5, 37))
    real_active = keys.active_key

    def asker_key() -> tuple[str, bytes] | None:  # SV encodes under another key than GT holds
        from vinculo.messaging import network

        return (keys.fingerprint(other), other) if network.node_id() == "SV-FGR" else real_active()

    monkeypatch.setattr(keys, "active_key", asker_key)
    with mnet.as_node("SV-FGR"):
        query = queries.ask(
            by=prosecutor, asked=queries.Asked(kind="phone", phone="+502 5512 3456"), purpose="investigation",
            case=None, case_reference="FGR-2026-014", legal_basis="MoU art. 4", members=["GT-MP"],
        )  # fmt: skip
    deliver_all(mnet)
    answer = QueryRecipient.objects.get(query=query)
    assert (answer.decision, answer.refusal, answer.hit_reference) == ("refused", "key_mismatch", "")


def test_a_node_rebuilt_from_scratch_restores_the_key_from_its_backup(db: None) -> None:
    for bad in ("zz" * 32, "ab" * 8, ""):
        with pytest.raises(DomainError) as refused:
            keys.restore(by=None, key_hex=bad)
        assert refused.value.code == "bad_key"
    restored = keys.restore(by=None, key_hex=bytes(range(32)).hex() + "\n")
    assert restored is not None
    assert restored.state == MatchKey.State.ACTIVE
    assert keys.restore(by=None, key_hex=bytes(range(32)).hex()) is None  # held already
    other = keys.restore(by=None, key_hex=bytes(range(1, 33)).hex())
    assert other is not None
    assert other.state == MatchKey.State.OFFERED  # never replaces the key in use by itself
    assert AuditEntry.objects.filter(action="match.key_restored").count() == 2


def test_the_key_made_with_a_copy_for_the_backup_restores_to_the_same_key(db: None, tmp_path: Any) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    copy = tmp_path / "match-key.hex"
    call_command("matching", "key", "generate", "--out", str(copy))
    assert copy.stat().st_mode & 0o777 == 0o600
    made = keys.active_key()
    assert made is not None
    assert bytes.fromhex(copy.read_text(encoding="ascii")) == made[1]
    with pytest.raises(CommandError):  # a second key, or the copy over an existing file: refused
        call_command("matching", "key", "generate", "--out", str(copy))
    MatchKey.objects.all().delete()
    call_command("matching", "key", "restore", str(copy))
    assert keys.active_key() == made
