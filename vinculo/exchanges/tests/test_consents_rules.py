"""What a holder may not do twice or everywhere: a second consent request for the same thing while the
first waits, and filing received information into a case whose team the person is not on."""

from __future__ import annotations

import pytest

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.audit.models import AuditEntry
from vinculo.cases.models import Case, CaseDocument, TeamRole
from vinculo.cases.services import case_files
from vinculo.cases.tests.factories import open_case
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.exchanges import selectors
from vinculo.exchanges.lifecycle import Side
from vinculo.exchanges.models import Broadcast, ConsentRequest
from vinculo.exchanges.services import consents
from vinculo.exchanges.tests.test_broadcast_pages import action, copy_in, detail, sent_alert
from vinculo.exchanges.tests.test_consent_pages import answer_action, answered, provider_copy, request_page
from vinculo.exchanges.tests.test_pages import es, signed_in
from vinculo.messaging.models import OutboundMessage
from vinculo.messaging.tests.conftest import FakeNetwork, net  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def gt_prosecutor(db: None) -> User:
    return UserFactory(username="gt.fiscal", office_code="GT-MP", roles=[Role.PROSECUTOR], with_totp=True)


@pytest.fixture
def gt_colleague(db: None) -> User:
    return UserFactory(username="gt.fiscal2", office_code="GT-MP", roles=[Role.PROSECUTOR], with_totp=True)


@pytest.fixture
def gt_focal_point(db: None) -> User:
    return UserFactory(username="gt.enlace", office_code="GT-MP", roles=[Role.FOCAL_POINT], with_totp=True)


def received_in_gt(net: FakeNetwork, sender: User, codes: tuple[str, ...] = ("H1", "H2")) -> Broadcast:  # noqa: F811
    return copy_in("GT-MP", sent_alert(net, sender, recipients=["GT-MP"], codes=codes))


# --- one pending request per item, kind and office ------------------------------------------------


def test_a_second_request_for_the_same_consent_while_the_first_waits_is_refused_and_nothing_is_sent(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    focal_point: User,
    gt_prosecutor: User,
    gt_colleague: User,
) -> None:
    received = received_in_gt(net, prosecutor)
    with net.as_node("GT-MP"):
        first = consents.ask_consent(by=gt_prosecutor, item=received, kind="onward", recipient="HN-MP",
                                     reason="Honduras investiga la misma red.")  # fmt: skip
        evidence = consents.ask_consent(by=gt_prosecutor, item=received, kind="evidence",
                                        reason="Para presentarlo en el juicio oral.")  # fmt: skip
        sent = OutboundMessage.objects.count()
        audited = AuditEntry.objects.filter(action="exchange.consent_requested").count()
        for asker, kind, recipient in (
            (gt_prosecutor, "onward", "HN-MP"),
            (gt_colleague, "onward", " HN-MP "),  # another person of the office, the same office typed loosely
            (gt_prosecutor, "evidence", ""),
        ):
            with pytest.raises(DomainError) as again:
                consents.ask_consent(by=asker, item=received, kind=kind, recipient=recipient,
                                     reason="Lo pedimos otra vez, por si acaso.")  # fmt: skip
            assert again.value.code == "consent_pending"
            assert str(again.value.message) == str(consents.CONSENT_PENDING)
        assert ConsentRequest.objects.filter(side=Side.OUTGOING).count() == 2
        assert OutboundMessage.objects.count() == sent
        assert AuditEntry.objects.filter(action="exchange.consent_requested").count() == audited
        # Another office to pass it on to is another question: it is asked.
        consents.ask_consent(by=gt_prosecutor, item=received, kind="onward", recipient="CR-MP",
                             reason="Costa Rica recibió a la víctima.")  # fmt: skip
    deliver_all_and_answer(net, focal_point, first, granted=False)
    with net.as_node("GT-MP"):
        # Once answered (here refused), the office may ask again, with a better reason.
        consents.ask_consent(by=gt_prosecutor, item=received, kind="onward", recipient="HN-MP",
                             reason="Honduras detuvo a uno de los tratantes: lo necesita para su proceso.")  # fmt: skip
    assert ConsentRequest.objects.filter(side=Side.OUTGOING, kind="evidence").get() == evidence


def deliver_all_and_answer(net: FakeNetwork, focal_point: User, asked: ConsentRequest, *, granted: bool) -> None:  # noqa: F811
    from vinculo.exchanges.tests.test_broadcasts import deliver_everywhere

    deliver_everywhere(net)
    with net.as_node("SV-FGR"):
        consents.answer_consent(by=focal_point, consent=provider_copy(asked), granted=granted,
                                note="No por ahora: falta la solicitud formal.")  # fmt: skip
    deliver_everywhere(net)
    asked.refresh_from_db()
    assert asked.status == (ConsentRequest.Status.GRANTED if granted else ConsentRequest.Status.REFUSED)


def test_the_page_says_why_a_second_request_is_not_sent(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
) -> None:
    answer = answered(net, prosecutor, gt_focal_point)
    client = signed_in(prosecutor)
    ask = {"kind": "evidence", "reason": "Para presentarlo en juicio."}
    assert client.post(answer_action(answer, "consent"), ask).status_code == 302
    sent = OutboundMessage.objects.count()
    again = client.post(answer_action(answer, "consent"), ask)
    assert again.status_code == 400
    form = again.context["answers"][0]["actions"].consent_form
    assert form.non_field_errors() == [es(consents.CONSENT_PENDING)]
    assert ConsentRequest.objects.count() == 1
    assert OutboundMessage.objects.count() == sent
    assert client.get(request_page(answer.request)).status_code == 200


# --- filing into a case needs the right to add documents to it --------------------------------------


def office_case(by: User, number: str) -> Case:
    return open_case(by, number, visibility="office")


def test_only_an_editor_on_the_case_team_files_into_it(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_prosecutor: User,
    gt_colleague: User,
    gt_focal_point: User,
) -> None:
    received = received_in_gt(net, prosecutor, codes=("H1",))
    with net.as_node("GT-MP"):
        case = office_case(gt_prosecutor, "MP-GT-2026-77")  # the whole office sees it; gt_prosecutor leads it
        # The focal point and a colleague see the case (it is open to the office) but are not on its team.
        assert selectors.cases_to_file_in(gt_colleague).count() == 0
        assert selectors.cases_to_file_in(gt_focal_point).count() == 0
        for outsider in (gt_colleague, gt_focal_point):
            with pytest.raises(AccessDenied) as refused:
                consents.file_in_case(by=outsider, item=received, case=case)
            assert refused.value.code == "case_not_editable"
            assert str(refused.value.message) == str(consents.CASE_NOT_EDITABLE)
        assert not CaseDocument.objects.exists()
        assert not AuditEntry.objects.filter(action="case.document_added").exists()

        case_files.assign(by=gt_prosecutor, case=case, person=gt_colleague, role=TeamRole.MEMBER)
        assert list(selectors.cases_to_file_in(gt_colleague)) == [case]
        filed = consents.file_in_case(by=gt_colleague, item=received, case=case)
    assert filed.case == case
    assert filed.kind == CaseDocument.Kind.EXCHANGE


def test_the_file_form_offers_and_accepts_only_cases_the_person_may_file_into(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_prosecutor: User,
    gt_colleague: User,
    gt_focal_point: User,
) -> None:
    received = received_in_gt(net, prosecutor, codes=("H1",))
    with net.as_node("GT-MP"):
        office_case(gt_prosecutor, "MP-GT-2026-77")
        office_case(gt_colleague, "MP-GT-2026-78")  # the colleague's own
        client = signed_in(gt_colleague)
        form = client.get(detail(received)).context["actions"].file_form
        assert form.case_numbers() == ["MP-GT-2026-78"]
        refused = client.post(action(received, "file"), {"case": "MP-GT-2026-77"})
        assert refused.status_code == 400
        assert refused.context["actions"].file_form.errors["case"] == [es(consents.CASE_NOT_EDITABLE)]
        assert not CaseDocument.objects.exists()
        assert client.post(action(received, "file"), {"case": "MP-GT-2026-78"}).status_code == 302
        assert CaseDocument.objects.get().case.national_number == "MP-GT-2026-78"
        # The focal point holds no case.edit: no form to file at all.
        assert signed_in(gt_focal_point).get(detail(received)).context["actions"].file_form is None


def test_the_request_page_files_an_answer_only_into_a_case_of_the_team(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    colleague: User,
    gt_focal_point: User,
) -> None:
    office_case(colleague, "FGR-2026-099")  # open to the office, led by a colleague
    answer = answered(net, prosecutor, gt_focal_point)
    client = signed_in(prosecutor)
    refused = client.post(answer_action(answer, "file"), {"case": "FGR-2026-099"})
    assert refused.status_code == 400
    assert refused.context["answers"][0]["actions"].file_form.errors["case"] == [es(consents.CASE_NOT_EDITABLE)]
    assert not CaseDocument.objects.exists()
    with pytest.raises(AccessDenied) as direct:
        consents.file_in_case(by=prosecutor, item=answer, case=Case.objects.get(national_number="FGR-2026-099"))
    assert direct.value.code == "case_not_editable"
    assert not CaseDocument.objects.exists()
