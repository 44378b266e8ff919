"""Handling codes enforced: H2 blocks forwarding until the provider consents; H1 stamps filed copies."""

from __future__ import annotations

import pytest

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.audit.models import AuditEntry
from vinculo.cases.models import CaseDocument
from vinculo.cases.services import documents
from vinculo.cases.tests.factories import open_case
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.exchanges.lifecycle import Side
from vinculo.exchanges.models import Broadcast, ConsentRequest
from vinculo.exchanges.services import broadcasts, consents, requests
from vinculo.exchanges.tests.test_broadcasts import deliver_everywhere
from vinculo.exchanges.tests.test_requests import copies, draft
from vinculo.messaging.models import OutboundMessage
from vinculo.messaging.tests.conftest import FakeNetwork, net  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def gt_focal_point(db: None) -> User:
    return UserFactory(username="gt.enlace", office_code="GT-MP", roles=[Role.FOCAL_POINT], with_totp=True)


@pytest.fixture
def gt_prosecutor(db: None) -> User:
    return UserFactory(username="gt.fiscal", office_code="GT-MP", roles=[Role.PROSECUTOR], with_totp=True)


def alert_received_in_gt(net: FakeNetwork, sender: User, codes: tuple[str, ...]) -> Broadcast:  # noqa: F811
    with net.as_node("SV-FGR"):
        sent = broadcasts.send_broadcast(
            by=sender, kind="alert", recipients=["GT-MP"], category="suspect_movement",
            subject="Traslado de un sospechoso", text="El sospechoso cruza por Pedro de Alvarado el viernes.",
            codes=codes, purpose="Caso FGR-2026-031",
        )  # fmt: skip
    deliver_everywhere(net)
    return Broadcast.objects.get(exchange_id=sent.exchange_id, side=Side.INCOMING)


def test_an_h2_alert_cannot_be_forwarded_until_the_provider_consents_for_that_office(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
    gt_prosecutor: User,
) -> None:
    received = alert_received_in_gt(net, prosecutor, ("H0", "H2"))
    messages_before = OutboundMessage.objects.count()
    with net.as_node("GT-MP"), pytest.raises(DomainError) as blocked:
        consents.forward(by=gt_prosecutor, item=received, recipients=["HN-MP"])
    assert blocked.value.code == "h2_forward_blocked"
    assert OutboundMessage.objects.count() == messages_before
    assert AuditEntry.objects.filter(action="exchange.forward_refused").exists()

    with net.as_node("GT-MP"):
        asked = consents.ask_consent(
            by=gt_prosecutor, item=received, kind="onward", recipient="HN-MP",
            reason="Honduras investiga la misma red y necesita el aviso.",
        )  # fmt: skip
    deliver_everywhere(net)
    provider_copy = ConsentRequest.objects.get(consent_id=asked.consent_id, side=Side.INCOMING)
    assert provider_copy.office.code == "SV-FGR"
    assert provider_copy.counterpart == "GT-MP"
    with net.as_node("SV-FGR"):
        with pytest.raises(AccessDenied):  # the focal point answers, not any prosecutor
            consents.answer_consent(by=prosecutor, consent=provider_copy, granted=True)
        focal = UserFactory(username="sv.enlace2", roles=[Role.FOCAL_POINT], with_totp=True)
        consents.answer_consent(by=focal, consent=provider_copy, granted=True, note="Solo a Honduras.")
    deliver_everywhere(net)
    asked.refresh_from_db()
    assert asked.status == ConsentRequest.Status.GRANTED
    assert asked.answer_note == "Solo a Honduras."
    with net.as_node("GT-MP"):
        with pytest.raises(DomainError):  # the consent names Honduras only
            consents.forward(by=gt_prosecutor, item=received, recipients=["CR-MP"])
        forwarded = consents.forward(by=gt_prosecutor, item=received, recipients=["HN-MP"], note="Reenviado.")
    assert forwarded.handling == ["H0", "H2"]  # the codes travel on
    assert "[SV-FGR " in broadcasts.content_of(forwarded)["text"]


def test_a_refused_consent_lifts_nothing(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    focal_point: User,
    gt_prosecutor: User,
) -> None:
    received = alert_received_in_gt(net, prosecutor, ("H2",))
    with net.as_node("GT-MP"):
        asked = consents.ask_consent(
            by=gt_prosecutor, item=received, kind="onward", recipient="HN-MP", reason="Lo necesitamos para Honduras."
        )
    deliver_everywhere(net)
    with net.as_node("SV-FGR"):
        consents.answer_consent(
            by=focal_point, consent=ConsentRequest.objects.get(consent_id=asked.consent_id, side=Side.INCOMING),
            granted=False,
        )  # fmt: skip
        with pytest.raises(DomainError) as again:
            consents.answer_consent(
                by=focal_point, consent=ConsentRequest.objects.get(consent_id=asked.consent_id, side=Side.INCOMING),
                granted=True,
            )  # fmt: skip
        assert again.value.code == "already_answered"
    deliver_everywhere(net)
    with net.as_node("GT-MP"), pytest.raises(DomainError):
        consents.forward(by=gt_prosecutor, item=received, recipients=["HN-MP"])


def test_asking_for_what_the_codes_do_not_restrict_is_refused(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_prosecutor: User,
) -> None:
    received = alert_received_in_gt(net, prosecutor, ("H0",))
    with net.as_node("GT-MP"):
        with pytest.raises(DomainError) as nothing:
            consents.ask_consent(by=gt_prosecutor, item=received, kind="evidence", reason="Para el juicio oral.")
        assert nothing.value.code == "nothing_to_lift"
        forwarded = consents.forward(by=gt_prosecutor, item=received, recipients=["HN-MP"])  # no H2: allowed
    assert forwarded.recipients.get().member == "HN-MP"


def test_an_h1_answer_filed_in_a_case_is_stamped_not_evidence_until_consent(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    focal_point: User,
    gt_focal_point: User,
) -> None:
    case = open_case(prosecutor, "FGR-2026-014")
    with net.as_node("SV-FGR"):
        request = requests.create_draft(by=prosecutor, draft=draft(case=case))
        request = requests.send_request(by=prosecutor, request=request, expected_version=request.version)
    deliver_everywhere(net)
    _outgoing, incoming = copies(request)
    with net.as_node("GT-MP"):
        requests.answer(
            by=gt_focal_point, request=incoming, expected_version=incoming.version, is_complete=True,
            text="Dos entradas por El Florido en enero.", codes=("H1", "H3"), conditions="Solo para la fiscalía.",
        )  # fmt: skip
    deliver_everywhere(net)
    outgoing, _incoming = copies(request)
    answer = outgoing.answers.get()
    with net.as_node("SV-FGR"):
        document = consents.file_in_case(by=prosecutor, item=answer, case=case)
    assert document.kind == CaseDocument.Kind.EXCHANGE
    text = documents.open_document(by=prosecutor, document=document).content.decode("utf-8")
    assert text.startswith("NO ES PRUEBA (H1)") or text.startswith("NOT EVIDENCE (H1)")
    assert "GT-MP" in text
    assert "Solo para la fiscalía." in text
    assert "Dos entradas por El Florido en enero." in text

    with net.as_node("SV-FGR"):
        asked = consents.ask_consent(by=prosecutor, item=answer, kind="evidence", reason="Para presentarlo en juicio.")
    deliver_everywhere(net)
    with net.as_node("GT-MP"):
        consents.answer_consent(
            by=gt_focal_point, consent=ConsentRequest.objects.get(consent_id=asked.consent_id, side=Side.INCOMING),
            granted=True,
        )  # fmt: skip
    deliver_everywhere(net)
    assert consents.restrictions_of(answer).may_use_as_evidence
    with net.as_node("SV-FGR"):
        again = consents.file_in_case(by=prosecutor, item=answer, case=case)
    text = documents.open_document(by=prosecutor, document=again).content.decode("utf-8")
    assert "(H1)" not in text.splitlines()[0]


def test_only_received_items_are_forwarded_or_filed(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
) -> None:
    with net.as_node("SV-FGR"):
        own = broadcasts.send_broadcast(
            by=prosecutor, kind="information", recipients=["GT-MP"], subject="Ruta", text="Nueva ruta por Tecún Umán."
        )
        with pytest.raises(DomainError) as refused:
            consents.forward(by=prosecutor, item=own, recipients=["HN-MP"])
    assert refused.value.code == "not_received"
