"""Reads of the delivery pages: what was sent, received and refused, how each peer is doing, the directory.

For node administrators and auditors (``READERS``; docs/permissions.md). Metadata only: a
message's content (sealed in the vault), its sealed envelope and the sender's signed message are
never loaded here, so no page can show them by mistake.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Min, OuterRef, Q, QuerySet, Subquery

from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.core.errors import AccessDenied, NotFound
from vinculo.evidence import selectors as evidence
from vinculo.evidence.models import EvidenceEntry
from vinculo.federation.directory import held_directory
from vinculo.federation.directory_format import URGENCIES, Directory, Member, Policy, PublishedKey
from vinculo.federation.models import DirectoryRefresh
from vinculo.messaging import health
from vinculo.messaging.models import InboundMessage, OutboundMessage, RefusedEnvelope
from vinculo.messaging.receipts import ReceiptCheck, check_receipt
from vinculo.messaging.services.refusal_limits import last_pk_before

READERS = (Permission.NODE_MANAGE, Permission.AUDIT_VIEW)
# A directory expiring sooner than this is announced on every delivery page.
EXPIRY_WARNING = timedelta(hours=24)

SENT_LIST_FIELDS = (
    "id", "recipient", "type", "created_at", "status", "attempts", "next_attempt_at", "last_error", "delivered_at",
)  # fmt: skip
RECEIVED_LIST_FIELDS = (
    "id", "sender", "message_id", "type", "received_at", "envelope_sha256", "processed_at", "processing_error",
)  # fmt: skip
# Never read by these pages: the content (a vault token), the sealed envelope, the sender's signed message.
SENT_CONTENT_FIELDS = ("payload", "envelope")
RECEIVED_CONTENT_FIELDS = ("payload", "signed")


def may_read(actor: User) -> bool:
    return any(actor.has_permission(permission) for permission in READERS)


def _require_reader(actor: User) -> None:
    if not may_read(actor):
        raise AccessDenied(Permission.NODE_MANAGE.value)


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _maybe_moment(seconds: int | None) -> datetime | None:
    return None if seconds is None else _moment(seconds)


# --- messages sent -------------------------------------------------------------------------------


def sent_messages(
    actor: User,
    *,
    peer: str = "",
    status: str = "",
    message_type: str = "",
    since: datetime | None = None,
    before: datetime | None = None,
) -> QuerySet[OutboundMessage]:
    """The outbox, newest first, each filter matching exactly (days from ``since`` to before ``before``)."""
    _require_reader(actor)
    messages = OutboundMessage.objects.only(*SENT_LIST_FIELDS)
    if peer:
        messages = messages.filter(recipient=peer)
    if status:
        messages = messages.filter(status=status)
    if message_type:
        messages = messages.filter(type=message_type)
    if since:
        messages = messages.filter(created_at__gte=since)
    if before:
        messages = messages.filter(created_at__lt=before)
    return messages.order_by("-created_at", "-id")


@dataclass(frozen=True)
class SentMessage:
    message: OutboundMessage
    receipt: ReceiptCheck
    evidence: list[EvidenceEntry]
    directory_version: int | None  # the directory the receipt was checked against


def sent_message(actor: User, message_id: uuid.UUID) -> SentMessage:
    """One outgoing message with its receipt checked and the evidence entries that name it."""
    _require_reader(actor)
    message = OutboundMessage.objects.defer(*SENT_CONTENT_FIELDS).filter(id=message_id).first()
    if message is None:
        raise NotFound("no such message")
    directory = held_directory()
    receipt = check_receipt(
        message.receipt,
        signer=directory.member(message.recipient) if directory else None,
        message_id=str(message.id),
        sender=settings.NODE_ID,
        receiver=message.recipient,
        envelope_digests=message.attempt_digests,
        now=int(time.time()),
    )
    entries = evidence.entries_naming_message(actor, message_id=str(message.id), peer=message.recipient)
    return SentMessage(message, receipt, entries, directory.version if directory else None)


# --- messages received ---------------------------------------------------------------------------


def received_messages(
    actor: User,
    *,
    peer: str = "",
    state: str = "",
    message_type: str = "",
    since: datetime | None = None,
    before: datetime | None = None,
) -> QuerySet[InboundMessage]:
    """The inbox, newest first; ``state``: waiting (to be handled), handled, or error."""
    _require_reader(actor)
    messages = InboundMessage.objects.only(*RECEIVED_LIST_FIELDS)
    if peer:
        messages = messages.filter(sender=peer)
    if message_type:
        messages = messages.filter(type=message_type)
    if state == "waiting":
        messages = messages.filter(processed_at__isnull=True, processing_error="")
    elif state == "handled":
        messages = messages.filter(processed_at__isnull=False)
    elif state == "error":
        messages = messages.filter(processed_at__isnull=True).exclude(processing_error="")
    if since:
        messages = messages.filter(received_at__gte=since)
    if before:
        messages = messages.filter(received_at__lt=before)
    # Keys grow with arrival, and the key's index spares sorting the whole table.
    return messages.order_by("-id")


@dataclass(frozen=True)
class ReceivedMessage:
    message: InboundMessage
    receipt: ReceiptCheck
    evidence: list[EvidenceEntry]
    directory_version: int | None


def received_message(actor: User, sender: str, message_id: uuid.UUID) -> ReceivedMessage:
    """One accepted message (by sender and id), with the receipt this node gave checked, and its evidence."""
    _require_reader(actor)
    found = InboundMessage.objects.defer(*RECEIVED_CONTENT_FIELDS).filter(sender=sender, message_id=message_id)
    message = found.first()
    if message is None:
        raise NotFound("no such message")
    directory = held_directory()
    receipt = check_receipt(
        message.receipt,
        signer=directory.member(settings.NODE_ID) if directory else None,
        message_id=str(message.message_id),
        sender=message.sender,
        receiver=settings.NODE_ID,
        envelope_digests=[message.envelope_sha256],
        now=int(time.time()),
    )
    entries = evidence.entries_naming_message(actor, message_id=str(message.message_id), peer=message.sender)
    return ReceivedMessage(message, receipt, entries, directory.version if directory else None)


# --- refused envelopes ---------------------------------------------------------------------------


def refused_envelopes(actor: User, *, code: str = "", address: str = "") -> QuerySet[RefusedEnvelope]:
    """The inbox's refusals, newest first (``rate_limited`` rows count envelopes in their ``size``)."""
    _require_reader(actor)
    refusals = RefusedEnvelope.objects.all()
    if code:
        refusals = refusals.filter(code=code)
    if address:
        refusals = refusals.filter(remote_address=address)
    return refusals.order_by("-id")


# --- the directory -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DirectoryStatus:
    """Whether this node holds a usable directory: ``missing``, ``expired``, ``expiring`` (within a day), ``valid``."""

    state: str
    version: int | None = None
    expires_at: datetime | None = None

    @property
    def needs_warning(self) -> bool:
        return self.state != "valid"


def _status_of(directory: Directory | None, now: datetime) -> DirectoryStatus:
    if directory is None:
        return DirectoryStatus("missing")
    expires_at = _moment(directory.expires_at)
    if expires_at < now:
        state = "expired"
    elif expires_at - now <= EXPIRY_WARNING:
        state = "expiring"
    else:
        state = "valid"
    return DirectoryStatus(state, directory.version, expires_at)


def directory_status(actor: User, *, now: datetime) -> DirectoryStatus:
    _require_reader(actor)
    return _status_of(held_directory(), now)


@dataclass(frozen=True)
class KeyRow:
    use: str  # signing | encryption
    kid: str
    not_after: datetime | None
    is_retired: bool  # past its not_after


@dataclass(frozen=True)
class MemberRow:
    id: str
    name: str
    country: str
    endpoint: str
    status: str
    roles: tuple[str, ...]
    keys: list[KeyRow]
    is_this_node: bool


@dataclass(frozen=True)
class DirectoryOverview:
    status: DirectoryStatus
    directory: Directory | None = None
    issued_at: datetime | None = None
    members: list[MemberRow] = field(default_factory=list)
    policy: Policy | None = None
    deadlines: list[tuple[str, int]] = field(default_factory=list)
    pinned_key: str = ""  # the hub key pinned at install (office nodes)
    signer_is_pinned: bool = False
    hub_current_key: str = ""
    refresh: DirectoryRefresh | None = None


def _key_rows(use: str, keys: tuple[PublishedKey, ...], now: int) -> list[KeyRow]:
    return [KeyRow(use, key.kid, _maybe_moment(key.not_after), not key.is_valid_at(now)) for key in keys]


def _member_row(member: Member, *, language: str, now: int) -> MemberRow:
    return MemberRow(
        id=member.id,
        name=member.name(language),
        country=member.country,
        endpoint=member.endpoint,
        status=member.status,
        roles=member.roles,
        keys=_key_rows("signing", member.signing_keys, now) + _key_rows("encryption", member.encryption_keys, now),
        is_this_node=member.id == settings.NODE_ID,
    )


def directory_overview(actor: User, *, now: datetime, language: str) -> DirectoryOverview:
    """The directory this node holds (in force, or expired), as the directory page shows it."""
    _require_reader(actor)
    directory = held_directory()
    refresh = DirectoryRefresh.objects.first() if settings.NODE_ROLE == "office" else None
    status = _status_of(directory, now)
    if directory is None:
        return DirectoryOverview(status=status, pinned_key=settings.HUB_KEY, refresh=refresh)
    seconds = int(now.timestamp())
    hub = directory.member(directory.hub)
    return DirectoryOverview(
        status=status,
        directory=directory,
        issued_at=_moment(directory.issued_at),
        members=[_member_row(member, language=language, now=seconds) for member in directory.members],
        policy=directory.policy,
        deadlines=[(urgency, directory.policy.deadline(urgency)) for urgency in URGENCIES],
        pinned_key=settings.HUB_KEY,
        signer_is_pinned=bool(settings.HUB_KEY) and directory.signer == settings.HUB_KEY,
        hub_current_key=hub.current_signing_kid() if hub else "",
        refresh=refresh,
    )


# --- delivery health -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PeerHealth:
    id: str
    name: str
    status: str  # in the directory: active | suspended; "" when the directory does not list it
    traffic: health.Traffic
    state: health.State


def _outbox_by_peer() -> dict[str, dict[str, Any]]:
    pending = Q(status=OutboundMessage.Status.PENDING)
    failed = Q(status=OutboundMessage.Status.FAILED)
    latest_error = (
        OutboundMessage.objects.filter(recipient=OuterRef("recipient"))
        .exclude(status=OutboundMessage.Status.DELIVERED)
        .exclude(last_error="")
        .order_by("-created_at")
        .values("last_error")[:1]
    )
    rows = (
        OutboundMessage.objects.order_by()
        .values("recipient")
        .annotate(
            pending=Count("pk", filter=pending),
            delivered=Count("pk", filter=Q(status=OutboundMessage.Status.DELIVERED)),
            failed=Count("pk", filter=failed),
            oldest_pending_at=Min("created_at", filter=pending),
            last_delivered_at=Max("delivered_at"),
            last_failure_queued_at=Max("created_at", filter=failed),
            last_error=Subquery(latest_error),
        )
    )
    return {str(row["recipient"]): {name: value for name, value in row.items() if name != "recipient"} for row in rows}


def delivery_health(actor: User, *, now: datetime, language: str) -> list[PeerHealth]:
    """One row per member of the directory (this node aside), then any other peer the outbox or inbox knows."""
    _require_reader(actor)
    directory = held_directory()
    outbox = _outbox_by_peer()
    senders = InboundMessage.objects.order_by().values("sender").annotate(n=Count("pk"))
    received = dict(senders.values_list("sender", "n"))
    day_ago = now - timedelta(days=1)
    refusals = dict(
        RefusedEnvelope.objects.filter(pk__gt=last_pk_before(day_ago), refused_at__gte=day_ago)
        .exclude(claimed_sender="")
        .order_by()
        .values("claimed_sender")
        .annotate(n=Count("pk"))
        .values_list("claimed_sender", "n")
    )
    members = [member for member in (directory.members if directory else ()) if member.id != settings.NODE_ID]
    listed = {member.id for member in members}
    others = sorted((set(outbox) | set(received)) - listed - {settings.NODE_ID})
    rows = []
    for peer_id, member in [*((member.id, member) for member in members), *((peer, None) for peer in others)]:
        counts = outbox.get(peer_id, {})
        traffic = health.Traffic(
            **{**counts, "last_error": counts.get("last_error") or ""},
            received=received.get(peer_id, 0),
            refusals_last_day=refusals.get(peer_id, 0),
        )
        rows.append(
            PeerHealth(
                id=peer_id,
                name=member.name(language) if member else "",
                status=member.status if member else "",
                traffic=traffic,
                state=health.state_of(traffic, now=now),
            )
        )
    return rows
