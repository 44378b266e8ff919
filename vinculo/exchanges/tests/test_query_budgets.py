"""Query budgets of the requests' pages: the count stays flat as requests, steps and answers grow.

Each test measures a page with a little data and with more of it; the number of SQL queries must
stay within the budget and must not grow with the rows or timeline entries shown.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.exchanges.models import InformationRequest
from vinculo.exchanges.services import requests
from vinculo.exchanges.tests.test_desk import sent_request
from vinculo.exchanges.tests.test_requests import copies, deliver_all
from vinculo.messaging.tests.conftest import FakeNetwork, net  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

# Session, person and roles, the session's save (three); the other offices and their names; the
# count and the page of requests.
LIST_BUDGET = 10
# Session, person, roles and the save; the request; the audited read (eight, the audit trail's);
# the other office's name, the answers, the timeline, its messages sent and received.
DETAIL_BUDGET = 20
DESK_BUDGET = 8


@pytest.fixture
def gt_focal_point(db: None) -> User:
    return UserFactory(username="gt.enlace", office_code="GT-MP", roles=[Role.FOCAL_POINT], with_totp=True)


def _queries(client: Client, path: str, params: dict[str, Any] | None = None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params or {})
    assert response.status_code == 200, path
    return len(queries)


FILTERS = [{}, {"side": "outgoing"}, {"state": "open"}, {"counterpart": "GT-MP"}, {"page": 2}]


def test_the_list_keeps_its_budget_with_every_filter(net: FakeNetwork, prosecutor: User) -> None:  # noqa: F811
    client = Client()
    client.force_login(prosecutor)
    path = reverse("exchanges:request_list")
    sent_request(net, prosecutor)
    _queries(client, path)  # warms per-process caches (the office name in the page's shell)
    few = [_queries(client, path, filters) for filters in FILTERS]
    for number in range(6):
        sent_request(net, prosecutor, subject=f"Solicitud {number}", counterpart="HN-MP" if number % 2 else "GT-MP")
    many = [_queries(client, path, filters) for filters in FILTERS]
    for filters, before, after in zip(FILTERS, few, many, strict=True):
        assert after <= LIST_BUDGET, filters
        assert after == before, f"a query per request shown with {filters}"


def test_a_request_page_keeps_its_budget_however_long_its_timeline(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
) -> None:
    client = Client()
    client.force_login(prosecutor)
    outgoing, incoming = copies(sent_request(net, prosecutor))
    with net.as_node("GT-MP"):
        incoming = requests.acknowledge(by=gt_focal_point, request=incoming, expected_version=incoming.version)
    deliver_all(net)  # a step from the other office: the timeline names messages sent and received
    path = reverse("exchanges:request_detail", args=[outgoing.pk])
    _queries(client, path)
    few = _queries(client, path)
    with net.as_node("GT-MP"):
        for number in range(3):
            requests.clarify(by=gt_focal_point, request=incoming, text=f"Pregunta {number}")
            incoming.refresh_from_db()
            requests.answer(by=gt_focal_point, request=incoming, expected_version=incoming.version,
                            text=f"Parte {number}", is_complete=False)  # fmt: skip
            incoming.refresh_from_db()
    with net.as_node("SV-FGR"):
        outgoing.refresh_from_db()
        requests.remind(by=prosecutor, request=outgoing)
    deliver_all(net)
    assert InformationRequest.objects.get(pk=outgoing.pk).events.count() > 10
    many = _queries(client, path)
    assert many <= DETAIL_BUDGET
    assert many == few, "a query per timeline entry or answer"


def test_the_desk_keeps_its_budget(net: FakeNetwork, prosecutor: User, gt_focal_point: User) -> None:  # noqa: F811
    client = Client()
    client.force_login(gt_focal_point)
    path = reverse("exchanges:desk")
    sent_request(net, prosecutor)
    with net.as_node("GT-MP"):
        _queries(client, path)
        few = _queries(client, path)
    for number in range(4):
        sent_request(net, prosecutor, subject=f"Solicitud {number}")
    with net.as_node("GT-MP"):
        many = _queries(client, path)
    assert many <= DESK_BUDGET
    assert many == few
