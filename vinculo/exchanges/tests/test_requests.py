"""An information request from SV to GT and back, through real envelopes and receipts (in one process).

The two offices share the test database; every step goes through the outbox, the sender's
worker, the recipient's inbox and the handler of its type, as between two nodes.
"""

from __future__ import annotations

import json
import uuid

import pytest
from django.utils import translation

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.audit.models import AuditEntry
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.exchanges.lifecycle import Side, State
from vinculo.exchanges.models import InformationRequest
from vinculo.exchanges.services import requests
from vinculo.messaging import handlers
from vinculo.messaging.models import InboundMessage, OutboundMessage
from vinculo.messaging.services import outbox
from vinculo.messaging.tests.conftest import FakeNetwork, net  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def gt_focal_point(db: None) -> User:
    return UserFactory(username="gt.enlace", office_code="GT-MP", roles=[Role.FOCAL_POINT], with_totp=True)


@pytest.fixture
def gt_prosecutor(db: None) -> User:
    return UserFactory(username="gt.fiscal", office_code="GT-MP", roles=[Role.PROSECUTOR], with_totp=True)


def deliver_all(net: FakeNetwork) -> None:  # noqa: F811
    """Every node's worker runs until nothing is due, then every node handles what it received."""
    for _round in range(5):
        busy = False
        # The offices share the outbox table here: each message leaves as the office of who sent it.
        for message_id in outbox.claim_due("test-worker", limit=100):
            sender = OutboundMessage.objects.select_related("sent_by__office").get(id=message_id).sent_by
            assert sender is not None
            with net.as_node(sender.office.code):
                outbox.deliver(message_id, "test-worker", post=net.post_to_inbox)
            busy = True
        # What each office received: between SV and GT, what the other one sent.
        for node_id, other in (("SV-FGR", "GT-MP"), ("GT-MP", "SV-FGR")):
            with net.as_node(node_id):
                busy = handlers.process_pending(sender=other) > 0 or busy
        if not busy:
            return


def draft(**changes: object) -> requests.Draft:
    fields: dict[str, object] = {
        "counterpart": "GT-MP",
        "request_type": "migration_movements",
        "subject": "Movimientos migratorios, caso FGR-2026-014",
        "legal_basis": "Memorando de Entendimiento, art. 4; Código Procesal Penal, art. 270",
        "urgency": "priority",
        "text": "Solicitamos los movimientos migratorios de la persona indicada entre enero y marzo de 2026.",
        "items": ("Entradas y salidas por El Florido", "Documento de viaje usado"),
        "handling": ("H0", "H2"),
        "purpose": "Investigación del caso FGR-2026-014",
        "evaluation": "B2",
    }
    fields.update(changes)
    return requests.Draft(**fields)  # type: ignore[arg-type]


def copies(request: InformationRequest) -> tuple[InformationRequest, InformationRequest]:
    outgoing = InformationRequest.objects.get(exchange_id=request.exchange_id, side=Side.OUTGOING)
    incoming = InformationRequest.objects.get(exchange_id=request.exchange_id, side=Side.INCOMING)
    return outgoing, incoming


def test_a_request_goes_to_gt_and_its_answer_comes_back_with_every_step(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
    gt_prosecutor: User,
) -> None:
    with net.as_node("SV-FGR"):
        request = requests.create_draft(by=prosecutor, draft=draft())
        assert request.state == State.DRAFT
        request = requests.send_request(by=prosecutor, request=request, expected_version=request.version)
    assert request.due_at is not None
    assert (request.due_at - request.sent_at).days == 3
    deliver_all(net)

    outgoing, incoming = copies(request)
    assert incoming.state == State.DELIVERED
    assert incoming.counterpart == "SV-FGR"
    assert incoming.office.code == "GT-MP"
    assert requests.content_of(incoming)["items"] == ["Entradas y salidas por El Florido", "Documento de viaje usado"]
    assert incoming.handling == ["H0", "H2"]
    assert incoming.evaluation == "B2"
    assert incoming.due_at == incoming.sent_at + (request.due_at - request.sent_at)  # type: ignore[operator]

    with net.as_node("GT-MP"):
        incoming = requests.acknowledge(by=gt_focal_point, request=incoming, expected_version=incoming.version)
        incoming = requests.assign(
            by=gt_focal_point, request=incoming, expected_version=incoming.version, to=gt_prosecutor
        )
    deliver_all(net)
    outgoing, incoming = copies(request)
    assert outgoing.state == State.IN_PROGRESS

    with net.as_node("GT-MP"):
        requests.answer(
            by=gt_prosecutor, request=incoming, expected_version=incoming.version,
            text="Registra dos entradas por El Florido (12 y 30 de enero).", is_complete=False, codes=("H2",),
        )  # fmt: skip
        incoming.refresh_from_db()
        requests.answer(
            by=gt_prosecutor, request=incoming, expected_version=incoming.version,
            text="Salida por Pedro de Alvarado el 2 de marzo con pasaporte.", is_complete=True, codes=("H1", "H2"),
            evaluation="A1",
        )  # fmt: skip
    deliver_all(net)
    outgoing, incoming = copies(request)
    assert outgoing.state == incoming.state == State.ANSWERED
    answers = list(outgoing.answers.order_by("at"))
    assert [a.is_complete for a in answers] == [False, True]
    assert requests.answer_text(answers[1])["text"].startswith("Salida por Pedro de Alvarado")
    assert answers[1].handling == ["H1", "H2"]
    assert answers[1].evaluation == "A1"

    steps = list(outgoing.events.values_list("step", "state_after", "changed_state"))
    assert steps[0][:2] == ("draft", "draft")
    assert steps[1][:2] == ("send", "sent")
    assert ("acknowledge", "acknowledged", True) in steps
    assert ("assign", "in_progress", True) in steps
    assert steps[-1] == ("answer", "answered", True)
    # Every step left in a signed message that was delivered with a receipt.
    assert not OutboundMessage.objects.exclude(status=OutboundMessage.Status.DELIVERED).exists()
    assert InboundMessage.objects.filter(processed_at__isnull=True).count() == 0
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"exchange.request_sent", "exchange.request_acknowledged", "exchange.request_answered"} <= actions


def test_the_content_travels_sealed_and_is_stored_sealed(net: FakeNetwork, prosecutor: User) -> None:  # noqa: F811
    with net.as_node("SV-FGR"):
        request = requests.create_draft(by=prosecutor, draft=draft(text="Identificar a Marleny Quintanilla Ruiz."))
        requests.send_request(by=prosecutor, request=request, expected_version=request.version)
    deliver_all(net)
    for row in InformationRequest.objects.all():
        assert "Quintanilla" not in row.content
        assert row.content
    for message in OutboundMessage.objects.all():
        assert "Quintanilla" not in message.envelope


def test_impossible_steps_are_refused_and_change_nothing(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
    gt_prosecutor: User,
) -> None:
    with net.as_node("SV-FGR"):
        request = requests.create_draft(by=prosecutor, draft=draft())
        request = requests.send_request(by=prosecutor, request=request, expected_version=request.version)
    deliver_all(net)
    with net.as_node("SV-FGR"):
        request = requests.withdraw(
            by=prosecutor, request=request, expected_version=request.version, reason="El caso fue archivado."
        )
    deliver_all(net)
    outgoing, incoming = copies(request)
    assert outgoing.state == incoming.state == State.WITHDRAWN
    sent_before = OutboundMessage.objects.count()
    with net.as_node("GT-MP"), translation.override("en"):
        with pytest.raises(DomainError, match="concluded") as answered:
            requests.answer(
                by=gt_focal_point, request=incoming, expected_version=incoming.version, text="…", is_complete=True
            )
        assert answered.value.code == "impossible_step"
    with net.as_node("SV-FGR"), pytest.raises(DomainError, match=r"concluid[oa]|concluded"):
        requests.withdraw(by=prosecutor, request=outgoing, expected_version=outgoing.version, reason="Otra vez, no.")
    assert OutboundMessage.objects.count() == sent_before
    assert InformationRequest.objects.get(pk=incoming.pk).version == incoming.version


def test_a_stale_version_is_refused(net: FakeNetwork, prosecutor: User) -> None:  # noqa: F811
    with net.as_node("SV-FGR"):
        request = requests.create_draft(by=prosecutor, draft=draft())
        requests.send_request(by=prosecutor, request=request, expected_version=request.version)
        with pytest.raises(DomainError) as stale:
            requests.send_request(by=prosecutor, request=request, expected_version=request.version)
    assert stale.value.code == "changed_meanwhile"


def test_who_may_do_what(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    colleague: User,
    judge: User,
    gt_focal_point: User,
    gt_prosecutor: User,
) -> None:
    with net.as_node("SV-FGR"):
        with pytest.raises(AccessDenied):
            requests.create_draft(by=judge, draft=draft())
        request = requests.create_draft(by=prosecutor, draft=draft())
        with pytest.raises(AccessDenied):  # a colleague does not send someone else's draft
            requests.send_request(by=colleague, request=request, expected_version=request.version)
        request = requests.send_request(by=prosecutor, request=request, expected_version=request.version)
    deliver_all(net)
    _outgoing, incoming = copies(request)
    with net.as_node("GT-MP"):
        with pytest.raises(AccessDenied):  # acknowledging and assigning is the focal point's desk
            requests.acknowledge(by=gt_prosecutor, request=incoming, expected_version=incoming.version)
        with pytest.raises(AccessDenied):  # SV's prosecutor cannot act on GT's copy
            requests.acknowledge(by=prosecutor, request=incoming, expected_version=incoming.version)
        incoming = requests.assign(
            by=gt_focal_point, request=incoming, expected_version=incoming.version, to=gt_prosecutor
        )
        other = UserFactory(username="gt.fiscal2", office_code="GT-MP", roles=[Role.PROSECUTOR], with_totp=True)
        with pytest.raises(AccessDenied):  # assigned to someone else
            requests.answer(by=other, request=incoming, expected_version=incoming.version, text="x", is_complete=True)
        with pytest.raises(DomainError):  # a judge cannot be given a request to answer
            requests.assign(by=gt_focal_point, request=incoming, expected_version=incoming.version, to=judge)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"counterpart": "SV-FGR"}, "to_own_office"),
        ({"counterpart": "XX-NONE"}, "unknown_recipient"),
        ({"items": ("  ",)}, "no_items"),
        ({"handling": ("H3",)}, "handling"),
        ({"evaluation": "E9"}, "handling"),
    ],
)
def test_bad_drafts_are_refused_and_nothing_is_stored(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    changes: dict[str, object],
    code: str,
) -> None:
    with net.as_node("SV-FGR"), pytest.raises(DomainError) as refused:
        requests.create_draft(by=prosecutor, draft=draft(**changes))
    assert refused.value.code == code
    assert not InformationRequest.objects.exists()


def test_a_refusal_carries_its_reason_and_a_late_acknowledgement_changes_nothing(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
) -> None:
    with net.as_node("SV-FGR"):
        request = requests.create_draft(by=prosecutor, draft=draft())
        request = requests.send_request(by=prosecutor, request=request, expected_version=request.version)
    deliver_all(net)
    _outgoing, incoming = copies(request)
    with net.as_node("GT-MP"):
        with pytest.raises(DomainError) as unexplained:
            requests.refuse(by=gt_focal_point, request=incoming, expected_version=incoming.version, reason="other")
        assert unexplained.value.code == "reason_needed"
        requests.refuse(by=gt_focal_point, request=incoming, expected_version=incoming.version, reason="needs_mla")
    deliver_all(net)
    outgoing, incoming = copies(request)
    assert outgoing.state == State.REFUSED
    assert outgoing.refusal_reason == "needs_mla"
    # An acknowledgement that somehow arrives now is recorded without moving the copy back.
    late = {
        "exchange_id": str(outgoing.exchange_id), "step": "acknowledge", "note": "", "language": "es",
        "refusal_reason": "", "answer": {},
    }  # fmt: skip
    message = InboundMessage(sender="GT-MP", message_id=uuid.uuid4(), type="request.acknowledgement")
    with net.as_node("SV-FGR"):
        requests.receive_step(message, json.dumps(late).encode())
    outgoing.refresh_from_db()
    assert outgoing.state == State.REFUSED
    assert outgoing.events.last().changed_state is False  # type: ignore[union-attr]


def test_a_malformed_step_from_a_peer_is_refused_by_its_handler(net: FakeNetwork) -> None:  # noqa: F811
    message = InboundMessage(sender="GT-MP", message_id=uuid.uuid4(), type="request.answer")
    with pytest.raises(ValueError, match="answer"):
        requests.receive_step(message, b'{"exchange_id": "x"}')
    with pytest.raises(ValueError, match="not JSON"):
        requests.receive_request(message, b"not json")


def test_reminders_and_clarifications_reach_the_other_timeline(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
) -> None:
    with net.as_node("SV-FGR"):
        request = requests.create_draft(by=prosecutor, draft=draft())
        request = requests.send_request(by=prosecutor, request=request, expected_version=request.version)
    deliver_all(net)
    _outgoing, incoming = copies(request)
    with net.as_node("GT-MP"):
        requests.clarify(by=gt_focal_point, request=incoming, text="¿Qué número de pasaporte consultamos?")
    with net.as_node("SV-FGR"):
        requests.clarify(by=prosecutor, request=request, text="El pasaporte salvadoreño A01234567.")
        requests.remind(by=prosecutor, request=request)
    deliver_all(net)
    outgoing, incoming = copies(request)
    assert list(incoming.events.filter(by_member="SV-FGR").values_list("step", flat=True)) == [
        "deliver",
        "clarification",
        "reminder",
    ]
    question = outgoing.events.get(step="clarification", by_member="GT-MP")
    assert requests.event_note(question) == "¿Qué número de pasaporte consultamos?"
    assert outgoing.state == State.DELIVERED
