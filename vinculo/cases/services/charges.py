"""Charges: the offences of the national law a suspect or defendant is charged with."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import User
from vinculo.audit import services as audit
from vinculo.cases.models import CaseParty, Charge
from vinculo.cases.selectors import can_edit
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.reference.models import Code, LegalProvision

CHARGEABLE_ROLES = frozenset({"SUSPECT", "DEFENDANT", "COOPERATING_DEFENDANT", "VICTIM_AND_SUSPECT"})
NOT_ALLOWED = _("You may not change this case.")
NOT_CHARGEABLE = _("Only suspects and defendants are charged.")
FOREIGN_LAW = _("Charges cite the law of the office's own country.")
RETIRED = _("This legal provision has been retired; charges cite provisions in force.")
ALREADY_CHARGED = _("This person is already charged under that provision.")
WRONG_LIST = _("This code does not belong to the right list.")


@transaction.atomic(durable=True)
def add_charge(*, by: User, party: CaseParty, provision: LegalProvision, participation: Code, status: Code) -> Charge:
    if not can_edit(by, party.case):
        raise AccessDenied(NOT_ALLOWED)
    if party.role.code not in CHARGEABLE_ROLES:
        raise DomainError(NOT_CHARGEABLE)
    if provision.country.iso2 != party.case.office.country:
        raise DomainError(FOREIGN_LAW)
    if not provision.is_active:
        raise DomainError(RETIRED)
    if participation.code_list.key != "offence_participation" or status.code_list.key != "charge_status":
        raise DomainError(WRONG_LIST)
    if Charge.objects.filter(party=party, provision=provision).exists():
        raise DomainError(ALREADY_CHARGED)
    charge = Charge.objects.create(
        party=party, provision=provision, participation=participation, status=status, created_by=by
    )
    audit.record(
        action="case.charge_added",
        actor=by,
        target=party.case,
        data={"party": party.pk, "provision": str(provision), "iccs": provision.iccs_code, "status": status.code},
    )
    return charge
