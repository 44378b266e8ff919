"""The worker's batches and threads: sealed together, posted one by one, each message delivered exactly once."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from typing import Any

import pytest
from django.db import connection, connections, transaction

from vinculo.federation import envelope
from vinculo.messaging import handlers
from vinculo.messaging.management.commands.messaging import Command
from vinculo.messaging.models import InboundMessage, OutboundMessage
from vinculo.messaging.services import inbox, outbox
from vinculo.messaging.tests.conftest import FakeNetwork

PAYLOAD = json.dumps({"pregunta": "¿Conoce a esta persona?"}).encode()


def _send(recipient: str = "GT-MP", count: int = 1) -> list[OutboundMessage]:
    with transaction.atomic():
        return [outbox.send(type="system.ping", recipient=recipient, payload=PAYLOAD) for _ in range(count)]


def test_a_batch_is_sealed_together_then_posted_and_settled_one_by_one(net: FakeNetwork) -> None:
    messages = _send(count=5)
    posted: list[int] = []

    def post(url: str, data: bytes) -> tuple[int, bytes]:
        # Every envelope of the batch is recorded before the first one leaves.
        sent = [kind for kind, _node, _facts in net.evidence if kind == "envelope_sent"]
        posted.append(len(sent))
        return net.post_to_inbox(url, data)

    claimed = outbox.claim_due("w1", limit=10)
    assert claimed == [message.id for message in messages], "claimed in the order they are due"
    outcomes = outbox.deliver_batch(claimed, "w1", post=post)
    assert [outcome.delivered for outcome in outcomes] == [True] * 5
    assert posted == [5] * 5
    assert OutboundMessage.objects.filter(status=OutboundMessage.Status.DELIVERED).count() == 5
    assert InboundMessage.objects.count() == 5
    kinds = Counter(kind for kind, _node, _facts in net.evidence)
    assert kinds == {"envelope_sent": 5, "envelope_received": 5, "receipt_sent": 5, "receipt_received": 5}


def test_the_receipts_of_a_batch_are_recorded_together_once_every_envelope_is_posted(net: FakeNetwork) -> None:
    _send(count=3)
    delivered_while_posting: list[int] = []

    def post(url: str, data: bytes) -> tuple[int, bytes]:
        delivered_while_posting.append(OutboundMessage.objects.filter(status="delivered").count())
        return net.post_to_inbox(url, data)

    outcomes = outbox.deliver_batch(outbox.claim_due("w1"), "w1", post=post)
    assert [outcome.delivered for outcome in outcomes] == [True] * 3
    assert delivered_while_posting == [0, 0, 0]
    assert OutboundMessage.objects.filter(status="delivered").count() == 3


def test_a_module_hook_failing_on_one_receipt_does_not_hold_back_the_others(
    net: FakeNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages = _send(count=3)

    def on_delivered(message: OutboundMessage) -> None:
        if message.id == messages[1].id:
            raise RuntimeError("the module's own bug")

    monkeypatch.setitem(handlers.ON_DELIVERED, "system.ping", on_delivered)
    outcomes = outbox.deliver_batch(outbox.claim_due("w1"), "w1", post=net.post_to_inbox)
    assert [outcome.delivered for outcome in outcomes] == [True, False, True]
    assert outcomes[1].error == "receipt_not_recorded"
    failed = OutboundMessage.objects.get(id=messages[1].id)
    assert (failed.status, failed.claimed_by, failed.receipt) == ("pending", "w1", ""), "taken up when its claim ends"
    statuses = dict(OutboundMessage.objects.values_list("id", "status"))
    assert [statuses[message.id] for message in messages] == ["delivered", "pending", "delivered"]


def test_one_claim_takes_the_whole_batch_and_nobody_else_takes_it(net: FakeNetwork) -> None:
    messages = _send(count=7)
    first = outbox.claim_due("w1", limit=5)
    second = outbox.claim_due("w2", limit=5)
    assert len(first) == 5
    assert len(second) == 2
    assert set(first) | set(second) == {message.id for message in messages}
    assert outbox.claim_due("w3", limit=5) == []
    assert set(OutboundMessage.objects.values_list("claimed_by", flat=True)) == {"w1", "w2"}


def test_after_a_peer_fails_the_batch_does_not_wait_for_it_again(net: FakeNetwork) -> None:
    to_gt = _send("GT-MP", count=3)
    to_hn = _send("HN-MP")[0]
    calls: list[str] = []

    def gt_is_down(url: str, data: bytes) -> tuple[int, bytes]:
        calls.append(url)
        if "gt-mp" in url:
            raise TimeoutError("timed out")
        return net.post_to_inbox(url, data)

    outcomes = outbox.deliver_batch(outbox.claim_due("w1", limit=10), "w1", post=gt_is_down)
    assert sum("gt-mp" in url for url in calls) == 1, "one timeout, not three"
    assert [outcome.error for outcome in outcomes] == ["unreachable"] * 3 + [""]
    for message in to_gt:
        message.refresh_from_db()
        assert message.status == OutboundMessage.Status.PENDING
        assert message.attempts == 1
        assert message.last_error.startswith("unreachable")
        assert message.claimed_by == ""
    to_hn.refresh_from_db()
    assert to_hn.status == OutboundMessage.Status.DELIVERED


def test_a_worker_told_to_stop_gives_back_what_it_has_not_posted(net: FakeNetwork) -> None:
    messages = _send(count=4)
    posted: list[bytes] = []

    def post(url: str, data: bytes) -> tuple[int, bytes]:
        posted.append(data)
        return net.post_to_inbox(url, data)

    outcomes = outbox.deliver_batch(
        outbox.claim_due("w1", limit=10), "w1", post=post, should_stop=lambda: len(posted) >= 1
    )
    assert [outcome.delivered for outcome in outcomes] == [True, False, False, False]
    assert [outcome.error for outcome in outcomes[1:]] == ["not_posted"] * 3
    rest = OutboundMessage.objects.filter(id__in=[message.id for message in messages[1:]])
    assert {(row.status, row.attempts, row.claimed_by) for row in rest} == {("pending", 0, "")}
    # The next pass delivers them with the envelopes already recorded (no second envelope_sent).
    assert all(outcome.delivered for outcome in outbox.deliver_batch(outbox.claim_due("w2"), "w2", post=post))
    sent = Counter(facts["message_id"] for kind, _node, facts in net.evidence if kind == "envelope_sent")
    assert set(sent.values()) == {1}
    assert InboundMessage.objects.count() == 4


def test_a_receipt_another_worker_already_recorded_is_not_recorded_again(net: FakeNetwork) -> None:
    [message] = _send()
    [claimed] = outbox.claim_due("w1")

    def slow_post(url: str, data: bytes) -> tuple[int, bytes]:
        answer = net.post_to_inbox(url, data)
        # While w1 waits for this answer its claim runs out, and w2 takes the message over and
        # delivers it (the inbox answers w2 with the same receipt).
        OutboundMessage.objects.filter(id=message.id).update(claimed_by="w2")
        assert outbox.deliver(message.id, "w2", post=net.post_to_inbox).delivered
        return answer

    [outcome] = outbox.deliver_batch([claimed], "w1", post=slow_post)
    assert outcome.delivered
    kinds = Counter(kind for kind, _node, _facts in net.evidence)
    assert kinds["receipt_received"] == 1, "the receipt is recorded once"
    assert kinds["envelope_received"] == 1
    assert InboundMessage.objects.count() == 1
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.DELIVERED


def test_a_worker_does_not_post_once_its_claim_has_run_out(net: FakeNetwork) -> None:
    [message] = _send()
    claimed = outbox.claim_due("w1")
    OutboundMessage.objects.filter(id=message.id).update(claimed_until=message.created_at)

    def post(url: str, data: bytes) -> tuple[int, bytes]:
        raise AssertionError("posted on an expired claim")

    [outcome] = outbox.deliver_batch(claimed, "w1", post=post)
    assert (outcome.delivered, outcome.final, outcome.error) == (False, False, "not_posted")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads share one in-memory SQLite database")
@pytest.mark.django_db(transaction=True, available_apps=["vinculo.messaging"])
def test_concurrent_delivery_threads_deliver_each_message_exactly_once(
    net: FakeNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages = _send(count=60)
    stopping = threading.Event()
    posts: Counter[str] = Counter()
    original = net.post_to_inbox

    def counting_post(url: str, data: bytes) -> tuple[int, bytes]:
        posts[envelope.sha256_of(data)] += 1
        return original(url, data)

    monkeypatch.setattr(outbox, "http_post_with_headers", counting_post)
    worker = Command()
    threads = [
        threading.Thread(target=worker._deliver_loop, args=("w", 3, stopping), name=f"delivery-{number}")
        for number in range(4)
    ]
    for thread in threads:
        thread.start()
    try:
        for _ in range(300):
            if not OutboundMessage.objects.filter(status=OutboundMessage.Status.PENDING).exists():
                break
            stopping.wait(0.1)
    finally:
        stopping.set()
        for thread in threads:
            thread.join()
        connections.close_all()
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"delivered"}
    assert sorted(InboundMessage.objects.values_list("message_id", flat=True)) == sorted(m.id for m in messages)
    kinds = Counter(kind for kind, _node, _facts in net.evidence)
    assert kinds["receipt_received"] == 60
    assert kinds["envelope_received"] == 60
    assert len(posts) == 60
    assert set(posts.values()) == {1}, "each envelope posted once"


def test_the_inbox_recognises_a_repeat_with_one_query(net: FakeNetwork, django_assert_num_queries: Any) -> None:
    [message] = _send()
    posted: list[bytes] = []

    def keep(url: str, data: bytes) -> tuple[int, bytes]:
        posted.append(data)
        return net.post_to_inbox(url, data)

    assert outbox.deliver_batch(outbox.claim_due("w1"), "w1", post=keep)[0].delivered
    sv, gt = net.nodes["SV-FGR"], net.nodes["GT-MP"]
    # The same message sealed again for a retry: other bytes, the same signed content.
    header = envelope.Header(
        id=str(message.id), type="system.ping", sender="SV-FGR", recipient="GT-MP", created_at=int(time.time()) + 1,
        sender_key=sv.signing.thumbprint(), recipient_key=gt.encryption.thumbprint(),
    )  # fmt: skip
    resealed = envelope.seal(header, PAYLOAD, signing_key=sv.signing, recipient_key=gt.encryption.recipient_key)
    with net.as_node("GT-MP"):
        with django_assert_num_queries(1):
            again = inbox.receive(posted[0])
        assert again.duplicate
        with django_assert_num_queries(1):
            retried = inbox.receive(resealed)
    assert retried.duplicate
    assert retried.receipt == again.receipt
    assert (again.message.message_id, again.message.type) == (message.id, "system.ping"), "the rest loads on access"
    assert InboundMessage.objects.count() == 1
