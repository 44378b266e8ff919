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

import http.client
import json
import logging
import random
import re
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import User
from vinculo.core.errors import DomainError
from vinculo.federation import envelope
from vinculo.messaging import handlers, network, rows
from vinculo.messaging.models import OutboundAttachment, OutboundMessage
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
# Messages a delivery thread claims, loads and seals at once (one transaction records the batch's
# envelopes); each is then posted and settled on its own.
BATCH_SIZE = 20
CONTENT_TYPE = "application/jose"
INBOX_PATH = "messaging/inbox"
# Refusals that a later attempt can overcome (the recipient's directory may be behind ours, a
# clock may be off); any other refusal is final.
# ``attachment_incomplete``: the recipient lacks a chunk (lost on its disk): upload again, then post.
# ``rate_limited`` (429): the recipient's inbox had too many refusals from our address this minute
# (perhaps a flooder behind the same proxy); it says when to come back in ``Retry-After``.
TRANSIENT_REFUSALS = frozenset(
    {
        "unknown_sender",
        "directory_expired",
        "no_directory",
        "stale",
        "unavailable",
        "attachment_incomplete",
        "rate_limited",
    }
)
# A peer's ``Retry-After`` postpones the next attempt at most this long: a wrong or hostile value
# must not park a message for days (the policy's maximum age still gives it up in the end).
MAX_RETRY_AFTER_SECONDS = 3600

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
    member, policy = network.peer_and_policy(recipient)
    if recipient == network.node_id():
        raise DomainError(TO_ITSELF, code="to_itself")
    if member is None:
        raise DomainError(UNKNOWN_RECIPIENT % {"member": recipient}, code="unknown_recipient")
    if member.status != "active":
        raise DomainError(SUSPENDED_RECIPIENT % {"member": recipient}, code="suspended_recipient")
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
    rows.insert(message)
    if attachments:  # most messages carry none (an empty bulk_create still costs a millisecond)
        record_attachments(message, attachments)
    return message


# --- the worker's side --------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    final: bool  # delivered, or given up
    error: str = ""


def anything_due() -> bool:
    """Whether some message is due and unclaimed: a read, cheap and lock-free, asked before claiming."""
    moment = _NEXT_ATTEMPT_AT.get_db_prep_value(timezone.now(), connection)
    with connection.cursor() as cursor:
        cursor.execute(_ANY_DUE, [moment, moment])
        return cursor.fetchone() is not None


def claim_due(worker: str, *, limit: int = 20) -> list[uuid.UUID]:
    """Claim up to ``limit`` messages that are due, for ``worker``; a claim lasts ``VINCULO_DELIVERY_CLAIM_SECONDS``.

    One statement, whatever the number of messages: an update of the due rows that returns the
    ones it took. A statement is atomic on both databases (on PostgreSQL the due rows are locked
    with SKIP LOCKED, so concurrent workers take different ones; on SQLite the statement holds
    the write lock), so a row is never taken twice. The messages come in the order they are due.
    """
    now = timezone.now()
    until = now + timedelta(seconds=settings.DELIVERY_CLAIM_SECONDS)
    moment, deadline = (_NEXT_ATTEMPT_AT.get_db_prep_value(value, connection) for value in (now, until))
    skip_locked = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM.format(skip_locked=skip_locked), [worker, deadline, moment, moment, limit])
        claimed = cursor.fetchall()
    claimed.sort(key=lambda row: row[1])  # the stored times sort as the times do (SQLite keeps ISO text)
    return [_ID.to_python(row[0]) for row in claimed]


# What posting an envelope answers: the status and the body, and the answer's headers (names in
# lower case) when the poster has them; a poster without headers answers (status, body).
PostAnswer = tuple[int, bytes] | tuple[int, bytes, Mapping[str, str]]
PostFunction = Callable[[str, bytes], PostAnswer]
# A message with the receipt the inbox answered, verified, and its token.
Receipted = tuple[OutboundMessage, str, envelope.Receipt]

# A batch's rows are written with one statement each (executemany), not an ORM update per
# message: the ORM's own work per query costs more than the update itself.
_TABLE = OutboundMessage._meta.db_table
_ID = OutboundMessage._meta.get_field("id")
_DIGESTS = OutboundMessage._meta.get_field("attempt_digests")
_DELIVERED_AT = OutboundMessage._meta.get_field("delivered_at")
_NEXT_ATTEMPT_AT = OutboundMessage._meta.get_field("next_attempt_at")
_PENDING_AMONG = (
    f"SELECT id FROM {_TABLE} WHERE status = '{OutboundMessage.Status.PENDING.value}' "  # noqa: S608
    "AND id IN ({ids}){lock}"
)
_ATTACHED_TO = OutboundAttachment._meta.get_field("message").column
_WITH_ATTACHMENTS = (
    f"SELECT DISTINCT {_ATTACHED_TO} FROM {OutboundAttachment._meta.db_table} "  # noqa: S608
    f"WHERE {_ATTACHED_TO} IN ({{ids}})"
)
_ANY_DUE = (
    f"SELECT 1 FROM {_TABLE} WHERE status = '{OutboundMessage.Status.PENDING.value}' AND next_attempt_at <= %s "  # noqa: S608
    "AND (claimed_until IS NULL OR claimed_until <= %s) LIMIT 1"
)
_CLAIM = (
    f"UPDATE {_TABLE} SET claimed_by = %s, claimed_until = %s WHERE id IN ("  # noqa: S608
    f"SELECT id FROM {_TABLE} WHERE status = '{OutboundMessage.Status.PENDING.value}' AND next_attempt_at <= %s "
    "AND (claimed_until IS NULL OR claimed_until <= %s) ORDER BY next_attempt_at LIMIT %s{skip_locked}"
    ") RETURNING id, next_attempt_at"
)
_RECORD_ENVELOPE = f"UPDATE {_TABLE} SET envelope = %s, sealed_at = %s, attempt_digests = %s WHERE id = %s"  # noqa: S608
_RECORD_RECEIPT = (
    f"UPDATE {_TABLE} SET status = '{OutboundMessage.Status.DELIVERED.value}', receipt = %s, "  # noqa: S608
    "delivered_at = %s, attempts = %s, payload = '', claimed_by = '', claimed_until = NULL, last_error = '' "
    f"WHERE id = %s AND status = '{OutboundMessage.Status.PENDING.value}'"
)


def _pk(message: OutboundMessage) -> Any:
    return _ID.get_db_prep_value(message.id, connection)


def deliver(message_id: uuid.UUID, worker: str, *, post: PostFunction | None = None) -> Outcome:
    """One delivery attempt of a claimed message."""
    [outcome] = deliver_batch([message_id], worker, post=post)
    return outcome


def deliver_batch(
    message_ids: Sequence[uuid.UUID],
    worker: str,
    *,
    post: PostFunction | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[Outcome]:
    """One delivery attempt of each of the messages ``worker`` claimed; their outcomes, in order.

    The messages are loaded together and the envelopes that need sealing are sealed and recorded
    (``envelope_sent``) in one transaction; then each envelope is posted and its answer checked,
    and the receipts are recorded (``receipt_received``, the message delivered) in one
    transaction at the end. A receipt lost with the worker costs nothing: the message is posted
    again once the claim ends, and the inbox answers with the same receipt. After a peer could
    not be reached, the batch's other messages for it are not posted (each would wait for the
    same timeout): they fail the same way. A message is posted only while its claim lasts, and
    only while ``should_stop`` is false; what is not posted is released for the next pass.
    """
    loaded = OutboundMessage.objects.in_bulk(list(message_ids))
    outcomes: dict[uuid.UUID, Outcome] = {}
    with_attachments = _with_attachments(list(loaded))
    ready: list[tuple[OutboundMessage, network.Peer]] = []
    for message_id in message_ids:
        message = loaded.get(message_id)
        if message is None:
            outcomes[message_id] = Outcome(delivered=False, final=True, error="not_found")
            continue
        checked = _check(message, worker)
        if isinstance(checked, Outcome):
            outcomes[message_id] = checked
            continue
        if message.id in with_attachments:
            # Attachments' chunks go first: the recipient verifies them before it gives a receipt.
            problem = _upload(message, checked, worker)
            if problem is not None:
                outcomes[message_id] = problem
                continue
        ready.append((message, checked))
    unposted = {message.id for message, _member in ready}
    receipts: list[Receipted] = []
    try:
        try:
            sealed = _envelopes_for(ready)
        except network.NetworkUnavailable as unavailable:
            for message, _member in ready:
                outcomes[message.id] = _retry_or_give_up(message, unavailable.code)
            unposted.clear()
            sealed = []
        unreachable: dict[str, str] = {}
        for message, member, data in sealed:
            if should_stop is not None and should_stop():
                break
            if message.claimed_until is not None and timezone.now() >= message.claimed_until:
                break  # the claim ran out (a slow peer): another worker may have the rest already
            unposted.discard(message.id)
            if message.recipient in unreachable:
                detail = f"{unreachable[message.recipient]} (not posted: the peer failed earlier in this pass)"
                outcomes[message.id] = _retry_or_give_up(message, "unreachable", detail=detail[:150])
                continue
            try:
                posted = (post or http_post_with_headers)(member.endpoint.rstrip("/") + "/" + INBOX_PATH, data)
            except OSError as error:  # connection refused, timeout, reset …
                unreachable[message.recipient] = str(error)[:100]
                outcomes[message.id] = _retry_or_give_up(message, "unreachable", detail=str(error)[:150])
            else:
                answer = _read_answer(message, member, posted)
                if not isinstance(answer, Outcome):
                    receipts.append(answer)
                    continue
                outcomes[message.id] = answer
            if outcomes[message.id].final and message.id in with_attachments:
                release_attachments(message)
    finally:
        try:
            outcomes.update(_record_receipts(receipts))
        finally:
            _release(unposted, worker)
    for message, _token, _receipt in receipts:
        if outcomes[message.id].final and message.id in with_attachments:
            release_attachments(message)
    for message_id in unposted:
        outcomes[message_id] = Outcome(delivered=False, final=False, error="not_posted")
    return [outcomes[message_id] for message_id in message_ids]


def _with_attachments(message_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these messages carry attachments (one query for the batch; most carry none)."""
    if not message_ids:
        return set()
    statement = _WITH_ATTACHMENTS.format(ids=", ".join(["%s"] * len(message_ids)))
    with connection.cursor() as cursor:
        cursor.execute(statement, [_ID.get_db_prep_value(message_id, connection) for message_id in message_ids])
        return {_ID.to_python(row[0]) for row in cursor.fetchall()}


def _check(message: OutboundMessage, worker: str) -> Outcome | network.Peer:
    """The recipient to deliver to, or the outcome when the message is not (or no longer) to be delivered."""
    if message.claimed_by != worker or message.status != OutboundMessage.Status.PENDING:
        return Outcome(delivered=message.status == OutboundMessage.Status.DELIVERED, final=True)
    if timezone.now() >= message.give_up_at:
        _give_up(message, "expired", message.last_error or "no receipt before the policy's maximum age")
        return Outcome(delivered=False, final=True, error="expired")
    try:
        member = network.peer(message.recipient)
    except network.NetworkUnavailable as unavailable:
        return _retry_or_give_up(message, unavailable.code)
    if member is None or member.status != "active":
        return _retry_or_give_up(message, "recipient_unavailable", final=member is None)
    return member


def _upload(message: OutboundMessage, member: network.Peer, worker: str) -> Outcome | None:
    try:
        problem = upload_attachments(message, member, worker)
    except network.NetworkUnavailable as unavailable:
        return _retry_or_give_up(message, unavailable.code)
    if problem is None:
        return None
    outcome = _retry_or_give_up(message, problem.code, detail=problem.detail, final=problem.final)
    if outcome.final:
        release_attachments(message)
    return outcome


def _release(message_ids: set[uuid.UUID], worker: str) -> None:
    """Give claimed messages back without an attempt (the pass stopped before posting them)."""
    if message_ids:
        OutboundMessage.objects.filter(
            id__in=message_ids, claimed_by=worker, status=OutboundMessage.Status.PENDING
        ).update(claimed_by="", claimed_until=None)


Sealed = tuple[OutboundMessage, network.Peer, bytes]


def _envelopes_for(batch: Sequence[tuple[OutboundMessage, network.Peer]]) -> list[Sealed]:
    """The envelope to post for each message: the last one while it is young enough, else a fresh seal.

    Fresh envelopes are recorded (the row's envelope and digests, an ``envelope_sent`` entry) in
    one transaction for the batch, before any is posted: a receipt can only name an envelope
    this node recorded.
    """
    if not batch:
        return []
    now = int(time.time())
    window = network.policy().replay_window_seconds
    signing = network.signing_key()
    sender = network.node_id()
    keyring = keys.current_keyring()
    result: list[Sealed] = []
    fresh: list[tuple[OutboundMessage, str]] = []
    for message, member in batch:
        if message.envelope and message.sealed_at and now - message.sealed_at < window // 2:
            result.append((message, member, message.envelope.encode("ascii")))
            continue
        recipient_key = member.recipient_key()
        header = envelope.Header(
            id=str(message.id),
            type=message.type,
            sender=sender,
            recipient=message.recipient,
            created_at=now,
            sender_key=signing.thumbprint(),
            recipient_key=recipient_key.thumbprint(),
            conversation=message.conversation or None,
            in_reply_to=str(message.in_reply_to) if message.in_reply_to else None,
            handling=tuple(message.handling),
        )
        payload = crypto.unseal_bytes(message.payload, keyring=keyring, context=OutboundMessage.context(message.id))
        data = envelope.seal(header, payload, signing_key=signing, recipient_key=recipient_key)
        message.envelope, message.sealed_at = data.decode("ascii"), now
        message.attempt_digests = [*message.attempt_digests, envelope.sha256_of(data)]
        fresh.append((message, message.attempt_digests[-1]))
        result.append((message, member, data))
    if fresh:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                _RECORD_ENVELOPE,
                [
                    [
                        message.envelope,
                        now,
                        _DIGESTS.get_db_prep_save(message.attempt_digests, connection),
                        _pk(message),
                    ]
                    for message, _digest in fresh
                ],
            )
            network.evidence_many(
                [
                    ("envelope_sent", {"message_id": str(message.id), "peer": message.recipient, "sha256": digest,
                                       "facts": {"attempt": message.attempts + 1}})
                    for message, digest in fresh
                ]
            )  # fmt: skip
    return result


def _read_answer(message: OutboundMessage, member: network.Peer, posted: PostAnswer) -> Outcome | Receipted:
    """The verified receipt in the inbox's answer, or the outcome of an answer without one (recorded)."""
    status, body = posted[0], posted[1]
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
        return message, token, receipt
    code = str(answer.get("code", "")) if isinstance(answer, dict) else ""
    if 400 <= status < 500 and code and code not in TRANSIENT_REFUSALS:
        _give_up(message, code, str(answer.get("detail", ""))[:150])
        return Outcome(delivered=False, final=True, error=code)
    if code == "stale":
        # Our envelope was too old when it arrived (or the clocks disagree): seal afresh next time.
        OutboundMessage.objects.filter(id=message.id).update(sealed_at=None)
    headers = posted[2] if len(posted) == 3 else {}
    return _retry_or_give_up(message, code or f"http_{status}", not_before=retry_after_seconds(headers))


def _record_receipts(receipts: Sequence[Receipted]) -> dict[uuid.UUID, Outcome]:
    """Record verified receipts, together in one transaction (one by one if that fails: one module's hook)."""
    if not receipts:
        return {}
    delivered = Outcome(delivered=True, final=True)
    try:
        with transaction.atomic():
            _store_receipts(receipts)
    except Exception:
        if len(receipts) == 1:
            raise
        log.exception("recording %d receipts together failed; recording them one by one", len(receipts))
    else:
        return {message.id: delivered for message, _token, _receipt in receipts}
    outcomes = {}
    for receipted in receipts:
        try:
            with transaction.atomic():
                _store_receipts([receipted])
            outcomes[receipted[0].id] = delivered
        except Exception:
            # Left claimed: when the claim ends it is posted again and the same receipt comes back.
            log.exception("recording the receipt of %s failed", receipted[0].id)
            outcomes[receipted[0].id] = Outcome(delivered=False, final=False, error="receipt_not_recorded")
    return outcomes


def _store_receipts(receipts: Sequence[Receipted]) -> None:
    """The messages delivered, their ``receipt_received`` entries and their modules told (inside a transaction).

    Only messages still pending: of two workers holding a receipt for one (a claim that ran out),
    one records it. Their rows are locked first (on SQLite the transaction holds the write lock).
    """
    statement = _PENDING_AMONG.format(
        ids=", ".join(["%s"] * len(receipts)), lock=" FOR UPDATE" if connection.features.has_select_for_update else ""
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [_pk(message) for message, _token, _receipt in receipts])
        pending = {_ID.to_python(row[0]) for row in cursor.fetchall()}
    settled = [receipted for receipted in receipts if receipted[0].id in pending]
    if not settled:
        return
    moment = _DELIVERED_AT.get_db_prep_value(timezone.now(), connection)
    with connection.cursor() as cursor:
        cursor.executemany(
            _RECORD_RECEIPT,
            [[token, moment, message.attempts + 1, _pk(message)] for message, token, _receipt in settled],
        )
    network.evidence_many(
        [
            ("receipt_received", {"message_id": str(message.id), "peer": message.recipient,
                                  "sha256": receipt.envelope_sha256, "facts": {"received_at": receipt.received_at}})
            for message, _token, receipt in settled
        ]
    )  # fmt: skip
    for message, _token, _receipt in settled:
        # The module that sent it learns of the receipt in the same transaction.
        handlers.run_on_delivered(message)


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


def retry_after_seconds(headers: Mapping[str, str]) -> int | None:
    """The answer's ``Retry-After`` in seconds, at most ``MAX_RETRY_AFTER_SECONDS``; None if absent or malformed.

    Only the delta-seconds form is read: the protocol's inbox sends seconds (docs/protocol.md §5),
    and an HTTP date would depend on the two clocks agreeing.
    """
    value = next((value for name, value in headers.items() if name.lower() == "retry-after"), None)
    if value is None or not re.fullmatch(r"[0-9]{1,10}", value.strip()):
        return None
    return min(int(value.strip()), MAX_RETRY_AFTER_SECONDS)


def _retry_or_give_up(
    message: OutboundMessage, code: str, *, detail: str = "", final: bool = False, not_before: int | None = None
) -> Outcome:
    """Schedule the next attempt after the backoff, or ``not_before`` seconds if that is later; or give up."""
    attempts = message.attempts + 1
    next_at = timezone.now() + timedelta(seconds=max(backoff(attempts), not_before or 0))
    if final or next_at >= message.give_up_at:
        _give_up(message, code, detail)
        return Outcome(delivered=False, final=True, error=code)
    OutboundMessage.objects.filter(id=message.id, status=OutboundMessage.Status.PENDING).update(
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
        given_up = OutboundMessage.objects.filter(id=message.id, status=OutboundMessage.Status.PENDING).update(
            status=OutboundMessage.Status.FAILED,
            attempts=message.attempts + 1,
            last_error=(f"{code}: {detail}" if detail else code)[:200],
            payload="",
            claimed_by="",
            claimed_until=None,
        )
        if not given_up:
            return  # delivered (or given up) meanwhile by another worker
        network.evidence("delivery_failed", message_id=str(message.id), peer=message.recipient, facts={"code": code})
        notices.delivery_failed(message, code)
        # The module that sent it stops waiting, in the same transaction.
        handlers.run_on_given_up(message)
    log.warning("gave up delivering %s to %s: %s", message.id, message.recipient, code)


# --- HTTP ---------------------------------------------------------------------------------------

# Each thread keeps a connection open to each peer and reuses it (HTTP/1.1 keep-alive): a new TCP
# connection for every envelope costs both nodes more than the envelope itself. A connection idle
# for longer than IDLE_CONNECTION_SECONDS is not reused (servers close idle ones: gunicorn after
# 2 s by default). When a reused connection turns out to have been closed by the server (the
# request goes out, no answer comes back), the envelope is posted once more on a new connection:
# posting an envelope twice is harmless, the inbox answers the second time with the first receipt.
IDLE_CONNECTION_SECONDS = 1.0
MAX_ANSWER_BYTES = 64 * 1024
_CLOSED_BY_THE_SERVER = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)
ConnectionKey = tuple[str, str, int | None]


class _OpenConnections(threading.local):
    """This thread's idle connections, by scheme, host and port, with when each was last used."""

    def __init__(self) -> None:
        self.idle: dict[ConnectionKey, tuple[http.client.HTTPConnection, float]] = {}


_CONNECTIONS = _OpenConnections()


def _connection(key: ConnectionKey) -> tuple[http.client.HTTPConnection, bool]:
    """An idle connection to reuse (True), or a new one (False); either is this caller's until it hands it back."""
    idle = _CONNECTIONS.idle.pop(key, None)
    if idle is not None:
        if time.monotonic() - idle[1] < IDLE_CONNECTION_SECONDS:
            return idle[0], True
        idle[0].close()
    scheme, host, port = key
    # No proxy: proxy settings in the environment are not for the network's traffic.
    if scheme == "https":
        return http.client.HTTPSConnection(host, port, timeout=HTTP_TIMEOUT_SECONDS), False
    return http.client.HTTPConnection(host, port, timeout=HTTP_TIMEOUT_SECONDS), False


def close_connections() -> None:
    """Close this thread's idle connections (a worker thread that ends)."""
    for connection_, _used in _CONNECTIONS.idle.values():
        connection_.close()
    _CONNECTIONS.idle.clear()


def http_post(url: str, data: bytes) -> tuple[int, bytes]:
    """POST an envelope; (status, body) for any HTTP answer, OSError when there is none."""
    status, body, _headers = http_post_with_headers(url, data)
    return status, body


def http_post_with_headers(url: str, data: bytes) -> tuple[int, bytes, dict[str, str]]:
    """POST an envelope; (status, body, headers named in lower case) for any HTTP answer, OSError if none."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OSError(f"not an http(s) URL: {url[:100]}")
    key: ConnectionKey = (parts.scheme, parts.hostname, parts.port)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {"Content-Type": CONTENT_TYPE, "Accept": "application/json"}
    while True:
        connection_, reused = _connection(key)
        try:
            connection_.request("POST", target, body=data, headers=headers)
            response = connection_.getresponse()
            body = response.read(MAX_ANSWER_BYTES + 1)
        except (OSError, http.client.HTTPException) as error:
            connection_.close()
            if reused and isinstance(error, _CLOSED_BY_THE_SERVER):
                continue  # the next connection is a new one: this happens at most once
            if isinstance(error, OSError):
                raise
            raise ConnectionError(f"no valid HTTP answer: {error!r}"[:150]) from error
        if response.isclosed() and not response.will_close:
            _CONNECTIONS.idle[key] = (connection_, time.monotonic())
        else:
            connection_.close()  # the server closes it, or the answer was longer than we read
        return response.status, body[:MAX_ANSWER_BYTES], {name.lower(): value for name, value in response.getheaders()}
