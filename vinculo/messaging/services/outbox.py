"""Sending: a message is queued in the caller's transaction, then delivered by the worker.

Queueing inside the business transaction means a message exists if and only if the action that
sends it happened. The worker seals the envelope (again, with the same id and a fresh time, when
a retry comes after the replay window), posts it to the recipient's inbox, and accepts only a
receipt signed by the recipient that names this message and one of the envelopes sealed for it.
Transient failures are retried with exponential backoff and jitter until the policy's maximum
age; then the message is given up and the sender told. Several workers may run at once: each
claims a message before delivering it (row locks with SKIP LOCKED on PostgreSQL, a conditional
update on SQLite), and a claim left by a killed worker expires.
"""

from __future__ import annotations

import json
import logging
import random
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import User
from vinculo.core.errors import DomainError
from vinculo.federation import envelope
from vinculo.messaging import handlers, network
from vinculo.messaging.models import OutboundMessage
from vinculo.messaging.services.attachments import (
    Prepared,
    frame_attachments,
    record_attachments,
    release_attachments,
    upload_attachments,
)
from vinculo.vault import crypto, keys

log = logging.getLogger(__name__)

BASE_DELAY_SECONDS = 5.0
MAX_DELAY_SECONDS = 3600.0
HTTP_TIMEOUT_SECONDS = 15
CONTENT_TYPE = "application/jose"
INBOX_PATH = "messaging/inbox"
# Refusals that a later attempt can overcome (the recipient's directory may be behind ours, a
# clock may be off); any other refusal is final.
# ``attachment_incomplete``: the recipient lacks a chunk (lost on its disk): upload again, then post.
TRANSIENT_REFUSALS = frozenset(
    {"unknown_sender", "directory_expired", "no_directory", "stale", "unavailable", "attachment_incomplete"}
)

UNKNOWN_RECIPIENT = _("%(member)s is not a member of the network.")
SUSPENDED_RECIPIENT = _("%(member)s is suspended in the network directory; nothing can be sent to it.")
TYPE_NOT_ALLOWED = _("The network policy does not allow messages of type %(type)s.")
TOO_LARGE = _("The message is too large for the network (at most %(size)d bytes).")
TO_ITSELF = _("A node does not send messages to itself.")


def send(
    *,
    type: str,
    recipient: str,
    payload: bytes,
    conversation: str | None = None,
    in_reply_to: str | None = None,
    handling: Iterable[str] = (),
    message_id: uuid.UUID | None = None,
    sent_by: User | None = None,
    attachments: Sequence[Prepared] = (),
) -> OutboundMessage:
    """Queue a message for ``recipient``; call inside the transaction of the action that sends it.

    ``attachments`` are blobs from ``attachments.prepare`` (encrypted before the transaction); the
    payload refers to them by their ``sha256``.
    """
    member = network.peer(recipient)
    if recipient == network.node_id():
        raise DomainError(TO_ITSELF, code="to_itself")
    if member is None:
        raise DomainError(UNKNOWN_RECIPIENT % {"member": recipient}, code="unknown_recipient")
    if member.status != "active":
        raise DomainError(SUSPENDED_RECIPIENT % {"member": recipient}, code="suspended_recipient")
    policy = network.policy()
    if not policy.allows(type):
        raise DomainError(TYPE_NOT_ALLOWED % {"type": type}, code="type_not_allowed")
    payload = frame_attachments(payload, attachments)
    # The envelope is about 2.4 times the payload (docs/protocol.md, "Sizes").
    limit = int((policy.max_envelope_bytes - 2048) / 2.4)
    if len(payload) > limit:
        raise DomainError(TOO_LARGE % {"size": limit}, code="too_large")
    message = OutboundMessage(
        id=message_id or uuid.uuid4(),
        recipient=recipient,
        type=type,
        conversation=conversation or "",
        in_reply_to=uuid.UUID(in_reply_to) if in_reply_to else None,
        handling=sorted(set(handling)),
        give_up_at=timezone.now() + timedelta(seconds=policy.max_delivery_age_seconds),
        sent_by=sent_by,
    )
    message.payload = crypto.seal_bytes(
        payload, keyring=keys.current_keyring(), context=OutboundMessage.context(message.id)
    )
    message.save(force_insert=True)
    record_attachments(message, attachments)
    return message


# --- the worker's side --------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    final: bool  # delivered, or given up
    error: str = ""


def claim_due(worker: str, *, limit: int = 20) -> list[uuid.UUID]:
    """Claim up to ``limit`` messages that are due, for ``worker``; a claim lasts ``VINCULO_DELIVERY_CLAIM_SECONDS``."""
    now = timezone.now()
    until = now + timedelta(seconds=settings.DELIVERY_CLAIM_SECONDS)
    due = OutboundMessage.objects.filter(status=OutboundMessage.Status.PENDING, next_attempt_at__lte=now).exclude(
        claimed_until__gt=now
    )
    if connection.vendor == "postgresql":
        with transaction.atomic():
            ids = list(
                due.order_by("next_attempt_at").select_for_update(skip_locked=True).values_list("id", flat=True)[:limit]
            )
            OutboundMessage.objects.filter(id__in=ids).update(claimed_by=worker, claimed_until=until)
        return ids
    claimed = []
    for candidate in due.order_by("next_attempt_at").values_list("id", flat=True)[: limit * 2]:
        # A conditional update: only one worker's UPDATE can match an unclaimed row.
        won = (
            OutboundMessage.objects.filter(id=candidate, status=OutboundMessage.Status.PENDING)
            .exclude(claimed_until__gt=now)
            .update(claimed_by=worker, claimed_until=until)
        )
        if won:
            claimed.append(candidate)
        if len(claimed) == limit:
            break
    return claimed


PostFunction = Callable[[str, bytes], tuple[int, bytes]]


def deliver(message_id: uuid.UUID, worker: str, *, post: PostFunction | None = None) -> Outcome:
    """One delivery attempt of a claimed message."""
    message = OutboundMessage.objects.get(id=message_id)
    if message.claimed_by != worker or message.status != OutboundMessage.Status.PENDING:
        return Outcome(delivered=message.status == OutboundMessage.Status.DELIVERED, final=True)
    if timezone.now() >= message.give_up_at:
        _give_up(message, "expired", message.last_error or "no receipt before the policy's maximum age")
        return Outcome(delivered=False, final=True, error="expired")
    try:
        member = network.peer(message.recipient)
        if member is None or member.status != "active":
            return _retry_or_give_up(message, "recipient_unavailable", final=member is None)
        # Attachments' chunks go first: the recipient verifies them before it gives a receipt.
        problem = upload_attachments(message, member, worker)
        if problem is not None:
            return _retry_or_give_up(message, problem.code, detail=problem.detail, final=problem.final)
        data = _envelope_for(message, member)
        status, body = (post or http_post)(member.endpoint.rstrip("/") + "/" + INBOX_PATH, data)
    except network.NetworkUnavailable as unavailable:
        return _retry_or_give_up(message, unavailable.code)
    except OSError as error:  # connection refused, timeout, reset …
        return _retry_or_give_up(message, "unreachable", detail=str(error)[:150])
    outcome = _settle(message, member, status, body)
    if outcome.final:
        release_attachments(message)
    return outcome


def _envelope_for(message: OutboundMessage, member: network.Peer) -> bytes:
    """The envelope to post: the last one while it is young enough, else a fresh seal."""
    now = int(time.time())
    window = network.policy().replay_window_seconds
    if message.envelope and message.sealed_at and now - message.sealed_at < window // 2:
        return message.envelope.encode("ascii")
    signing = network.signing_key()
    recipient_key = member.recipient_key()
    header = envelope.Header(
        id=str(message.id),
        type=message.type,
        sender=network.node_id(),
        recipient=message.recipient,
        created_at=now,
        sender_key=signing.thumbprint(),
        recipient_key=recipient_key.thumbprint(),
        conversation=message.conversation or None,
        in_reply_to=str(message.in_reply_to) if message.in_reply_to else None,
        handling=tuple(message.handling),
    )
    payload = crypto.unseal_bytes(
        message.payload, keyring=keys.current_keyring(), context=OutboundMessage.context(message.id)
    )
    data = envelope.seal(header, payload, signing_key=signing, recipient_key=recipient_key)
    digest = envelope.sha256_of(data)
    with transaction.atomic():
        OutboundMessage.objects.filter(id=message.id).update(
            envelope=data.decode("ascii"), sealed_at=now, attempt_digests=[*message.attempt_digests, digest]
        )
        network.evidence(
            "envelope_sent", message_id=str(message.id), peer=message.recipient, sha256=digest,
            facts={"attempt": message.attempts + 1},
        )  # fmt: skip
    message.envelope, message.sealed_at = data.decode("ascii"), now
    message.attempt_digests = [*message.attempt_digests, digest]
    return data


def _settle(message: OutboundMessage, member: network.Peer, status: int, body: bytes) -> Outcome:
    try:
        answer = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        answer = {}
    if status == 200 and isinstance(answer, dict) and isinstance(answer.get("receipt"), str):
        token = answer["receipt"]
        try:
            receipt = _verify_receipt(token, member)
        except envelope.EnvelopeRefused as refused:
            with transaction.atomic():
                network.evidence(
                    "receipt_refused", message_id=str(message.id), peer=message.recipient,
                    facts={"code": refused.code},
                )  # fmt: skip
            return _retry_or_give_up(message, "bad_receipt", detail=f"{refused.code}: {refused.detail}")
        if receipt.message_id != str(message.id) or receipt.envelope_sha256 not in message.attempt_digests:
            return _retry_or_give_up(message, "bad_receipt", detail="the receipt names another message")
        with transaction.atomic():
            OutboundMessage.objects.filter(id=message.id).update(
                status=OutboundMessage.Status.DELIVERED,
                receipt=token,
                delivered_at=timezone.now(),
                attempts=message.attempts + 1,
                payload="",
                claimed_by="",
                claimed_until=None,
                last_error="",
            )
            network.evidence(
                "receipt_received", message_id=str(message.id), peer=message.recipient,
                sha256=receipt.envelope_sha256, facts={"received_at": receipt.received_at},
            )  # fmt: skip
            # The module that sent it learns of the receipt in the same transaction.
            handlers.run_on_delivered(message)
        return Outcome(delivered=True, final=True)
    code = str(answer.get("code", "")) if isinstance(answer, dict) else ""
    if 400 <= status < 500 and code and code not in TRANSIENT_REFUSALS:
        _give_up(message, code, str(answer.get("detail", ""))[:150])
        return Outcome(delivered=False, final=True, error=code)
    if code == "stale":
        # Our envelope was too old when it arrived (or the clocks disagree): seal afresh next time.
        OutboundMessage.objects.filter(id=message.id).update(sealed_at=None)
    return _retry_or_give_up(message, code or f"http_{status}")


def _verify_receipt(token: str, member: network.Peer) -> envelope.Receipt:
    kid = envelope.peek_key_id(token)
    verify_key = member.verify_key(kid)
    if verify_key is None:
        raise envelope.EnvelopeRefused("unknown_sender", "the receipt is signed with a key the directory does not list")
    receipt = envelope.verify_receipt(token, verify_key=verify_key)
    if receipt.receiver != member.id or receipt.sender != network.node_id():
        raise envelope.EnvelopeRefused("header_mismatch", "the receipt names other members")
    return receipt


def backoff(attempts: int, *, rng: random.Random | None = None) -> float:
    """Seconds before the next attempt: exponential, capped, with jitter (half to full)."""
    delay = min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2 ** max(0, attempts - 1))
    return delay * (0.5 + 0.5 * (rng or random).random())


def _retry_or_give_up(message: OutboundMessage, code: str, *, detail: str = "", final: bool = False) -> Outcome:
    attempts = message.attempts + 1
    next_at = timezone.now() + timedelta(seconds=backoff(attempts))
    if final or next_at >= message.give_up_at:
        _give_up(message, code, detail)
        return Outcome(delivered=False, final=True, error=code)
    OutboundMessage.objects.filter(id=message.id).update(
        attempts=attempts,
        next_attempt_at=next_at,
        last_error=(f"{code}: {detail}" if detail else code)[:200],
        claimed_by="",
        claimed_until=None,
    )
    log.info("delivery of %s to %s failed (%s); attempt %d", message.id, message.recipient, code, attempts)
    return Outcome(delivered=False, final=False, error=code)


def _give_up(message: OutboundMessage, code: str, detail: str) -> None:
    from vinculo.messaging.services import notices

    with transaction.atomic():
        OutboundMessage.objects.filter(id=message.id).update(
            status=OutboundMessage.Status.FAILED,
            attempts=message.attempts + 1,
            last_error=(f"{code}: {detail}" if detail else code)[:200],
            payload="",
            claimed_by="",
            claimed_until=None,
        )
        network.evidence("delivery_failed", message_id=str(message.id), peer=message.recipient, facts={"code": code})
        notices.delivery_failed(message, code)
    log.warning("gave up delivering %s to %s: %s", message.id, message.recipient, code)


# --- HTTP ---------------------------------------------------------------------------------------


# Straight to the peer: proxy settings in the environment are not for the network's traffic.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_post(url: str, data: bytes) -> tuple[int, bytes]:
    """POST an envelope; (status, body) for any HTTP answer, OSError when there is none."""
    request = urllib.request.Request(  # noqa: S310 - the URL comes from the signed directory
        url, data=data, method="POST", headers={"Content-Type": CONTENT_TYPE, "Accept": "application/json"}
    )
    try:
        with _OPENER.open(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
            return response.status, response.read(64 * 1024)
    except urllib.error.HTTPError as error:
        return error.code, error.read(64 * 1024)
