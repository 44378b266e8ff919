"""Protection measures and services for victims, recorded by the case team or its victim care."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.audit import services as audit
from vinculo.cases.models import Case, CaseAssignment, CaseParty, ConsentRecord, SupportRecord, TeamRole
from vinculo.cases.selectors import can_edit
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.core.validation import validate
from vinculo.reference.models import Code

NOT_ALLOWED = _("Only the case team or its victim care may record protection and services.")
ONLY_VICTIMS = _("Protection, services and consent are recorded for victims only.")
CHILD_CONSENT = _("A child's consent is given through a parent or guardian; tick that box.")


def can_support(user: User, case: Case) -> bool:
    """Editors of the case, or the victim-care professional assigned to it."""
    if can_edit(user, case):
        return True
    is_victim_care = CaseAssignment.objects.filter(case=case, user=user, role=TeamRole.VICTIM_CARE).exists()
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
    if not can_support(by, party.case):
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
    validate(record)
    record.save()
    audit.record(
        action="case.support_added",
        actor=by,
        target=party.case,
        data={"party": party.pk, "category": category, "kind": kind.code},
    )
    return record


@transaction.atomic(durable=True)
def record_consent(
    *,
    by: User,
    party: CaseParty,
    purpose: str,
    decision: str,
    decided_on: date,
    given_by_guardian: bool = False,
    notes: str = "",
) -> ConsentRecord:
    """Record a victim's consent decision; a child's must come through a parent or guardian."""
    if not can_support(by, party.case):
        raise AccessDenied(NOT_ALLOWED)
    if not party.is_victim:
        raise DomainError(ONLY_VICTIMS)
    if party.is_child and decision == ConsentRecord.Decision.GIVEN and not given_by_guardian:
        raise DomainError(CHILD_CONSENT)
    record = ConsentRecord(
        party=party,
        purpose=purpose,
        decision=decision,
        decided_on=decided_on,
        given_by_guardian=given_by_guardian,
        notes=notes.strip(),
        created_by=by,
    )
    validate(record)
    record.save()
    audit.record(
        action="case.consent_recorded",
        actor=by,
        target=party.case,
        data={"party": party.pk, "purpose": purpose, "decision": decision},
    )
    return record


def consent_in_force(party: CaseParty) -> dict[str, ConsentRecord]:
    """The latest decision per purpose."""
    latest: dict[str, ConsentRecord] = {}
    for record in party.consents.all():
        latest.setdefault(record.purpose, record)
    return latest
