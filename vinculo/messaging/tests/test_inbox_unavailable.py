"""An envelope that comes while the node holds no directory in force is refused (503) and recorded.

GT-MP is the node under test; its directory has expired. SV-FGR, a member, keeps posting a real
envelope; an attacker at 203.0.113.66 posts rubbish meanwhile.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from vinculo.federation import envelope
from vinculo.messaging.models import InboundMessage, RefusedEnvelope
from vinculo.messaging.services import inbox, refusal_limits
from vinculo.messaging.tests.conftest import FakeNetwork

PEER = "198.51.100.7"
FLOODER = "203.0.113.66"
LIMIT = 3
# 10:00:05 UTC: 55 seconds are left in this minute's window.
MOMENT = datetime(2026, 9, 21, 10, 0, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _limit(settings) -> None:  # type: ignore[no-untyped-def]
    settings.INBOX_REFUSALS_PER_MINUTE = LIMIT


def post(client: Client, data: bytes, address: str = PEER):  # type: ignore[no-untyped-def]
    return client.post(reverse("messaging:inbox"), data=data, content_type="application/jose", REMOTE_ADDR=address)


def sealed_by_sv(net: FakeNetwork) -> bytes:
    sv, gt = net.nodes["SV-FGR"], net.nodes["GT-MP"]
    header = envelope.Header(
        id=str(uuid.uuid4()), type="system.ping", sender="SV-FGR", recipient="GT-MP", created_at=int(time.time()),
        sender_key=sv.signing.thumbprint(), recipient_key=gt.encryption.thumbprint(),
    )  # fmt: skip
    return envelope.seal(header, b"{}", signing_key=sv.signing, recipient_key=gt.encryption.recipient_key)


def test_an_envelope_without_a_directory_in_force_is_refused_and_recorded(client: Client, net: FakeNetwork) -> None:
    data = sealed_by_sv(net)
    net.available = False
    with net.as_node("GT-MP"):
        answer = post(client, data)
    assert answer.status_code == 503
    assert answer.json()["code"] == "directory_expired"
    refusal = RefusedEnvelope.objects.get()
    assert refusal.code == "directory_expired"
    assert refusal.remote_address == PEER
    assert refusal.envelope_sha256 == envelope.sha256_of(data)
    assert refusal.size == len(data)
    routing = envelope.read_routing(data, max_bytes=len(data))
    assert (refusal.claimed_sender, refusal.claimed_id) == ("SV-FGR", routing.id), "what the clear header claimed"
    [(kind, node, facts)] = net.evidence
    assert (kind, node, facts["facts"]) == ("envelope_refused", "GT-MP", {"code": "directory_expired"})
    # A directory in force again: the same envelope is accepted.
    net.available = True
    with net.as_node("GT-MP"):
        assert post(client, data).status_code == 200
    assert InboundMessage.objects.filter(sender="SV-FGR").count() == 1


def test_the_service_refuses_the_same_way(net: FakeNetwork) -> None:
    net.available = False
    with net.as_node("GT-MP"), pytest.raises(inbox.Refused) as refused:
        inbox.receive(sealed_by_sv(net), remote_address=PEER)
    assert (refused.value.status, refused.value.code) == (503, "directory_expired")
    assert RefusedEnvelope.objects.get().code == "directory_expired"


def test_refusals_without_a_directory_count_towards_the_address_s_share(client: Client, net: FakeNetwork) -> None:
    net.available = False
    with net.as_node("GT-MP"), time_machine.travel(MOMENT, tick=False):
        flooded = [post(client, b"rubbish-%d" % number, FLOODER).status_code for number in range(LIMIT + 4)]
        limited = post(client, b"rubbish-99", FLOODER)
        from_the_peer = post(client, sealed_by_sv(net), PEER)
    assert flooded == [503] * LIMIT + [429] * 4, "recorded up to the share, then only counted"
    assert limited.json()["code"] == refusal_limits.RATE_LIMITED
    assert limited["Retry-After"] == "55"
    assert from_the_peer.status_code == 503, "another address has its own share"
    assert RefusedEnvelope.objects.filter(code="directory_expired", remote_address=FLOODER).count() == LIMIT
    summary = RefusedEnvelope.objects.get(code=refusal_limits.RATE_LIMITED)
    assert (summary.remote_address, summary.size) == (FLOODER, 5)
    assert sum(kind == "envelope_refused" for kind, _node, _facts in net.evidence) == LIMIT + 1
