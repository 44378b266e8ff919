"""Writing to the audit trail. Every service that changes state, or reads something
sensitive, calls `record` inside its own transaction, so the entry exists if and only if
the action happened."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from vinculo.accounts.roles import Permission
from vinculo.audit import verification
from vinculo.audit.chain import GENESIS_HASH, EntryFacts, Verdict, check_data, entry_hash
from vinculo.audit.models import AuditEntry, AuditHead
from vinculo.core.context import current_request
from vinculo.core.errors import AccessDenied

if TYPE_CHECKING:
    from vinculo.accounts.models import User

HEAD_PK = verification.HEAD_PK

logger = logging.getLogger(__name__)


def _target(target: models.Model | tuple[str, str] | None) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, tuple):
        return target
    return target._meta.label_lower, str(target.pk)


def record(
    *,
    action: str,
    actor: User | None,
    target: models.Model | tuple[str, str] | None = None,
    data: Mapping[str, Any] | None = None,
    actor_label: str | None = None,
) -> AuditEntry:
    """Append one entry to the chain; call inside the transaction of the action it records."""
    payload = dict(data or {})
    check_data(payload)
    target_type, target_id = _target(target)
    context = current_request()
    with transaction.atomic():
        # The head row serialises appends: whoever holds its lock writes the next number.
        head = AuditHead.objects.select_for_update().filter(pk=HEAD_PK).first()
        if head is None:
            head = AuditHead.objects.create(pk=HEAD_PK, seq=0, entry_hash=GENESIS_HASH)
        facts = EntryFacts(
            seq=head.seq + 1,
            at=timezone.now(),
            actor_id=actor.pk if actor is not None else None,
            actor_label=actor_label or (actor.username if actor is not None else "system"),
            office_code=actor.office.code if actor is not None else settings.NODE_ID,
            action=action,
            target_type=target_type,
            target_id=target_id,
            data=payload,
            request_id=context.request_id if context else "",
            client_ip=context.client_ip if context else "",
            prev_hash=head.entry_hash,
        )
        digest = entry_hash(facts)
        entry = AuditEntry.objects.create(
            seq=facts.seq,
            at=facts.at,
            actor=actor,
            actor_label=facts.actor_label,
            office_code=facts.office_code,
            action=facts.action,
            target_type=facts.target_type,
            target_id=facts.target_id,
            data=facts.data,
            request_id=facts.request_id,
            client_ip=facts.client_ip,
            prev_hash=facts.prev_hash,
            entry_hash=digest,
        )
        head.seq = facts.seq
        head.entry_hash = digest
        head.save(update_fields=["seq", "entry_hash", "updated_at"])
    return entry


# --- The trail watching itself: reading, exporting and verifying are audited too. -----


@transaction.atomic(durable=True)
def record_trail_viewed(*, actor: User, filters: Mapping[str, str], page: int, matched: int) -> AuditEntry:
    """Note that ``actor`` read a page of the trail, with the filters they used."""
    return record(action="audit.viewed", actor=actor, data={"filters": dict(filters), "page": page, "matched": matched})


@transaction.atomic(durable=True)
def record_trail_exported(
    *, actor: User | None, file_format: str, filters: Mapping[str, str], count: int
) -> AuditEntry:
    """Note that ``actor`` (None: the operator at the console) exported ``count`` entries of the trail."""
    return record(
        action="audit.exported",
        actor=actor,
        data={"format": file_format, "filters": dict(filters), "count": count},
    )


def verify_trail(*, actor: User | None) -> Verdict:
    """Verify the whole chain; only an intact chain gets an `audit.verified` entry appended."""
    if actor is not None and not actor.has_permission(Permission.AUDIT_VIEW):
        raise AccessDenied(Permission.AUDIT_VIEW.value)
    # The walk runs outside any transaction: on SQLite a write transaction would hold the
    # database's write lock (and stop every other action) for as long as the walk takes.
    verdict = verification.verify_stored_chain()
    if verdict.is_intact:
        _record_verified(actor=actor, verdict=verdict)
    else:
        # Appending to a broken chain would bury the break under a fresh, valid-looking
        # entry; the break is logged instead, and the trail is left as evidence.
        logger.error("audit chain broken at entry #%s: %s", verdict.first_bad_seq, verdict.reason)
    return verdict


@transaction.atomic(durable=True)
def _record_verified(*, actor: User | None, verdict: Verdict) -> AuditEntry:
    return record(
        action="audit.verified",
        actor=actor,
        data={"entries": verdict.checked, "head_seq": verdict.checked, "head_hash": verdict.last_hash},
    )
