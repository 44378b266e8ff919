"""Writing to the audit trail. Every service that changes state, or reads something
sensitive, calls `record` inside its own transaction, so the entry exists if and only if
the action happened."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from vinculo.audit.chain import GENESIS_HASH, EntryFacts, check_data, entry_hash
from vinculo.audit.models import AuditEntry, AuditHead
from vinculo.core.context import current_request

if TYPE_CHECKING:
    from vinculo.accounts.models import User

HEAD_PK = 1


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
