"""A person's own notifications, and nobody else's."""

from __future__ import annotations

from django.db.models import QuerySet

from vinculo.accounts.models import User
from vinculo.notifications.models import Notification


def notifications_of(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user)


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
