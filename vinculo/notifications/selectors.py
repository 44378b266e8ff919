"""A person's own notifications, and nobody else's."""

from __future__ import annotations

from django.db.models import QuerySet

from vinculo.accounts.models import Office, User
from vinculo.notifications.models import Notification


def notifications_of(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user)


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def office_names(notifications: list[Notification]) -> dict[str, str]:
    """The names, in the active language, of the offices the notifications name (one query)."""
    codes = {str(n.facts.get("office", "")) for n in notifications} - {""}
    return {office.code: office.name for office in Office.objects.filter(code__in=codes)}
