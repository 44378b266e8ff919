"""Reads of the evidence log, for auditors (the log holds references only, but it is the node's record)."""

from __future__ import annotations

from django.db.models import QuerySet

from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.audit.models import AuditEntry
from vinculo.core.errors import AccessDenied
from vinculo.evidence.models import EvidenceEntry, EvidenceHead
from vinculo.evidence.verification import HEAD_PK


def _require_auditor(actor: User) -> None:
    if not actor.has_permission(Permission.AUDIT_VIEW):
        raise AccessDenied(Permission.AUDIT_VIEW.value)


def entries_for_auditor(
    actor: User, *, kind: str = "", peer: str = "", message_id: str = ""
) -> QuerySet[EvidenceEntry]:
    """The log as the auditor's page shows it, newest first; each filter matches exactly (peer in any case)."""
    _require_auditor(actor)
    entries = EvidenceEntry.objects.all()
    if kind:
        entries = entries.filter(kind=kind)
    if peer:
        entries = entries.filter(peer=peer.strip().upper())
    if message_id:
        entries = entries.filter(message_id=message_id.strip().lower())
    return entries.order_by("-seq")


def entries_naming_message(actor: User, *, message_id: str, peer: str, limit: int = 200) -> list[EvidenceEntry]:
    """The first ``limit`` entries about one message exchanged with ``peer``, oldest first (delivery pages).

    Node administrators see them too, beside the message they are reading about (they hold the
    same references the delivery pages show); the rest of the log stays the auditors'.
    """
    if not (actor.has_permission(Permission.AUDIT_VIEW) or actor.has_permission(Permission.NODE_MANAGE)):
        raise AccessDenied(Permission.AUDIT_VIEW.value)
    return list(EvidenceEntry.objects.filter(message_id=message_id.lower(), peer=peer).order_by("seq")[:limit])


def chain_head(actor: User) -> EvidenceHead | None:
    _require_auditor(actor)
    return EvidenceHead.objects.filter(pk=HEAD_PK).first()


def last_verification(actor: User) -> AuditEntry | None:
    """The latest successful verification of the log (only successes are recorded, in the audit trail)."""
    _require_auditor(actor)
    return AuditEntry.objects.filter(action="evidence.verified").order_by("-seq").first()
