"""An alert from SV to GT and HN, and spontaneous information: delivered and acknowledged per office."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.audit.models import AuditEntry
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.exchanges import selectors
from vinculo.exchanges.lifecycle import Side
from vinculo.exchanges.models import Broadcast
from vinculo.exchanges.services import broadcasts
from vinculo.messaging import handlers
from vinculo.messaging.models import OutboundMessage
from vinculo.messaging.services import outbox
from vinculo.messaging.tests.conftest import FakeNetwork, net  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db
OFFICES = ("SV-FGR", "GT-MP", "HN-MP")


def deliver_everywhere(net: FakeNetwork) -> None:  # noqa: F811
    """Deliver every message as its sender's office; each office handles what was sent to it."""
    for _round in range(4):
        for message_id in outbox.claim_due("test-worker", limit=100):
            sender = OutboundMessage.objects.select_related("sent_by__office").get(id=message_id).sent_by
            assert sender is not None
            with net.as_node(sender.office.code):
                outbox.deliver(message_id, "test-worker", post=net.post_to_inbox)
        for office in OFFICES:
            # In one database every office's inbox is one table: an office handles what others sent it.
            for sender in OFFICES:
                if sender != office:
                    with net.as_node(office):
                        _handle_addressed_to(office, sender)


def _handle_addressed_to(office: str, sender: str) -> None:
    from vinculo.messaging.models import InboundMessage

    addressed = [
        m.pk
        for m in InboundMessage.objects.filter(sender=sender, processed_at__isnull=True, processing_error="")
        if _addressed(m, office)
    ]
    for pk in addressed:
        message = InboundMessage.objects.get(pk=pk)
        from vinculo.messaging.services.inbox import payload_of

        try:
            with transaction.atomic():  # as the worker hands a message on: in one transaction
                handlers.HANDLERS[message.type](message, payload_of(message))
                InboundMessage.objects.filter(pk=pk).update(processed_at=message.received_at)
        except handlers.NotYet:
            continue  # an earlier message is still on its way: offered again next round


def _addressed(message: object, office: str) -> bool:
    """Whom a message was for: the sender's outbox row names the recipient."""
    row = OutboundMessage.objects.filter(id=message.message_id).first()  # type: ignore[attr-defined]
    return row is not None and row.recipient == office


@pytest.fixture
def gt_focal_point(db: None) -> User:
    return UserFactory(username="gt.enlace", office_code="GT-MP", roles=[Role.FOCAL_POINT], with_totp=True)


@pytest.fixture
def hn_prosecutor(db: None) -> User:
    return UserFactory(username="hn.fiscal", office_code="HN-MP", roles=[Role.PROSECUTOR], with_totp=True)


def alert(by: User, **changes: object) -> Broadcast:
    fields: dict[str, object] = {
        "kind": "alert",
        "recipients": ["GT-MP", "HN-MP"],
        "category": "child_at_risk",
        "subject": "Niña posiblemente trasladada hacia El Florido",
        "text": "Una niña de 13 años, vista con un adulto no familiar, viaja hacia la frontera esta noche.",
        "codes": ("H2",),
    }
    fields.update(changes)
    return broadcasts.send_broadcast(by=by, **fields)  # type: ignore[arg-type]


def test_an_alert_reaches_two_offices_and_each_acknowledgement_is_tracked(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
    hn_prosecutor: User,
) -> None:
    with net.as_node("SV-FGR"):
        sent = alert(prosecutor)
    assert [r.member for r in sent.recipients.all()] == ["GT-MP", "HN-MP"]
    deliver_everywhere(net)
    rows = {r.member: r for r in sent.recipients.all()}
    assert all(r.delivered_at is not None for r in rows.values())
    assert all(r.acknowledged_at is None for r in rows.values())
    gt_copy = Broadcast.objects.get(exchange_id=sent.exchange_id, side=Side.INCOMING, office__code="GT-MP")
    hn_copy = Broadcast.objects.get(exchange_id=sent.exchange_id, side=Side.INCOMING, office__code="HN-MP")
    assert gt_copy.origin == "SV-FGR"
    assert gt_copy.recipients_named == ["GT-MP", "HN-MP"]
    assert broadcasts.content_of(gt_copy)["text"].startswith("Una niña de 13 años")
    assert gt_copy.handling == ["H2"]
    with net.as_node("GT-MP"):
        broadcasts.acknowledge(by=gt_focal_point, broadcast=gt_copy)
        with pytest.raises(DomainError) as again:
            broadcasts.acknowledge(by=gt_focal_point, broadcast=gt_copy)
        assert again.value.code == "already_acknowledged"
    deliver_everywhere(net)
    rows = {r.member: r for r in sent.recipients.all()}
    assert rows["GT-MP"].acknowledged_at is not None
    assert rows["HN-MP"].acknowledged_at is None
    with net.as_node("HN-MP"):
        with pytest.raises(AccessDenied):  # GT's focal point cannot acknowledge for Honduras
            broadcasts.acknowledge(by=gt_focal_point, broadcast=hn_copy)
        broadcasts.acknowledge(by=hn_prosecutor, broadcast=hn_copy)
    deliver_everywhere(net)
    assert all(r.acknowledged_at is not None for r in sent.recipients.all())
    assert AuditEntry.objects.filter(action="exchange.alert_acknowledged").count() == 2


def test_who_sees_what(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    colleague: User,
    focal_point: User,
    judge: User,
    gt_focal_point: User,
) -> None:
    with net.as_node("SV-FGR"):
        sent = alert(prosecutor)
    deliver_everywhere(net)
    assert list(selectors.broadcasts_visible_to(prosecutor)) == [sent]
    assert list(selectors.broadcasts_visible_to(focal_point)) == [sent]
    assert not selectors.broadcasts_visible_to(colleague).filter(side=Side.OUTGOING).exists()
    assert not selectors.broadcasts_visible_to(judge).exists()
    gt_seen = list(selectors.broadcast_list(gt_focal_point, unacknowledged=True))
    assert [b.office.code for b in gt_seen] == ["GT-MP"]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"recipients": []}, "no_recipients"),
        ({"recipients": ["SV-FGR"]}, "unknown_recipient"),
        ({"recipients": ["GT-MP", "XX-NONE"]}, "unknown_recipient"),
        ({"category": ""}, "category_needed"),
        ({"text": "   "}, "empty"),
        ({"codes": ("H3",)}, "handling"),
    ],
)
def test_bad_broadcasts_are_refused_and_nothing_leaves(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    changes: dict[str, object],
    code: str,
) -> None:
    with net.as_node("SV-FGR"), pytest.raises(DomainError) as refused:
        alert(prosecutor, **changes)
    assert refused.value.code == code
    assert not Broadcast.objects.exists()
    assert not OutboundMessage.objects.exists()


def test_spontaneous_information_needs_no_category_and_a_judge_cannot_send(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    judge: User,
) -> None:
    with net.as_node("SV-FGR"):
        with pytest.raises(AccessDenied):
            alert(judge, kind="information")
        sent = alert(prosecutor, kind="information", category="child_at_risk", recipients=["HN-MP"])
    assert sent.category == ""
    assert OutboundMessage.objects.get().type == "information.spontaneous"


def test_a_broadcast_that_names_other_offices_only_is_refused_by_the_handler(net: FakeNetwork) -> None:  # noqa: F811
    import json
    import uuid

    from vinculo.exchanges import wire
    from vinculo.messaging.models import InboundMessage

    payload = {
        "exchange_id": str(uuid.uuid4()), "kind": "alert", "category": "other", "subject": "x", "text": "y",
        "language": "es", "handling": [], "purpose": "", "conditions": "", "evaluation": "", "recipients": ["HN-MP"],
    }  # fmt: skip
    message = InboundMessage(sender="SV-FGR", message_id=uuid.uuid4(), type="alert")
    with net.as_node("GT-MP"), pytest.raises(wire.UnreadablePayload, match="not among its recipients"):
        broadcasts.receive_broadcast(message, json.dumps(payload).encode())
    with pytest.raises(wire.UnreadablePayload, match="does not travel"):
        wire.BroadcastPayload.read(json.dumps({**payload, "kind": "information"}).encode(), where="alert")


def test_an_alert_the_network_gives_up_on_is_marked_not_delivered_for_that_office(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_post = net.post_to_inbox

    def hn_refuses(url: str, data: bytes) -> tuple[int, bytes]:
        if "//hn-mp.test/" in url:
            return 400, json.dumps({"code": "bad_signature", "detail": "no"}).encode()
        return real_post(url, data)

    monkeypatch.setattr(net, "post_to_inbox", hn_refuses)
    with net.as_node("SV-FGR"):
        sent = alert(prosecutor)
    deliver_everywhere(net)
    rows = {r.member: r for r in sent.recipients.all()}
    assert (rows["GT-MP"].delivered_at is not None, rows["GT-MP"].failed) == (True, False)
    assert (rows["HN-MP"].delivered_at, rows["HN-MP"].failed) == (None, True)
