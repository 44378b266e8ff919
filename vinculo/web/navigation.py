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
    also: tuple[Permission, ...] = ()  # other permissions that open the entry too

    def is_open_to(self, user: object) -> bool:
        if self.permission is None:
            return True
        return any(user.has_permission(permission) for permission in (self.permission, *self.also))  # type: ignore[attr-defined]


NAVIGATION: list[NavItem] = [
    NavItem("web:home", _("Home")),
    NavItem("cases:case_list", _("Cases"), Permission.CASE_VIEW),
    # One entry for the exchanges between offices; their pages link requests, alerts and
    # information, joint teams and consents among themselves.
    NavItem(
        "exchanges:request_list",
        _("Exchanges"),
        Permission.EXCHANGE_SEND,
        also=(Permission.EXCHANGE_ANSWER, Permission.EXCHANGE_TRIAGE),
    ),
    NavItem("matching:query_list", _("Hit/no-hit"), Permission.MATCH_QUERY, also=(Permission.MATCH_CONFIRM,)),
    NavItem("statistics:dashboard", _("Statistics"), Permission.STATS_NATIONAL, also=(Permission.STATS_REGIONAL,)),
    NavItem("accounts:user_list", _("Users"), Permission.USERS_MANAGE),
    NavItem("audit:entry_list", _("Audit trail"), Permission.AUDIT_VIEW),
    NavItem("evidence:entry_list", _("Evidence log"), Permission.AUDIT_VIEW),
    NavItem("reference:index", _("Reference data"), Permission.NODE_MANAGE),
    NavItem("messaging:health", _("Network"), Permission.NODE_MANAGE, also=(Permission.AUDIT_VIEW,)),
]


def navigation_for(user: object, current_path: str) -> list[dict[str, object]]:
    """The entries this user may open, marking the one the current page belongs to."""
    items = []
    for item in NAVIGATION:
        if not item.is_open_to(user):
            continue
        url = reverse(item.url_name)
        is_current = current_path == url if url == "/" else current_path.startswith(url)
        items.append({"url": url, "label": item.label, "is_current": is_current})
    return items
