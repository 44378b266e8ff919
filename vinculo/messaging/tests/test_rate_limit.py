"""A flood of rubbish at the inbox is counted, not logged envelope by envelope, and never delays a peer.

GT-MP is the node under test. An attacker at 203.0.113.66 posts envelopes that are refused;
SV-FGR, a member, keeps sending real ones, from its own address or through the same proxy.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from vinculo.federation import envelope
from vinculo.messaging.models import InboundMessage, RefusedEnvelope
from vinculo.messaging.services import refusal_limits
from vinculo.messaging.tests.conftest import FakeNetwork

FLOODER = "203.0.113.66"
PEER = "198.51.100.7"
LIMIT = 5
# 10:00:05 UTC: 55 seconds are left in this minute's window.
MOMENT = datetime(2026, 9, 21, 10, 0, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _limit(settings) -> None:
    settings.INBOX_REFUSALS_PER_MINUTE = LIMIT


def post(client: Client, data: bytes, address: str):  # type: ignore[no-untyped-def]
    return client.post(reverse("messaging:inbox"), data=data, content_type="application/jose", REMOTE_ADDR=address)


def rubbish(number: int) -> bytes:
    return b"not-an-envelope-%d" % number


def flood(client: Client, count: int, *, start: int = 0, address: str = FLOODER) -> list[int]:
    return [post(client, rubbish(start + number), address).status_code for number in range(count)]


def refusals_logged(net: FakeNetwork) -> int:
    return sum(kind == "envelope_refused" for kind, _node, _facts in net.evidence)


def sealed_by_sv(net: FakeNetwork, *, message_type: str = "system.ping") -> bytes:
    sv, gt = net.nodes["SV-FGR"], net.nodes["GT-MP"]
    header = envelope.Header(
        id=str(uuid.uuid4()), type=message_type, sender="SV-FGR", recipient="GT-MP", created_at=int(time.time()),
        sender_key=sv.signing.thumbprint(), recipient_key=gt.encryption.thumbprint(),
    )  # fmt: skip
    return envelope.seal(header, b"{}", signing_key=sv.signing, recipient_key=gt.encryption.recipient_key)


def test_a_flood_is_answered_rate_limited_and_counted_in_one_row(client: Client, net: FakeNetwork) -> None:
    with net.as_node("GT-MP"), time_machine.travel(MOMENT, tick=False):
        assert flood(client, LIMIT) == [400] * LIMIT, "the first refusals are recorded as usual"
        limited = post(client, rubbish(99), FLOODER)
        assert flood(client, 30, start=100) == [429] * 30
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert limited["Retry-After"] == "55"
    assert RefusedEnvelope.objects.exclude(code="rate_limited").count() == LIMIT
    summary = RefusedEnvelope.objects.get(code="rate_limited")
    assert (summary.remote_address, summary.size) == (FLOODER, 31), "every envelope turned away is counted"
    assert refusals_logged(net) == LIMIT, "no evidence entry per envelope turned away"


def test_the_limit_resets_with_the_next_minute(client: Client, net: FakeNetwork) -> None:
    with net.as_node("GT-MP"):
        with time_machine.travel(MOMENT, tick=False):
            flood(client, LIMIT + 3)
        with time_machine.travel(MOMENT + timedelta(seconds=55), tick=False):
            assert flood(client, LIMIT + 2, start=100) == [400] * LIMIT + [429] * 2
    assert RefusedEnvelope.objects.exclude(code="rate_limited").count() == 2 * LIMIT
    assert sorted(RefusedEnvelope.objects.filter(code="rate_limited").values_list("size", flat=True)) == [2, 3]
    assert refusals_logged(net) == 2 * LIMIT


def test_a_member_gets_its_receipts_during_a_flood_even_through_the_same_proxy(
    client: Client, net: FakeNetwork
) -> None:
    with net.as_node("GT-MP"), time_machine.travel(MOMENT, tick=False):
        flood(client, LIMIT + 10)
        from_own_address = post(client, sealed_by_sv(net), PEER)
        from_the_flooders_address = post(client, sealed_by_sv(net), FLOODER)
        assert flood(client, 5, start=500) == [429] * 5, "the flood is still limited"
    for answer in (from_own_address, from_the_flooders_address):
        assert answer.status_code == 200
        assert answer.json()["receipt"]
    assert InboundMessage.objects.count() == 2


def test_a_members_refusal_after_its_signature_verified_is_recorded_with_its_own_code(
    client: Client, net: FakeNetwork
) -> None:
    net.with_policy(message_types=("request.information",))  # the member sends a type GT does not take
    with net.as_node("GT-MP"), time_machine.travel(MOMENT, tick=False):
        flood(client, LIMIT + 3)
        answer = post(client, sealed_by_sv(net, message_type="alert"), FLOODER)
    assert answer.status_code == 400
    assert answer.json()["code"] == "type_not_allowed"
    assert RefusedEnvelope.objects.filter(code="type_not_allowed", claimed_sender="SV-FGR").count() == 1


def test_each_address_has_its_own_share(client: Client, net: FakeNetwork) -> None:
    with net.as_node("GT-MP"), time_machine.travel(MOMENT, tick=False):
        flood(client, LIMIT + 5)
        assert flood(client, 2, address=PEER) == [400, 400], "another address's refusals are still recorded"
    assert RefusedEnvelope.objects.filter(remote_address=PEER).count() == 2


def test_refusals_recorded_by_another_process_count(client: Client, net: FakeNetwork) -> None:
    """The limiter keeps nothing in memory: the rows themselves, whoever wrote them, are the count."""

    def row(at: datetime) -> RefusedEnvelope:
        return RefusedEnvelope(
            code="malformed", envelope_sha256="0" * 64, size=10, remote_address=FLOODER, refused_at=at
        )

    row(MOMENT - timedelta(seconds=10)).save()  # the minute before: not counted
    RefusedEnvelope.objects.bulk_create([row(MOMENT) for _ in range(LIMIT - 1)])
    with net.as_node("GT-MP"), time_machine.travel(MOMENT + timedelta(seconds=1), tick=False):
        assert flood(client, 2) == [400, 429]


def test_the_window_follows_the_clock_minutes() -> None:
    window = refusal_limits.Window.at(datetime(2026, 9, 21, 10, 0, 59, 500_000, tzinfo=UTC))
    assert window.start == datetime(2026, 9, 21, 10, 0, tzinfo=UTC)
    assert window.end == datetime(2026, 9, 21, 10, 1, tzinfo=UTC)
    assert window.seconds_left(datetime(2026, 9, 21, 10, 0, 59, 500_000, tzinfo=UTC)) == 1
    assert window.seconds_left(datetime(2026, 9, 21, 10, 0, 0, tzinfo=UTC)) == 60
