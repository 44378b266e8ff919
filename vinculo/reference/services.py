"""Corrections of reference data by the node administrator (audited, kept across later loads)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.audit import services as audit
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.core.versioning import lock_at_version
from vinculo.reference.models import BorderCrossing, Code, Country, LegalProvision

COORDINATES_PAIRED = _("Give both latitude and longitude, or neither.")
PROVISION_EXISTS = _("This article of this law is already in the list.")
VERIFY_NEEDS_COORDINATES = _("Coordinates can only be marked as verified when both are given.")


def _check_admin(by: User) -> None:
    if not by.has_permission(Permission.NODE_MANAGE):
        raise AccessDenied(_("Only a node administrator may change reference data."))


def _apply(instance: Any, values: dict[str, Any]) -> list[str]:
    changed = []
    for field, value in values.items():
        if getattr(instance, field) != value:
            setattr(instance, field, value)
            changed.append(field)
    return changed


@transaction.atomic(durable=True)
def update_border_crossing(
    *,
    by: User,
    crossing: BorderCrossing,
    name: str,
    kind: str,
    latitude: Decimal | None,
    longitude: Decimal | None,
    notes: str,
    coordinates_verified: bool,
    is_active: bool,
    expected_version: int | None,
) -> BorderCrossing:
    """Correct a crossing; from now on the shipped file no longer overwrites it on this node."""
    _check_admin(by)
    if (latitude is None) != (longitude is None):
        raise DomainError(COORDINATES_PAIRED)
    if coordinates_verified and latitude is None:
        raise DomainError(VERIFY_NEEDS_COORDINATES)
    current = lock_at_version(BorderCrossing, crossing.pk, expected_version)
    changed = _apply(
        current,
        {
            "name": name.strip(),
            "kind": kind,
            "latitude": latitude,
            "longitude": longitude,
            "notes": notes.strip(),
            "coordinates_verified": coordinates_verified,
            "is_active": is_active,
        },
    )
    if changed:
        current.edited_on_node = True
        current.updated_by = by
        current.version += 1
        current.full_clean()
        current.save()
        audit.record(
            action="reference.crossing_updated",
            actor=by,
            target=current,
            data={"code": current.code, "fields": sorted(changed)},
        )
    return current


@transaction.atomic(durable=True)
def update_code(
    *,
    by: User,
    code: Code,
    label_es: str,
    label_en: str,
    definition_es: str,
    definition_en: str,
    is_active: bool,
    expected_version: int | None,
) -> Code:
    """Adjust the wording of a code, or stop offering it; its meaning (the code itself) never changes."""
    _check_admin(by)
    current = lock_at_version(Code, code.pk, expected_version)
    changed = _apply(
        current,
        {
            "label_es": label_es.strip(),
            "label_en": label_en.strip(),
            "definition_es": definition_es.strip(),
            "definition_en": definition_en.strip(),
            "is_active": is_active,
        },
    )
    if changed:
        current.edited_on_node = True
        current.version += 1
        current.full_clean()
        current.save()
        audit.record(
            action="reference.code_updated",
            actor=by,
            target=current,
            data={"list": current.code_list.key, "code": current.code, "fields": sorted(changed)},
        )
    return current


@transaction.atomic(durable=True)
def add_legal_provision(
    *,
    by: User,
    country: Country,
    instrument: str,
    article: str,
    title_es: str,
    title_en: str,
    iccs_code: str,
    crime_family: Code,
) -> LegalProvision:
    """Enter an offence of the national law so that charges can cite it (node administrators)."""
    _check_admin(by)
    if LegalProvision.objects.filter(country=country, instrument=instrument.strip(), article=article.strip()).exists():
        raise DomainError(PROVISION_EXISTS)
    provision = LegalProvision(
        country=country,
        instrument=instrument.strip(),
        article=article.strip(),
        title_es=title_es.strip(),
        title_en=title_en.strip(),
        iccs_code=iccs_code.strip(),
        crime_family=crime_family,
    )
    provision.full_clean()
    provision.save()
    audit.record(
        action="reference.provision_added",
        actor=by,
        target=provision,
        data={"country": country.iso2, "provision": str(provision), "iccs": provision.iccs_code},
    )
    return provision
