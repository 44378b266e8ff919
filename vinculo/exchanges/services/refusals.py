"""The handling rules' refusals, worded for the person in their language (the pure core speaks English)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from vinculo.core.errors import DomainError
from vinculo.exchanges.handling import InvalidHandling

HANDLING_MESSAGES = {
    "unknown_code": _("Use the handling codes H0, H1, H2 and H3 only."),
    "h3_needs_conditions": _("Write the conditions that come with H3."),
    "conditions_without_h3": _("Conditions are given with H3: tick H3 or leave them empty."),
    "bad_evaluation": _("Grade both the source (A, B, C or X) and the information (1 to 4), or neither."),
}


def handling_refusal(error: InvalidHandling) -> DomainError:
    """The DomainError a service raises for a broken handling rule (code ``handling``)."""
    message = HANDLING_MESSAGES.get(error.code, _("These handling codes cannot be used together."))
    return DomainError(message, code="handling")
