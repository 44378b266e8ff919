"""What the exchanges pages share: who may open them, a refusal in words, codes and grades as read."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vinculo.accounts.decorators import require_any_permission
from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.core.errors import DomainError
from vinculo.exchanges import selectors
from vinculo.exchanges.forms.common import CODE_MEANINGS, INFORMATION_GRADES, SOURCE_GRADES
from vinculo.messaging import network

PAGE_SIZE = 50
exchange_staff = require_any_permission(
    Permission.EXCHANGE_SEND, Permission.EXCHANGE_ANSWER, Permission.EXCHANGE_TRIAGE
)
NO_DIRECTORY = gettext_lazy(
    "This node holds no network directory in force, so nothing can be sent now. The node administrator can refresh it."
)


def refusal(error: DomainError | network.NetworkUnavailable) -> str:
    """A service's refusal, or the network's absence, as the person reads it."""
    return str(error.message) if isinstance(error, DomainError) else str(NO_DIRECTORY)


def codes_with_meanings(codes: list[str]) -> list[tuple[str, Any]]:
    return [(code, CODE_MEANINGS.get(code, "")) for code in codes]


def evaluation_in_words(grade: str) -> tuple[Any, Any] | None:
    if len(grade) != 2:
        return None
    return SOURCE_GRADES.get(grade[0], grade[0]), INFORMATION_GRADES.get(grade[1], grade[1])


def offices_to_choose(user: User) -> tuple[list[selectors.OfficeToAsk], bool]:
    """The network's active offices other than the user's, and whether the directory was missing."""
    try:
        return selectors.offices_to_ask(user), False
    except network.NetworkUnavailable:
        return [], True


def office_name(names: dict[str, Any], code: str) -> str:
    """An office's name in the reader's language, from ``selectors.offices_by_code`` (its code if unknown)."""
    return str(names[code].name) if code in names else code


def nothing_done(request: HttpRequest, form: forms.Form) -> None:
    """Say on top of the page that an action changed nothing: the service refused it (its reason is
    on the form), or the form has fields to correct."""
    if form.non_field_errors():
        messages.error(request, _("Nothing was done: the reason is shown below."))
    else:
        messages.error(request, _("Nothing was done: correct what is marked below."))
