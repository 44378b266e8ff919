"""Receiving: check an envelope, keep it once, answer with a signed receipt.

Everything the inbox keeps about an accepted envelope (the message, its sealed content, the
sender's signed inner object, the receipt and the evidence entry) is written in one
transaction, so a refused or interrupted envelope leaves nothing half-stored. A message that
arrives again (a retry, or the same bytes posted twice) gets the receipt it got the first time;
the same id with different content is refused as a replay.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from vinculo.federation import envelope
from vinculo.messaging import network, rows
from vinculo.messaging.models import InboundMessage, RefusedEnvelope
from vinculo.messaging.services import blob_uploads, refusal_limits
from vinculo.vault import crypto, keys

# Refusal codes the inbox adds to the envelope core's (docs/protocol.md, "Opening").
REPLAY = "replay"


@dataclass(frozen=True)
class Accepted:
    receipt: str
    duplicate: bool
    message: InboundMessage


class Refused(Exception):
    def __init__(self, code: str, detail: str, *, status: int = 400, retry_after: int | None = None) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.status = status
        self.retry_after = retry_after  # seconds, for the answer's Retry-After (rate_limited)


def receive(data: bytes, *, remote_address: str | None = None, now: int | None = None) -> Accepted:
    """Accept one envelope (or recognise it again) and return the receipt; ``Refused`` otherwise."""
    moment = int(time.time()) if now is None else now
    try:
        policy = network.policy()
    except network.NetworkUnavailable as unavailable:
        raise refuse_unavailable(data, unavailable, remote_address=remote_address) from None
    sha256 = envelope.sha256_of(data)
    # One look-up before any work: the very same bytes again get the receipt already given; a
    # message stored under the sender and id the clear header claims is compared once the
    # envelope is open, which proves the claim (the clear header must match the signed one).
    earlier = _earlier(data, sha256, policy.max_envelope_bytes)
    if earlier is not None and earlier.envelope_sha256 == sha256:
        return Accepted(receipt=earlier.receipt, duplicate=True, message=earlier)
    me = network.node_id()
    try:
        opened = envelope.open_envelope(
            data,
            recipient_id=me,
            recipient_key=network.encryption_keys(),
            sender_keys=network.sender_keys,
            now=moment,
            max_bytes=policy.max_envelope_bytes,
            window=policy.replay_window_seconds,
        )
    except envelope.EnvelopeRefused as refused:
        status = 503 if refused.code in ("no_directory", "directory_expired") else 400
        if refused.code == "too_large":
            status = 413
        raise _refuse(data, refused.code, refused.detail, remote_address, status=status) from None
    header = opened.header
    if not policy.allows(header.type):
        raise _refuse(
            data, "type_not_allowed", f"the network policy does not allow {header.type}", remote_address,
            authenticated=True,
        )  # fmt: skip
    if earlier is not None:
        return _again(earlier, opened, data, remote_address)
    # A message with attachments is accepted only once every chunk is here and verified.
    try:
        arrival = blob_uploads.check_arrival(opened)
    except blob_uploads.UploadRefused as refused:
        raise _refuse(
            data, refused.code, refused.detail, remote_address, status=refused.status, authenticated=True
        ) from None
    receipt = envelope.sign_receipt(
        message_id=header.id,
        envelope_sha256=opened.sha256,
        received_at=moment,
        receiver=me,
        sender=header.sender,
        signing_key=network.signing_key(),
    )
    # Built (and its content sealed) before the transaction: the write lock is held only to write.
    message = InboundMessage(
        sender=header.sender,
        message_id=uuid.UUID(header.id),
        type=header.type,
        conversation=header.conversation or "",
        in_reply_to=uuid.UUID(header.in_reply_to) if header.in_reply_to else None,
        handling=list(header.handling),
        message_digest=opened.message_digest,
        envelope_sha256=opened.sha256,
        signed=crypto.seal_bytes(
            opened.signed,
            keyring=keys.current_keyring(),
            context=InboundMessage.signed_context(header.sender, header.id),
        ),
        payload=crypto.seal_bytes(
            arrival.payload,
            keyring=keys.current_keyring(),
            context=InboundMessage.context(header.sender, header.id),
        ),
        receipt=receipt,
    )
    try:
        with transaction.atomic():
            rows.insert(message)
            about = {"message_id": header.id, "peer": header.sender, "sha256": opened.sha256}
            received = ("envelope_received", {**about, "facts": {"type": header.type}})
            sent = ("receipt_sent", about)
            if arrival.attachments:  # their entries come between the envelope's and the receipt's
                network.evidence(received[0], **received[1])
                blob_uploads.keep_arrival(message, arrival)
                network.evidence(sent[0], **sent[1])
            else:
                network.evidence_many([received, sent])  # one append for both
    except IntegrityError:
        # Another request stored the same message a moment ago: answer as it was answered.
        earlier = InboundMessage.objects.get(sender=header.sender, message_id=header.id)
        return _again(earlier, opened, data, remote_address)
    return Accepted(receipt=receipt, duplicate=False, message=message)


# The look-up every envelope makes goes through a plain statement: building the ORM's query costs
# twenty times running it (0.6 ms against 0.03 ms on a small server), and it runs for every message.
# In the model's order of fields, as Model.from_db reads them.
_EARLIER_FIELDS = [
    field.attname
    for field in InboundMessage._meta.concrete_fields
    if field.attname in ("id", "sender", "message_id", "envelope_sha256", "message_digest", "receipt")
]
_EARLIER = (
    f"SELECT {', '.join(_EARLIER_FIELDS)} FROM {InboundMessage._meta.db_table} "  # noqa: S608 - constant names
    "WHERE envelope_sha256 = %s OR (sender = %s AND message_id = %s) LIMIT 2"
)
_MESSAGE_ID = InboundMessage._meta.get_field("message_id")


def _earlier(data: bytes, sha256: str, max_bytes: int) -> InboundMessage | None:
    """The message already stored with these very bytes, or under the sender and id the clear header claims.

    Loaded with only the columns the inbox compares and answers with (the others load on access).
    """
    try:
        routing = envelope.read_routing(data, max_bytes=max_bytes)
        claimed = [routing.sender, _MESSAGE_ID.get_db_prep_value(uuid.UUID(routing.id), connection)]
    except (envelope.EnvelopeRefused, ValueError):
        claimed = ["", None]  # opening refuses it with the right code; only the digest is looked up
    with connection.cursor() as cursor:
        cursor.execute(_EARLIER, [sha256, *claimed])
        rows = cursor.fetchall()
    if not rows:
        return None
    found = [dict(zip(_EARLIER_FIELDS, row, strict=True)) for row in rows]
    # At most one row per condition; the same bytes first (their receipt is given as it was).
    values = next((row for row in found if row["envelope_sha256"] == sha256), found[0])
    values["message_id"] = _MESSAGE_ID.to_python(values["message_id"])
    return InboundMessage.from_db(connection.alias, _EARLIER_FIELDS, list(values.values()))


def _again(earlier: InboundMessage, opened: envelope.Opened, data: bytes, remote_address: str | None) -> Accepted:
    """A message id seen before: the same message (sealed again for a retry) or a replay."""
    if earlier.message_digest != opened.message_digest:
        raise _refuse(
            data, REPLAY, "this message id was already used by the sender for a different message", remote_address,
            authenticated=True,
        )  # fmt: skip
    return Accepted(receipt=earlier.receipt, duplicate=True, message=earlier)


def refuse_unavailable(
    data: bytes, unavailable: network.NetworkUnavailable, *, remote_address: str | None = None
) -> Refused:
    """Refuse, and record, an envelope that came while this node holds no directory in force (503).

    It is recorded like any other refusal of an envelope nobody has authenticated, and so it counts
    towards its address's share of refusals a minute (``refusal_limits``). The node's own state is
    to blame, not the sender, but without a directory no sender can be authenticated: exempting
    these refusals would let anyone fill the refusal table and the evidence log (whose head lock
    accepted envelopes need too) for as long as the outage lasts. A peer that keeps retrying past
    its share gets ``429 rate_limited`` with ``Retry-After`` instead of 503, which its outbox also
    treats as transient, so nothing is lost; the summary row of that minute counts the rest.
    """
    return _refuse(data, unavailable.code, unavailable.detail, remote_address, status=503)


def _refuse(
    data: bytes, code: str, detail: str, remote_address: str | None, *, status: int = 400, authenticated: bool = False
) -> Refused:
    """Log the refusal (what the clear header claimed, never the content) and build the answer.

    Past the address's share of refusals this minute, an envelope nobody has authenticated yet is
    only counted and the answer is ``rate_limited`` (``refusal_limits``). A refusal after the
    sender's signature verified (``authenticated``) is always recorded with its own code: its
    sender is a member, known, and may share an address with a flooder.
    """
    moment = timezone.now()
    sha256 = envelope.sha256_of(data)
    retry_after = None
    if not authenticated:
        retry_after = refusal_limits.counted_instead(remote_address, sha256=sha256, now=moment)
    if retry_after is not None:
        return Refused(
            refusal_limits.RATE_LIMITED,
            f"too many refused envelopes from this address; try again in {retry_after} s",
            status=429,
            retry_after=retry_after,
        )
    claimed_sender = claimed_id = ""
    try:
        routing = envelope.read_routing(data, max_bytes=max(len(data), 1))
        claimed_sender, claimed_id = routing.sender, routing.id
    except envelope.EnvelopeRefused:
        pass
    with transaction.atomic():
        RefusedEnvelope.objects.create(
            claimed_sender=claimed_sender[:64],
            claimed_id=claimed_id[:64],
            envelope_sha256=sha256,
            size=len(data),
            code=code,
            detail=detail[:300],
            remote_address=remote_address,
            refused_at=moment,
        )
        network.evidence(
            "envelope_refused", message_id=claimed_id or None, peer=claimed_sender or None, sha256=sha256,
            facts={"code": code},
        )  # fmt: skip
    return Refused(code, detail, status=status)


def payload_of(message: InboundMessage) -> bytes:
    """The content of an accepted message, for the module that handles its type."""
    return crypto.unseal_bytes(
        message.payload,
        keyring=keys.current_keyring(),
        context=InboundMessage.context(message.sender, message.message_id),
    )


def signed_message_of(message: InboundMessage) -> bytes:
    """The sender's signed message (inner JWS) as received: anyone with its key can check it again."""
    return crypto.unseal_bytes(
        message.signed,
        keyring=keys.current_keyring(),
        context=InboundMessage.signed_context(message.sender, message.message_id),
    )
