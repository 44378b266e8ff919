"""Writes to case files: opening, changing (refusing stale saves), and the case team."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission, permissions_for
from vinculo.audit import services as audit
from vinculo.cases.models import Case, CaseAssignment, TeamRole
from vinculo.cases.selectors import can_edit, can_manage_team
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.core.validation import validate
from vinculo.core.versioning import lock_at_version
from vinculo.reference.models import Code

NUMBER_TAKEN = _("This office already has a case with that number.")
NOT_ALLOWED = _("You may not change this case.")
WRONG_OFFICE = _("Only people of the case's own office can join its team.")
ROLE_DOES_NOT_FIT = _("That person's roles do not fit this place in the team.")
LEAD_STAYS = _("The lead prosecutor cannot be removed from the team.")
ALREADY_ON_TEAM = _("This person is already on the team.")

# What a person must be able to do to hold each place in a case team.
TEAM_ROLE_NEEDS: dict[str, Permission] = {
    TeamRole.LEAD: Permission.CASE_EDIT,
    TeamRole.MEMBER: Permission.CASE_VIEW,
    TeamRole.VICTIM_CARE: Permission.VICTIM_SUPPORT,
    TeamRole.JUDGE: Permission.CASE_VIEW,
}


def _fields(
    *,
    crime_family: Code,
    origin: Code,
    stage: Code,
    closure_type: Code | None,
    closed_on: date | None,
    reported_on: date | None,
    reported_on_precision: str,
    organized_crime: Code,
    trafficker_organization: Code,
    summary: str,
    summary_language: str,
    visibility: str,
) -> dict[str, Any]:
    return {
        "crime_family": crime_family,
        "origin": origin,
        "stage": stage,
        "closure_type": closure_type,
        "closed_on": closed_on,
        "reported_on": reported_on,
        "reported_on_precision": reported_on_precision,
        "organized_crime": organized_crime,
        "trafficker_organization": trafficker_organization,
        "summary": summary.strip(),
        "summary_language": summary_language,
        "visibility": visibility,
    }


@transaction.atomic(durable=True)
def open_case(*, by: User, national_number: str, **facts: Any) -> Case:
    """Register a case in the person's office, with them as lead prosecutor."""
    return create_case_in_transaction(by=by, national_number=national_number, facts=facts)


def create_case_in_transaction(*, by: User, national_number: str, facts: dict[str, Any]) -> Case:
    """The body of `open_case`, for callers that already own the transaction (imports)."""
    if not by.has_permission(Permission.CASE_EDIT):
        raise AccessDenied(NOT_ALLOWED)
    number = national_number.strip()
    if Case.objects.filter(office_id=by.office_id, national_number=number).exists():
        raise DomainError(NUMBER_TAKEN, code="number_taken")
    case = Case(office_id=by.office_id, national_number=number, created_by=by, updated_by=by, **_fields(**facts))
    validate(case)
    case.save()
    CaseAssignment.objects.create(case=case, user=by, role=TeamRole.LEAD, assigned_by=by)
    audit.record(
        action="case.opened",
        actor=by,
        target=case,
        data={"number": case.national_number, "crime_family": facts["crime_family"].code, "stage": facts["stage"].code},
    )
    return case


@transaction.atomic(durable=True)
def update_case(*, by: User, case: Case, expected_version: int | None, **facts: Any) -> Case:
    """Change a case's facts; a save over someone else's newer save is refused, never merged silently."""
    if not can_edit(by, case):
        raise AccessDenied(NOT_ALLOWED)
    current = lock_at_version(Case, case.pk, expected_version)
    return apply_case_facts(by=by, case=current, facts=facts)


def apply_case_facts(*, by: User, case: Case, facts: dict[str, Any]) -> Case:
    """Write the facts that differ (inside the caller's transaction, on a locked row); audit the change."""
    changed = []
    for field, value in _fields(**facts).items():
        if getattr(case, field) != value:
            setattr(case, field, value)
            changed.append(field)
    if changed:
        case.updated_by = by
        case.version += 1
        validate(case)
        case.save()
        audit.record(action="case.updated", actor=by, target=case, data={"fields": sorted(changed)})
    return case


@transaction.atomic(durable=True)
def record_case_viewed(*, by: User, case: Case) -> None:
    """Reading a case file is audited: who opened which case, when."""
    audit.record(action="case.viewed", actor=by, target=case)


@transaction.atomic(durable=True)
def assign(*, by: User, case: Case, person: User, role: str) -> CaseAssignment:
    """Put a person of the office on the case team (the lead prosecutor decides)."""
    if not can_manage_team(by, case):
        raise AccessDenied(NOT_ALLOWED)
    if person.office_id != case.office_id or not person.is_active:
        raise DomainError(WRONG_OFFICE)
    if role == TeamRole.LEAD or role not in TEAM_ROLE_NEEDS:
        raise DomainError(ROLE_DOES_NOT_FIT)
    if TEAM_ROLE_NEEDS[role] not in permissions_for(person.role_codes):
        raise DomainError(ROLE_DOES_NOT_FIT)
    if CaseAssignment.objects.filter(case=case, user=person).exists():
        raise DomainError(ALREADY_ON_TEAM)
    assignment = CaseAssignment.objects.create(case=case, user=person, role=role, assigned_by=by)
    audit.record(action="case.assigned", actor=by, target=case, data={"user": person.username, "role": role})
    return assignment


@transaction.atomic(durable=True)
def unassign(*, by: User, case: Case, person: User) -> None:
    """Take a person off the case team (never the lead)."""
    if not can_manage_team(by, case):
        raise AccessDenied(NOT_ALLOWED)
    assignment = CaseAssignment.objects.filter(case=case, user=person).first()
    if assignment is None:
        return
    if assignment.role == TeamRole.LEAD:
        raise DomainError(LEAD_STAYS)
    assignment.delete()
    audit.record(action="case.unassigned", actor=by, target=case, data={"user": person.username})
