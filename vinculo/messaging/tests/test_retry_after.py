"""A peer's inbox that answers ``429 rate_limited`` is tried again later, no sooner than it asked.

SV-FGR sends to GT-MP; GT-MP's inbox has had too many refusals from SV-FGR's address this minute
(a flooder behind the same proxy) and answers with ``Retry-After``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from vinculo.messaging.models import InboundMessage, OutboundMessage
from vinculo.messaging.services import outbox
from vinculo.messaging.tests.conftest import FakeNetwork

RATE_LIMITED = json.dumps({"code": "rate_limited", "detail": "too many refused envelopes from this address"}).encode()


def _send() -> OutboundMessage:
    with transaction.atomic():
        return outbox.send(type="system.ping", recipient="GT-MP", payload=b"{}")


def _work(post: outbox.PostFunction) -> list[outbox.Outcome]:
    return outbox.deliver_batch(outbox.claim_due("w1"), "w1", post=post)


def rate_limited(retry_after: str | None) -> outbox.PostFunction:
    def post(url: str, data: bytes) -> tuple[int, bytes, Mapping[str, str]]:
        return 429, RATE_LIMITED, ({} if retry_after is None else {"retry-after": retry_after})

    return post


def test_rate_limited_is_transient_and_the_next_attempt_waits_for_retry_after(net: FakeNetwork) -> None:
    message = _send()
    moment = timezone.now()
    with time_machine.travel(moment, tick=False):
        [outcome] = _work(rate_limited("120"))
    assert (outcome.delivered, outcome.final, outcome.error) == (False, False, "rate_limited")
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.PENDING
    assert message.attempts == 1
    assert message.last_error == "rate_limited"
    assert message.next_attempt_at == moment + timedelta(seconds=120), "not before Retry-After (backoff: 2.5-5 s)"
    with time_machine.travel(moment + timedelta(seconds=119), tick=False):
        assert outbox.claim_due("w1") == [], "not due before Retry-After has passed"


def test_a_later_success_delivers_the_message_once(net: FakeNetwork) -> None:
    message = _send()
    moment = timezone.now()
    with time_machine.travel(moment, tick=False):
        _work(rate_limited("30"))
    with time_machine.travel(moment + timedelta(seconds=31), tick=False):
        [outcome] = _work(net.post_to_inbox)
        assert outcome.delivered
        assert _work(net.post_to_inbox) == [], "nothing left to deliver"
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboundMessage.Status.DELIVERED, 2)
    assert InboundMessage.objects.filter(message_id=message.id).count() == 1


def test_a_header_written_in_another_case_is_read(net: FakeNetwork) -> None:
    message = _send()
    moment = timezone.now()

    def post(url: str, data: bytes) -> tuple[int, bytes, Mapping[str, str]]:
        return 429, RATE_LIMITED, {"Retry-After": " 45 "}

    with time_machine.travel(moment, tick=False):
        _work(post)
    message.refresh_from_db()
    assert message.next_attempt_at == moment + timedelta(seconds=45)


def test_a_very_long_retry_after_is_cut_to_the_maximum(net: FakeNetwork) -> None:
    message = _send()
    moment = timezone.now()
    with time_machine.travel(moment, tick=False):
        _work(rate_limited("86400"))
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.PENDING
    assert message.next_attempt_at == moment + timedelta(seconds=outbox.MAX_RETRY_AFTER_SECONDS)


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5", "Wed, 21 Oct 2026 07:28:00 GMT", "9" * 30])
def test_a_missing_or_malformed_retry_after_falls_back_to_the_backoff(net: FakeNetwork, value: str | None) -> None:
    message = _send()
    moment = timezone.now()
    with time_machine.travel(moment, tick=False):
        [outcome] = _work(rate_limited(value))
    assert not outcome.final
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.PENDING
    waited = (message.next_attempt_at - moment).total_seconds()
    assert outbox.BASE_DELAY_SECONDS / 2 <= waited <= outbox.BASE_DELAY_SECONDS, "the first attempt's backoff"


def test_a_poster_without_headers_still_gets_the_backoff(net: FakeNetwork) -> None:
    message = _send()
    moment = timezone.now()

    def post(url: str, data: bytes) -> tuple[int, bytes]:
        return 429, RATE_LIMITED

    with time_machine.travel(moment, tick=False):
        [outcome] = _work(post)
    assert (outcome.final, outcome.error) == (False, "rate_limited")
    message.refresh_from_db()
    assert (message.next_attempt_at - moment).total_seconds() <= outbox.BASE_DELAY_SECONDS


def test_retry_after_is_read_as_whole_seconds_only() -> None:
    assert outbox.retry_after_seconds({"retry-after": "0"}) == 0
    assert outbox.retry_after_seconds({"retry-after": "55"}) == 55
    assert outbox.retry_after_seconds({"content-type": "application/json"}) is None
    assert outbox.retry_after_seconds({"retry-after": "+5"}) is None
