"""Rows for the delivery pages' tests: a held directory, messages sent and received, refusals.

SV-FGR is this node. The directory comes from an in-memory hub (``HubKit``) with real keys, so
the receipts below are signed the way peers sign them and the pages can check them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

from vinculo.federation import envelope
from vinculo.federation.models import SignedDirectory
from vinculo.federation.tests.directory_kit import DAY, HubKit
from vinculo.messaging.models import InboundMessage, OutboundMessage, RefusedEnvelope

THIS_NODE = "SV-FGR"
SECRET_PAYLOAD = "vault1.sealed-content-that-no-page-may-show"
SECRET_ENVELOPE = "eyJzZWFsZWQgZW52ZWxvcGUi.never-shown"
SECRET_SIGNED = "eyJzaWduZWQgbWVzc2FnZSI.never-shown-either"


def network() -> HubKit:
    return HubKit.with_offices(THIS_NODE, "GT-MP", "HN-MP")


def store_directory(kit: HubKit, *, version: int = 3, issued_at: datetime | None = None, validity: int = 7 * DAY):  # type: ignore[no-untyped-def]
    """The kit's directory, as if this node had fetched and checked it."""
    issued = int((issued_at or timezone.now() - timedelta(minutes=1)).timestamp())
    token = kit.token(version=version, issued_at=issued, validity=validity)
    return SignedDirectory.objects.create(
        version=version,
        token=token,
        signer=kit.hub.signing.thumbprint(),
        issued_at=datetime.fromtimestamp(issued, tz=UTC),
        expires_at=datetime.fromtimestamp(issued + validity, tz=UTC),
    )


def digest(label: str) -> str:
    return envelope.sha256_of(label.encode())


def sent(recipient: str = "GT-MP", **fields: Any) -> OutboundMessage:
    """A message this node queued (pending unless told), with one sealed envelope."""
    created = fields.pop("created_at", timezone.now())
    message_id = fields.pop("id", uuid.uuid4())
    values: dict[str, Any] = {
        "type": "request.information",
        "payload": SECRET_PAYLOAD,
        "envelope": SECRET_ENVELOPE,
        "attempt_digests": [digest(f"{message_id}-1")],
        "give_up_at": created + timedelta(days=7),
        "next_attempt_at": created + timedelta(minutes=1),
        **fields,
    }
    return OutboundMessage.objects.create(id=message_id, recipient=recipient, created_at=created, **values)


def delivered(kit: HubKit, recipient: str = "GT-MP", **fields: Any) -> OutboundMessage:
    """A message delivered, with the receipt its recipient signed for its last envelope."""
    message = sent(recipient, **{"status": OutboundMessage.Status.DELIVERED, "attempts": 1, "payload": "", **fields})
    moment = fields.get("delivered_at") or timezone.now()
    message.receipt = envelope.sign_receipt(
        message_id=str(message.id),
        envelope_sha256=message.attempt_digests[-1],
        received_at=int(moment.timestamp()),
        receiver=recipient,
        sender=THIS_NODE,
        signing_key=kit.offices[recipient].signing,
    )
    message.delivered_at = moment
    message.save(update_fields=["receipt", "delivered_at"])
    return message


def received(kit: HubKit, sender: str = "GT-MP", **fields: Any) -> InboundMessage:
    """A message this node accepted from ``sender``, with the receipt this node signed."""
    message_id = fields.pop("message_id", uuid.uuid4())
    moment = fields.pop("received_at", timezone.now())
    sha256 = digest(f"in-{message_id}")
    receipt = envelope.sign_receipt(
        message_id=str(message_id),
        envelope_sha256=sha256,
        received_at=int(moment.timestamp()),
        receiver=THIS_NODE,
        sender=sender,
        signing_key=kit.offices[THIS_NODE].signing,
    )
    return InboundMessage.objects.create(
        sender=sender,
        message_id=message_id,
        type=fields.pop("type", "alert"),
        message_digest=digest(f"digest-{message_id}"),
        envelope_sha256=sha256,
        signed=SECRET_SIGNED,
        payload=SECRET_PAYLOAD,
        receipt=receipt,
        received_at=moment,
        **fields,
    )


def refused(code: str = "malformed", **fields: Any) -> RefusedEnvelope:
    values: dict[str, Any] = {
        "envelope_sha256": digest(f"refused-{uuid.uuid4()}"),
        "size": 1234,
        "remote_address": "203.0.113.66",
        "refused_at": timezone.now(),
        **fields,
    }
    return RefusedEnvelope.objects.create(code=code, **values)
