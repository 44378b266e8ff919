"""Corrections of reference data by the node administrator (audited, kept across later loads)."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.audit import services as audit
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.core.versioning import lock_at_version
from vinculo.reference import iccs, selectors
from vinculo.reference.models import BorderCrossing, Code, Country, LegalProvision

COORDINATES_PAIRED = _("Give both latitude and longitude, or neither.")
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


# --- Legal provisions ------------------------------------------------------------------

PROVISION_EXISTS = _("This article of this law is already in the list as “%(existing)s”.")
NO_COUNTRY = _("This node's office has no country, so it keeps no legal provisions.")
FOREIGN_PROVISION = _("Each node enters and corrects only its own country's law.")
REQUIRED = _("This field is required.")
ICCS_FORMAT = _("An ICCS code has 4 to 6 digits.")
WRONG_FAMILY_LIST = _("This code does not belong to the right list.")
FAMILY_NOT_IN_USE = _("This crime family is no longer in use; choose another one.")
ICCS_OF_OTHER_FAMILY = _("ICCS %(code)s is a code of “%(other)s”: choose that crime family, or correct the code.")
ICCS_OUTSIDE_FAMILY = _("ICCS codes of “%(crime)s” start with %(prefix)s; %(code)s does not.")
ICCS_UNKNOWN_SUB_CODE = _("ICCS %(code)s is not a code of “%(crime)s”; its codes are %(known)s.")
CITATION_FIELDS = ("instrument", "article", "iccs_code", "crime_family")
ARTICLE_PREFIX = re.compile(r"^(art[íi]culo|article|art)\.?\s+", re.IGNORECASE)


def _own_country(by: User) -> Country:
    """The country of the administrator's office: the only law they may enter or correct."""
    country = Country.objects.filter(iso2=by.office.country).first() if by.office.country else None
    if country is None:
        raise DomainError(NO_COUNTRY)
    return country


def _tidy(text: str) -> str:
    return " ".join(text.split())


def _iccs_problem(code: str, family: Code) -> str | None:
    """The translated reason why ``code`` does not fit ``family``, from the ICCS mappings of the code lists."""
    families = {f.code: f for f in selectors.codes_of("crime_family", active_only=False)}
    prefixes = {key: f.mappings["iccs"] for key, f in families.items() if f.mappings.get("iccs")}
    sub_codes = [
        form.mappings["iccs"] for form in selectors.codes_of("exploitation_form", active_only=False)
        if form.mappings.get("iccs")
    ]  # fmt: skip
    found = iccs.mismatch(code, family.code, prefixes, sub_codes)
    if found is None:
        return None
    if found.owner is not None:
        return ICCS_OF_OTHER_FAMILY % {"code": code, "other": families[found.owner].label}
    if found.known_codes:
        return ICCS_UNKNOWN_SUB_CODE % {"code": code, "crime": family.label, "known": ", ".join(found.known_codes)}
    return ICCS_OUTSIDE_FAMILY % {"code": code, "crime": family.label, "prefix": found.expected_prefix}


def _checked_provision(
    *, country: Country, values: dict[str, Any], current: LegalProvision | None = None
) -> dict[str, Any]:
    """Tidy and check a provision's values; every problem is reported at once, on its field."""
    checked: dict[str, Any] = {key: _tidy(v) if isinstance(v, str) else v for key, v in values.items()}
    checked["article"] = ARTICLE_PREFIX.sub("", checked["article"])
    errors: dict[str, list[Any]] = {}
    for name in ("instrument", "article", "title_es", "title_en", "iccs_code"):
        if not checked[name]:
            errors.setdefault(name, []).append(REQUIRED)
    family: Code = checked["crime_family"]
    code = checked["iccs_code"]
    if family.code_list.key != "crime_family":
        errors.setdefault("crime_family", []).append(WRONG_FAMILY_LIST)
    elif not family.is_active and (current is None or current.crime_family_id != family.pk):
        errors.setdefault("crime_family", []).append(FAMILY_NOT_IN_USE)
    if code and not iccs.is_well_formed(code):
        errors.setdefault("iccs_code", []).append(ICCS_FORMAT)
    elif code and family.code_list.key == "crime_family" and (problem := _iccs_problem(code, family)):
        errors.setdefault("iccs_code", []).append(problem)
    if checked["instrument"] and checked["article"]:
        twins = LegalProvision.objects.filter(
            country=country, instrument__iexact=checked["instrument"], article__iexact=checked["article"]
        )
        twin = twins.exclude(pk=current.pk).first() if current is not None else twins.first()
        if twin is not None:
            errors.setdefault("article", []).append(PROVISION_EXISTS % {"existing": str(twin)})
    if errors:
        raise ValidationError(errors)
    return checked


def _save_provision(provision: LegalProvision) -> None:
    # Two administrators saving the same article at the same moment both pass the check
    # above; the unique constraint decides, and the loser gets the same clear message.
    try:
        with transaction.atomic():
            provision.save()
    except IntegrityError:
        raise ValidationError({"article": [PROVISION_EXISTS % {"existing": str(provision)}]}) from None


@transaction.atomic(durable=True)
def add_legal_provision(
    *,
    by: User,
    instrument: str,
    article: str,
    title_es: str,
    title_en: str,
    iccs_code: str,
    crime_family: Code,
) -> LegalProvision:
    """Enter an offence of the office's own national law so that charges can cite it."""
    _check_admin(by)
    country = _own_country(by)
    values = _checked_provision(
        country=country,
        values={
            "instrument": instrument,
            "article": article,
            "title_es": title_es,
            "title_en": title_en,
            "iccs_code": iccs_code,
            "crime_family": crime_family,
        },
    )
    provision = LegalProvision(country=country, **values)
    provision.full_clean(validate_constraints=False)
    _save_provision(provision)
    audit.record(
        action="reference.provision_added",
        actor=by,
        target=provision,
        data={"country": country.iso2, "provision": str(provision), "iccs": provision.iccs_code},
    )
    return provision


def _lock_own(by: User, provision: LegalProvision, expected_version: int | None) -> LegalProvision:
    _check_admin(by)
    if provision.country_id != _own_country(by).pk:
        raise AccessDenied(FOREIGN_PROVISION)
    return lock_at_version(LegalProvision, provision.pk, expected_version)


@transaction.atomic(durable=True)
def update_legal_provision(
    *,
    by: User,
    provision: LegalProvision,
    instrument: str,
    article: str,
    title_es: str,
    title_en: str,
    iccs_code: str,
    crime_family: Code,
    expected_version: int | None,
) -> LegalProvision:
    """Correct a provision. Once a charge cites it, only its wording may change: what it cites is fixed."""
    current = _lock_own(by, provision, expected_version)
    before = str(current)
    values = _checked_provision(
        country=current.country,
        current=current,
        values={
            "instrument": instrument,
            "article": article,
            "title_es": title_es,
            "title_en": title_en,
            "iccs_code": iccs_code,
            "crime_family": crime_family,
        },
    )
    changed = _apply(current, values)
    if not changed:
        return current
    citing = selectors.charges_citing(current)
    if citing and set(changed) & set(CITATION_FIELDS):
        raise DomainError(
            ngettext(
                "A charge already cites this provision, so its law, article, ICCS code and crime family can "
                "no longer change; only the wording of the offence can. Retire it and add a new one instead.",
                "%(count)d charges already cite this provision, so its law, article, ICCS code and crime family "
                "can no longer change; only the wording of the offence can. Retire it and add a new one instead.",
                citing,
            )
            % {"count": citing},
            code="provision_cited",
        )
    current.version += 1
    current.full_clean(validate_constraints=False)
    _save_provision(current)
    data: dict[str, Any] = {"provision": str(current), "iccs": current.iccs_code, "fields": sorted(changed)}
    if str(current) != before:
        data["was"] = before
    audit.record(action="reference.provision_updated", actor=by, target=current, data=data)
    return current


@transaction.atomic(durable=True)
def retire_legal_provision(*, by: User, provision: LegalProvision, expected_version: int | None) -> LegalProvision:
    """Stop offering a provision for new charges; the charges that cite it keep it (it is never deleted)."""
    current = _lock_own(by, provision, expected_version)
    if current.is_active:
        current.is_active = False
        current.version += 1
        current.save(update_fields=["is_active", "version"])
        audit.record(
            action="reference.provision_retired",
            actor=by,
            target=current,
            data={"provision": str(current), "iccs": current.iccs_code, "charges": selectors.charges_citing(current)},
        )
    return current


@transaction.atomic(durable=True)
def reactivate_legal_provision(*, by: User, provision: LegalProvision, expected_version: int | None) -> LegalProvision:
    """Offer a retired provision for new charges again."""
    current = _lock_own(by, provision, expected_version)
    if not current.is_active:
        current.is_active = True
        current.version += 1
        current.save(update_fields=["is_active", "version"])
        audit.record(
            action="reference.provision_reactivated",
            actor=by,
            target=current,
            data={"provision": str(current), "iccs": current.iccs_code},
        )
    return current


@dataclass
class ProvisionImport:
    """What an import did (or, when checking, would do): the provisions added, or why nothing was."""

    check_only: bool
    added: list[str] = dataclasses.field(default_factory=list)
    problems: list[tuple[int, str]] = dataclasses.field(default_factory=list)  # (line of the file, what is wrong)


PROVISION_FIELD_LABELS = {
    "instrument": _("Law or code"),
    "article": _("Article"),
    "title_es": _("Offence in Spanish"),
    "title_en": _("Offence in English"),
    "iccs_code": _("ICCS code"),
    "crime_family": _("Crime family"),
}
UNKNOWN_FAMILY = _("“%(value)s” is not a crime family; use TIP, SOM or RELATED (or their names).")


class _CheckOnly(Exception):
    pass


def _family_lookup() -> dict[str, Code]:
    families: dict[str, Code] = {}
    for family in selectors.codes_of("crime_family"):
        for text in (family.code, family.label_es, family.label_en):
            families[_tidy(text).casefold()] = family
    return families


def import_legal_provisions(*, by: User, rows: list[tuple[int, dict[str, str]]], check_only: bool) -> ProvisionImport:
    """Add the provisions of a file: all of them or, at the first problem in any line, none.

    Each line is checked exactly as the form checks one provision, including against the lines
    above it, so a check finds every problem the import would meet.
    """
    _check_admin(by)
    country = _own_country(by)
    report = ProvisionImport(check_only=check_only)
    families = _family_lookup()
    try:
        with transaction.atomic(durable=True):
            for line, row in rows:
                family = families.get(_tidy(row["crime_family"]).casefold())
                if family is None:
                    report.problems.append((line, str(UNKNOWN_FAMILY % {"value": row["crime_family"]})))
                    continue
                try:
                    values = _checked_provision(country=country, values={**row, "crime_family": family})
                    provision = LegalProvision(country=country, **values)
                    provision.full_clean(validate_constraints=False)
                    _save_provision(provision)
                except ValidationError as error:
                    for name, messages in error.message_dict.items():
                        label = PROVISION_FIELD_LABELS.get(name, name)
                        report.problems.extend((line, f"{label}: {message}") for message in messages)
                    continue
                report.added.append(str(provision))
                audit.record(
                    action="reference.provision_added",
                    actor=by,
                    target=provision,
                    data={"country": country.iso2, "provision": str(provision), "iccs": provision.iccs_code,
                          "source": "file"},
                )  # fmt: skip
            if report.problems or check_only:
                raise _CheckOnly
    except _CheckOnly:
        if report.problems:
            report.added = []
    return report
