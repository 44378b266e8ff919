"""A few legal provisions per demo country, entered by the demo node administrator.

Vínculo ships no legal citations (ADR 0014): each office enters its own. A demo node still
needs some for its cases' charges, so the demo administrator enters these through the
reference service, as a real administrator would. They exist only on demo nodes and are
illustrations, not verified citations.
"""

from __future__ import annotations

from dataclasses import dataclass

from vinculo.accounts.models import User
from vinculo.reference import services
from vinculo.reference.models import Code, Country, LegalProvision


@dataclass(frozen=True)
class DemoProvision:
    instrument: str
    article: str
    title_es: str
    title_en: str
    iccs_code: str
    crime_family: str


PROVISIONS: dict[str, tuple[DemoProvision, ...]] = {
    "GT": (
        DemoProvision("Código Penal", "202 Ter", "Trata de personas", "Trafficking in persons", "0204", "TIP"),
        DemoProvision(
            "Código Penal",
            "202 Quáter",
            "Remuneración por la trata de personas",
            "Paying for trafficking in persons",
            "0204",
            "TIP",
        ),
        DemoProvision(
            "Código de Migración", "107", "Tráfico ilícito de personas", "Smuggling of migrants", "08051", "SOM"
        ),
        DemoProvision(
            "Ley contra el Lavado de Dinero u Otros Activos",
            "2",
            "Lavado de dinero",
            "Money laundering",
            "07041",
            "RELATED",
        ),
    ),
    "SV": (
        DemoProvision(
            "Ley Especial contra la Trata de Personas",
            "54",
            "Trata de personas",
            "Trafficking in persons",
            "0204",
            "TIP",
        ),
        DemoProvision(
            "Ley Especial contra la Trata de Personas",
            "55",
            "Trata de personas agravada",
            "Aggravated trafficking in persons",
            "0204",
            "TIP",
        ),
        DemoProvision("Código Penal", "367-A", "Tráfico ilegal de personas", "Smuggling of migrants", "08051", "SOM"),
        DemoProvision(
            "Ley Especial contra el Lavado de Dinero y de Activos",
            "4",
            "Lavado de dinero",
            "Money laundering",
            "07041",
            "RELATED",
        ),
    ),
    "HN": (
        DemoProvision("Código Penal", "219", "Trata de personas", "Trafficking in persons", "0204", "TIP"),
        DemoProvision(
            "Ley contra la Trata de Personas", "52", "Trata de personas", "Trafficking in persons", "0204", "TIP"
        ),
        DemoProvision("Código Penal", "295", "Tráfico ilícito de personas", "Smuggling of migrants", "08051", "SOM"),
        DemoProvision(
            "Ley Especial contra el Lavado de Activos",
            "36",
            "Lavado de activos",
            "Money laundering",
            "07041",
            "RELATED",
        ),
    ),
}


def enter_provisions(*, admin: User, country: Country) -> int:
    """Enter the demo provisions of the administrator's country not there yet; returns how many were entered."""
    families = {code.code: code for code in Code.objects.filter(code_list__key="crime_family")}
    existing = set(LegalProvision.objects.filter(country=country).values_list("instrument", "article"))
    entered = 0
    for provision in PROVISIONS.get(country.iso2, ()):
        if (provision.instrument, provision.article) in existing:
            continue
        services.add_legal_provision(
            by=admin,
            instrument=provision.instrument,
            article=provision.article,
            title_es=provision.title_es,
            title_en=provision.title_en,
            iccs_code=provision.iccs_code,
            crime_family=families[provision.crime_family],
        )
        entered += 1
    return entered
