"""The people in a case: adding a party (identity sealed in the vault) and revealing an identity.

Identities are masked everywhere by default. Revealing one is a deliberate, audited act by a
member of the case team: a victim's needs the ``identity.reveal`` permission and a stated
reason; a child victim's, in addition, the lead prosecutor or the team's victim-care
professional.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.audit import services as audit
from vinculo.cases.models import (
    Case,
    CaseAssignment,
    CaseParty,
    IdentityIndexEntry,
    Person,
    PersonIdentity,
    TeamRole,
)
from vinculo.cases.selectors import can_edit
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.core.validation import validate
from vinculo.core.versioning import lock_at_version
from vinculo.reference.models import Code, Country
from vinculo.vault import blind, crypto, keys

NOT_ON_TEAM = _("Only the case team may see who the people in this case are.")
NEEDS_REVEAL_PERMISSION = _("Your roles do not allow revealing a victim's identity.")
REASON_NEEDED = _("Say why you need to see this identity (at least 10 characters); it is recorded.")
CHILD_RESTRICTED = _("A child victim's identity may be revealed only by the lead prosecutor or the team's victim care.")
NOT_ALLOWED = _("You may not add people to this case.")
WRONG_LIST = _("This code does not belong to the right list.")
BAD_BIRTH_DATE = _("The date of birth must be a real date, not in the future.")


@dataclass(frozen=True)
class Identity:
    """Who a person is, in clear (only ever in memory, for the person allowed to see it)."""

    given_names: str = ""
    first_surname: str = ""
    second_surname: str = ""
    birth_date: str = ""  # ISO date, exact (the analytic record keeps only the year)
    document_numbers: str = ""
    phones: str = ""
    address: str = ""
    vehicle_plates: str = ""  # "GT P-123ABC; SV P 12345"

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.given_names, self.first_surname, self.second_surname) if part)


def _check_code(code: Code | None, list_key: str) -> None:
    if code is not None and code.code_list.key != list_key:
        raise DomainError(WRONG_LIST)


def checked_birth_year(identity: Identity, birth_year: int | None) -> int | None:
    """The year of birth to keep in clear: the exact date's year when the date is given (and valid)."""
    if not identity.birth_date:
        return birth_year
    try:
        born = datetime.date.fromisoformat(identity.birth_date)
    except ValueError:
        raise DomainError(BAD_BIRTH_DATE, code="bad_birth_date") from None
    if born > timezone.localdate():
        raise DomainError(BAD_BIRTH_DATE, code="bad_birth_date")
    return born.year


def store_identity(person: Person, identity: Identity) -> None:
    """Seal ``identity`` into the vault for ``person`` (replacing any earlier one) and refresh its search index."""
    keyring = keys.current_keyring()
    sealed = {
        field: crypto.seal(value, keyring=keyring, context=PersonIdentity.context(person.pk, field)) if value else ""
        for field, value in asdict(identity).items()
    }
    PersonIdentity.objects.update_or_create(person=person, defaults=sealed)
    IdentityIndexEntry.objects.filter(person=person).delete()
    entries = blind.index_entries(
        keyring.index_key,
        names=(identity.given_names, identity.first_surname, identity.second_surname),
        documents=identity.document_numbers,
        phones=identity.phones,
    )
    IdentityIndexEntry.objects.bulk_create(
        IdentityIndexEntry(person=person, kind=kind, digest=value) for kind, value in sorted(entries)
    )


def unseal_identity(person_id: uuid.UUID | str) -> Identity:
    """The identity in clear, for code that has already decided the reader may see it."""
    sealed = PersonIdentity.objects.filter(person_id=person_id).first()
    if sealed is None:
        return Identity()
    keyring = keys.current_keyring()
    values = {}
    for field in PersonIdentity.SEALED_FIELDS:
        token = getattr(sealed, field)
        context = PersonIdentity.context(person_id, field)
        values[field] = crypto.unseal(token, keyring=keyring, context=context) if token else ""
    return Identity(**values)


@transaction.atomic(durable=True)
def add_party(
    *,
    by: User,
    case: Case,
    role: Code,
    sex: Code,
    identity: Identity,
    birth_year: int | None = None,
    citizenships: Iterable[Country] = (),
    age_at_identification: int | None = None,
    identification_status: Code | None = None,
) -> CaseParty:
    """Add a new person to the case in a role; their identity goes straight into the vault."""
    if not can_edit(by, case):
        raise AccessDenied(NOT_ALLOWED)
    _check_code(role, "party_role")
    _check_code(sex, "sex")
    _check_code(identification_status, "identification_status")
    birth_year = checked_birth_year(identity, birth_year)
    person = Person(office_id=case.office_id, sex=sex, birth_year=birth_year, created_by=by)
    validate(person)
    person.save()
    person.citizenships.set(list(citizenships))
    store_identity(person, identity)
    party = CaseParty(
        case=case,
        person=person,
        role=role,
        identification_status=identification_status,
        age_at_identification=age_at_identification,
        created_by=by,
    )
    validate(party)
    party.save()
    # The audit trail names the role and the record, never the person.
    audit.record(action="case.party_added", actor=by, target=case, data={"party": party.pk, "role": role.code})
    return party


def _place_in_team(user: User, case: Case) -> str | None:
    assignment = CaseAssignment.objects.filter(case=case, user=user).only("role").first()
    return assignment.role if assignment else None


def check_may_reveal(by: User, party: CaseParty, reason: str = "") -> str:
    """Raise unless ``by`` may see who ``party`` is (their identity, photos, documents about them).

    The case team only; a victim needs the reveal permission and a stated reason, and a child
    victim's identity is for the lead prosecutor and the team's victim care. Returns the reason.
    """
    place = _place_in_team(by, party.case)
    if place is None or not (by.has_permission(Permission.CASE_VIEW) or by.has_permission(Permission.VICTIM_SUPPORT)):
        raise AccessDenied(NOT_ON_TEAM)
    reason = reason.strip()
    if party.is_victim:
        if not by.has_permission(Permission.IDENTITY_REVEAL):
            raise AccessDenied(NEEDS_REVEAL_PERMISSION)
        if len(reason) < 10:
            raise DomainError(REASON_NEEDED, code="reason_needed")
        if party.is_child and place not in (TeamRole.LEAD, TeamRole.VICTIM_CARE):
            raise AccessDenied(CHILD_RESTRICTED)
    return reason


@transaction.atomic(durable=True)
def reveal_identity(*, by: User, party: CaseParty, reason: str = "") -> Identity:
    """Decrypt a party's identity for ``by``, after the checks; always audited."""
    reason = check_may_reveal(by, party, reason)
    identity = unseal_identity(party.person_id)
    audit.record(
        action="identity.revealed",
        actor=by,
        target=party.case,
        data={"party": party.pk, "role": party.role.code, "child": party.is_child, "reason": reason[:500]},
    )
    return identity


@transaction.atomic(durable=True)
def record_people_search(*, by: User, kind: str, results: int) -> None:
    """Searching people by identity is audited; the query itself is not stored (it is a name)."""
    audit.record(action="identity.searched", actor=by, data={"kind": kind, "results": results})


@transaction.atomic(durable=True)
def record_export(*, by: User, file_format: str, count: int) -> None:
    """Every export of case files is audited (what, how many, by whom)."""
    audit.record(action="case.exported", actor=by, data={"format": file_format, "cases": count})


@transaction.atomic(durable=True)
def rebuild_identity_index() -> int:
    """Recompute every person's blind-index entries from the sealed identities; returns how many people."""
    keyring = keys.current_keyring()
    count = 0
    IdentityIndexEntry.objects.all().delete()
    for sealed in PersonIdentity.objects.iterator(chunk_size=500):
        values = {}
        for field in ("given_names", "first_surname", "second_surname", "document_numbers", "phones"):
            token = getattr(sealed, field)
            context = PersonIdentity.context(sealed.person_id, field)
            values[field] = crypto.unseal(token, keyring=keyring, context=context) if token else ""
        entries = blind.index_entries(
            keyring.index_key,
            names=(values["given_names"], values["first_surname"], values["second_surname"]),
            documents=values["document_numbers"],
            phones=values["phones"],
        )
        IdentityIndexEntry.objects.bulk_create(
            IdentityIndexEntry(person_id=sealed.person_id, kind=kind, digest=value) for kind, value in sorted(entries)
        )
        count += 1
    audit.record(action="vault.reindexed", actor=None, data={"persons": count})
    return count


@transaction.atomic(durable=True)
def update_party(
    *,
    by: User,
    party: CaseParty,
    expected_version: int | None,
    role: Code,
    sex: Code,
    birth_year: int | None,
    citizenships: Iterable[Country],
    age_at_identification: int | None,
    identification_status: Code | None,
) -> CaseParty:
    """Correct a person's role in the case and their analytic record (never their identity here)."""
    if not can_edit(by, party.case):
        raise AccessDenied(NOT_ALLOWED)
    _check_code(role, "party_role")
    _check_code(sex, "sex")
    _check_code(identification_status, "identification_status")
    current = lock_at_version(CaseParty, party.pk, expected_version)
    if role.pk != current.role_id:
        _check_role_change(current, role)
    changed = [
        name
        for name, value in (
            ("role", role.pk),
            ("identification_status", identification_status.pk if identification_status else None),
            ("age_at_identification", age_at_identification),
        )
        if getattr(current, f"{name}_id" if name != "age_at_identification" else name) != value
    ]
    current.role = role
    current.identification_status = identification_status
    current.age_at_identification = age_at_identification
    current.version += 1
    validate(current)
    current.save()
    person = Person.objects.select_for_update().get(pk=current.person_id)
    if person.sex_id != sex.pk:
        changed.append("sex")
    if person.birth_year != birth_year:
        changed.append("birth_year")
    person.sex = sex
    person.birth_year = birth_year
    validate(person)
    person.save(update_fields=["sex", "birth_year"])
    chosen = sorted(country.pk for country in citizenships)
    if sorted(person.citizenships.values_list("pk", flat=True)) != chosen:
        person.citizenships.set(chosen)
        changed.append("citizenships")
    # What changed, never the values (a role or age can point at a person).
    audit.record(
        action="case.party_updated", actor=by, target=current.case, data={"party": current.pk, "fields": changed}
    )
    return current


ROLE_CLASH = _("This person already has that role in the case.")
STILL_A_VICTIM = _(
    "Exploitation, protection, services or consent are recorded for this victim; a non-victim role cannot keep them."
)
STILL_CHARGED = _("This person is charged; only a suspect or defendant role can keep the charges.")


def _check_role_change(party: CaseParty, role: Code) -> None:
    from vinculo.cases.services.charges import CHARGEABLE_ROLES

    if CaseParty.objects.filter(case_id=party.case_id, person_id=party.person_id, role=role).exists():
        raise DomainError(ROLE_CLASH)
    if role.code not in CaseParty.VICTIM_ROLES and (
        hasattr(party, "exploitation") or party.support.exists() or party.consents.exists()
    ):
        raise DomainError(STILL_A_VICTIM)
    if role.code not in CHARGEABLE_ROLES and party.charges.exists():
        raise DomainError(STILL_CHARGED)


@transaction.atomic(durable=True)
def correct_identity(*, by: User, party: CaseParty, identity: Identity, reason: str = "") -> None:
    """Correct who a person is (a misspelt name, a new phone): for case editors who may reveal it; audited."""
    if not can_edit(by, party.case):
        raise AccessDenied(NOT_ALLOWED)
    reason = check_may_reveal(by, party, reason)
    before = unseal_identity(party.person_id)
    changed = [field for field in PersonIdentity.SEALED_FIELDS if getattr(before, field) != getattr(identity, field)]
    if not changed:
        return
    person = Person.objects.select_for_update().get(pk=party.person_id)
    birth_year = checked_birth_year(identity, person.birth_year)
    if birth_year != person.birth_year:
        person.birth_year = birth_year
        person.save(update_fields=["birth_year"])
    store_identity(person, identity)
    audit.record(
        action="identity.corrected",
        actor=by,
        target=party.case,
        data={"party": party.pk, "fields": changed, "reason": reason[:500]},
    )
