"""Protection measures and services for victims, recorded by the case team or its victim care."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.audit import services as audit
from vinculo.cases.models import CaseAssignment, CaseParty, SupportRecord, TeamRole
from vinculo.cases.selectors import can_edit
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.reference.models import Code

NOT_ALLOWED = _("Only the case team or its victim care may record protection and services.")
ONLY_VICTIMS = _("Protection and services are recorded for victims only.")


def can_support(user: User, party: CaseParty) -> bool:
    """Editors of the case, or the victim-care professional assigned to it."""
    if can_edit(user, party.case):
        return True
    is_victim_care = CaseAssignment.objects.filter(case=party.case, user=user, role=TeamRole.VICTIM_CARE).exists()
    return is_victim_care and user.has_permission(Permission.VICTIM_SUPPORT)


@transaction.atomic(durable=True)
def add_support(
    *,
    by: User,
    party: CaseParty,
    category: str,
    kind: Code,
    provider: str = "",
    started_on: date | None = None,
    ended_on: date | None = None,
    notes: str = "",
) -> SupportRecord:
    if not can_support(by, party):
        raise AccessDenied(NOT_ALLOWED)
    if not party.is_victim:
        raise DomainError(ONLY_VICTIMS)
    record = SupportRecord(
        party=party,
        category=category,
        kind=kind,
        provider=provider.strip(),
        started_on=started_on,
        ended_on=ended_on,
        notes=notes.strip(),
        created_by=by,
    )
    record.full_clean()
    record.save()
    audit.record(
        action="case.support_added",
        actor=by,
        target=party.case,
        data={"party": party.pk, "category": category, "kind": kind.code},
    )
    return record
