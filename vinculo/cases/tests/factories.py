"""Cases for tests, opened through the real service (so the lead and the audit entry exist)."""

from __future__ import annotations

from typing import Any

from vinculo.accounts.models import User
from vinculo.cases.models import Case
from vinculo.cases.services import case_files as services
from vinculo.reference.models import Code

_counter = {"n": 0}


def code(list_key: str, value: str) -> Code:
    return Code.objects.get(code_list__key=list_key, code=value)


def case_facts(**overrides: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "crime_family": code("crime_family", "TIP"),
        "origin": code("case_origin", "NK"),
        "stage": code("stage", "PRELIMINARY_INVESTIGATION"),
        "closure_type": None,
        "closed_on": None,
        "reported_on": None,
        "reported_on_precision": "day",
        "organized_crime": code("yes_no", "NK"),
        "trafficker_organization": code("trafficker_organization", "NK"),
        "summary": "",
        "summary_language": "es",
        "visibility": "team",
    }
    facts.update(overrides)
    return facts


def open_case(by: User, number: str | None = None, **overrides: Any) -> Case:
    _counter["n"] += 1
    return services.open_case(
        by=by, national_number=number or f"FGR-2026-{_counter['n']:05d}", **case_facts(**overrides)
    )
