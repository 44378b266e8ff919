"""The exchanges area's own navigation: requests, alerts and information, joint teams, consents."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.roles import Permission

register = template.Library()

P = Permission
# Each part of the area, with the permissions that open it (as its views require).
AREA = [
    ("requests", "exchanges:request_list", _("Information requests"), (P.EXCHANGE_SEND, P.EXCHANGE_ANSWER,
                                                                         P.EXCHANGE_TRIAGE)),
    ("broadcasts", "exchanges:broadcast_list", _("Alerts and information"), (P.EXCHANGE_SEND, P.EXCHANGE_ANSWER,
                                                                              P.EXCHANGE_TRIAGE)),
    ("teams", "exchanges:team_list", _("Joint teams"), (P.EXCHANGE_SEND, P.EXCHANGE_ANSWER)),
    ("consents", "exchanges:consent_list", _("Consents"), (P.EXCHANGE_SEND, P.EXCHANGE_TRIAGE)),
]  # fmt: skip


@register.inclusion_tag("exchanges/includes/area.html", takes_context=True)
def exchanges_area(context: dict[str, Any], current: str) -> dict[str, Any]:
    """The parts of the area this person may open, ``current`` marked."""
    user = context["user"]
    links = [
        {"url": reverse(url_name), "label": label, "is_current": name == current}
        for name, url_name, label, permissions in AREA
        if any(user.has_permission(permission) for permission in permissions)
    ]
    return {"links": links}
