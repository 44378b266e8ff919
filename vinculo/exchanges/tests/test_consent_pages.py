"""Consents through the pages: a received answer filed in a case and its provider asked to lift H1
(from the request's page), the consents lists of both offices, and the provider's focal point's answer.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.cases.models import CaseDocument
from vinculo.cases.services import documents
from vinculo.cases.tests.factories import open_case
from vinculo.exchanges.lifecycle import Side
from vinculo.exchanges.models import Answer, ConsentRequest, InformationRequest
from vinculo.exchanges.services import consents, requests
from vinculo.exchanges.tests.test_broadcasts import deliver_everywhere
from vinculo.exchanges.tests.test_pages import es, messages_of, signed_in
from vinculo.exchanges.tests.test_requests import copies, draft
from vinculo.messaging.models import OutboundMessage
from vinculo.messaging.tests.conftest import FakeNetwork, net  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def gt_focal_point(db: None) -> User:
    return UserFactory(username="gt.enlace", full_name="Julio Pérez Ajú", office_code="GT-MP",
                       roles=[Role.FOCAL_POINT], with_totp=True)  # fmt: skip


@pytest.fixture
def gt_prosecutor(db: None) -> User:
    return UserFactory(username="gt.fiscal", office_code="GT-MP", roles=[Role.PROSECUTOR], with_totp=True)


def answered(net: FakeNetwork, by: User, gt_focal_point: User, codes: tuple[str, ...] = ("H1", "H2")) -> Answer:  # noqa: F811
    """SV asks GT; GT answers with ``codes``; SV's copy of the answer."""
    with net.as_node("SV-FGR"):
        request = requests.create_draft(by=by, draft=draft())
        request = requests.send_request(by=by, request=request, expected_version=request.version)
    deliver_everywhere(net)
    _outgoing, incoming = copies(request)
    with net.as_node("GT-MP"):
        requests.answer(by=gt_focal_point, request=incoming, expected_version=incoming.version, is_complete=True,
                        text="Dos entradas por El Florido en enero.", codes=codes)  # fmt: skip
    deliver_everywhere(net)
    return copies(request)[0].answers.get()


def answer_action(answer: Answer, name: str) -> str:
    return reverse("exchanges:answer_action", args=[answer.request_id, answer.answer_id, name])


def request_page(request: InformationRequest) -> str:
    return reverse("exchanges:request_detail", args=[request.pk])


def provider_copy(asked: ConsentRequest) -> ConsentRequest:
    return ConsentRequest.objects.get(consent_id=asked.consent_id, side=Side.INCOMING)


# --- a received answer, from the request's page -------------------------------------------------


def test_the_requester_files_an_answer_and_asks_for_consent_from_the_request_page(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
) -> None:
    case = open_case(prosecutor, "FGR-2026-014")
    answer = answered(net, prosecutor, gt_focal_point)
    client = signed_in(prosecutor)
    page = client.get(request_page(answer.request))
    actions = page.context["answers"][0]["actions"]
    assert actions.is_evidence_blocked
    assert actions.forward_allowed_to == []
    assert [value for value, _label in actions.consent_form.fields["kind"].choices] == ["evidence", "onward"]
    assert f'action="{answer_action(answer, "file")}"' in page.content.decode()

    filed = client.post(answer_action(answer, "file"), {"case": "FGR-2026-014"})
    assert filed.status_code == 302
    assert filed["Location"].endswith(f"#answer-{answer.pk}")
    document = CaseDocument.objects.get(case=case)
    text = documents.open_document(by=prosecutor, document=document).content.decode("utf-8")
    assert "(H1)" in text.splitlines()[0]

    short = client.post(answer_action(answer, "consent"), {"kind": "evidence", "reason": "Juicio"})
    assert short.status_code == 400
    again = short.context["answers"][0]["actions"]
    assert "reason" in again.consent_form.errors
    assert again.opened == "consent"
    assert not ConsentRequest.objects.exists()
    asked = client.post(answer_action(answer, "consent"), {"kind": "evidence", "reason": "Para presentarlo en juicio."})
    assert asked.status_code == 302
    consent = ConsentRequest.objects.get()
    assert (consent.side, consent.kind, consent.item_id, consent.counterpart) == (
        Side.OUTGOING, "evidence", answer.answer_id, "GT-MP",
    )  # fmt: skip
    onward = client.post(
        answer_action(answer, "consent"), {"kind": "onward", "recipient": "", "reason": "Honduras lo pide."}
    )
    assert onward.context["answers"][0]["actions"].consent_form.errors["recipient"] == [es(consents.RECIPIENT_NEEDED)]


def test_only_the_requesting_side_gets_the_actions_and_nobody_else_reaches_them(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    colleague: User,
    gt_focal_point: User,
) -> None:
    answer = answered(net, prosecutor, gt_focal_point)
    incoming = InformationRequest.objects.get(side=Side.INCOMING)
    with net.as_node("GT-MP"):
        gt_page = signed_in(gt_focal_point).get(request_page(incoming))
        assert gt_page.context["answers"][0]["actions"] is None  # GT gave it
        assert signed_in(gt_focal_point).post(answer_action(answer, "file"), {"case": "X"}).status_code == 404
    assert signed_in(colleague).post(answer_action(answer, "consent"), {"kind": "evidence"}).status_code == 404
    assert signed_in(prosecutor).post(answer_action(answer, "nonsense"), {}).status_code == 404
    assert not ConsentRequest.objects.exists()


# --- the consents pages -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "pages"),
    [
        ("prosecutor", {"list": 200, "asked": 200, "received": 404}),
        ("focal_point", {"list": 200, "asked": 200, "received": 404}),
        ("colleague", {"list": 200, "asked": 404, "received": 404}),
        ("judge", {"list": 403, "asked": 403, "received": 403}),
        ("gt_focal_point", {"list": 200, "asked": 404, "received": 200}),
        ("gt_prosecutor", {"list": 200, "asked": 404, "received": 404}),
    ],
)
def test_each_consent_page_opens_for_whoever_may_see_it(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
    request: pytest.FixtureRequest,
    persona: str,
    pages: dict[str, int],
) -> None:
    answer = answered(net, prosecutor, gt_focal_point)
    with net.as_node("SV-FGR"):
        asked = consents.ask_consent(by=prosecutor, item=answer, kind="evidence", reason="Para el juicio oral.")
    deliver_everywhere(net)
    client = signed_in(request.getfixturevalue(persona))
    urls = {
        "list": reverse("exchanges:consent_list"),
        "asked": reverse("exchanges:consent_detail", args=[asked.pk]),
        "received": reverse("exchanges:consent_detail", args=[provider_copy(asked).pk]),
    }
    with net.as_node("GT-MP" if persona.startswith("gt_") else "SV-FGR"):
        got = {name: client.get(url).status_code for name, url in urls.items()}
    assert got == pages


def test_the_provider_grants_and_the_holder_sees_it_lifted(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
    gt_prosecutor: User,
) -> None:
    answer = answered(net, prosecutor, gt_focal_point)
    with net.as_node("SV-FGR"):
        asked = consents.ask_consent(by=prosecutor, item=answer, kind="evidence", reason="Para el juicio oral.")
    deliver_everywhere(net)
    received = provider_copy(asked)
    path = reverse("exchanges:consent_answer", args=[received.pk])
    with net.as_node("GT-MP"):
        desk = signed_in(gt_focal_point)
        listed = desk.get(reverse("exchanges:consent_list"))
        assert listed.context["side"] == "incoming"
        assert [row.consent for row in listed.context["rows"]] == [received]
        page = desk.get(reverse("exchanges:consent_detail", args=[received.pk]))
        assert page.context["form"] is not None
        assert page.context["item"] == InformationRequest.objects.get(side=Side.INCOMING)  # the request it answered
        assert "Para el juicio oral." in page.content.decode()
        # A prosecutor of GT does not see consents asked of the office, let alone answer them.
        assert signed_in(gt_prosecutor).post(path, {"decision": "grant"}).status_code == 404
        refused = desk.post(path, {"decision": "refuse", "note": "No"})
        assert refused.status_code == 400
        assert refused.context["form"].errors["note"] == [es("Say why you refuse (at least 10 characters).")]
        granted = desk.post(path, {"decision": "grant", "note": "Puede presentarse en juicio."}, follow=True)
        assert es("Consent granted; the other office is told.") in messages_of(granted)
        sent_before = OutboundMessage.objects.count()
        again = desk.post(path, {"decision": "refuse", "note": "Cambiamos de opinión."})
        assert again.status_code == 400
        assert messages_of(again) == [es(consents.ALREADY_ANSWERED)]
        assert OutboundMessage.objects.count() == sent_before
    received.refresh_from_db()
    assert (received.status, received.answered_by) == (ConsentRequest.Status.GRANTED, gt_focal_point)
    deliver_everywhere(net)
    asked.refresh_from_db()
    assert asked.status == ConsentRequest.Status.GRANTED
    page = signed_in(prosecutor).get(request_page(answer.request))
    actions = page.context["answers"][0]["actions"]
    assert not actions.is_evidence_blocked
    assert [value for value, _label in actions.consent_form.fields["kind"].choices] == ["onward"]
    mine = signed_in(prosecutor).get(reverse("exchanges:consent_list"))
    assert mine.context["side"] == "outgoing"  # a prosecutor has no consents asked of the office
    assert [row.consent for row in mine.context["rows"]] == [asked]
    assert (
        "Puede presentarse en juicio."
        in signed_in(prosecutor).get(reverse("exchanges:consent_detail", args=[asked.pk])).content.decode()
    )
