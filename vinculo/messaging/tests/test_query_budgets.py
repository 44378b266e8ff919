"""Query budgets of the delivery pages: the count stays flat as messages, refusals and evidence grow.

Each page is measured with a little data and with more; the number of SQL queries must stay within
the budget and must not grow with the number of rows shown (no query per row). The budgets count
the session, the account and its roles, the directory for the warning banner, and the page's own.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from vinculo.accounts.models import User
from vinculo.evidence import services as evidence
from vinculo.federation.tests.directory_kit import HubKit
from vinculo.messaging.models import OutboundMessage
from vinculo.messaging.tests import factories

pytestmark = pytest.mark.django_db

# Every page: the session (read, then saved: three statements), the account, its roles, and the
# directory for the warning banner (read again inside a transaction, remembered for a second outside).
SHELL = 7
LIST_BUDGET = SHELL + 2  # the count and the page
HEALTH_BUDGET = SHELL + 5  # the directory; outbox by peer; inbox by sender; the refusals' day (two)
DETAIL_BUDGET = SHELL + 3  # the message; the directory for its receipt; its evidence entries
DIRECTORY_BUDGET = SHELL + 2  # the directory; the state of fetching it from the hub


def _traffic(kit: HubKit, count: int) -> None:
    now = timezone.now()
    for number in range(count):
        peer = ("GT-MP", "HN-MP")[number % 2]
        message = factories.delivered(kit, peer, created_at=now - timedelta(minutes=number))
        evidence.record("envelope_sent", message_id=str(message.id), peer=peer, sha256=message.attempt_digests[0])
        factories.sent(peer, status=OutboundMessage.Status.FAILED, last_error="bad_signature: no")
        factories.received(kit, peer)
        factories.refused(claimed_sender=peer)
        factories.refused("rate_limited", size=number + 1)


def _queries(client: Client, path: str, params: dict[str, str] | None = None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params or {})
    assert response.status_code == 200, path
    return len(queries)


PAGES = [
    ("messaging:health", {}, HEALTH_BUDGET),
    ("messaging:sent_list", {}, LIST_BUDGET),
    ("messaging:sent_list", {"peer": "GT-MP", "status": "delivered", "type": "request.information"}, LIST_BUDGET),
    ("messaging:received_list", {}, LIST_BUDGET),
    ("messaging:received_list", {"state": "waiting", "since": "2020-01-01"}, LIST_BUDGET),
    ("messaging:refused_list", {}, LIST_BUDGET),
    ("messaging:refused_list", {"code": "rate_limited"}, LIST_BUDGET),
    ("messaging:directory", {}, DIRECTORY_BUDGET),
]


def test_the_pages_keep_their_budget_as_the_traffic_grows(client: Client, node_admin: User) -> None:
    kit = factories.network()
    factories.store_directory(kit)
    _traffic(kit, 2)
    client.force_login(node_admin)

    def measure() -> list[int]:
        return [_queries(client, reverse(name), params) for name, params, _budget in PAGES]

    measure()  # the first request warms per-process caches (the office name)
    few = measure()
    _traffic(kit, 30)
    many = measure()
    for (name, params, budget), before, after in zip(PAGES, few, many, strict=True):
        assert after <= budget, (name, params, after)
        assert after == before, f"a query per row on {name} {params}"


def test_the_detail_pages_keep_their_budget(client: Client, node_admin: User) -> None:
    kit = factories.network()
    factories.store_directory(kit)
    message = factories.delivered(kit)
    arrival = factories.received(kit)
    client.force_login(node_admin)
    sent_url = reverse("messaging:sent_detail", args=[message.id])
    received_url = reverse("messaging:received_detail", args=[arrival.sender, arrival.message_id])
    _queries(client, sent_url)
    few = [_queries(client, sent_url), _queries(client, received_url)]
    for attempt in range(20):
        evidence.record("envelope_sent", message_id=str(message.id), peer="GT-MP", facts={"attempt": attempt})
        evidence.record("envelope_received", message_id=str(arrival.message_id), peer=arrival.sender)
    many = [_queries(client, sent_url), _queries(client, received_url)]
    assert many == few
    assert max(many) <= DETAIL_BUDGET
