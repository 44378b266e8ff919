"""Spontaneous information and alerts: one item to one, several or every office, acknowledged by each.

The sender's record keeps a row per recipient with the message that went there; the recipient's
signed receipt marks it delivered, and the recipient office's acknowledgement (a person there
saw it) marks it acknowledged. Each message is queued in the same transaction as the record, so
the item exists if and only if it goes to every office it names.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import Office, User
from vinculo.accounts.roles import Permission
from vinculo.audit import services as audit
from vinculo.cases.models import Case
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.core.validation import validate
from vinculo.exchanges import handling, wire
from vinculo.exchanges.lifecycle import Side
from vinculo.exchanges.models import AlertCategory, Broadcast, BroadcastKind, BroadcastRecipient
from vinculo.exchanges.services import notices
from vinculo.exchanges.services.refusals import handling_refusal
from vinculo.messaging import network
from vinculo.messaging.models import InboundMessage, OutboundMessage
from vinculo.messaging.services import outbox
from vinculo.vault import crypto, keys

MAY_NOT_SEND = _("You may not send spontaneous information or alerts.")
NO_RECIPIENTS = _("Choose at least one office.")
NOT_AN_OFFICE = _("%(member)s is not an active office of the network.")
CATEGORY_NEEDED = _("Say what the alert is about.")
CASE_ELSEWHERE = _("The linked case must be one of your office's cases you may see.")
EMPTY_TEXT = _("Write what you are telling the other offices.")
ALREADY_ACKNOWLEDGED = _("This has already been acknowledged.")
NOT_YOURS = _("Only people of the receiving office who work on exchanges acknowledge it.")


def _seal(value: dict[str, Any], context: str) -> str:
    data = json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return crypto.seal_bytes(data, keyring=keys.current_keyring(), context=context)


def content_of(broadcast: Broadcast) -> dict[str, Any]:
    """The sealed text, purpose and conditions; the caller checked access."""
    if not broadcast.content:
        return {}
    raw = crypto.unseal_bytes(
        broadcast.content, keyring=keys.current_keyring(), context=Broadcast.context(broadcast.pk)
    )
    return dict(json.loads(raw.decode("utf-8")))


@transaction.atomic(durable=True)
def record_broadcast_viewed(*, by: User, broadcast: Broadcast) -> None:
    """Reading an item's content is audited, like reading a request."""
    audit.record(action="exchange.broadcast_viewed", actor=by, target=broadcast)


def active_offices() -> list[str]:
    """Every active office of the directory in force, except this one (for "send to all")."""
    from vinculo.federation import directory

    me = network.node_id()
    members = directory.in_force().members
    return sorted(m.id for m in members if m.id != me and m.status == "active" and "office" in m.roles)


@transaction.atomic(durable=True)
def send_broadcast(
    *,
    by: User,
    kind: str,
    recipients: Iterable[str],
    subject: str,
    text: str,
    language: str = "es",
    category: str = "",
    codes: Iterable[str] = (),
    purpose: str = "",
    conditions: str = "",
    evaluation: str = "",
    case: Case | None = None,
) -> Broadcast:
    """Send spontaneous information or an alert to each office named, in one transaction."""
    if not by.has_permission(Permission.EXCHANGE_SEND):
        raise AccessDenied(MAY_NOT_SEND)
    members = sorted({member.strip() for member in recipients if member.strip()})
    if not members:
        raise DomainError(NO_RECIPIENTS, code="no_recipients")
    for member in members:
        peer = network.peer(member)
        if member == by.office.code or peer is None or peer.status != "active":
            raise DomainError(NOT_AN_OFFICE % {"member": member}, code="unknown_recipient")
    if kind == BroadcastKind.ALERT and category not in AlertCategory.values:
        raise DomainError(CATEGORY_NEEDED, code="category_needed")
    if kind == BroadcastKind.INFORMATION:
        category = ""
    if not text.strip():
        raise DomainError(EMPTY_TEXT, code="empty")
    if case is not None:
        from vinculo.cases.selectors import cases_visible_to

        if not cases_visible_to(by).filter(pk=case.pk).exists():
            raise DomainError(CASE_ELSEWHERE, code="case_not_visible")
    try:
        checked = handling.check_codes(codes, conditions=conditions)
        handling.check_evaluation(evaluation[:1], evaluation[1:])
    except handling.InvalidHandling as error:
        raise handling_refusal(error) from None
    broadcast = Broadcast(
        kind=kind, side=Side.OUTGOING, office=by.office, category=category, subject=subject.strip(),
        language=language, handling=list(checked), evaluation=evaluation, case=case, recipients_named=members,
        created_by=by,
    )  # fmt: skip
    broadcast.content = _seal(
        {"text": text.strip(), "purpose": purpose.strip(), "conditions": conditions.strip()},
        Broadcast.context(broadcast.pk),
    )
    validate(broadcast)
    broadcast.save(force_insert=True)
    payload = wire.BroadcastPayload(
        exchange_id=str(broadcast.exchange_id), kind=kind, category=category, subject=broadcast.subject,
        text=text.strip(), language=language, handling=checked, purpose=purpose.strip(),
        conditions=conditions.strip(), evaluation=evaluation, recipients=tuple(members),
    )  # fmt: skip
    for member in members:
        message = outbox.send(
            type=wire.BROADCAST_TYPES[kind], recipient=member, payload=wire.dump(payload),
            conversation=str(broadcast.exchange_id), handling=checked, sent_by=by,
        )  # fmt: skip
        BroadcastRecipient.objects.create(broadcast=broadcast, member=member, message_id=message.id)
    audit.record(
        action=f"exchange.{kind}_sent", actor=by, target=broadcast,
        data={"to": members, "category": category},
    )  # fmt: skip
    return broadcast


@transaction.atomic(durable=True)
def acknowledge(*, by: User, broadcast: Broadcast) -> Broadcast:
    """A person of the receiving office saw it; the sender is told."""
    locked = Broadcast.objects.select_for_update().get(pk=broadcast.pk)
    may = by.has_permission(Permission.EXCHANGE_TRIAGE) or by.has_permission(Permission.EXCHANGE_ANSWER)
    if locked.side != Side.INCOMING or locked.office_id != by.office_id or not may:
        raise AccessDenied(NOT_YOURS)
    if locked.acknowledged_at is not None:
        raise DomainError(ALREADY_ACKNOWLEDGED, code="already_acknowledged")
    locked.acknowledged_at, locked.acknowledged_by = timezone.now(), by
    locked.save(update_fields=["acknowledged_at", "acknowledged_by"])
    message = outbox.send(
        type=wire.ACKNOWLEDGEMENT_TYPES[locked.kind], recipient=locked.origin,
        payload=wire.dump(wire.AcknowledgementPayload(exchange_id=str(locked.exchange_id))),
        conversation=str(locked.exchange_id), sent_by=by,
    )  # fmt: skip
    audit.record(
        action=f"exchange.{locked.kind}_acknowledged", actor=by, target=locked, data={"message": str(message.id)}
    )
    return locked


# --- receiving -----------------------------------------------------------------------------------


def receive_broadcast(message: InboundMessage, payload: bytes) -> None:
    data = wire.BroadcastPayload.read(payload, where=message.type)
    me = network.node_id()
    if me not in data.recipients:
        raise wire.UnreadablePayload(f"{message.type}: this office ({me}) is not among its recipients")
    office = Office.objects.get(code=me)
    if Broadcast.objects.filter(exchange_id=data.exchange_id, side=Side.INCOMING, office=office).exists():
        return
    broadcast = Broadcast(
        exchange_id=uuid.UUID(data.exchange_id), kind=data.kind, side=Side.INCOMING, office=office,
        origin=message.sender, category=data.category, subject=data.subject, language=data.language,
        handling=list(data.handling), evaluation=data.evaluation, recipients_named=list(data.recipients),
        sent_at=message.received_at,
    )  # fmt: skip
    broadcast.content = _seal(
        {"text": data.text, "purpose": data.purpose, "conditions": data.conditions}, Broadcast.context(broadcast.pk)
    )
    broadcast.save(force_insert=True)
    notices.broadcast_arrived(broadcast)


def receive_acknowledgement(message: InboundMessage, payload: bytes) -> None:
    data = wire.AcknowledgementPayload.read(payload, where=message.type)
    row = (
        BroadcastRecipient.objects.select_for_update()
        .filter(broadcast__exchange_id=data.exchange_id, broadcast__side=Side.OUTGOING, member=message.sender)
        .first()
    )
    if row is None:
        raise wire.UnreadablePayload(f"{message.type}: nothing {data.exchange_id} was sent to {message.sender}")
    if row.acknowledged_at is None:
        row.acknowledged_at = message.received_at
        row.delivered_at = row.delivered_at or message.received_at
        row.save(update_fields=["acknowledged_at", "delivered_at"])


def broadcast_delivered(message: OutboundMessage) -> None:
    BroadcastRecipient.objects.filter(message_id=message.id, delivered_at__isnull=True).update(
        delivered_at=timezone.now()
    )


def broadcast_undelivered(message: OutboundMessage) -> None:
    """The outbox gave up on the broadcast to one office: its row says so instead of waiting for a receipt."""
    BroadcastRecipient.objects.filter(message_id=message.id, delivered_at__isnull=True).update(failed=True)
