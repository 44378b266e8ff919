"""Reads of reference data (open to every signed-in person; corrections are for administrators)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import apps
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from vinculo.reference.models import BorderCrossing, Code, CodeList, Country, LegalProvision, PopulationFigure

if TYPE_CHECKING:
    from vinculo.accounts.models import User


def border_crossings(*, country: str = "", verified: str = "", text: str = "") -> QuerySet[BorderCrossing]:
    """Crossings filtered by country (ISO alpha-2), verification state and text."""
    crossings = BorderCrossing.objects.prefetch_related("countries")
    if country:
        crossings = crossings.filter(countries__iso2=country)
    if verified == "yes":
        crossings = crossings.filter(coordinates_verified=True)
    elif verified == "no":
        crossings = crossings.filter(coordinates_verified=False)
    if text:
        crossings = crossings.filter(Q(name__icontains=text) | Q(code__icontains=text) | Q(notes__icontains=text))
    return crossings.distinct()


def border_crossing(code: str) -> BorderCrossing:
    crossing = BorderCrossing.objects.prefetch_related("countries").filter(code=code).first()
    if crossing is None:
        raise Http404
    return crossing


def code_lists() -> QuerySet[CodeList]:
    return CodeList.objects.annotate(code_count=Count("codes"))


def code_list(key: str) -> CodeList:
    found = CodeList.objects.filter(key=key).first()
    if found is None:
        raise Http404
    return found


def codes_of(key: str, *, active_only: bool = True) -> QuerySet[Code]:
    """The codes of one list in display order (what forms offer: active codes only)."""
    codes = Code.objects.filter(code_list__key=key)
    if active_only:
        codes = codes.filter(is_active=True)
    return codes.order_by("sort", "code")


def code(key: str, value: str) -> Code:
    found = Code.objects.select_related("code_list").filter(code_list__key=key, code=value).first()
    if found is None:
        raise Http404
    return found


def member_countries() -> QuerySet[Country]:
    return Country.objects.filter(is_member=True)


def populations() -> QuerySet[PopulationFigure]:
    return PopulationFigure.objects.select_related("country").order_by("country__name_es", "-year")


def legal_provisions(*, active_only: bool = False, status: str = "") -> QuerySet[LegalProvision]:
    """Provisions of every country on the node, optionally only those in force (``active``) or ``retired``."""
    provisions = LegalProvision.objects.select_related("country", "crime_family")
    if active_only or status == "active":
        return provisions.filter(is_active=True)
    if status == "retired":
        return provisions.filter(is_active=False)
    return provisions


def legal_provision_for_admin(user: User, pk: int) -> LegalProvision:
    """A provision of the administrator's own country; any other is a 404, as if it did not exist."""
    found = legal_provisions().filter(pk=pk, country__iso2=user.office.country).first()
    if found is None:
        raise Http404
    return found


def charges_citing(provision: LegalProvision) -> int:
    """How many charges cite the provision (a count only: administrators see no case content)."""
    # Looked up by name: charges belong to the case registry, which builds on this module.
    charge = apps.get_model("cases", "Charge")
    return charge.objects.filter(provision=provision).count()
