"""Outbox, worker and inbox together: delivered once, proven by a receipt, never lost."""

from __future__ import annotations

import json
import random
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from vinculo.core.errors import DomainError
from vinculo.federation import envelope
from vinculo.messaging import handlers
from vinculo.messaging.models import InboundMessage, OutboundMessage, RefusedEnvelope
from vinculo.messaging.services import inbox, outbox
from vinculo.messaging.tests.conftest import FakeNetwork

PAYLOAD = json.dumps({"pregunta": "¿Conoce a esta persona?"}).encode()


def _send(net: FakeNetwork, recipient: str = "GT-MP", *, payload_size: int = 0) -> OutboundMessage:
    with transaction.atomic():
        payload = b"x" * payload_size if payload_size else PAYLOAD
        return outbox.send(type="system.ping", recipient=recipient, payload=payload)


def _work(net: FakeNetwork, worker: str = "w1", *, post: object = None) -> list[outbox.Outcome]:
    return [outbox.deliver(i, worker, post=post or net.post_to_inbox) for i in outbox.claim_due(worker)]  # type: ignore[arg-type]


def test_a_message_is_delivered_once_and_proven_by_a_receipt(net: FakeNetwork) -> None:
    message = _send(net)
    assert message.payload.startswith("vault1."), "the content waits sealed, never in clear"
    outcomes = _work(net)
    assert [outcome.delivered for outcome in outcomes] == [True]
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.DELIVERED
    assert message.payload == "", "the content is not kept once delivered"
    receipt = envelope.verify_receipt(message.receipt, verify_key=net.nodes["GT-MP"].signing.verify_key)
    assert receipt.message_id == str(message.id)
    assert receipt.envelope_sha256 == message.attempt_digests[-1]
    received = InboundMessage.objects.get(message_id=message.id)
    assert received.sender == "SV-FGR"
    with net.as_node("GT-MP"):
        assert inbox.payload_of(received) == PAYLOAD
    assert not _work(net), "nothing is left to deliver"
    kinds = [kind for kind, _node, _facts in net.evidence]
    assert kinds == ["envelope_sent", "envelope_received", "receipt_sent", "receipt_received"]


def test_the_same_envelope_posted_twice_gets_the_same_receipt(net: FakeNetwork) -> None:
    message = _send(net)
    posted: list[bytes] = []

    def post_twice(url: str, data: bytes) -> tuple[int, bytes]:
        posted.append(data)
        first = net.post_to_inbox(url, data)
        second = net.post_to_inbox(url, data)
        assert json.loads(first[1])["receipt"] == json.loads(second[1])["receipt"]
        assert json.loads(second[1])["duplicate"] is True
        return second

    _work(net, post=post_twice)
    assert InboundMessage.objects.filter(message_id=message.id).count() == 1


def test_a_retry_sealed_again_after_the_window_is_recognised(net: FakeNetwork) -> None:
    message = _send(net)
    lost: list[bytes] = []

    def lose_the_answer(url: str, data: bytes) -> tuple[int, bytes]:
        net.post_to_inbox(url, data)  # received and stored, but the receipt never comes back
        lost.append(data)
        raise OSError("connection reset")

    _work(net, post=lose_the_answer)
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.PENDING
    assert message.attempts == 1
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        outcomes = _work(net)
    assert [outcome.delivered for outcome in outcomes] == [True]
    message.refresh_from_db()
    assert len(message.attempt_digests) == 2, "sealed again: the first envelope was past the window"
    assert InboundMessage.objects.filter(message_id=message.id).count() == 1, "delivered exactly once"
    receipt = envelope.verify_receipt(message.receipt, verify_key=net.nodes["GT-MP"].signing.verify_key)
    assert receipt.envelope_sha256 == message.attempt_digests[0], "the receipt given the first time"


def test_a_message_id_reused_for_other_content_is_refused_as_a_replay(net: FakeNetwork) -> None:
    message = _send(net)
    _work(net)
    sv, gt = net.nodes["SV-FGR"], net.nodes["GT-MP"]
    header = envelope.Header(
        id=str(message.id), type="system.ping", sender="SV-FGR", recipient="GT-MP",
        created_at=int(timezone.now().timestamp()), sender_key=sv.signing.thumbprint(),
        recipient_key=gt.encryption.thumbprint(),
    )  # fmt: skip
    other = envelope.seal(header, b"otro contenido", signing_key=sv.signing, recipient_key=gt.encryption.recipient_key)
    with net.as_node("GT-MP"), pytest.raises(inbox.Refused) as refused:
        inbox.receive(other)
    assert refused.value.code == "replay"
    assert RefusedEnvelope.objects.get().claimed_id == str(message.id)


@pytest.mark.parametrize("damage", ["payload", "header", "recipient"])
def test_tampered_or_misdirected_envelopes_are_refused_and_leave_nothing(net: FakeNetwork, damage: str) -> None:
    sv, gt = net.nodes["SV-FGR"], net.nodes["GT-MP"]
    header = envelope.Header(
        id=str(uuid.uuid4()), type="system.ping", sender="SV-FGR", recipient="GT-MP",
        created_at=int(timezone.now().timestamp()), sender_key=sv.signing.thumbprint(),
        recipient_key=gt.encryption.thumbprint(),
    )  # fmt: skip
    data = bytearray(envelope.seal(header, PAYLOAD, signing_key=sv.signing, recipient_key=gt.encryption.recipient_key))
    receiver = "GT-MP"
    if damage == "payload":
        position = len(data) - 30
        data[position] = ord("A") if data[position] != ord("A") else ord("B")
    elif damage == "header":
        data[5] = ord("A") if data[5] != ord("A") else ord("B")
    else:
        receiver = "HN-MP"  # GT's envelope posted to HN's inbox
    with net.as_node(receiver), pytest.raises(inbox.Refused) as refused:
        inbox.receive(bytes(data))
    assert refused.value.code in {"undecryptable", "malformed", "wrong_recipient", "bad_signature", "header_mismatch"}
    assert not InboundMessage.objects.exists()
    assert RefusedEnvelope.objects.get().code == refused.value.code


def test_unknown_and_suspended_senders_are_refused(net: FakeNetwork) -> None:
    intruder = SigningKeyHolder()
    gt = net.nodes["GT-MP"]
    header = envelope.Header(
        id=str(uuid.uuid4()), type="system.ping", sender="PA-MP", recipient="GT-MP",
        created_at=int(timezone.now().timestamp()), sender_key=intruder.key.thumbprint(),
        recipient_key=gt.encryption.thumbprint(),
    )  # fmt: skip
    data = envelope.seal(header, PAYLOAD, signing_key=intruder.key, recipient_key=gt.encryption.recipient_key)
    with net.as_node("GT-MP"), pytest.raises(inbox.Refused) as refused:
        inbox.receive(data)
    assert refused.value.code == "unknown_sender"
    message = _send(net)
    net.nodes["SV-FGR"].status = "suspended"
    outcomes = _work(net)
    assert outcomes[0].final
    assert outcomes[0].error == "suspended_sender"
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.FAILED
    assert not InboundMessage.objects.exists()


class SigningKeyHolder:
    def __init__(self) -> None:
        self.key = envelope.SigningKey.generate()


def test_an_unreachable_recipient_is_retried_with_growing_delays_then_given_up(net: FakeNetwork) -> None:
    message = _send(net)
    message.give_up_at = timezone.now() + timedelta(minutes=30)
    message.save(update_fields=["give_up_at"])

    def down(url: str, data: bytes) -> tuple[int, bytes]:
        raise ConnectionRefusedError("connection refused")

    delays = []
    moment = timezone.now()
    for _attempt in range(10):
        with time_machine.travel(moment):
            outcomes = _work(net, post=down)
        message.refresh_from_db()
        if message.status == OutboundMessage.Status.FAILED:
            break
        delays.append((message.next_attempt_at - moment).total_seconds())
        moment = message.next_attempt_at + timedelta(seconds=1)
    assert message.status == OutboundMessage.Status.FAILED
    assert outcomes[0].final
    assert "unreachable" in message.last_error
    assert delays == sorted(delays), "each wait is longer than the one before (with jitter)"
    assert ("delivery_failed", "SV-FGR") in [(kind, node) for kind, node, _facts in net.evidence]
    assert message.payload == ""


def test_backoff_grows_exponentially_with_jitter_and_is_capped() -> None:
    rng = random.Random(7)
    first = [outbox.backoff(1, rng=rng) for _ in range(50)]
    assert all(2.5 <= delay <= 5 for delay in first)
    assert len({round(delay, 3) for delay in first}) > 40, "jitter spreads the retries"
    assert all(outbox.backoff(30, rng=rng) <= outbox.MAX_DELAY_SECONDS for _ in range(10))
    assert outbox.backoff(5, rng=random.Random(1)) > outbox.backoff(2, rng=random.Random(1))


def test_two_workers_never_deliver_the_same_message(net: FakeNetwork) -> None:
    messages = [_send(net) for _ in range(6)]
    first = set(outbox.claim_due("w1", limit=4))
    second = set(outbox.claim_due("w2", limit=10))
    assert not first & second
    assert first | second == {message.id for message in messages}
    for message_id in second:
        assert outbox.deliver(message_id, "w1", post=net.post_to_inbox).final  # not w1's claim: untouched
    assert not InboundMessage.objects.filter(message_id__in=second).exists()


def test_a_claim_left_by_a_killed_worker_expires(net: FakeNetwork) -> None:
    message = _send(net)
    assert outbox.claim_due("killed") == [message.id]
    assert outbox.claim_due("w2") == [], "claimed: nobody else takes it"
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.DELIVERY_CLAIM_SECONDS + 1)):
        assert outbox.claim_due("w2") == [message.id]
        assert outbox.deliver(message.id, "w2", post=net.post_to_inbox).delivered


def test_bad_sends_are_refused_before_anything_is_queued(net: FakeNetwork) -> None:
    with pytest.raises(DomainError) as unknown:
        _send(net, recipient="PA-MP")
    assert unknown.value.code == "unknown_recipient"
    with pytest.raises(DomainError) as itself:
        _send(net, recipient="SV-FGR")
    assert itself.value.code == "to_itself"
    net.nodes["HN-MP"].status = "suspended"
    with pytest.raises(DomainError) as suspended:
        _send(net, recipient="HN-MP")
    assert suspended.value.code == "suspended_recipient"
    net.with_policy(message_types=("request.information",))
    with pytest.raises(DomainError) as not_allowed, transaction.atomic():
        outbox.send(type="alert", recipient="GT-MP", payload=PAYLOAD)
    assert not_allowed.value.code == "type_not_allowed"
    with pytest.raises(DomainError) as too_large:
        _send(net, payload_size=net.policy.max_envelope_bytes)
    assert too_large.value.code == "too_large"
    assert not OutboundMessage.objects.exists()
    _send(net)  # the protocol's own types are always allowed
    assert OutboundMessage.objects.count() == 1


def test_a_type_the_policy_does_not_allow_is_refused_at_the_inbox(net: FakeNetwork) -> None:
    with transaction.atomic():
        outbox.send(type="alert", recipient="GT-MP", payload=PAYLOAD)
    net.with_policy(message_types=("request.information",))  # the receiver's policy is stricter
    [outcome] = _work(net)
    assert outcome.final
    assert outcome.error == "type_not_allowed"
    assert not InboundMessage.objects.exists()


def test_a_refusal_that_cannot_be_overcome_gives_up_at_once(net: FakeNetwork) -> None:
    message = _send(net)

    def refuses(url: str, data: bytes) -> tuple[int, bytes]:
        return 400, json.dumps({"code": "bad_signature", "detail": "no"}).encode()

    [outcome] = _work(net, post=refuses)
    assert outcome.final
    assert not outcome.delivered
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.FAILED
    assert message.last_error.startswith("bad_signature")


def test_a_forged_receipt_is_not_accepted(net: FakeNetwork) -> None:
    message = _send(net)

    def forged(url: str, data: bytes) -> tuple[int, bytes]:
        token = envelope.sign_receipt(
            message_id=str(message.id), envelope_sha256=envelope.sha256_of(data), received_at=1,
            receiver="GT-MP", sender="SV-FGR", signing_key=envelope.SigningKey.generate(),
        )  # fmt: skip
        return 200, json.dumps({"receipt": token}).encode()

    [outcome] = _work(net, post=forged)
    assert not outcome.delivered
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.PENDING
    assert message.last_error.startswith("bad_receipt")


def test_accepted_messages_go_to_their_handler_once(net: FakeNetwork, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bytes] = []
    monkeypatch.setitem(handlers.HANDLERS, "system.ping", lambda message, payload: seen.append(payload))
    _send(net)
    _work(net)
    with net.as_node("GT-MP"):
        assert handlers.process_pending() == 1
        assert handlers.process_pending() == 0
    assert seen == [PAYLOAD]


def test_a_message_that_arrives_before_the_one_it_depends_on_waits_then_is_handled(
    net: FakeNetwork,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Handlers may say NotYet: the message stays in the inbox, is offered again, and is set aside only after long."""
    from datetime import timedelta

    from django.utils import timezone

    from vinculo.messaging import handlers
    from vinculo.vault import crypto, keys

    ready = {"now": False}

    def depends(message: InboundMessage, payload: bytes) -> None:
        if not ready["now"]:
            raise handlers.NotYet("the earlier message is not here yet")

    def arrived(**fields: object) -> InboundMessage:
        message_id = uuid.uuid4()
        payload = crypto.seal_bytes(
            b"{}", keyring=keys.current_keyring(), context=InboundMessage.context("SV-FGR", message_id)
        )
        return InboundMessage.objects.create(
            sender="SV-FGR", message_id=message_id, type="system.ping", message_digest=uuid.uuid4().hex * 2,
            envelope_sha256=uuid.uuid4().hex * 2, signed="x", receipt="y", payload=payload, **fields,
        )  # fmt: skip

    monkeypatch.setitem(handlers.HANDLERS, "system.ping", depends)
    monkeypatch.setattr(handlers, "_waiting", {})
    early = arrived()
    assert handlers.process_pending() == 0
    early.refresh_from_db()
    assert (early.processed_at, early.processing_error) == (None, "")
    assert handlers.process_pending() == 0  # not offered again before the pause
    ready["now"] = True
    monkeypatch.setattr(handlers, "_waiting", {})  # the pause is over
    assert handlers.process_pending() == 1
    early.refresh_from_db()
    assert early.processed_at is not None

    ready["now"] = False
    stale = arrived(received_at=timezone.now() - timedelta(days=8))
    handlers.process_pending()
    stale.refresh_from_db()
    assert stale.processing_error.startswith("waited too long for an earlier message")


def _refuses(url: str, data: bytes) -> tuple[int, bytes]:
    return 400, json.dumps({"code": "bad_signature", "detail": "no"}).encode()


def test_the_sending_module_is_told_of_a_give_up_and_not_of_a_delivery(
    net: FakeNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handlers, "HANDLERS", dict(handlers.HANDLERS))
    monkeypatch.setattr(handlers, "ON_DELIVERED", {})
    monkeypatch.setattr(handlers, "ON_GIVEN_UP", {})
    delivered: list[uuid.UUID] = []
    given_up: list[tuple[uuid.UUID, bool]] = []

    def on_given_up(message: OutboundMessage) -> None:
        # Inside the give-up's transaction: the row is already marked failed.
        stored = OutboundMessage.objects.get(id=message.id)
        given_up.append((message.id, stored.status == OutboundMessage.Status.FAILED))

    handlers.register(
        "system.ping",
        handlers.HANDLERS["system.ping"],
        on_delivered=lambda message: delivered.append(message.id),
        on_given_up=on_given_up,
    )
    arrives = _send(net)
    _work(net)
    assert (delivered, given_up) == ([arrives.id], []), "a delivered message is not given up"
    refused = _send(net)
    [outcome] = _work(net, post=_refuses)
    assert outcome.final
    assert given_up == [(refused.id, True)]
    assert delivered == [arrives.id]


def test_a_failing_give_up_hook_does_not_undo_the_give_up(
    net: FakeNetwork, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    message = _send(net)
    message.give_up_at = timezone.now() + timedelta(seconds=1)  # the next attempt would be too late
    message.save(update_fields=["give_up_at"])

    def hook(given_up: OutboundMessage) -> None:
        OutboundMessage.objects.filter(id=given_up.id).update(last_error="written by the hook")
        raise RuntimeError("the module's own bug")

    def down(url: str, data: bytes) -> tuple[int, bytes]:
        raise ConnectionRefusedError("connection refused")

    monkeypatch.setitem(handlers.ON_GIVEN_UP, "system.ping", hook)
    [outcome] = _work(net, post=down)
    assert outcome.final
    assert not outcome.delivered
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.FAILED
    assert "unreachable" in message.last_error, "the hook's own writes are rolled back with it"
    assert (message.payload, message.claimed_by) == ("", "")
    assert ("delivery_failed", "SV-FGR") in [(kind, node) for kind, node, _facts in net.evidence]
    assert "the module's own bug" in caplog.text
    assert not _work(net, post=down), "nothing is left to deliver"
