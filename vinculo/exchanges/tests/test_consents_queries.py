"""What may be done with many received items is worked out from one query for all their consents,
on the pages that list them and in the service; and a grant lifts a code only for the office that
asked for it."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.exchanges.lifecycle import Side
from vinculo.exchanges.models import Answer, Broadcast, ConsentRequest, InformationRequest
from vinculo.exchanges.services import broadcasts, consents, requests
from vinculo.exchanges.tests.test_broadcasts import deliver_everywhere
from vinculo.exchanges.tests.test_consent_pages import provider_copy, request_page
from vinculo.exchanges.tests.test_pages import signed_in
from vinculo.exchanges.tests.test_requests import copies, draft
from vinculo.messaging.tests.conftest import FakeNetwork, net  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def gt_focal_point(db: None) -> User:
    return UserFactory(username="gt.enlace", office_code="GT-MP", roles=[Role.FOCAL_POINT], with_totp=True)


@pytest.fixture
def gt_prosecutor(db: None) -> User:
    return UserFactory(username="gt.fiscal", office_code="GT-MP", roles=[Role.PROSECUTOR], with_totp=True)


@pytest.fixture
def hn_prosecutor(db: None) -> User:
    return UserFactory(username="hn.fiscal", office_code="HN-MP", roles=[Role.PROSECUTOR], with_totp=True)


def _alerts_in_gt(net: FakeNetwork, sender: User, count: int, **changes: Any) -> list[Broadcast]:  # noqa: F811
    sent = []
    with net.as_node("SV-FGR"):
        for number in range(count):
            fields: dict[str, Any] = {
                "kind": "alert", "recipients": ["GT-MP"], "category": "suspect_movement", "subject": f"Aviso {number}",
                "text": "El sospechoso cruza el viernes.", "codes": ("H1", "H2", "H3"), "conditions": "Uso interno.",
            }  # fmt: skip
            fields.update(changes)
            sent.append(broadcasts.send_broadcast(by=sender, **fields))
    deliver_everywhere(net)
    return [Broadcast.objects.get(exchange_id=b.exchange_id, side=Side.INCOMING, office__code="GT-MP") for b in sent]


def _grant(net: FakeNetwork, asked: ConsentRequest, focal_point: User) -> None:  # noqa: F811
    deliver_everywhere(net)
    with net.as_node("SV-FGR"):
        consents.answer_consent(by=focal_point, consent=provider_copy(asked), granted=True)
    deliver_everywhere(net)


def _queries(call: Any) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as queries:
        result = call()
    return len(queries), result


def test_the_restrictions_of_many_items_take_one_query_whatever_their_number(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    focal_point: User,
    gt_prosecutor: User,
) -> None:
    items = _alerts_in_gt(net, prosecutor, 5)
    with net.as_node("GT-MP"):
        for item in items[:3]:
            asked = consents.ask_consent(by=gt_prosecutor, item=item, kind="evidence", reason="Para el juicio oral.")
            _grant(net, asked, focal_point)
    one, _found_one = _queries(lambda: consents.restrictions_for(items[:1]))
    many, found_many = _queries(lambda: consents.restrictions_for(items))
    assert one == many == 1
    assert len(found_many) == 5
    lifted = [found_many[("broadcast", item.exchange_id)].may_use_as_evidence for item in items]
    assert lifted == [True, True, True, False, False]
    assert {r.conditions for r in found_many.values()} == {"Uso interno."}  # the content, unsealed without queries
    for item in items:  # the same answer as one item at a time
        assert consents.restrictions_of(item) == found_many[("broadcast", item.exchange_id)]
    assert _queries(lambda: consents.restrictions_for([]))[0] == 0


def test_a_grant_lifts_the_code_for_the_office_that_asked_only(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    focal_point: User,
    gt_prosecutor: User,
    hn_prosecutor: User,
) -> None:
    with net.as_node("SV-FGR"):
        sent = broadcasts.send_broadcast(by=prosecutor, kind="alert", recipients=["GT-MP", "HN-MP"],
                                         category="suspect_movement", subject="Aviso", text="Cruza el viernes.",
                                         codes=("H1", "H2"))  # fmt: skip
    deliver_everywhere(net)
    gt_copy, hn_copy = (Broadcast.objects.get(exchange_id=sent.exchange_id, side=Side.INCOMING, office__code=code)
                        for code in ("GT-MP", "HN-MP"))  # fmt: skip
    with net.as_node("GT-MP"):
        evidence = consents.ask_consent(by=gt_prosecutor, item=gt_copy, kind="evidence", reason="Para el juicio oral.")
        onward = consents.ask_consent(by=gt_prosecutor, item=gt_copy, kind="onward", recipient="CR-MP",
                                      reason="Costa Rica recibió a la víctima.")  # fmt: skip
    _grant(net, evidence, focal_point)
    _grant(net, onward, focal_point)
    assert consents.restrictions_of(gt_copy).may_use_as_evidence
    assert consents.restrictions_of(gt_copy).may_forward_to("CR-MP")
    # The two copies of the alert share its id; Honduras asked for nothing.
    assert not consents.restrictions_of(hn_copy).may_use_as_evidence
    assert not consents.restrictions_of(hn_copy).may_forward_to("CR-MP")


def _answered_request(net: FakeNetwork, by: User, gt_focal_point: User, parts: int) -> InformationRequest:  # noqa: F811
    with net.as_node("SV-FGR"):
        request = requests.create_draft(by=by, draft=draft())
        request = requests.send_request(by=by, request=request, expected_version=request.version)
    deliver_everywhere(net)
    _outgoing, incoming = copies(request)
    with net.as_node("GT-MP"):
        for number in range(parts):
            incoming.refresh_from_db()
            requests.answer(by=gt_focal_point, request=incoming, expected_version=incoming.version,
                            is_complete=False, text=f"Parte {number}.", codes=("H1", "H2"))  # fmt: skip
    deliver_everywhere(net)
    return copies(request)[0]


def _ask_and_grant_for_each(net: FakeNetwork, by: User, focal: User, answers: list[Answer]) -> None:  # noqa: F811
    with net.as_node("SV-FGR"):
        asked = [consents.ask_consent(by=by, item=a, kind="evidence", reason="Para el juicio oral.") for a in answers]
    deliver_everywhere(net)
    with net.as_node("GT-MP"):
        for consent in asked:
            consents.answer_consent(by=focal, consent=provider_copy(consent), granted=True)
    deliver_everywhere(net)


def test_a_request_page_with_many_answers_and_their_consents_asks_for_the_consents_once(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
) -> None:
    client: Client = signed_in(prosecutor)
    one = _answered_request(net, prosecutor, gt_focal_point, parts=1)
    four = _answered_request(net, prosecutor, gt_focal_point, parts=4)
    _ask_and_grant_for_each(net, prosecutor, gt_focal_point, [*one.answers.all(), *four.answers.all()])
    client.get(request_page(one))  # warms per-process caches

    def measure(request: InformationRequest) -> tuple[int, Any]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(request_page(request))
        assert response.status_code == 200
        consent_queries = [q for q in queries if "exchanges_consentrequest" in q["sql"]]
        return len(queries), (len(consent_queries), response.context["answers"])

    few, (consent_few, _shown) = measure(one)
    many, (consent_many, shown) = measure(four)
    assert consent_few == consent_many == 1
    assert many == few, "a query per answer shown"
    assert [entry["actions"].is_evidence_blocked for entry in shown] == [False] * 4  # each grant lifts H1
