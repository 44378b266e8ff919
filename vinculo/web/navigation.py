"""The main navigation: each module adds its entry here with the permission it needs."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.roles import Permission


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: Promise
    permission: Permission | None = None


NAVIGATION: list[NavItem] = [
    NavItem("web:home", _("Home")),
    NavItem("cases:case_list", _("Cases"), Permission.CASE_VIEW),
    NavItem("accounts:user_list", _("Users"), Permission.USERS_MANAGE),
    NavItem("audit:entry_list", _("Audit trail"), Permission.AUDIT_VIEW),
    NavItem("evidence:entry_list", _("Evidence log"), Permission.AUDIT_VIEW),
    NavItem("reference:index", _("Reference data"), Permission.NODE_MANAGE),
]


def navigation_for(user: object, current_path: str) -> list[dict[str, object]]:
    """The entries this user may open, marking the one the current page belongs to."""
    items = []
    for item in NAVIGATION:
        if item.permission is not None and not user.has_permission(item.permission):  # type: ignore[attr-defined]
            continue
        url = reverse(item.url_name)
        is_current = current_path == url if url == "/" else current_path.startswith(url)
        items.append({"url": url, "label": item.label, "is_current": is_current})
    return items
