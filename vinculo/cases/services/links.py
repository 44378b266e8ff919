"""Links between cases: within the office, or to a foreign counterpart's case."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import User
from vinculo.audit import services as audit
from vinculo.cases.models import Case, CaseLink
from vinculo.cases.selectors import can_edit, cases_visible_to
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.reference.models import Code

NOT_ALLOWED = _("You may not change this case.")
FOREIGN_NEEDS_REFERENCE = _("A foreign counterpart is named by its office and number, not by a case of this office.")
LOCAL_NEEDS_CASE = _("Give the number of a case of this office that you may see.")
NOT_ITSELF = _("A case cannot be linked to itself.")
ALREADY_LINKED = _("These cases are already linked this way.")


@transaction.atomic(durable=True)
def link_cases(
    *, by: User, case: Case, link_type: Code, other_number: str = "", foreign_reference: str = ""
) -> CaseLink:
    """Link ``case`` to a visible case of the office (by number) or to a foreign case reference."""
    if not can_edit(by, case):
        raise AccessDenied(NOT_ALLOWED)
    if link_type.code_list.key != "case_link_type":
        raise DomainError(_("This code does not belong to the right list."))
    other_number, foreign_reference = other_number.strip(), foreign_reference.strip()
    target = None
    if link_type.code == "FOREIGN_COUNTERPART":
        if not foreign_reference or other_number:
            raise DomainError(FOREIGN_NEEDS_REFERENCE)
    else:
        target = cases_visible_to(by).filter(national_number=other_number).first() if other_number else None
        if target is None or foreign_reference:
            raise DomainError(LOCAL_NEEDS_CASE)
        if target.pk == case.pk:
            raise DomainError(NOT_ITSELF)
        if CaseLink.objects.filter(from_case=case, to_case=target, link_type=link_type).exists():
            raise DomainError(ALREADY_LINKED)
    link = CaseLink.objects.create(
        from_case=case, to_case=target, link_type=link_type, foreign_reference=foreign_reference, created_by=by
    )
    audit.record(
        action="case.linked",
        actor=by,
        target=case,
        data={"type": link_type.code, "to": target.national_number if target else foreign_reference},
    )
    return link
