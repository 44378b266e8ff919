"""Legal provisions for tests, entered through the real service (so the audit entry exists)."""

from __future__ import annotations

from typing import Any

from vinculo.accounts.models import User
from vinculo.reference import services
from vinculo.reference.models import Code, LegalProvision


def crime(value: str) -> Code:
    return Code.objects.get(code_list__key="crime_family", code=value)


def provision_values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "instrument": "Ley Especial contra la Trata de Personas",
        "article": "54",
        "title_es": "Trata de personas",
        "title_en": "Trafficking in persons",
        "iccs_code": "02041",
        "crime_family": crime("TIP"),
    }
    values.update(overrides)
    return values


def add_provision(by: User, **overrides: Any) -> LegalProvision:
    """A provision of ``by``'s own country (``by`` is a node administrator)."""
    return services.add_legal_provision(by=by, **provision_values(**overrides))
